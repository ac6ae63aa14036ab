//! `touch <path>`: creates an empty file.

use alluxio_client::CreateFileOptions;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `touch`.
#[derive(Debug, Args)]
pub struct TouchArgs {
    /// File to create.
    path: String,
}

/// Creates and completes an empty file.
pub async fn run(shell: &Shell, args: &TouchArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let options = CreateFileOptions {
        recursive: true,
        ..Default::default()
    };
    target
        .fs
        .create_empty_file(&target.path, options)
        .await
        .with_context(|| format!("cannot create {}", args.path))?;
    outln!("{} has been created", args.path);
    Ok(())
}
