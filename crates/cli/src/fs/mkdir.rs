//! `mkdir <path>...`: creates directories and their missing parents.

use alluxio_client::CreateDirectoryOptions;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `mkdir`.
#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// Directories to create.
    #[arg(required = true)]
    paths: Vec<String>,
}

/// Creates each directory; an existing one is an error, as in Alluxio.
pub async fn run(shell: &Shell, args: &MkdirArgs) -> anyhow::Result<()> {
    for raw in &args.paths {
        let target = shell.target(raw).await?;
        let options = CreateDirectoryOptions {
            recursive: true,
            ..Default::default()
        };
        target
            .fs
            .create_directory(&target.path, options)
            .await
            .with_context(|| format!("cannot create directory {raw}"))?;
        outln!("Successfully created directory {raw}");
    }
    Ok(())
}
