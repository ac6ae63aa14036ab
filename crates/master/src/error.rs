//! Master errors, each mapped once to a gRPC status.

use tonic::{Code, Status};

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
    JournalWrite(String),
    /// A recovered journal entry does not fit the namespace rebuilt so far.
    #[error("journal entry {sequence} cannot be replayed: {reason}; the journal is damaged")]
    Replay {
        /// Sequence of the entry.
        sequence: u64,
        /// Why it does not apply.
        reason: String,
    },
    /// The in-memory state rejected a change it had validated (a bug).
    #[error("internal error: {0}")]
    Internal(String),
    /// An under file system call failed.
    #[error(transparent)]
    Ufs(#[from] alluxio_ufs::UfsError),
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
    #[error("Worker {0} is not registered with this master; register again")]
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
    /// The UFS of a new mount cannot be opened or reached.
    #[error("cannot mount {uri}: {source}; check the URI and the mount's --option properties")]
    MountUfs {
        /// The UFS URI.
        uri: String,
        /// The cause.
        #[source]
        source: alluxio_ufs::UfsError,
    },
    /// The UFS directory of a new mount does not exist.
    #[error("Ufs path {0} does not exist")]
    UfsPathMissing(String),
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
            MasterError::InvalidPath(_) | MasterError::InvalidArgument(_) => Code::InvalidArgument,
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
            MasterError::Unavailable => Code::Unavailable,
            MasterError::Ufs(alluxio_ufs::UfsError::Operation { temporary: true, .. }) => Code::Unavailable,
            MasterError::Ufs(alluxio_ufs::UfsError::PermissionDenied { .. }) => Code::PermissionDenied,
            MasterError::Conf(_)
            | MasterError::Journal(_)
            | MasterError::JournalWrite(_)
            | MasterError::Replay { .. }
            | MasterError::Internal(_)
            | MasterError::Ufs(_)
            | MasterError::Serve { .. } => Code::Internal,
        };
        Status::new(code, err.to_string())
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
}
