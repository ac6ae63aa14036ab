//! Master errors, each mapped once to a gRPC status.

use alluxio_ufs::UfsError;
use tonic::{Code, Status};

use crate::journal_apply::ApplyError;

/// Why a master operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    /// Bad configuration.
    #[error(transparent)]
    Conf(#[from] alluxio_conf::ConfError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] alluxio_journal::JournalError),
    /// An append to the journal failed; the change is not durable.
    #[error("journal write failed: {0}; check the journal folder's disk")]
    JournalWrite(#[source] std::sync::Arc<alluxio_journal::JournalError>),
    /// The election through ZooKeeper failed.
    #[error(transparent)]
    Ha(std::sync::Arc<alluxio_ha::HaError>),
    /// A recovered journal entry does not fit the namespace rebuilt so far.
    #[error("journal entry {sequence} cannot be replayed: {reason}; the journal is damaged")]
    Replay {
        /// Sequence of the entry.
        sequence: u64,
        /// Why it does not apply.
        reason: ApplyError,
    },
    /// A change too large for one journal record: refused before anything was applied.
    #[error(
        "the change takes {size} bytes in one journal entry, above the journal's {limit}-byte record limit; nothing was changed"
    )]
    EntryTooLarge {
        /// Its encoded size.
        size: usize,
        /// The journal's limit.
        limit: usize,
    },
    /// The inode tree rejected an entry of a change it had validated (a bug).
    #[error("internal error: {0}")]
    ApplyRejected(ApplyError),
    /// Any other failure that is a bug or beyond the request (a task that stopped ...).
    #[error("internal error: {0}")]
    Internal(String),
    /// An under file system call failed.
    #[error(transparent)]
    Ufs(#[from] UfsError),
    /// A path in a request cannot be parsed.
    #[error(transparent)]
    InvalidPath(#[from] alluxio_proto::PathError),
    /// The path does not exist.
    #[error("Path {0} does not exist")]
    NotFound(String),
    /// The path already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A path component that must be a directory is a file.
    #[error("{0} is not a directory")]
    NotADirectory(String),
    /// The operation needs a file but the path is a directory.
    #[error("{0} is a directory, not a file")]
    IsADirectory(String),
    /// A non-empty directory was deleted without `recursive`.
    #[error("Cannot delete non-empty directory {0} without the recursive flag")]
    DirectoryNotEmpty(String),
    /// The file is not complete yet, or its length does not match its blocks.
    #[error("File {path} is incomplete: {reason}")]
    FileIncomplete {
        /// The file.
        path: String,
        /// What is missing.
        reason: String,
    },
    /// The file is already complete.
    #[error("File {0} is already completed")]
    FileAlreadyCompleted(String),
    /// Free of a file without a UFS copy.
    #[error("Cannot free file {0} which is not persisted")]
    NotPersisted(String),
    /// Free of a pinned file without `forced`.
    #[error("Cannot free pinned file {0}; use the forced (-f) option")]
    Pinned(String),
    /// A request that makes no sense (rename into itself, rename of the root, bad enum ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// A block id that the master does not know.
    #[error("Block {0} is not held by any worker (or its file was deleted)")]
    BlockNotFound(u64),
    /// A worker id the master does not know.
    #[error("Worker {0} {unregistered}; register again", unregistered = alluxio_proto::UNREGISTERED_WORKER)]
    UnknownWorker(u64),
    /// A server could not bind or serve.
    #[error("cannot serve {what} on {address}: {source}")]
    Serve {
        /// Which server.
        what: &'static str,
        /// The address.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A write under a read-only mount point.
    #[error("A write operation on {path} is under a readonly mount point {mount_point}")]
    ReadOnlyMount {
        /// The path written.
        path: String,
        /// The read-only mount point above it.
        mount_point: String,
    },
    /// The caller lacks a permission bit, or is not the owner or a superuser.
    #[error("cannot {operation} {path}: permission denied: {reason}")]
    PermissionDenied {
        /// What was attempted (`delete`, `create`, `read` ...).
        operation: &'static str,
        /// The path it was attempted on.
        path: String,
        /// Who lacks what, where.
        reason: String,
    },
    /// The UFS of a new mount cannot be opened or reached.
    #[error("cannot mount {uri}: {source}; check the URI and the mount's --option properties")]
    MountUfs {
        /// The UFS URI.
        uri: String,
        /// The cause.
        #[source]
        source: UfsError,
    },
    /// The UFS directory of a new mount does not exist.
    #[error("Ufs path {0} does not exist")]
    UfsPathMissing(String),
    /// The UFS path of a new mount is a file.
    #[error("Ufs path {0} is a file; mount a directory")]
    UfsPathNotDirectory(String),
    /// A mount at a path that exists already (a mount point, `/`, or any inode).
    #[error("Mount point {0} already exists")]
    MountPointExists(String),
    /// A mount inside another mount point, or of a UFS directory inside or above one mounted
    /// already: `prefix` and `path` are both Alluxio paths or both UFS URIs.
    #[error("Mount point {prefix} is a prefix of {path}")]
    MountPointPrefix {
        /// The existing (or new) mount point or UFS URI above `path`.
        prefix: String,
        /// The mount point or UFS URI below it.
        path: String,
    },
    /// A mount id the master does not know (unmounted since it was handed out).
    #[error("Mount id {0} does not exist; the path was probably unmounted")]
    UnknownMount(u64),
    /// The master is shutting down or its journal writer stopped.
    #[error("the master is shutting down; retry against the restarted master")]
    Unavailable,
}

impl From<MasterError> for Status {
    fn from(err: MasterError) -> Self {
        let code = match &err {
            MasterError::NotFound(_)
            | MasterError::BlockNotFound(_)
            | MasterError::UfsPathMissing(_)
            | MasterError::UnknownMount(_) => Code::NotFound,
            MasterError::AlreadyExists(_) => Code::AlreadyExists,
            MasterError::InvalidPath(_)
            | MasterError::InvalidArgument(_)
            | MasterError::UfsPathNotDirectory(_)
            | MasterError::MountPointExists(_)
            | MasterError::MountPointPrefix { .. }
            | MasterError::EntryTooLarge { .. } => Code::InvalidArgument,
            MasterError::NotADirectory(_)
            | MasterError::IsADirectory(_)
            | MasterError::DirectoryNotEmpty(_)
            | MasterError::FileIncomplete { .. }
            | MasterError::FileAlreadyCompleted(_)
            | MasterError::NotPersisted(_)
            | MasterError::Pinned(_)
            | MasterError::UnknownWorker(_)
            | MasterError::ReadOnlyMount { .. }
            | MasterError::MountUfs { .. } => Code::FailedPrecondition,
            MasterError::PermissionDenied { .. } => Code::PermissionDenied,
            MasterError::Unavailable => Code::Unavailable,
            MasterError::Ufs(ufs) => ufs_code(ufs),
            MasterError::Ha(_) => Code::Unavailable,
            MasterError::Conf(_)
            | MasterError::Journal(_)
            | MasterError::JournalWrite(_)
            | MasterError::Replay { .. }
            | MasterError::ApplyRejected(_)
            | MasterError::Internal(_)
            | MasterError::Serve { .. } => Code::Internal,
        };
        Status::new(code, err.to_string())
    }
}

/// The code of a UFS failure passed on as is: a retry may help a temporary one, a denied one
/// needs other credentials, and any other is internal.
fn ufs_code(err: &UfsError) -> Code {
    match err {
        UfsError::Operation { temporary: true, .. } => Code::Unavailable,
        UfsError::PermissionDenied { .. } => Code::PermissionDenied,
        UfsError::Operation { temporary: false, .. }
        | UfsError::NoConditionalCreate { .. }
        | UfsError::NotFound { .. }
        | UfsError::BadUri { .. }
        | UfsError::AlreadyExists { .. }
        | UfsError::IsADirectory { .. }
        | UfsError::NotADirectory { .. }
        | UfsError::DirectoryNotEmpty { .. }
        | UfsError::Configuration { .. } => Code::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_carry_code_and_path() {
        let status = Status::from(MasterError::NotFound("/a/b".into()));
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "Path /a/b does not exist");
        let status = Status::from(MasterError::NotPersisted("/x".into()));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(status.message(), "Cannot free file /x which is not persisted");
        let bad = alluxio_proto::AlluxioPath::new("rel").unwrap_err();
        assert_eq!(Status::from(MasterError::from(bad)).code(), Code::InvalidArgument);
    }

    #[test]
    fn ufs_failures_keep_their_codes() {
        let operation = |temporary| UfsError::Operation {
            operation: "read",
            uri: "s3://b/k".into(),
            cause: "timeout".into(),
            temporary,
        };
        let code = |err: UfsError| Status::from(MasterError::from(err)).code();
        assert_eq!(code(operation(true)), Code::Unavailable);
        assert_eq!(code(operation(false)), Code::Internal);
        let denied = UfsError::PermissionDenied {
            uri: "s3://b/k".into(),
            cause: "403".into(),
            credentials: "s3a.accessKeyId".into(),
        };
        assert_eq!(code(denied), Code::PermissionDenied);
        assert_eq!(code(UfsError::NotFound { uri: "/x".into() }), Code::Internal);
    }

    #[test]
    fn mount_conflicts_are_invalid_arguments_naming_the_mount_point() {
        let status = Status::from(MasterError::MountPointExists("/mnt/a".into()));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "Mount point /mnt/a already exists");
        let status = Status::from(MasterError::MountPointPrefix {
            prefix: "/mnt".into(),
            path: "/mnt/a".into(),
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "Mount point /mnt is a prefix of /mnt/a");
        let status = Status::from(MasterError::UfsPathNotDirectory("s3://b/k".into()));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "Ufs path s3://b/k is a file; mount a directory");
    }

    #[test]
    fn rejected_entries_are_internal_errors_naming_what_they_concern() {
        let point = alluxio_proto::AlluxioPath::new("/mnt/a").unwrap();
        let status = Status::from(MasterError::Replay {
            sequence: 42,
            reason: ApplyError::MountPointExists(point.clone()),
        });
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(
            status.message(),
            "journal entry 42 cannot be replayed: mount point /mnt/a exists already; the journal is damaged"
        );
        let status = Status::from(MasterError::ApplyRejected(ApplyError::HoldsMountPoint {
            path: alluxio_proto::AlluxioPath::new("/mnt").unwrap(),
            mount_point: point,
        }));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error: /mnt holds mount point /mnt/a");
        let status = Status::from(MasterError::ApplyRejected(ApplyError::FileCompleted {
            file: 7,
            block: 9,
        }));
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("file 7") && status.message().contains("block 9"));
    }
}
