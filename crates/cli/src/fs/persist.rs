//! `persist <path>...`: write files to the UFS and wait until the master records them persisted.

use std::time::Duration;

use alluxio_client::FileInfo;
use anyhow::{Context, bail};
use clap::Args;

use super::shell::{Shell, Target};

/// How long to wait for one file to be persisted before giving up waiting.
const WAIT: Duration = Duration::from_secs(120);
/// Pause between two status checks.
const POLL: Duration = Duration::from_millis(100);

/// Arguments of `persist`.
#[derive(Debug, Args)]
pub struct PersistArgs {
    /// Files or globs.
    #[arg(required = true)]
    paths: Vec<String>,
}

/// Persists every match.
pub async fn run(shell: &Shell, args: &PersistArgs) -> anyhow::Result<()> {
    for raw in &args.paths {
        for target in shell.expand(raw).await? {
            let info = target.status().await?;
            if info.persisted {
                outln!("{} is already persisted", target.path);
                continue;
            }
            target
                .fs
                .persist(&target.path)
                .await
                .with_context(|| format!("cannot persist {}", target.path))?;
            let info = wait_persisted(&target).await?;
            outln!("persisted file {} with size {}", target.path, info.length);
        }
    }
    Ok(())
}

async fn wait_persisted(target: &Target) -> anyhow::Result<FileInfo> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let info = target.status().await?;
        if info.persisted {
            return Ok(info);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "{} is still not persisted after {}s; the master keeps trying in the background",
                target.path,
                WAIT.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}
