//! `test -d|-e|-f|-s|-z <path>`: answers with the exit code only.

use alluxio_client::{ErrorKind, ListStatusOptions};
use clap::{ArgGroup, Args};

use super::shell::Shell;

/// Arguments of `test`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("check").required(true).multiple(false)))]
pub struct TestArgs {
    /// The path is a directory.
    #[arg(short = 'd', group = "check")]
    dir: bool,
    /// The path exists.
    #[arg(short = 'e', group = "check")]
    exists: bool,
    /// The path is a file.
    #[arg(short = 'f', group = "check")]
    file: bool,
    /// The path is a non-empty directory.
    #[arg(short = 's', group = "check")]
    non_empty: bool,
    /// The path is a file of zero length.
    #[arg(short = 'z', group = "check")]
    zero: bool,
    /// Path.
    path: String,
}

/// Whether the condition holds; a missing path makes every condition false.
pub async fn run(shell: &Shell, args: &TestArgs) -> anyhow::Result<bool> {
    let target = shell.target(&args.path).await?;
    let info = match target.fs.get_status(&target.path).await {
        Ok(info) => info,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    Ok(if args.dir {
        info.folder
    } else if args.file {
        !info.folder
    } else if args.non_empty {
        info.folder
            && !target
                .fs
                .list_status(&target.path, ListStatusOptions::default())
                .await?
                .is_empty()
    } else if args.zero {
        !info.folder && info.length == 0
    } else {
        args.exists
    })
}
