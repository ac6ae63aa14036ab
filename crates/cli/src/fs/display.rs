//! How file metadata is printed, as Alluxio's shell prints it: `drwxr-xr-x` modes, local dates
//! and human-readable sizes.

use alluxio_client::FileInfo;
use alluxio_conf::format_bytes;
use alluxio_proto::grpc::PersistenceState;

/// `-rw-r--r--` / `drwxr-xr-x` from the mode bits.
pub fn permission(info: &FileInfo) -> String {
    let mut out = String::with_capacity(10);
    out.push(if info.folder { 'd' } else { '-' });
    for shift in [6, 3, 0] {
        let bits = (info.mode >> shift) & 0o7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    out
}

/// A size in bytes, or human-readable (`1.50KB`) when `human`.
pub fn size(bytes: u64, human: bool) -> String {
    if human {
        format_bytes(bytes)
    } else {
        bytes.to_string()
    }
}

/// The persistence state as Alluxio names it.
pub fn persistence(info: &FileInfo) -> &'static str {
    match PersistenceState::try_from(info.persistence_state) {
        Ok(PersistenceState::Persisted) => "PERSISTED",
        Ok(PersistenceState::ToBePersisted) => "TO_BE_PERSISTED",
        Ok(PersistenceState::NotPersisted) | Err(_) => "NOT_PERSISTED",
    }
}

/// Milliseconds since the epoch as a local time in `pattern` (strftime syntax).
pub fn date(millis: i64, pattern: &str) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime(pattern)
            .to_string(),
        Err(_) => millis.to_string(),
    }
}

/// Alluxio's `ls` date format, `MM-dd-yyyy HH:mm:ss:SSS`.
pub const LS_DATE: &str = "%m-%d-%Y %H:%M:%S:%3f";

/// Alluxio's `stat` date format, `yyyy-MM-dd HH:mm:ss`.
pub const STAT_DATE: &str = "%Y-%m-%d %H:%M:%S";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_strings() {
        let dir = FileInfo {
            folder: true,
            mode: 0o755,
            ..Default::default()
        };
        assert_eq!(permission(&dir), "drwxr-xr-x");
        let file = FileInfo {
            mode: 0o640,
            ..Default::default()
        };
        assert_eq!(permission(&file), "-rw-r-----");
    }

    #[test]
    fn dates_have_millisecond_precision() {
        let text = date(1_500_000_000_123, LS_DATE);
        assert!(text.ends_with(":123"), "{text}");
        assert_eq!(text.len(), "07-14-2017 02:40:00:123".len());
    }
}
