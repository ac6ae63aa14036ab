//! `load [--local] <path>`: reads every file at or below a path through the cache, so its blocks
//! end up in Alluxio, printing `<path> loaded` for each file and directory done (directories
//! after their contents) as Alluxio does. Files already fully in Alluxio are skipped unless
//! `--local` asks for a copy on this host's worker. A progress bar on stderr when stdout is a
//! terminal.

use std::io::IsTerminal;

use alluxio_client::{AlluxioPath, FileInfo, ListStatusOptions, OpenFileOptions, ReadType};
use anyhow::{Context, bail};
use clap::Args;
use futures::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};

use super::shell::{Shell, Target};

/// Bytes read per call.
const CHUNK: usize = 8 << 20;

/// Arguments of `load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Cache on the worker of this host (one must run here), even files cached elsewhere.
    #[arg(long)]
    local: bool,
    /// File, directory or glob.
    path: String,
}

/// Loads every match.
pub async fn run(shell: &Shell, args: &LoadArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        if args.local && !target.fs.has_local_worker().await? {
            bail!("When local option is specified, there must be a local worker available");
        }
        let info = target.status().await?;
        let progress = progress_bar(&info);
        let result = load(target, info, args.local, progress.clone()).await;
        progress.finish_and_clear();
        result?;
    }
    Ok(())
}

fn load(
    target: Target,
    info: FileInfo,
    local: bool,
    progress: ProgressBar,
) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        if info.folder {
            let mut children = target
                .fs
                .list_status(&target.path, ListStatusOptions::default())
                .await
                .with_context(|| format!("cannot list {}", target.path))?;
            children.sort_by(|a, b| a.path.cmp(&b.path));
            for child in children {
                let path = AlluxioPath::new(&child.path)?;
                load(target.with_path(path), child, local, progress.clone()).await?;
            }
        } else if !local && info.in_alluxio_percentage == 100 {
            progress.suspend(|| outln!("{} already in Alluxio fully", target.path));
            return Ok(());
        } else {
            progress.set_message(target.path.to_string());
            let read_type = if local {
                ReadType::CachePromote
            } else {
                ReadType::Cache
            };
            read_through_cache(&target, read_type, &progress).await?;
        }
        progress.suspend(|| outln!("{} loaded", target.path));
        Ok(())
    })
}

/// Reads a whole file with a caching read type and drops the bytes.
async fn read_through_cache(
    target: &Target,
    read_type: ReadType,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let options = OpenFileOptions {
        read_type: Some(read_type),
    };
    let mut input = target
        .fs
        .open_file(&target.path, options)
        .await
        .with_context(|| format!("cannot open {} to load it", target.path))?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = input
            .read(&mut buf)
            .await
            .with_context(|| format!("cannot load {}", target.path))?;
        if n == 0 {
            break;
        }
        progress.inc(n as u64);
    }
    input
        .close()
        .await
        .with_context(|| format!("cannot close {}", target.path))
}

fn progress_bar(info: &FileInfo) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    if info.folder {
        return ProgressBar::no_length().with_style(
            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
    }
    ProgressBar::new(info.length).with_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}
