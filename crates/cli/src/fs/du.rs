//! `du [-s] [-h] <path>`: bytes of each file, and how much of it is in Alluxio.

use alluxio_client::{FileInfo, ListStatusOptions};
use clap::{ArgAction, Args};

use super::display;
use super::shell::Shell;

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

/// Prints the sizes, reading the listing a page at a time.
pub async fn run(shell: &Shell, args: &DuArgs) -> anyhow::Result<()> {
    outln!("{:<13} {:<16} Path", "File Size", "In Alluxio");
    for target in shell.expand(&args.path).await? {
        let options = ListStatusOptions {
            recursive: true,
            ..Default::default()
        };
        let (mut size, mut cached) = (0, 0);
        let add = |file: &FileInfo| {
            if file.folder {
                return;
            }
            if args.summarize {
                size += file.length;
                cached += in_alluxio_bytes(file);
            } else {
                let row = row(file.length, in_alluxio_bytes(file), &file.path, args.human);
                outln!("{row}");
            }
        };
        target.for_each_listed(options, add).await?;
        if args.summarize {
            outln!("{}", row(size, cached, target.path.as_str(), args.human));
        }
    }
    Ok(())
}

fn in_alluxio_bytes(info: &FileInfo) -> u64 {
    info.length * u64::from(info.in_alluxio_percentage.min(100)) / 100
}

fn row(size: u64, cached: u64, path: &str, human: bool) -> String {
    let percent = (cached * 100).checked_div(size).unwrap_or(100);
    let cached = format!("{} ({percent}%)", display::size(cached, human));
    format!("{:<13} {:<16} {path}", display::size(size, human), cached)
}
