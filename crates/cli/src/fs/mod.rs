//! `alluxio fs`: the file system shell. Each command lives in its own file; this module holds the
//! command table and dispatch.

mod attributes;
mod capacity;
mod cat;
mod check_consistency;
mod checksum;
mod copy;
mod copy_cmds;
mod count;
pub mod display;
mod du;
mod endpoint;
mod free;
mod load;
mod location;
mod ls;
mod masters;
mod mkdir;
mod mount;
mod mv;
mod permissions;
mod persist;
mod rm;
pub mod shell;
mod stat;
mod test_cmd;
mod touch;

use std::process::ExitCode;

use alluxio_conf::Configuration;
use clap::{Args, Subcommand};

use crate::exit;
use shell::Shell;

/// Arguments of `alluxio fs`.
#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct FsArgs {
    #[command(subcommand)]
    command: FsCommand,
}

#[derive(Debug, Subcommand)]
#[command(rename_all = "camelCase")]
enum FsCommand {
    /// List a directory (or a file).
    Ls(ls::LsArgs),
    /// Create directories (and missing parents).
    Mkdir(mkdir::MkdirArgs),
    /// Create an empty file.
    Touch(touch::TouchArgs),
    /// Print files.
    Cat(cat::CatArgs),
    /// Print the first bytes of a file.
    Head(cat::PartArgs),
    /// Print the last bytes of a file.
    Tail(cat::PartArgs),
    /// Copy a local file or directory into Alluxio.
    CopyFromLocal(copy_cmds::LocalCopyArgs),
    /// Copy an Alluxio file or directory to the local file system.
    CopyToLocal(copy_cmds::LocalCopyArgs),
    /// Copy within Alluxio, or from/to file:// paths.
    Cp(copy_cmds::CpArgs),
    /// Rename.
    Mv(mv::MvArgs),
    /// Remove.
    Rm(rm::RmArgs),
    /// Print metadata.
    Stat(stat::StatArgs),
    /// Change permission bits (owner or superuser).
    Chmod(permissions::ChmodArgs),
    /// Change the owner, and optionally the group (superuser).
    Chown(permissions::ChownArgs),
    /// Change the group (owner, to a group they are in, or superuser).
    Chgrp(permissions::ChgrpArgs),
    /// Print file sizes.
    Du(du::DuArgs),
    /// Count files, folders and bytes.
    Count(count::CountArgs),
    /// Test a property of a path (exit code 0 if true, 1 if false).
    Test(test_cmd::TestArgs),
    /// Print the MD5 of a file.
    Checksum(checksum::ChecksumArgs),
    /// Print the workers holding each block of a file.
    Location(location::LocationArgs),
    /// Drop cached blocks of persisted files.
    Free(free::FreeArgs),
    /// Read files into Alluxio storage.
    Load(load::LoadArgs),
    /// Compare Alluxio metadata with the under storage (and repair it with -r).
    #[command(name = "checkConsistency")]
    CheckConsistency(check_consistency::CheckConsistencyArgs),
    /// Keep a file's blocks from being evicted.
    Pin(attributes::PathArgs),
    /// Allow a file's blocks to be evicted again.
    Unpin(attributes::PathArgs),
    /// Write files to the under file system.
    Persist(persist::PersistArgs),
    /// Delete or free a path after a time.
    #[command(name = "setTtl")]
    SetTtl(attributes::SetTtlArgs),
    /// Remove a path's TTL.
    #[command(name = "unsetTtl")]
    UnsetTtl(attributes::PathArgs),
    /// Print the host name of the leading master.
    Leader,
    /// Print the leading master's addresses and how clients find it.
    #[command(name = "masterInfo")]
    MasterInfo,
    /// Print the cluster's capacity.
    #[command(name = "getCapacityBytes")]
    GetCapacityBytes,
    /// Print the bytes used in the cluster.
    #[command(name = "getUsedBytes")]
    GetUsedBytes,
    /// Mount a UFS path onto an Alluxio path; without arguments, print the mount table.
    Mount(mount::MountArgs),
    /// Unmount an Alluxio path; its metadata and cached data leave Alluxio, the UFS keeps its data.
    Unmount(mount::UnmountArgs),
}

/// Runs one shell command.
pub async fn run(conf: Configuration, args: FsArgs) -> anyhow::Result<ExitCode> {
    let shell = Shell::new(conf);
    match &args.command {
        FsCommand::Ls(a) => ls::run(&shell, a).await?,
        FsCommand::Mkdir(a) => mkdir::run(&shell, a).await?,
        FsCommand::Touch(a) => touch::run(&shell, a).await?,
        FsCommand::Cat(a) => cat::cat(&shell, a).await?,
        FsCommand::Head(a) => cat::part(&shell, a, cat::Part::Head).await?,
        FsCommand::Tail(a) => cat::part(&shell, a, cat::Part::Tail).await?,
        FsCommand::CopyFromLocal(a) => copy_cmds::copy_from_local(&shell, a).await?,
        FsCommand::CopyToLocal(a) => copy_cmds::copy_to_local(&shell, a).await?,
        FsCommand::Cp(a) => copy_cmds::cp(&shell, a).await?,
        FsCommand::Mv(a) => mv::run(&shell, a).await?,
        FsCommand::Rm(a) => rm::run(&shell, a).await?,
        FsCommand::Stat(a) => stat::run(&shell, a).await?,
        FsCommand::Chmod(a) => permissions::chmod(&shell, a).await?,
        FsCommand::Chown(a) => permissions::chown(&shell, a).await?,
        FsCommand::Chgrp(a) => permissions::chgrp(&shell, a).await?,
        FsCommand::Du(a) => du::run(&shell, a).await?,
        FsCommand::Count(a) => count::run(&shell, a).await?,
        FsCommand::Test(a) => {
            let holds = test_cmd::run(&shell, a).await?;
            return Ok(if holds {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILURE)
            });
        }
        FsCommand::Checksum(a) => checksum::run(&shell, a).await?,
        FsCommand::Location(a) => location::run(&shell, a).await?,
        FsCommand::Free(a) => free::run(&shell, a).await?,
        FsCommand::Load(a) => load::run(&shell, a).await?,
        FsCommand::CheckConsistency(a) => check_consistency::run(&shell, a).await?,
        FsCommand::Pin(a) => attributes::pin(&shell, a, true).await?,
        FsCommand::Unpin(a) => attributes::pin(&shell, a, false).await?,
        FsCommand::Persist(a) => persist::run(&shell, a).await?,
        FsCommand::SetTtl(a) => attributes::set_ttl(&shell, a).await?,
        FsCommand::UnsetTtl(a) => attributes::unset_ttl(&shell, a).await?,
        FsCommand::Leader => masters::leader(&shell).await?,
        FsCommand::MasterInfo => masters::master_info(&shell).await?,
        FsCommand::GetCapacityBytes => capacity::run(&shell, capacity::Total::Capacity).await?,
        FsCommand::GetUsedBytes => capacity::run(&shell, capacity::Total::Used).await?,
        FsCommand::Mount(a) => mount::mount(&shell, a).await?,
        FsCommand::Unmount(a) => mount::unmount(&shell, a).await?,
    }
    Ok(ExitCode::SUCCESS)
}
