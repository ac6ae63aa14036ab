//! Client errors: what went wrong ([`ErrorKind`]), the message naming the path, worker or master
//! involved, and what the failure concerns ([`Subject`]). The kind alone decides retries, exit
//! codes, HTTP statuses and errno.

/// What kind of failure: decides retries, exit codes, HTTP statuses and errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The path does not exist.
    NotFound,
    /// The path already exists.
    AlreadyExists,
    /// A malformed path, option or request.
    InvalidArgument,
    /// The operation does not apply in the current state (e.g. directory not empty, file incomplete).
    FailedPrecondition,
    /// Not enough space in Alluxio storage.
    ResourceExhausted,
    /// The caller, or the under storage for the credentials in use, may not do this.
    PermissionDenied,
    /// The master or a worker cannot be reached.
    Unavailable,
    /// Anything else (I/O errors, internal errors of a server).
    Internal,
}

impl ErrorKind {
    /// Alluxio's status name for this kind as its REST API and Python client spell it.
    pub fn status_name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::AlreadyExists => "ALREADY_EXISTS",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorKind::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorKind::PermissionDenied => "PERMISSION_DENIED",
            ErrorKind::Unavailable => "UNAVAILABLE",
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

/// What a failure concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// An Alluxio path.
    Path(String),
    /// A worker, by its `host:data_port`.
    Worker(String),
    /// The master, by its `host:port`.
    Master(String),
    /// A block, by its id.
    Block(u64),
}

/// Why a file system call failed. Displays as its message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    kind: ErrorKind,
    message: String,
    subject: Option<Subject>,
}

impl ClientError {
    /// An error of `kind` explained by `message`, concerning nothing in particular yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            subject: None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The explanation, naming the path, worker or master involved.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the failure concerns, if known.
    pub fn subject(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }

    /// The Alluxio path the failure concerns, if it is about one.
    pub fn path(&self) -> Option<&str> {
        match &self.subject {
            Some(Subject::Path(path)) => Some(path),
            _ => None,
        }
    }

    /// Records what the failure concerns; an already recorded, more precise subject (a path) is kept.
    pub fn about(mut self, subject: Subject) -> Self {
        if !matches!(self.subject, Some(Subject::Path(_))) {
            self.subject = Some(subject);
        }
        self
    }

    /// The same error (kind and subject) with `context` put in front of the message.
    pub(crate) fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Maps a gRPC status from the master at `address` to the kind of its code, keeping the
    /// server's message.
    pub(crate) fn from_status(status: &tonic::Status, address: &str) -> Self {
        use tonic::Code;
        let message = if status.message().is_empty() {
            format!("{} from {address}", status.code())
        } else {
            status.message().to_string()
        };
        let kind = match status.code() {
            Code::NotFound => ErrorKind::NotFound,
            Code::AlreadyExists => ErrorKind::AlreadyExists,
            Code::InvalidArgument | Code::OutOfRange => ErrorKind::InvalidArgument,
            Code::FailedPrecondition | Code::Aborted => ErrorKind::FailedPrecondition,
            Code::ResourceExhausted => ErrorKind::ResourceExhausted,
            Code::PermissionDenied | Code::Unauthenticated => ErrorKind::PermissionDenied,
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        ClientError::new(kind, message).about(Subject::Master(address.to_string()))
    }

    /// Maps a data-port status with the worker's message (the caller records the worker).
    pub(crate) fn from_data_status(status: alluxio_proto::data::Status, message: String) -> Self {
        use alluxio_proto::data::Status;
        let kind = match status {
            Status::NotFound => ErrorKind::NotFound,
            Status::AlreadyExists => ErrorKind::AlreadyExists,
            Status::InvalidArgument => ErrorKind::InvalidArgument,
            Status::ResourceExhausted => ErrorKind::ResourceExhausted,
            Status::PermissionDenied => ErrorKind::PermissionDenied,
            Status::Unavailable => ErrorKind::Unavailable,
            Status::Ok | Status::Internal => ErrorKind::Internal,
        };
        ClientError::new(kind, message)
    }

    /// Whether another worker or the UFS may succeed where this failed.
    pub(crate) fn is_retryable_elsewhere(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::NotFound | ErrorKind::Unavailable | ErrorKind::Internal
        )
    }
}

impl From<alluxio_conf::ConfError> for ClientError {
    fn from(err: alluxio_conf::ConfError) -> Self {
        ClientError::new(ErrorKind::InvalidArgument, err.to_string())
    }
}

impl From<alluxio_proto::PathError> for ClientError {
    fn from(err: alluxio_proto::PathError) -> Self {
        ClientError::new(ErrorKind::InvalidArgument, err.to_string())
    }
}

impl From<ClientError> for std::io::Error {
    fn from(err: ClientError) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind {
            ErrorKind::NotFound => Io::NotFound,
            ErrorKind::AlreadyExists => Io::AlreadyExists,
            ErrorKind::InvalidArgument => Io::InvalidInput,
            ErrorKind::ResourceExhausted => Io::StorageFull,
            ErrorKind::PermissionDenied => Io::PermissionDenied,
            ErrorKind::Unavailable => Io::ConnectionRefused,
            ErrorKind::FailedPrecondition | ErrorKind::Internal => Io::Other,
        };
        std::io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_code_and_server_message() {
        let err = ClientError::from_status(&tonic::Status::not_found("Path /a does not exist"), "m:1");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.message(), "Path /a does not exist");
        assert_eq!(err.to_string(), "Path /a does not exist");
        let err = ClientError::from_status(&tonic::Status::unavailable(""), "m:1");
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.message().contains("m:1"), "{err}");
        let err =
            ClientError::from_data_status(alluxio_proto::data::Status::ResourceExhausted, "no space".into())
                .context("block 7 on worker w:2");
        assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
        assert_eq!(err.message(), "block 7 on worker w:2: no space");
    }

    #[test]
    fn statuses_from_the_master_concern_the_master() {
        let err = ClientError::from_status(&tonic::Status::internal("boom"), "m:1");
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert_eq!(err.subject(), Some(&Subject::Master("m:1".into())));
        assert_eq!(err.path(), None);
    }

    #[test]
    fn a_path_is_kept_over_less_precise_subjects() {
        let err = ClientError::new(ErrorKind::Unavailable, "worker w:2 is down")
            .about(Subject::Worker("w:2".into()));
        assert_eq!(err.subject(), Some(&Subject::Worker("w:2".into())));
        assert_eq!(err.path(), None);
        let err = err.about(Subject::Path("/a/b".into()));
        assert_eq!(err.path(), Some("/a/b"));
        let err = err
            .about(Subject::Worker("w:3".into()))
            .about(Subject::Block(7))
            .context("reading /a/b");
        assert_eq!(err.subject(), Some(&Subject::Path("/a/b".into())));
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(err.message(), "reading /a/b: worker w:2 is down");
        // Less precise subjects replace each other.
        let err = ClientError::new(ErrorKind::Internal, "bad block")
            .about(Subject::Worker("w:2".into()))
            .about(Subject::Block(9));
        assert_eq!(err.subject(), Some(&Subject::Block(9)));
    }

    #[test]
    fn status_names_are_spelled_as_alluxio_does() {
        let names = [
            (ErrorKind::NotFound, "NOT_FOUND"),
            (ErrorKind::AlreadyExists, "ALREADY_EXISTS"),
            (ErrorKind::InvalidArgument, "INVALID_ARGUMENT"),
            (ErrorKind::FailedPrecondition, "FAILED_PRECONDITION"),
            (ErrorKind::ResourceExhausted, "RESOURCE_EXHAUSTED"),
            (ErrorKind::PermissionDenied, "PERMISSION_DENIED"),
            (ErrorKind::Unavailable, "UNAVAILABLE"),
            (ErrorKind::Internal, "INTERNAL"),
        ];
        for (kind, name) in names {
            assert_eq!(kind.status_name(), name);
        }
    }

    #[test]
    fn io_errors_map_by_kind() {
        let io = std::io::Error::from(ClientError::new(ErrorKind::NotFound, "/x does not exist"));
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(io.to_string(), "/x does not exist");
    }
}
