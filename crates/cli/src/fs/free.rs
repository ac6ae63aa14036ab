//! `free [-f] <path>`: drop the cached blocks of persisted files.

use alluxio_client::FreeOptions;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `free`.
#[derive(Debug, Args)]
pub struct FreeArgs {
    /// Free pinned files too.
    #[arg(short = 'f')]
    force: bool,
    /// Path or glob.
    path: String,
}

/// Frees every match (directories recursively).
pub async fn run(shell: &Shell, args: &FreeArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        let options = FreeOptions {
            recursive: true,
            forced: args.force,
        };
        target
            .fs
            .free(&target.path, options)
            .await
            .with_context(|| format!("cannot free {}", target.path))?;
        outln!("{} was successfully freed from memory.", target.path);
    }
    Ok(())
}
