//! `du [-s] [-h] <path>`: bytes of each file, and how much of it is in Alluxio.

use alluxio_client::{FileInfo, ListStatusOptions};
use anyhow::Context;
use clap::{ArgAction, Args};

use super::display;
use super::shell::{Shell, Target};

/// Arguments of `du`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct DuArgs {
    /// One total per argument instead of one line per file.
    #[arg(short = 's')]
    summarize: bool,
    /// Human-readable sizes.
    #[arg(short = 'h')]
    human: bool,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,
    /// Path or glob.
    path: String,
}

/// Prints the sizes.
pub async fn run(shell: &Shell, args: &DuArgs) -> anyhow::Result<()> {
    println!("{:<13} {:<16} Path", "File Size", "In Alluxio");
    for target in shell.expand(&args.path).await? {
        let files = files_under(&target).await?;
        if args.summarize {
            let size: u64 = files.iter().map(|f| f.length).sum();
            let cached: u64 = files.iter().map(in_alluxio_bytes).sum();
            println!("{}", row(size, cached, target.path.as_str(), args.human));
        } else {
            for file in &files {
                println!(
                    "{}",
                    row(file.length, in_alluxio_bytes(file), &file.path, args.human)
                );
            }
        }
    }
    Ok(())
}

/// Every file at or below `target`, sorted by path.
pub async fn files_under(target: &Target) -> anyhow::Result<Vec<FileInfo>> {
    let options = ListStatusOptions {
        recursive: true,
        ..Default::default()
    };
    let mut files: Vec<FileInfo> = target
        .fs
        .list_status(&target.path, options)
        .await
        .with_context(|| format!("cannot list {}", target.path))?
        .into_iter()
        .filter(|i| !i.folder)
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn in_alluxio_bytes(info: &FileInfo) -> u64 {
    info.length * u64::from(info.in_alluxio_percentage.min(100)) / 100
}

fn row(size: u64, cached: u64, path: &str, human: bool) -> String {
    let percent = (cached * 100).checked_div(size).unwrap_or(100);
    let cached = format!("{} ({percent}%)", display::size(cached, human));
    format!("{:<13} {:<16} {path}", display::size(size, human), cached)
}
