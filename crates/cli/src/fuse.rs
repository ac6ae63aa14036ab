//! `alluxio fuse mount|umount|stat`: an Alluxio folder as a POSIX folder for programs that know
//! nothing of Alluxio (crates/fuse has the file system; this is the command around it).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_client::{AlluxioPath, FileSystem};
use alluxio_conf::{Configuration, keys};
use alluxio_fuse::{FuseFs, FuseOptions, KernelOptions, MountOption, SessionACL};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::logging;
use crate::server::Signals;

/// The file system type mounts show (`fuse.alluxio`); their source is `alluxio:<path>`.
const SUBTYPE: &str = "alluxio";
/// Longest one FUSE request may take before it fails with ETIMEDOUT.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a background mount may take to appear.
const MOUNT_WAIT: Duration = Duration::from_secs(30);

/// Arguments of `alluxio fuse`.
#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct FuseArgs {
    #[command(subcommand)]
    command: FuseCommand,
}

#[derive(Debug, Subcommand)]
enum FuseCommand {
    /// Mount ALLUXIO_PATH (default /) at MOUNT_POINT; in the background unless -f.
    Mount {
        /// Stay in the foreground until unmounted or interrupted.
        #[arg(short = 'f')]
        foreground: bool,
        /// Mount options, comma separated: ro, allow_other, allow_root, auto_unmount,
        /// default_permissions, attr_timeout=SECONDS, entry_timeout=SECONDS (how long the
        /// kernel keeps attributes and names; 1 by default), direct_io (reads bypass the
        /// kernel's page cache too), user_xattr (Alluxio's attributes as user.alluxio.*
        /// extended attributes), no_passthrough (files that are one block cached on this host
        /// are read through the mount too, not by the kernel from the block file), or any
        /// option the kernel takes (max_read=N ...).
        #[arg(short = 'o', value_delimiter = ',')]
        options: Vec<String>,
        /// An existing empty folder.
        mount_point: PathBuf,
        /// The Alluxio folder to show there.
        #[arg(default_value = "/")]
        alluxio_path: String,
    },
    /// Unmount MOUNT_POINT.
    Umount {
        /// Where an Alluxio folder is mounted.
        mount_point: PathBuf,
    },
    /// List the Alluxio folders mounted on this host.
    Stat,
}

/// Runs one fuse command.
pub fn run(conf: Configuration, args: FuseArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FuseCommand::Mount {
            foreground,
            options,
            mount_point,
            alluxio_path,
        } => {
            if foreground {
                mount_foreground(conf, &mount_point, &alluxio_path, &options)
            } else {
                mount_background(&conf, &mount_point)
            }
        }
        FuseCommand::Umount { mount_point } => umount(&mount_point),
        FuseCommand::Stat => {
            for (point, path) in alluxio_mounts()? {
                outln!("{}\t{path}", point.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `-o` asks of the mount.
#[derive(Debug)]
struct MountSettings {
    /// Options for the kernel, with the mount's name and type.
    options: Vec<MountOption>,
    /// Who may use the mount (`allow_other`, `allow_root`; only the mounting user otherwise).
    acl: SessionACL,
    /// How long the kernel keeps what it was told.
    kernel: KernelOptions,
}

/// The settings of `-o` for a mount of `alluxio_path`; a timeout that is not a number of
/// seconds is an error naming it.
fn mount_settings(given: &[String], alluxio_path: &str) -> anyhow::Result<MountSettings> {
    let mut settings = MountSettings {
        options: vec![
            MountOption::FSName(format!("{SUBTYPE}:{alluxio_path}")),
            MountOption::Subtype(SUBTYPE.to_string()),
        ],
        acl: SessionACL::Owner,
        kernel: KernelOptions::default(),
    };
    for option in given {
        match option.split_once('=') {
            Some(("attr_timeout", seconds)) => settings.kernel.attr_timeout = timeout(option, seconds)?,
            Some(("entry_timeout", seconds)) => settings.kernel.entry_timeout = timeout(option, seconds)?,
            _ => match option.as_str() {
                "allow_other" => settings.acl = SessionACL::All,
                "allow_root" => settings.acl = SessionACL::RootAndOwner,
                "ro" => settings.options.push(MountOption::RO),
                "auto_unmount" => settings.options.push(MountOption::AutoUnmount),
                "default_permissions" => settings.options.push(MountOption::DefaultPermissions),
                "direct_io" => settings.kernel.direct_io = true,
                "user_xattr" => settings.kernel.user_xattr = true,
                "no_passthrough" => settings.kernel.passthrough = false,
                other => settings.options.push(MountOption::CUSTOM(other.to_string())),
            },
        }
    }
    Ok(settings)
}

/// Seconds (fractions allowed, as libfuse takes them) of `-o option`.
fn timeout(option: &str, seconds: &str) -> anyhow::Result<Duration> {
    seconds
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .with_context(|| {
            format!("-o {option}: the timeout is a number of seconds, 0 or more (e.g. 1 or 0.5)")
        })
}

/// Serves the mount until a signal or an unmount.
fn mount_foreground(
    conf: Configuration,
    mount_point: &Path,
    alluxio_path: &str,
    options: &[String],
) -> anyhow::Result<ExitCode> {
    let settings = mount_settings(options, alluxio_path)?;
    let debug: &[&str] = if conf.get_bool(keys::FUSE_DEBUG_ENABLED)? {
        &["alluxio_fuse"]
    } else {
        &[]
    };
    let translate_owners = conf.get_bool(keys::FUSE_USER_GROUP_TRANSLATION_ENABLED)?;
    let log = logging::init_server_debugging(&conf, "fuse", debug)?;
    let root = AlluxioPath::new(alluxio_path).with_context(|| format!("cannot mount {alluxio_path}"))?;
    crate::runtime()?.block_on(async {
        let mut signals = Signals::install()?;
        let client = FileSystem::connect(conf)
            .await
            .context("cannot connect to the Alluxio master")?;
        let info = client
            .get_status(&root)
            .await
            .with_context(|| format!("cannot mount {root}"))?;
        if !info.folder {
            bail!("cannot mount {root}: it is a file, not a folder");
        }
        let options_fs = FuseOptions {
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
            request_timeout: REQUEST_TIMEOUT,
            translate_owners,
        };
        let fs = Arc::new(FuseFs::new(client, root.clone(), options_fs));
        let runtime = tokio::runtime::Handle::current();
        let MountSettings { options, acl, kernel } = settings;
        let session = alluxio_fuse::mount(fs, runtime, mount_point, options, acl, kernel).with_context(|| {
            format!(
                "cannot mount {root} at {}: is it an existing folder, and is fuse3 (fusermount3) installed?",
                mount_point.display()
            )
        })?;
        outln!(
            "Mounted {root} at {} (logs: {})",
            mount_point.display(),
            log.display()
        );
        tracing::info!(root = %root, mount_point = %mount_point.display(), "FUSE mount serving");
        let mut ticks = tokio::time::interval(Duration::from_millis(200));
        let ended = loop {
            tokio::select! {
                signal = signals.wait() => break signal,
                _ = ticks.tick() => if session.guard.is_finished() { break "unmount" },
            }
        };
        tracing::info!(cause = ended, "FUSE mount stopping");
        tokio::task::spawn_blocking(move || session.umount_and_join())
            .await
            .context("the FUSE session did not stop")?
            .context("the FUSE session ended with an error")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs `alluxio fuse mount -f ...` as a detached child with its output in the logs folder,
/// and returns once the mount is there.
fn mount_background(conf: &Configuration, mount_point: &Path) -> anyhow::Result<ExitCode> {
    let logs = PathBuf::from(conf.get(keys::LOGS_DIR)?);
    std::fs::create_dir_all(&logs)
        .with_context(|| format!("cannot create the log folder {}", logs.display()))?;
    let out_path = logs.join("fuse.out");
    let out =
        std::fs::File::create(&out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let at = args.iter().position(|a| a == "mount").context("no mount verb")?;
    args.insert(at + 1, "-f".into());
    let mut child = Command::new(std::env::current_exe().context("cannot find the alluxio binary")?)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0)
        .spawn()
        .context("cannot start the FUSE process")?;
    let target = std::fs::canonicalize(mount_point)
        .with_context(|| format!("cannot mount at {}: no such folder", mount_point.display()))?;
    let deadline = Instant::now() + MOUNT_WAIT;
    loop {
        if alluxio_mounts()?.iter().any(|(point, _)| *point == target) {
            outln!(
                "Mounted at {} (process {}, output in {})",
                target.display(),
                child.id(),
                out_path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(status) = child.try_wait()? {
            let output = std::fs::read_to_string(&out_path).unwrap_or_default();
            bail!(
                "the FUSE process exited ({status}) before mounting:\n{}",
                output.trim_end()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "no mount at {} after {MOUNT_WAIT:?}; see {}",
                target.display(),
                out_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Unmounts with fuse3's `fusermount3 -u`, which also works without root.
fn umount(mount_point: &Path) -> anyhow::Result<ExitCode> {
    let output = Command::new("fusermount3")
        .arg("-u")
        .arg(mount_point)
        .output()
        .context("cannot run fusermount3: is fuse3 installed?")?;
    if !output.status.success() {
        bail!(
            "cannot unmount {}: {}",
            mount_point.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every Alluxio FUSE mount of this host: (mount point, Alluxio path).
fn alluxio_mounts() -> anyhow::Result<Vec<(PathBuf, String)>> {
    let table = std::fs::read_to_string("/proc/self/mounts").context("cannot read /proc/self/mounts")?;
    Ok(parse_mounts(&table))
}

fn parse_mounts(table: &str) -> Vec<(PathBuf, String)> {
    let fstype = format!("fuse.{SUBTYPE}");
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (source, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            let path = source.strip_prefix(&format!("{SUBTYPE}:"))?;
            // Mounted by root, the type is plain `fuse`; through fusermount3, `fuse.alluxio`.
            (kind == fstype || kind == "fuse").then(|| (PathBuf::from(unescape(point)), unescape(path)))
        })
        .collect()
}

/// `/proc/mounts` writes spaces, tabs, newlines and backslashes as octal escapes.
fn unescape(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_of_other_types_are_left_out() {
        let table = "proc /proc proc rw 0 0\n\
                     alluxio:/ /mnt/a\\040b fuse.alluxio rw,nosuid 0 0\n\
                     alluxio:/x /mnt/c fuse.other rw 0 0\n";
        assert_eq!(
            parse_mounts(table),
            [(PathBuf::from("/mnt/a b"), "/".to_string())]
        );
        let by_root = "alluxio:/data /mnt/d fuse rw 0 0\nsshfs#x /mnt/s fuse rw 0 0\n";
        assert_eq!(
            parse_mounts(by_root),
            [(PathBuf::from("/mnt/d"), "/data".to_string())]
        );
    }

    #[test]
    fn options_map_to_kernel_options() {
        let given = [
            "ro",
            "max_read=131072",
            "allow_other",
            "attr_timeout=0.5",
            "entry_timeout=0",
            "direct_io",
        ];
        let given: Vec<String> = given.iter().map(|o| o.to_string()).collect();
        let settings = mount_settings(&given, "/data").unwrap();
        assert_eq!(settings.acl, SessionACL::All);
        let options = &settings.options;
        assert!(options.contains(&MountOption::RO));
        assert!(options.contains(&MountOption::CUSTOM("max_read=131072".into())));
        assert!(options.contains(&MountOption::FSName("alluxio:/data".into())));
        assert_eq!(settings.kernel.attr_timeout, Duration::from_millis(500));
        assert_eq!(settings.kernel.entry_timeout, Duration::ZERO);
        assert!(settings.kernel.direct_io && !settings.kernel.user_xattr);
        assert!(
            !options
                .iter()
                .any(|o| matches!(o, MountOption::CUSTOM(o) if o == "direct_io"))
        );
        let settings = mount_settings(&["user_xattr".to_string()], "/").unwrap();
        assert!(settings.kernel.user_xattr && !settings.kernel.direct_io && settings.kernel.passthrough);
        let settings = mount_settings(&["no_passthrough".to_string()], "/").unwrap();
        assert!(!settings.kernel.passthrough);
        for bad in ["attr_timeout=soon", "entry_timeout=-1"] {
            let err = mount_settings(&[bad.to_string()], "/").unwrap_err();
            assert!(format!("{err:#}").contains(bad), "{err:#}");
        }
    }
}
