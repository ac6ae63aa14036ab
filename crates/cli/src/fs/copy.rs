//! The copy routine behind `copyFromLocal`, `copyToLocal` and `cp`: files and whole trees, a
//! destination directory receives the source under its own name, and a progress bar on stderr
//! when stdout is a terminal.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};

use super::endpoint::{Endpoint, Kind};

/// Bytes moved per read/write call.
const CHUNK: usize = 1 << 20;

/// Copies `src` to `dst` (into it if `dst` is an existing directory) and prints
/// `Copied <src> to <dst>`. Directories need `recursive`.
pub async fn copy(src: &Endpoint, dst: &Endpoint, recursive: bool) -> anyhow::Result<()> {
    let Some(kind) = src.kind().await? else {
        bail!("{} does not exist", src.display());
    };
    if kind == Kind::Dir && !recursive {
        bail!("{} is a directory; use -R to copy it", src.display());
    }
    let dst = match dst.kind().await? {
        Some(Kind::Dir) => dst.join(&src.name())?,
        _ => dst.clone(),
    };
    let progress = progress_bar(kind);
    let result = copy_entry(src.clone(), dst.clone(), kind, progress.clone()).await;
    progress.finish_and_clear();
    result?;
    outln!("Copied {} to {}", src.display(), dst.display());
    Ok(())
}

fn progress_bar(kind: Kind) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    match kind {
        Kind::File(length) => ProgressBar::new(length).with_style(
            ProgressStyle::with_template("{bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        Kind::Dir => ProgressBar::no_length().with_style(
            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}

fn copy_entry(
    src: Endpoint,
    dst: Endpoint,
    kind: Kind,
    progress: ProgressBar,
) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        match kind {
            Kind::File(_) => copy_file(&src, &dst, &progress).await,
            Kind::Dir => {
                dst.create_dir().await?;
                for name in src.child_names().await? {
                    let child = src.join(&name)?;
                    let Some(child_kind) = child.kind().await? else {
                        // Removed while we copied: nothing to copy.
                        continue;
                    };
                    copy_entry(child, dst.join(&name)?, child_kind, progress.clone()).await?;
                }
                Ok(())
            }
        }
    })
}

async fn copy_file(src: &Endpoint, dst: &Endpoint, progress: &ProgressBar) -> anyhow::Result<()> {
    progress.set_message(src.display());
    let mut source = src.open().await?;
    let mut sink = dst.create().await?;
    let mut buf = vec![0u8; CHUNK];
    let moved: anyhow::Result<()> = async {
        loop {
            let n = source
                .read(&mut buf)
                .await
                .with_context(|| format!("cannot read {}", src.display()))?;
            if n == 0 {
                return Ok(());
            }
            sink.write(&buf[..n])
                .await
                .with_context(|| format!("cannot write {}", dst.display()))?;
            progress.inc(n as u64);
        }
    }
    .await;
    if let Err(e) = moved {
        sink.abort().await;
        return Err(e);
    }
    sink.finish()
        .await
        .with_context(|| format!("cannot complete {}", dst.display()))?;
    source
        .close()
        .await
        .with_context(|| format!("cannot close {}", src.display()))
}
