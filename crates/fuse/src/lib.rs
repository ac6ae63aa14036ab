//! The file system behind `alluxio fuse mount`: what each FUSE request means for an Alluxio
//! namespace, kept apart from the kernel glue so it is tested against an in-process cluster
//! without a mount (as mountpoint-s3 does).
//!
//! [`FuseFs`] maps kernel inode numbers to Alluxio paths ([`inodes`]), keeps open files as
//! handles (a reading stream, or a sequential writer), and answers every request with either a
//! result or an [`Errno`]. Alluxio files are write-once: a file is written from its start to
//! its end by one handle and completed when that handle is released (its last descriptor
//! closed); a write anywhere else, or to a completed file not opened with `O_TRUNC`, is refused
//! with `EOPNOTSUPP`.

mod errno;
mod fs;
pub mod inodes;
mod kernel;
mod passthrough;
mod principals;
mod readahead;

pub use errno::Errno;
pub use fs::{Attr, Caller, DirEntry, FileKind, FuseFs, FuseOptions, OpenFlags, SetAttr, StatFs};
pub use fuser::{BackgroundSession, MountOption, SessionACL};
pub use kernel::{KernelOptions, mount};
