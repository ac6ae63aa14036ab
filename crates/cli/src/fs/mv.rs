//! `mv <src> <dst>`: rename within one namespace (metadata only).

use alluxio_client::AlluxioUri;
use anyhow::{Context, bail};
use clap::Args;

use super::shell::Shell;

/// Arguments of `mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// Source.
    src: String,
    /// Destination; an existing directory receives the source under its own name.
    dst: String,
}

/// Renames `src` to `dst`.
pub async fn run(shell: &Shell, args: &MvArgs) -> anyhow::Result<()> {
    let src = shell.target(&args.src).await?;
    let mut dst = shell.target(&args.dst).await?;
    let authority = |raw: &str| AlluxioUri::parse(raw).ok().and_then(|u| u.authority);
    if let (Some(a), Some(b)) = (authority(&args.src), authority(&args.dst))
        && a != b
    {
        bail!(
            "cannot move {} to {}: they are in different clusters",
            args.src,
            args.dst
        );
    }
    if let Ok(info) = dst.fs.get_status(&dst.path).await
        && info.folder
    {
        dst = dst.with_path(dst.path.join(src.path.name())?);
    }
    src.fs
        .rename(&src.path, &dst.path)
        .await
        .with_context(|| format!("cannot rename {} to {}", src.path, dst.path))?;
    outln!("Renamed {} to {}", src.path, dst.path);
    Ok(())
}
