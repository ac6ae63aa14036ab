//! Many small files: one client writes N files of 64 KiB (MUST_CACHE), then reads each back
//! whole, in files per second.

use std::time::Instant;

use alluxio_client::{AlluxioPath, FileSystem, OpenFileOptions, WriteType};
use anyhow::{Context, bail};

use super::Setup;
use super::cluster::SMALL_FILE_BYTES;
use super::report::{Line, Reporter};
use super::throughput::write_file;

/// Writes then reads the files, one line each.
pub async fn run(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    let count = setup.args.small_files;
    if count == 0 {
        return Ok(());
    }
    let fs = FileSystem::connect(setup.conf.clone())
        .await
        .context("cannot connect to the Alluxio master")?;
    let dir = setup.path("small")?;
    let paths: Vec<AlluxioPath> = (0..count)
        .map(|i| dir.join(&format!("s{i}")))
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    for path in &paths {
        write_file(
            &fs,
            path,
            SMALL_FILE_BYTES,
            SMALL_FILE_BYTES as usize,
            WriteType::MustCache,
        )
        .await?;
    }
    out.emit(&Line::figure("small_files.write", rate(count, start), "files/s"));
    let start = Instant::now();
    let mut line = None;
    for path in &paths {
        if let Err(e) = read_whole(&fs, path).await {
            line = Some(Line::error("small_files.read", format!("{e:#}")));
            break;
        }
    }
    out.emit(&line.unwrap_or_else(|| Line::figure("small_files.read", rate(count, start), "files/s")));
    Ok(())
}

async fn read_whole(fs: &FileSystem, path: &AlluxioPath) -> anyhow::Result<()> {
    let mut stream = fs
        .open_file(path, OpenFileOptions::default())
        .await
        .with_context(|| format!("cannot open {path}"))?;
    let data = stream
        .read_to_end()
        .await
        .with_context(|| format!("cannot read {path}"))?;
    stream
        .close()
        .await
        .with_context(|| format!("cannot close {path}"))?;
    if data.len() as u64 != SMALL_FILE_BYTES {
        bail!("{path} read back {} bytes, not {SMALL_FILE_BYTES}", data.len());
    }
    Ok(())
}

fn rate(count: usize, start: Instant) -> f64 {
    count as f64 / start.elapsed().as_secs_f64().max(f64::MIN_POSITIVE)
}
