//! FUSE cases: the bench mounts the Alluxio root in its own process (as `alluxio fuse mount -f`
//! does) and reads, writes and lists through the mount with plain system calls, each against the
//! Rust client doing the same in the same round:
//!
//! - `fuse.read.1MiB` and `fuse.read.256KiB`: a cached file of `--size` in two blocks read
//!   through the mount with reads of that size, against the client's short-circuit read of the
//!   same file; the same with `.o_direct`, the file opened with `O_DIRECT` (as on a `-o
//!   direct_io` mount); the same with `.one_block`, a file of one block, which the kernel reads
//!   from the worker's block file (passthrough) where it can;
//! - `fuse.write`: `--size` bytes written through the mount with 1 MiB writes (timed to the
//!   return of `close`), against the client's MUST_CACHE (short-circuit) write;
//! - `fuse.ls_l.<N>_entries`: `ls -l` of a folder of `--list-entries` files, in ms.
//!
//! Every read goes through the file system, not the kernel's page cache: the mount opens files
//! without `FOPEN_KEEP_CACHE`, so the kernel drops the file's cached pages at each open, and the
//! bench drops them after each read (untimed), so that no read pays for dropping the last one's.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_client::{AlluxioPath, DeleteOptions, ErrorKind, FileSystem, WriteType};
use alluxio_fuse::{BackgroundSession, FuseFs, FuseOptions, KernelOptions, MountOption, SessionACL};
use anyhow::{Context, bail};

use super::Setup;
use super::limits::{self, mib_per_sec};
use super::report::{Limit, Line, Outcome, Reporter};
use super::throughput::{timed_read, write_file_in_blocks};

const UNIT: &str = "MiB/s";
/// The read cases: bytes per `read(2)` on the mount (1 MiB, and 256 KiB, the size Curvine's
/// published FUSE figures use), and whether the file is opened with `O_DIRECT`, which takes
/// the path of a `-o direct_io` mount: no page cache between the mount and the reader.
/// These read a file of two blocks, which the mount serves.
const READS: [(&str, usize, bool); 4] = [
    ("fuse.read.1MiB", 1 << 20, false),
    ("fuse.read.256KiB", 256 << 10, false),
    ("fuse.read.1MiB.o_direct", 1 << 20, true),
    ("fuse.read.256KiB.o_direct", 256 << 10, true),
];
/// The read cases of a file of one block, which the kernel reads from the block file itself
/// where it offers passthrough and the mount may use it (`CAP_SYS_ADMIN`), else through the mount.
const ONE_BLOCK_READS: [(&str, usize, bool); 2] = [
    ("fuse.read.1MiB.one_block", 1 << 20, false),
    ("fuse.read.256KiB.one_block", 256 << 10, false),
];
/// Bytes per `write(2)` on the mount.
const WRITE_SIZE: usize = 1 << 20;
/// Added to the mount's entry and attribute timeouts before each timed `ls -l`, so it asks the
/// file system for every entry again, as the first listing of a folder does.
const TTL_SLACK: Duration = Duration::from_millis(100);
/// Longest one FUSE request may take before it fails with ETIMEDOUT, as `alluxio fuse mount`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a file written through the mount may take to be complete after its `close`
/// (the kernel sends the release that completes it after `close` has returned).
const COMPLETE_WAIT: Duration = Duration::from_secs(10);
/// Threads creating the listed folder's entries through the mount (no local UFS).
const FILLERS: usize = 4;

/// Mounts the Alluxio root, runs the cases `--rounds` times, prints the median of each and
/// unmounts (also when a case fails).
pub async fn run(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    let fs = FileSystem::connect(setup.conf.clone())
        .await
        .context("cannot connect to the Alluxio master")?;
    let dir = setup.path("fuse")?;
    super::create_bench_dir(&fs, &dir).await?;
    let mut mount = Mounted::new(setup).await?;
    let result = measure(setup, &fs, &mount, &dir, out).await;
    let unmounted = tokio::task::block_in_place(|| mount.unmount());
    result?;
    unmounted
}

async fn measure(
    setup: &Setup,
    fs: &FileSystem,
    mount: &Mounted,
    dir: &AlluxioPath,
    out: &mut Reporter,
) -> anyhow::Result<()> {
    let list = ListDir::fill(setup, mount).await?;
    // Untimed: loads the entries from the UFS and warms the master and the mount.
    let warm_up = list.ls(setup.args.list_entries).await;
    let result = async {
        if let Outcome::Error(e) = &warm_up.outcome {
            bail!("ls -l {} failed: {e}", list.on_mount.display());
        }
        let mut rounds = Vec::with_capacity(setup.args.rounds);
        for round in 0..setup.args.rounds {
            rounds.push(self::round(setup, fs, mount, dir, round, &list).await?);
        }
        for case in 0..rounds[0].len() {
            let measured: Vec<Line> = rounds.iter().map(|lines| lines[case].clone()).collect();
            out.emit(&Line::median(&measured));
        }
        Ok(())
    }
    .await;
    list.remove(fs).await;
    result
}

/// One measurement of every case and of what it is compared with.
async fn round(
    setup: &Setup,
    fs: &FileSystem,
    mount: &Mounted,
    dir: &AlluxioPath,
    index: usize,
    list: &ListDir,
) -> anyhow::Result<Vec<Line>> {
    let (size, buffer) = (setup.size, setup.buffer);
    let mut lines = Vec::new();

    // Cached files, each written and read by the client (the figures compared with), then read
    // through the mount: one of two blocks, whose reads the mount serves, and one of one block,
    // which the kernel reads from the worker's block file where it can (passthrough). One file
    // of `size` at a time, so the worker never has to evict.
    let mut write_limit = None;
    for (blocks, reads) in [(2, &READS[..]), (1, &ONE_BLOCK_READS[..])] {
        let file = dir.join(&format!("r{index}.{blocks}"))?;
        let block_size = size.div_ceil(blocks);
        let written = write_file_in_blocks(fs, &file, size, buffer, WriteType::MustCache, Some(block_size));
        let (stats, elapsed) = written.await?;
        write_limit.get_or_insert(match stats.short_circuit_bytes == size {
            true => Ok(Limit {
                name: "write.must_cache",
                value: mib_per_sec(size, elapsed),
            }),
            false => Err(format!(
                "{file}: only {} of {size} bytes were written short-circuit",
                stats.short_circuit_bytes
            )),
        });
        let read_limit = client_read(fs, &file, size, buffer).await.map(|value| Limit {
            name: "read.short_circuit",
            value,
        });
        for &(case, read_size, direct) in reads {
            let read = read_through(mount.path(&file), read_size, direct).await;
            lines.push(match (read, &read_limit) {
                (Ok((read, _)), _) if read != size => Line::error(
                    case,
                    format!("{file}: {read} of {size} bytes read through the mount"),
                ),
                (Ok((_, elapsed)), Ok(limit)) => {
                    Line::against(case, mib_per_sec(size, elapsed), UNIT, *limit)
                }
                (Ok(_), Err(why)) => {
                    Line::error(case, format!("no short-circuit read to compare with: {why}"))
                }
                (Err(e), _) => Line::error(case, format!("{e:#}")),
            });
        }
        remove(mount.path(&file)).await?;
    }
    let write_limit = write_limit.expect("one file was written");

    let file = dir.join(&format!("w{index}"))?;
    let path = mount.path(&file);
    let written = match blocking(move || limits::file_write(&path, size, WRITE_SIZE)).await {
        Ok(elapsed) => completed(fs, &file, size).await.map(|()| elapsed),
        Err(e) => Err(e),
    };
    lines.push(match (written, write_limit) {
        (Ok(elapsed), Ok(limit)) => Line::against("fuse.write", mib_per_sec(size, elapsed), UNIT, limit),
        (Ok(_), Err(why)) => Line::error(
            "fuse.write",
            format!("no MUST_CACHE write to compare with: {why}"),
        ),
        (Err(e), _) => Line::error("fuse.write", format!("{e:#}")),
    });
    remove(mount.path(&file)).await?;

    let kernel = KernelOptions::default();
    tokio::time::sleep(kernel.entry_timeout.max(kernel.attr_timeout) + TTL_SLACK).await;
    lines.push(list.ls(setup.args.list_entries).await);
    Ok(lines)
}

/// Reads the file at `path` on the mount to its end, `read_size` bytes per `read(2)` (with
/// `O_DIRECT` if `direct`), then drops its cached pages; the bytes read and the time taken.
async fn read_through(path: PathBuf, read_size: usize, direct: bool) -> anyhow::Result<(u64, Duration)> {
    blocking(move || {
        let mut options = OpenOptions::new();
        options.read(true);
        if direct {
            options.custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32);
        }
        let read = limits::file_read_with(&path, read_size, &options)?;
        drop_cached_pages(&path)?;
        Ok(read)
    })
    .await
}

/// The client's short-circuit read of `path` (NO_CACHE, `buffer` bytes per call), in MiB/s;
/// an error if any byte came another way.
async fn client_read(fs: &FileSystem, path: &AlluxioPath, size: u64, buffer: usize) -> Result<f64, String> {
    match timed_read(fs, path, buffer).await {
        Ok((stats, elapsed)) if stats.short_circuit_bytes == size => Ok(mib_per_sec(size, elapsed)),
        Ok((stats, _)) => Err(format!(
            "{path}: only {} of {size} bytes were read short-circuit",
            stats.short_circuit_bytes
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// Waits until the file written through the mount is complete with `size` bytes.
async fn completed(fs: &FileSystem, path: &AlluxioPath, size: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + COMPLETE_WAIT;
    loop {
        let info = fs
            .get_status(path)
            .await
            .with_context(|| format!("cannot stat {path}"))?;
        if info.completed {
            if info.length != size {
                bail!("{path} was completed with {} bytes, not {size}", info.length);
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{path} was not complete {COMPLETE_WAIT:?} after its close");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Deletes a file through the mount, as a user would: the kernel then drops the pages it
/// cached for it (a delete through the client would leave them until memory runs short, and
/// later rounds would pay for reclaiming them).
async fn remove(path: PathBuf) -> anyhow::Result<()> {
    blocking(move || match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot delete {}", path.display()))
        }
        _ => Ok(()),
    })
    .await
}

/// Runs blocking file work (anything on the mount: its requests are served by this process's
/// async threads, which must stay free) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .context("a blocking task of the FUSE cases panicked")?
}

/// The folder `ls -l` lists, with `--list-entries` empty files.
struct ListDir {
    on_mount: PathBuf,
    alluxio: AlluxioPath,
    /// The folder in the embedded cluster's UFS, when the files were made there.
    ufs: Option<PathBuf>,
}

impl ListDir {
    /// With a local UFS the files are made there and loaded by the first listing (the untimed
    /// warm-up); otherwise they are created through the mount.
    async fn fill(setup: &Setup, mount: &Mounted) -> anyhow::Result<Self> {
        let entries = setup.args.list_entries;
        if let Some(ufs_root) = &setup.ufs_root {
            let name = format!("{}-fuse-list", setup.base.trim_start_matches('/'));
            let ufs = ufs_root.join(&name);
            let alluxio = AlluxioPath::new(&format!("/{name}"))?;
            let dir = ufs.clone();
            blocking(move || {
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                for i in 0..entries {
                    let file = dir.join(format!("e{i}"));
                    std::fs::File::create(&file)
                        .with_context(|| format!("cannot create {}", file.display()))?;
                }
                Ok(())
            })
            .await?;
            return Ok(Self {
                on_mount: mount.path(&alluxio),
                alluxio,
                ufs: Some(ufs),
            });
        }
        let alluxio = setup.path("fuse/list")?;
        let dir = mount.path(&alluxio);
        let on_mount = dir.clone();
        blocking(move || {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            std::thread::scope(|scope| {
                let fillers: Vec<_> = (0..FILLERS)
                    .map(|filler| {
                        let dir = &dir;
                        scope.spawn(move || {
                            for i in (filler..entries).step_by(FILLERS) {
                                let file = dir.join(format!("e{i}"));
                                std::fs::File::create(&file)
                                    .with_context(|| format!("cannot create {}", file.display()))?;
                            }
                            anyhow::Ok(())
                        })
                    })
                    .collect();
                fillers.into_iter().try_for_each(|filler| match filler.join() {
                    Ok(result) => result,
                    Err(_) => bail!("a thread creating files through the mount panicked"),
                })
            })
        })
        .await?;
        Ok(Self {
            on_mount,
            alluxio,
            ufs: None,
        })
    }

    /// `ls -l` of the folder (readdir, then an lstat and the ACL queries of every entry), in ms;
    /// an error unless it printed every entry.
    async fn ls(&self, entries: usize) -> Line {
        let case = format!("fuse.ls_l.{entries}_entries");
        let dir = self.on_mount.clone();
        let listed = blocking(move || {
            let start = Instant::now();
            let output = Command::new("ls")
                .arg("-l")
                .arg(&dir)
                .stdin(Stdio::null())
                .output()
                .context("cannot run ls")?;
            let elapsed = start.elapsed();
            if !output.status.success() {
                bail!(
                    "ls -l {} failed ({}): {}",
                    dir.display(),
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            // The first line is `total N`.
            let lines = output
                .stdout
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            if lines != entries + 1 {
                bail!(
                    "ls -l {} printed {} entries, not {entries}",
                    dir.display(),
                    lines.saturating_sub(1)
                );
            }
            Ok(elapsed)
        })
        .await;
        match listed {
            Ok(elapsed) => Line::figure(case, elapsed.as_secs_f64() * 1000.0, "ms"),
            Err(e) => Line::error(case, format!("{e:#}")),
        }
    }

    /// Deletes the folder (through Alluxio, and from the UFS where it was made there); failures
    /// are logged, the figures are out.
    async fn remove(&self, fs: &FileSystem) {
        let recursive = DeleteOptions {
            recursive: true,
            ..Default::default()
        };
        if let Err(e) = fs.delete(&self.alluxio, recursive).await
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "cannot delete {}", self.alluxio);
        }
        if let Some(ufs) = &self.ufs
            && let Err(e) = std::fs::remove_dir_all(ufs)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "cannot remove {}", ufs.display());
        }
    }
}

/// The Alluxio root mounted at a temp folder in this process, its requests served on this
/// process's async runtime; unmounted on drop, so no case failure leaves a mount behind.
struct Mounted {
    session: Option<BackgroundSession>,
    point: PathBuf,
}

impl Mounted {
    async fn new(setup: &Setup) -> anyhow::Result<Self> {
        let client = FileSystem::connect(setup.conf.clone())
            .await
            .context("cannot connect to the Alluxio master")?;
        // Kept (not removed on drop): removing a folder something is still mounted on would
        // delete the files behind the mount.
        let point = tempfile::Builder::new()
            .prefix("alluxio-bench-fuse-")
            .tempdir()
            .context("cannot create a mount point")?
            .keep();
        let options = FuseOptions {
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
            request_timeout: REQUEST_TIMEOUT,
            translate_owners: false,
        };
        let fs = Arc::new(FuseFs::new(client, AlluxioPath::root(), options));
        let mount_options = vec![
            MountOption::FSName("alluxio:/".to_string()),
            MountOption::Subtype("alluxio".to_string()),
        ];
        let runtime = tokio::runtime::Handle::current();
        match alluxio_fuse::mount(
            fs,
            runtime,
            &point,
            mount_options,
            SessionACL::Owner,
            Default::default(),
        ) {
            Ok(session) => Ok(Self {
                session: Some(session),
                point,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir(&point);
                Err(e).with_context(|| {
                    format!(
                        "cannot mount Alluxio at {} for the FUSE cases: is /dev/fuse there (and fuse3 installed)?",
                        point.display()
                    )
                })
            }
        }
    }

    /// Where the Alluxio `path` is on the mount.
    fn path(&self, path: &AlluxioPath) -> PathBuf {
        self.point.join(path.as_str().trim_start_matches('/'))
    }

    /// Unmounts and waits for the session's threads; a mount that refuses (busy) is detached
    /// lazily instead. The mount point is removed once nothing is mounted on it.
    fn unmount(&mut self) -> anyhow::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let unmounted = session.umount_and_join();
        if mounted(&self.point) {
            let _ = Command::new("fusermount3")
                .arg("-u")
                .arg("-z")
                .arg(&self.point)
                .stderr(Stdio::null())
                .status();
        }
        if mounted(&self.point) {
            bail!(
                "cannot unmount {}: run fusermount3 -u on it",
                self.point.display()
            );
        }
        if let Err(e) = std::fs::remove_dir(&self.point) {
            tracing::warn!(error = %e, "cannot remove the mount point {}", self.point.display());
        }
        unmounted.with_context(|| format!("the FUSE session at {} ended with an error", self.point.display()))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Err(e) = self.unmount() {
            tracing::warn!(
                error = format!("{e:#}"),
                "the FUSE mount of the bench did not end cleanly"
            );
        }
    }
}

/// Drops the kernel's cached pages of the file at `path`, untimed, so the next read through
/// the mount starts as the first did: otherwise its `open` would begin by dropping them.
fn drop_cached_pages(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed)
        .with_context(|| format!("cannot drop the cached pages of {}", path.display()))
}

/// Whether something is mounted at `point` (per `/proc/self/mounts`).
fn mounted(point: &Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/self/mounts") else {
        return false;
    };
    let point = point.to_string_lossy();
    table
        .lines()
        .any(|line| line.split_whitespace().nth(1) == Some(point.as_ref()))
}
