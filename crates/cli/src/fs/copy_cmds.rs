//! `copyFromLocal`, `copyToLocal` and `cp`: argument parsing around [`super::copy::copy`].

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::copy::copy;
use super::endpoint::{Endpoint, Kind};
use super::shell::Shell;

/// Arguments of `copyFromLocal` and `copyToLocal`.
#[derive(Debug, Args)]
pub struct LocalCopyArgs {
    /// Source.
    src: String,
    /// Destination.
    dst: String,
}

/// Arguments of `cp`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Copy directories recursively.
    #[arg(short = 'R')]
    recursive: bool,
    /// Source (`file://` for a local path).
    src: String,
    /// Destination (`file://` for a local path).
    dst: String,
}

fn local(raw: &str) -> Endpoint {
    let path = raw.strip_prefix("file://").unwrap_or(raw);
    Endpoint::Local(PathBuf::from(path))
}

/// Copies a local file or directory into Alluxio.
pub async fn copy_from_local(shell: &Shell, args: &LocalCopyArgs) -> anyhow::Result<()> {
    let dst = Endpoint::Alluxio(shell.target(&args.dst).await?);
    copy(&local(&args.src), &dst, true).await
}

/// Copies Alluxio files or directories (globs allowed) to the local file system.
pub async fn copy_to_local(shell: &Shell, args: &LocalCopyArgs) -> anyhow::Result<()> {
    let sources = shell.expand(&args.src).await?;
    let dst = local(&args.dst);
    if sources.len() > 1 && dst.kind().await? != Some(Kind::Dir) {
        bail!(
            "{} matches several files, so {} must be an existing directory",
            args.src,
            args.dst
        );
    }
    for src in sources {
        copy(&Endpoint::Alluxio(src), &dst, true).await?;
    }
    Ok(())
}

/// Copies within Alluxio, or between Alluxio and `file://` paths.
pub async fn cp(shell: &Shell, args: &CpArgs) -> anyhow::Result<()> {
    let src = Endpoint::parse(shell, &args.src).await?;
    let dst = Endpoint::parse(shell, &args.dst).await?;
    copy(&src, &dst, args.recursive).await
}
