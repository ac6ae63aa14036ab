//! `rm [-R] [--alluxioOnly] <path>`: delete files and directories.

use alluxio_client::DeleteOptions;
use anyhow::{Context, bail};
use clap::Args;

use super::shell::Shell;

/// Arguments of `rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Delete directories and everything below them.
    #[arg(short = 'R')]
    recursive: bool,
    /// Delete only from Alluxio, keep the UFS copy.
    #[arg(long = "alluxioOnly")]
    alluxio_only: bool,
    /// Path or glob.
    path: String,
}

/// Deletes every match.
pub async fn run(shell: &Shell, args: &RmArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        if !args.recursive && target.status().await?.folder {
            bail!("{} is a directory; to remove it use rm -R", target.path);
        }
        let options = DeleteOptions {
            recursive: args.recursive,
            alluxio_only: args.alluxio_only,
        };
        target
            .fs
            .delete(&target.path, options)
            .await
            .with_context(|| format!("cannot remove {}", target.path))?;
        outln!("{} has been removed", target.path);
    }
    Ok(())
}
