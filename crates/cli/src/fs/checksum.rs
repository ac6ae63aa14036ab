//! `checksum <path>`: MD5 of the file's bytes, as Alluxio prints it.

use alluxio_client::OpenFileOptions;
use anyhow::{Context, bail};
use clap::Args;
use md5::{Digest, Md5};

use super::shell::Shell;

/// Arguments of `checksum`.
#[derive(Debug, Args)]
pub struct ChecksumArgs {
    /// File.
    path: String,
}

/// Prints `md5sum: <hex>`.
pub async fn run(shell: &Shell, args: &ChecksumArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    if target.status().await?.folder {
        bail!("{} is a directory; checksum needs a file", target.path);
    }
    let mut stream = target
        .fs
        .open_file(&target.path, OpenFileOptions::default())
        .await
        .with_context(|| format!("cannot open {}", target.path))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .with_context(|| format!("cannot read {}", target.path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    stream
        .close()
        .await
        .with_context(|| format!("cannot close {}", target.path))?;
    outln!("md5sum: {:x}", hasher.finalize());
    Ok(())
}
