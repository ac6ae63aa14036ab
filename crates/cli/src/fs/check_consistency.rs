//! `checkConsistency [-r] <path>`: compares the Alluxio metadata under a path with the UFS and,
//! with `-r`, repairs it as Alluxio does: the Alluxio metadata of each inconsistent path is
//! dropped (the UFS is never touched) and loaded again from the UFS.

use alluxio_client::{AlluxioPath, DeleteOptions};
use anyhow::Context;
use clap::Args;

use super::shell::{Shell, Target};

/// Arguments of `checkConsistency`.
#[derive(Debug, Args)]
pub struct CheckConsistencyArgs {
    /// Repair the inconsistent paths.
    #[arg(short = 'r')]
    repair: bool,
    /// Path or glob.
    path: String,
}

/// Checks (and repairs) every match.
pub async fn run(shell: &Shell, args: &CheckConsistencyArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        let inconsistent = target
            .fs
            .check_consistency(&target.path)
            .await
            .with_context(|| format!("cannot check the consistency of {}", target.path))?;
        if inconsistent.is_empty() {
            outln!("{} is consistent with the under storage system.", target.path);
        } else if args.repair {
            repair(&target, &inconsistent).await?;
        } else {
            outln!("The following files are inconsistent:");
            for path in &inconsistent {
                outln!("{path}");
            }
        }
    }
    Ok(())
}

/// Files first, then directories (recursively), as Alluxio orders the repair.
async fn repair(target: &Target, inconsistent: &[AlluxioPath]) -> anyhow::Result<()> {
    outln!("{} has: {} inconsistent files.", target.path, inconsistent.len());
    let mut dirs = Vec::new();
    for path in inconsistent {
        let status = target.with_path(path.clone()).status().await?;
        if status.folder {
            dirs.push(path);
        } else {
            repair_one(target, path, false).await?;
        }
    }
    for path in dirs {
        repair_one(target, path, true).await?;
    }
    Ok(())
}

async fn repair_one(target: &Target, path: &AlluxioPath, recursive: bool) -> anyhow::Result<()> {
    outln!("repairing path: {path}");
    let options = DeleteOptions {
        recursive,
        alluxio_only: true,
    };
    match target.fs.delete(path, options).await {
        // Already gone with a repaired ancestor.
        Err(e) if e.kind() == alluxio_client::ErrorKind::NotFound => {}
        other => other.with_context(|| format!("cannot drop the Alluxio metadata of {path}"))?,
    }
    // Loads the UFS entry, if there is one.
    target
        .fs
        .exists(path)
        .await
        .with_context(|| format!("cannot reload {path} from the under storage"))?;
    outln!("{path} repaired");
    outln!();
    Ok(())
}
