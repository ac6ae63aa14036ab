//! `count <path>`: files, folders (the path itself included) and bytes below a path.

use alluxio_client::ListStatusOptions;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// Path.
    path: String,
}

/// Prints the three counts under Alluxio's headings.
pub async fn run(shell: &Shell, args: &CountArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let root = target.status().await?;
    let (mut files, mut folders, mut bytes) = (0u64, 0u64, 0u64);
    let mut entries = vec![root.clone()];
    if root.folder {
        let options = ListStatusOptions {
            recursive: true,
            ..Default::default()
        };
        entries.extend(
            target
                .fs
                .list_status(&target.path, options)
                .await
                .with_context(|| format!("cannot list {}", target.path))?,
        );
    }
    for info in &entries {
        if info.folder {
            folders += 1;
        } else {
            files += 1;
            bytes += info.length;
        }
    }
    println!("{:<25}{:<25}{:<15}", "File Count", "Folder Count", "Total Bytes");
    println!("{files:<25}{folders:<25}{bytes:<15}");
    Ok(())
}
