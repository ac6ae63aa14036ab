//! `cat`, `head` and `tail`: file bytes to stdout.

use std::io::Write;

use alluxio_client::OpenFileOptions;
use alluxio_conf::parse_bytes;
use anyhow::{Context, bail};
use clap::Args;

use super::shell::{Shell, Target};

/// Default byte count of `head` and `tail`.
const DEFAULT_BYTES: &str = "1KB";

/// Arguments of `cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// File or glob.
    path: String,
}

/// Arguments of `head` and `tail`.
#[derive(Debug, Args)]
pub struct PartArgs {
    /// Number of bytes (`512`, `4KB`, ...).
    #[arg(short = 'c', default_value = DEFAULT_BYTES, value_parser = parse_bytes)]
    bytes: u64,
    /// File.
    path: String,
}

/// Which part of the file to print.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// The first bytes.
    Head,
    /// The last bytes.
    Tail,
}

/// Prints whole files.
pub async fn cat(shell: &Shell, args: &CatArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        print_range(&target, None, None).await?;
    }
    Ok(())
}

/// Prints the first or last `-c` bytes of a file.
pub async fn part(shell: &Shell, args: &PartArgs, part: Part) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let length = target.status().await?.length;
    let start = match part {
        Part::Head => 0,
        Part::Tail => length.saturating_sub(args.bytes),
    };
    print_range(&target, Some(start), Some(args.bytes)).await
}

async fn print_range(target: &Target, start: Option<u64>, limit: Option<u64>) -> anyhow::Result<()> {
    let info = target.status().await?;
    if info.folder {
        bail!("{} is a directory", target.path);
    }
    let mut stream = target
        .fs
        .open_file(&target.path, OpenFileOptions::default())
        .await
        .with_context(|| format!("cannot open {}", target.path))?;
    if let Some(start) = start {
        stream
            .seek(start)
            .await
            .with_context(|| format!("cannot seek to byte {start} of {}", target.path))?;
    }
    let mut remaining = limit.unwrap_or(u64::MAX);
    let mut buf = vec![0u8; 1 << 20];
    let mut out = std::io::stdout().lock();
    while remaining > 0 {
        let want = buf.len().min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = stream
            .read(&mut buf[..want])
            .await
            .with_context(|| format!("cannot read {}", target.path))?;
        if n == 0 {
            break;
        }
        if let Err(err) = out.write_all(&buf[..n]) {
            crate::output::stdout_failed(&err);
        }
        remaining -= n as u64;
    }
    if let Err(err) = out.flush() {
        crate::output::stdout_failed(&err);
    }
    stream
        .close()
        .await
        .with_context(|| format!("cannot close {}", target.path))?;
    Ok(())
}
