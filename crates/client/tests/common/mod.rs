//! Helpers shared by the integration tests: deterministic data, whole-file writes and reads,
//! bounded polling.
#![allow(dead_code)]

use std::time::Duration;

use alluxio_client::{
    AlluxioPath, ClientError, CreateFileOptions, ErrorKind, FileInfo, FileSystem, OpenFileOptions, ReadStats,
    ReadType, WriteStats, WriteType,
};
use tokio::time::Instant;

/// Sends logs to the test output, filtered by `RUST_LOG` (nothing by default).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// One MiB.
pub const MIB: u64 = 1024 * 1024;

/// `len` bytes that differ with `seed` and position (so swapped or shifted blocks are caught).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Asserts that `err` is of `kind` and that its message names each of `parts`.
pub fn assert_error(err: &ClientError, kind: ErrorKind, parts: &[&str]) {
    assert_eq!(err.kind(), kind, "{err}");
    for part in parts {
        assert!(err.message().contains(part), "{err:?} does not name {part:?}");
    }
}

/// A path from a literal.
pub fn path(p: &str) -> AlluxioPath {
    AlluxioPath::new(p).unwrap()
}

/// Writes `data` in odd-sized pieces (so pieces straddle chunk and block boundaries).
pub async fn write_file(fs: &FileSystem, p: &str, data: &[u8], write_type: WriteType) -> FileInfo {
    write_file_stats(fs, p, data, write_type).await.0
}

/// Writes a file in uneven pieces, saying how its bytes reached the workers.
pub async fn write_file_stats(
    fs: &FileSystem,
    p: &str,
    data: &[u8],
    write_type: WriteType,
) -> (FileInfo, WriteStats) {
    let options = CreateFileOptions {
        recursive: true,
        write_type: Some(write_type),
        ..Default::default()
    };
    let mut out = fs.create_file(&path(p), options).await.unwrap();
    for piece in data.chunks(300_001) {
        out.write(piece).await.unwrap();
    }
    assert_eq!(out.bytes_written(), data.len() as u64);
    out.flush().await.unwrap();
    let stats = out.stats();
    (out.close().await.unwrap(), stats)
}

/// Reads a whole file with `read_type`.
pub async fn read_file(fs: &FileSystem, p: &str, read_type: ReadType) -> Result<Vec<u8>, ClientError> {
    Ok(read_file_stats(fs, p, read_type).await?.0)
}

/// Reads a whole file with `read_type`, saying how its bytes came.
pub async fn read_file_stats(
    fs: &FileSystem,
    p: &str,
    read_type: ReadType,
) -> Result<(Vec<u8>, ReadStats), ClientError> {
    let options = OpenFileOptions {
        read_type: Some(read_type),
    };
    let mut input = fs.open_file(&path(p), options).await?;
    let bytes = input.read_to_end().await?;
    let stats = input.stats();
    input.close().await?;
    Ok((bytes, stats))
}

/// Polls `check` every 50 ms until it holds, failing the test after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The percentage of `p` held by workers, per the master.
pub async fn in_alluxio(fs: &FileSystem, p: &str) -> u32 {
    fs.get_status(&path(p)).await.unwrap().in_alluxio_percentage
}

/// Number of block files (named by block id) under `dir`, a tier dir.
pub fn block_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => block_files(&e.path()),
            Ok(t) if t.is_file() && e.file_name().to_str().is_some_and(|n| n.parse::<u64>().is_ok()) => 1,
            _ => 0,
        })
        .sum()
}
