//! Sequential data-path cases: MUST_CACHE writes (short-circuit vs tmpfs write, over the data
//! port vs loopback TCP), short-circuit read vs tmpfs read, data-port read vs loopback TCP, cold
//! UFS read through the worker vs reading the UFS file; with a proxy, S3 GET and PUT vs the
//! data-port read and write of the same round (see [`super::s3`]); with the client jar, Hadoop
//! API reads and statuses vs the Rust client's (see [`super::hadoop`]). Each case and each limit is measured
//! once per round, alternating, and the median of the rounds is printed: a virtual machine's
//! memory and loopback speed vary from one second to the next.

use std::time::{Duration, Instant};

use alluxio_client::{
    AlluxioPath, CreateFileOptions, DeleteOptions, FileSystem, OpenFileOptions, ReadStats, ReadType,
    WriteStats, WriteType,
};
use alluxio_conf::keys;
use anyhow::Context;

use super::Setup;
use super::limits::{self, mib_per_sec, pattern};
use super::report::{Limit, Line, Reporter};

const UNIT: &str = "MiB/s";

/// Runs the five cases `--rounds` times and prints the median of each.
pub async fn run(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    let mut rounds = Vec::with_capacity(setup.args.rounds);
    for _ in 0..setup.args.rounds {
        rounds.push(round(setup).await?);
    }
    for case in 0..rounds[0].len() {
        let measured: Vec<Line> = rounds.iter().map(|lines| lines[case].clone()).collect();
        out.emit(&Line::median(&measured));
    }
    Ok(())
}

/// One measurement of every limit and every case, in a fixed order.
async fn round(setup: &Setup) -> anyhow::Result<Vec<Line>> {
    let mut out = Vec::new();
    let fs = FileSystem::connect(setup.conf.clone())
        .await
        .context("cannot connect to the Alluxio master")?;
    let mut remote_conf = setup.conf.clone();
    remote_conf.set(keys::USER_SHORT_CIRCUIT_ENABLED, "false");
    let remote = FileSystem::connect(remote_conf)
        .await
        .context("cannot connect to the Alluxio master")?;
    let (size, buffer) = (setup.size, setup.buffer);

    let scratch = setup.scratch.join("tmpfs-limit");
    let tmpfs_write = mib_per_sec(size, limits::file_write(&scratch, size, buffer)?);
    let (read, elapsed) = limits::file_read(&scratch, buffer)?;
    let tmpfs_read = mib_per_sec(read, elapsed);
    std::fs::remove_file(&scratch).with_context(|| format!("cannot remove {}", scratch.display()))?;
    let loopback = mib_per_sec(size, limits::loopback_copy(size, buffer)?);

    let path = setup.path("sequential")?;
    let (stats, elapsed) = write_file(&remote, &path, size, buffer, WriteType::MustCache).await?;
    let loopback_limit = Limit {
        name: "loopback_tcp",
        value: loopback,
    };
    out.push(write_line(
        "write.data_port",
        &path,
        size,
        elapsed,
        loopback_limit,
        stats.remote_bytes,
    ));
    fs.delete(&path, DeleteOptions::default())
        .await
        .with_context(|| format!("cannot delete {path}"))?;
    let (stats, elapsed) = write_file(&fs, &path, size, buffer, WriteType::MustCache).await?;
    let tmpfs_limit = Limit {
        name: "tmpfs_write",
        value: tmpfs_write,
    };
    out.push(write_line(
        "write.must_cache",
        &path,
        size,
        elapsed,
        tmpfs_limit,
        stats.short_circuit_bytes,
    ));
    let short_circuit = Limit {
        name: "tmpfs_read",
        value: tmpfs_read,
    };
    let line = read_case(&fs, &path, setup, "read.short_circuit", short_circuit, |s| {
        s.short_circuit_bytes
    })
    .await;
    let short_circuit_figure = line.value().map(|value| Limit {
        name: "read.short_circuit",
        value,
    });
    out.push(line);
    if let Some(hadoop) = &setup.hadoop {
        out.push(hadoop.read(&path, short_circuit_figure));
        out.push(hadoop.get_status(&fs, &path).await);
    }
    let line = read_case(&remote, &path, setup, "read.data_port", loopback_limit, |s| {
        s.remote_bytes
    })
    .await;
    out.push(line);
    if let Some(s3) = &setup.s3 {
        let data_port = |case: &'static str| {
            let value = out.iter().find(|line| line.case == case)?.value()?;
            Some(Limit { name: case, value })
        };
        let (read_limit, write_limit) = (data_port("read.data_port"), data_port("write.data_port"));
        out.push(s3.get(&path, size, read_limit).await);
        let put = setup.path("s3-put")?;
        out.push(s3.put(&fs, &put, size, buffer, write_limit).await);
        out.push(Line::figure(
            "hash.md5",
            mib_per_sec(size, limits::md5(size, buffer)),
            UNIT,
        ));
        if let Err(e) = fs.delete(&put, DeleteOptions::default()).await
            && e.kind() != alluxio_client::ErrorKind::NotFound
        {
            return Err(e).with_context(|| format!("cannot delete {put}"));
        }
    }
    fs.delete(&path, DeleteOptions::default())
        .await
        .with_context(|| format!("cannot delete {path}"))?;

    cold_read(&fs, setup, &mut out).await?;
    Ok(out)
}

/// A file only the UFS has, read through a worker without caching, vs reading it directly.
async fn cold_read(fs: &FileSystem, setup: &Setup, out: &mut Vec<Line>) -> anyhow::Result<()> {
    const CASE: &str = "read.ufs_cold";
    let (size, buffer) = (setup.size, setup.buffer);
    let Some(ufs_root) = &setup.ufs_root else {
        // Another cluster's UFS is out of reach: put the file there with THROUGH, no limit.
        let path = setup.path("cold")?;
        write_file(fs, &path, size, buffer, WriteType::Through).await?;
        let line = match timed_read(fs, &path, buffer).await {
            Ok((stats, elapsed)) if stats.ufs_bytes == size => {
                Line::figure(CASE, mib_per_sec(size, elapsed), UNIT)
            }
            Ok((stats, _)) => Line::error(CASE, wrong_path(&path, size, "from the UFS", stats)),
            Err(e) => Line::error(CASE, format!("{e:#}")),
        };
        out.push(line);
        return fs
            .delete(&path, DeleteOptions::default())
            .await
            .with_context(|| format!("cannot delete {path}"));
    };
    let dir_name = format!("{}-cold", setup.base.trim_start_matches('/'));
    let ufs_dir = ufs_root.join(&dir_name);
    std::fs::create_dir_all(&ufs_dir).with_context(|| format!("cannot create {}", ufs_dir.display()))?;
    let ufs_file = ufs_dir.join("file");
    limits::file_write(&ufs_file, size, buffer)?;
    let (read, elapsed) = limits::file_read(&ufs_file, buffer)?;
    let limit = Limit {
        name: "ufs_read",
        value: mib_per_sec(read, elapsed),
    };
    let dir = AlluxioPath::new(&format!("/{dir_name}"))?;
    let path = AlluxioPath::new(&format!("/{dir_name}/file"))?;
    out.push(read_case(fs, &path, setup, CASE, limit, |s| s.ufs_bytes).await);
    let recursive = DeleteOptions {
        recursive: true,
        ..Default::default()
    };
    if let Err(e) = fs.delete(&dir, recursive).await {
        tracing::debug!(error = %e, "cannot delete {dir} through Alluxio; removing it from the UFS");
    }
    match std::fs::remove_dir_all(&ufs_dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", ufs_dir.display()))
        }
        _ => Ok(()),
    }
}

/// The line of a write case whose `served` bytes (the counter of the expected path) must be all
/// of them, so a short-circuit figure is never a data-port figure in disguise.
fn write_line(
    case: &str,
    path: &AlluxioPath,
    size: u64,
    elapsed: Duration,
    limit: Limit,
    served: u64,
) -> Line {
    if served == size {
        Line::against(case, mib_per_sec(size, elapsed), UNIT, limit)
    } else {
        Line::error(
            case,
            format!(
                "{path}: {served} of {size} bytes were written by the {case} path; is the worker on \
                 this host and alluxio.user.short.circuit.enabled as intended?"
            ),
        )
    }
}

/// Reads `path` whole and checks that `served` (the counter of the expected read path) saw every
/// byte, so a short-circuit figure is never a data-port figure in disguise.
async fn read_case(
    fs: &FileSystem,
    path: &AlluxioPath,
    setup: &Setup,
    case: &str,
    limit: Limit,
    served: fn(&ReadStats) -> u64,
) -> Line {
    match timed_read(fs, path, setup.buffer).await {
        Ok((stats, elapsed)) if served(&stats) == setup.size => {
            Line::against(case, mib_per_sec(setup.size, elapsed), UNIT, limit)
        }
        Ok((stats, _)) => Line::error(
            case,
            wrong_path(path, setup.size, &format!("by the {case} path"), stats),
        ),
        Err(e) => Line::error(case, format!("{e:#}")),
    }
}

fn wrong_path(path: &AlluxioPath, size: u64, expected: &str, stats: ReadStats) -> String {
    format!(
        "{path}: not all {size} bytes were read {expected} (short-circuit {}, data port {}, UFS {}); \
         is the worker on this host and alluxio.user.short.circuit.enabled as intended?",
        stats.short_circuit_bytes, stats.remote_bytes, stats.ufs_bytes
    )
}

/// Opens (NO_CACHE, so the read changes nothing) and reads `path` to its end.
pub(super) async fn timed_read(
    fs: &FileSystem,
    path: &AlluxioPath,
    buffer: usize,
) -> anyhow::Result<(ReadStats, Duration)> {
    let mut buf = pattern(buffer);
    let start = Instant::now();
    let options = OpenFileOptions {
        read_type: Some(ReadType::NoCache),
    };
    let mut stream = fs
        .open_file(path, options)
        .await
        .with_context(|| format!("cannot open {path}"))?;
    while stream
        .read(&mut buf)
        .await
        .with_context(|| format!("cannot read {path}"))?
        > 0
    {}
    let elapsed = start.elapsed();
    let stats = stream.stats();
    stream
        .close()
        .await
        .with_context(|| format!("cannot close {path}"))?;
    Ok((stats, elapsed))
}

/// Writes `size` bytes to a new file, `buffer` bytes per call; returns how they reached the
/// workers and the time to completion.
pub async fn write_file(
    fs: &FileSystem,
    path: &AlluxioPath,
    size: u64,
    buffer: usize,
    write_type: WriteType,
) -> anyhow::Result<(WriteStats, Duration)> {
    write_file_in_blocks(fs, path, size, buffer, write_type, None).await
}

/// [`write_file`] with blocks of `block_size` bytes (`None`: the configured default).
pub async fn write_file_in_blocks(
    fs: &FileSystem,
    path: &AlluxioPath,
    size: u64,
    buffer: usize,
    write_type: WriteType,
    block_size: Option<u64>,
) -> anyhow::Result<(WriteStats, Duration)> {
    let chunk = pattern(buffer);
    let start = Instant::now();
    let options = CreateFileOptions {
        recursive: true,
        write_type: Some(write_type),
        block_size_bytes: block_size,
        ..Default::default()
    };
    let mut stream = fs
        .create_file(path, options)
        .await
        .with_context(|| format!("cannot create {path}"))?;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        stream
            .write(&chunk[..n])
            .await
            .with_context(|| format!("cannot write {path}"))?;
        left -= n as u64;
    }
    stream
        .flush()
        .await
        .with_context(|| format!("cannot write {path}"))?;
    let stats = stream.stats();
    stream
        .close()
        .await
        .with_context(|| format!("cannot complete {path}"))?;
    Ok((stats, start.elapsed()))
}
