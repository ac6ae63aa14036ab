//! `count <path>`: files, folders (the path itself included) and bytes below a path.

use alluxio_client::{FileInfo, ListStatusOptions};
use clap::Args;

use super::shell::Shell;

/// Arguments of `count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// Path.
    path: String,
}

/// Prints the three counts under Alluxio's headings, counting the listing a page at a time.
pub async fn run(shell: &Shell, args: &CountArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let root = target.status().await?;
    let (mut files, mut folders, mut bytes) = (0u64, 0u64, 0u64);
    let mut count = |info: &FileInfo| {
        if info.folder {
            folders += 1;
        } else {
            files += 1;
            bytes += info.length;
        }
    };
    count(&root);
    if root.folder {
        let options = ListStatusOptions {
            recursive: true,
            ..Default::default()
        };
        target.for_each_listed(options, count).await?;
    }
    outln!("{:<25}{:<25}{:<15}", "File Count", "Folder Count", "Total Bytes");
    outln!("{files:<25}{folders:<25}{bytes:<15}");
    Ok(())
}
