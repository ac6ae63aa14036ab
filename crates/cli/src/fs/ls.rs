//! `ls [-R] [-h] [-d] [-f] [-p] <path>`: Alluxio's listing format.

use alluxio_client::{FileInfo, ListStatusOptions};
use alluxio_proto::grpc::LoadMetadataType;
use clap::{ArgAction, Args};

use super::display;
use super::shell::Shell;

/// Arguments of `ls`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct LsArgs {
    /// List subdirectories recursively.
    #[arg(short = 'R')]
    recursive: bool,
    /// Human-readable sizes.
    #[arg(short = 'h')]
    human: bool,
    /// List directories as plain files.
    #[arg(short = 'd')]
    directory: bool,
    /// Load metadata from the UFS even if already loaded.
    #[arg(short = 'f')]
    force: bool,
    /// Only pinned files.
    #[arg(short = 'p')]
    pinned: bool,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,
    /// Path or glob.
    path: String,
}

/// Lists every match of the path, in path order as the master streams it a page at a time.
pub async fn run(shell: &Shell, args: &LsArgs) -> anyhow::Result<()> {
    let print = |info: &FileInfo| {
        if !args.pinned || info.pinned {
            outln!("{}", line(info, args.human));
        }
    };
    for target in shell.expand(&args.path).await? {
        if args.directory {
            print(&target.status().await?);
            continue;
        }
        let options = ListStatusOptions {
            recursive: args.recursive,
            load_metadata_type: args.force.then_some(LoadMetadataType::Always),
            ..Default::default()
        };
        target.for_each_listed(options, print).await?;
    }
    Ok(())
}

/// One row in Alluxio's column widths: permission, owner, group, size, persistence, date,
/// in-memory % (`DIR` for directories), path.
fn line(info: &FileInfo, human: bool) -> String {
    let in_memory = if info.folder {
        "DIR".to_string()
    } else {
        format!("{}%", info.in_memory_percentage)
    };
    format!(
        "{:<11}{:<15}{:<15}{:>15}{:>16}{:>24}{:>5} {}",
        info.mode_string(),
        info.owner,
        info.group,
        display::size(info.length, human),
        info.persistence_name(),
        display::date(info.last_modification_time_ms, display::LS_DATE),
        in_memory,
        info.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_use_alluxio_column_widths() {
        let file = FileInfo {
            path: "/a/b".into(),
            owner: "alice".into(),
            group: "staff".into(),
            mode: 0o644,
            length: 1536,
            in_memory_percentage: 50,
            ..Default::default()
        };
        let row = line(&file, true);
        assert!(
            row.starts_with("-rw-r--r-- alice          staff                   1.50KB"),
            "{row}"
        );
        assert!(row.ends_with("  50% /a/b"), "{row}");
        assert!(row.contains("   NOT_PERSISTED"), "{row}");
        let dir = FileInfo {
            path: "/a".into(),
            folder: true,
            mode: 0o755,
            ..Default::default()
        };
        assert!(line(&dir, false).ends_with("  DIR /a"));
    }
}
