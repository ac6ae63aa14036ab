//! The mount's kernel readahead. At `init` the kernel offers a FUSE mount the default
//! readahead (128 KiB) and accepts only less, so large sequential reads would reach the file
//! system in 128 KiB requests. Once the mount is initialised the `read_ahead_kb` of its
//! backing device (sysfs, root only) can be raised, and reads grow to the largest request the
//! mount takes.

use std::path::Path;

/// Raises the readahead of the initialised mount at `mount_point` (canonical) to `kib`; a
/// mount that cannot (not root, no sysfs) keeps the kernel's and says so in the log.
pub(crate) fn raise(mount_point: &Path, kib: u32) {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let Some(device) = device_of(&mountinfo, mount_point) else {
        tracing::info!(mount_point = %mount_point.display(), "the mount is not in /proc/self/mountinfo: reads keep the kernel's 128 KiB readahead");
        return;
    };
    let setting = format!("/sys/class/bdi/{device}/read_ahead_kb");
    match std::fs::write(&setting, kib.to_string()) {
        Ok(()) => tracing::debug!(setting = %setting, kib, "mount readahead raised"),
        Err(e) => tracing::info!(
            setting = %setting,
            error = %e,
            "cannot raise the mount's readahead (it takes root): large reads arrive in 128 KiB requests"
        ),
    }
}

/// The `major:minor` device of the last mount at `mount_point` listed in `mountinfo` (the
/// format of `/proc/self/mountinfo`, whose paths escape space, tab, newline and backslash
/// as octal).
fn device_of(mountinfo: &str, mount_point: &Path) -> Option<String> {
    let wanted = mount_point.to_str()?;
    mountinfo
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let device = fields.nth(2)?;
            let point = fields.nth(1)?;
            (unescape(point) == wanted).then(|| device.to_string())
        })
        .next_back()
}

/// A mountinfo path with its `\NNN` octal escapes decoded.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|_| bytes[i] == b'\\');
        match octal.and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
61 27 0:52 / /mnt/alluxio rw,nosuid,nodev,relatime - fuse alluxio rw,user_id=0,group_id=0
62 27 0:53 / /mnt/with\\040space rw,relatime - fuse alluxio rw
63 27 0:54 / /mnt/alluxio rw,relatime - fuse alluxio rw
";

    #[test]
    fn finds_the_last_mount_at_a_point() {
        assert_eq!(
            device_of(MOUNTINFO, Path::new("/mnt/alluxio")).as_deref(),
            Some("0:54")
        );
        assert_eq!(device_of(MOUNTINFO, Path::new("/proc")).as_deref(), Some("0:21"));
    }

    #[test]
    fn decodes_escaped_paths() {
        assert_eq!(
            device_of(MOUNTINFO, Path::new("/mnt/with space")).as_deref(),
            Some("0:53")
        );
        assert_eq!(unescape("a\\134b\\011c"), "a\\b\tc");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[test]
    fn unknown_points_have_no_device() {
        assert_eq!(device_of(MOUNTINFO, Path::new("/mnt/other")), None);
        assert_eq!(device_of("garbage line\n\n", Path::new("/mnt/alluxio")), None);
    }
}
