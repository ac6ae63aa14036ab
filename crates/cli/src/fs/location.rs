//! `location <path>`: the workers holding each block of a file.

use anyhow::bail;
use clap::Args;

use super::shell::Shell;

/// Arguments of `location`.
#[derive(Debug, Args)]
pub struct LocationArgs {
    /// File.
    path: String,
}

/// Prints Alluxio's heading, then one line per block with its workers.
pub async fn run(shell: &Shell, args: &LocationArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let info = target.status().await?;
    if info.folder {
        bail!("{} is a directory; location needs a file", target.path);
    }
    outln!("{} with file id {} is on nodes: ", target.path, info.file_id);
    for block in &info.file_block_infos {
        let Some(b) = &block.block_info else { continue };
        let hosts: Vec<String> = b
            .locations
            .iter()
            .filter_map(|l| {
                l.worker_address
                    .as_ref()
                    .map(|a| format!("{} ({})", a.host, l.tier_alias))
            })
            .collect();
        let hosts = if hosts.is_empty() {
            "not in Alluxio".to_string()
        } else {
            hosts.join(", ")
        };
        outln!(
            "block {} (offset {}, {} bytes): {hosts}",
            b.block_id,
            block.offset,
            b.length
        );
    }
    Ok(())
}
