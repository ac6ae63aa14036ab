//! Client errors: what went wrong, naming the path, worker or master involved.

/// Why a file system call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The path already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// A malformed path, option or request.
    #[error("{0}")]
    InvalidArgument(String),
    /// The operation does not apply in the current state (e.g. directory not empty, file incomplete).
    #[error("{0}")]
    FailedPrecondition(String),
    /// Not enough space in Alluxio storage.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The caller, or the under storage for the credentials in use, may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The master or a worker cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (I/O errors, internal errors of a server).
    #[error("{0}")]
    Internal(String),
}

impl ClientError {
    /// Maps a gRPC status from `address` to the variant of its code, keeping the server's message.
    pub(crate) fn from_status(status: &tonic::Status, address: &str) -> Self {
        use tonic::Code;
        let message = if status.message().is_empty() {
            format!("{} from {address}", status.code())
        } else {
            status.message().to_string()
        };
        match status.code() {
            Code::NotFound => ClientError::NotFound(message),
            Code::AlreadyExists => ClientError::AlreadyExists(message),
            Code::InvalidArgument | Code::OutOfRange => ClientError::InvalidArgument(message),
            Code::FailedPrecondition | Code::Aborted => ClientError::FailedPrecondition(message),
            Code::ResourceExhausted => ClientError::ResourceExhausted(message),
            Code::PermissionDenied | Code::Unauthenticated => ClientError::PermissionDenied(message),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => ClientError::Unavailable(message),
            _ => ClientError::Internal(message),
        }
    }

    /// Maps a data-port status with the worker's message.
    pub(crate) fn from_data_status(status: alluxio_proto::data::Status, message: String) -> Self {
        use alluxio_proto::data::Status;
        match status {
            Status::NotFound => ClientError::NotFound(message),
            Status::AlreadyExists => ClientError::AlreadyExists(message),
            Status::InvalidArgument => ClientError::InvalidArgument(message),
            Status::ResourceExhausted => ClientError::ResourceExhausted(message),
            Status::PermissionDenied => ClientError::PermissionDenied(message),
            Status::Unavailable => ClientError::Unavailable(message),
            Status::Ok | Status::Internal => ClientError::Internal(message),
        }
    }

    /// Whether another worker or the UFS may succeed where this failed.
    pub(crate) fn is_retryable_elsewhere(&self) -> bool {
        matches!(
            self,
            ClientError::NotFound(_) | ClientError::Unavailable(_) | ClientError::Internal(_)
        )
    }

    /// The same kind of error with `context` put in front of the message.
    pub(crate) fn context(self, context: impl std::fmt::Display) -> Self {
        let wrap = |m: String| format!("{context}: {m}");
        match self {
            ClientError::NotFound(m) => ClientError::NotFound(wrap(m)),
            ClientError::AlreadyExists(m) => ClientError::AlreadyExists(wrap(m)),
            ClientError::InvalidArgument(m) => ClientError::InvalidArgument(wrap(m)),
            ClientError::FailedPrecondition(m) => ClientError::FailedPrecondition(wrap(m)),
            ClientError::ResourceExhausted(m) => ClientError::ResourceExhausted(wrap(m)),
            ClientError::PermissionDenied(m) => ClientError::PermissionDenied(wrap(m)),
            ClientError::Unavailable(m) => ClientError::Unavailable(wrap(m)),
            ClientError::Internal(m) => ClientError::Internal(wrap(m)),
        }
    }
}

impl From<alluxio_conf::ConfError> for ClientError {
    fn from(err: alluxio_conf::ConfError) -> Self {
        ClientError::InvalidArgument(err.to_string())
    }
}

impl From<alluxio_proto::PathError> for ClientError {
    fn from(err: alluxio_proto::PathError) -> Self {
        ClientError::InvalidArgument(err.to_string())
    }
}

impl From<alluxio_ufs::UfsError> for ClientError {
    fn from(err: alluxio_ufs::UfsError) -> Self {
        use alluxio_ufs::UfsError;
        let message = err.to_string();
        match err {
            UfsError::NotFound { .. } => ClientError::NotFound(message),
            UfsError::AlreadyExists { .. } => ClientError::AlreadyExists(message),
            UfsError::BadUri { .. } => ClientError::InvalidArgument(message),
            UfsError::IsADirectory { .. }
            | UfsError::NotADirectory { .. }
            | UfsError::DirectoryNotEmpty { .. } => ClientError::FailedPrecondition(message),
            UfsError::PermissionDenied { .. } => ClientError::PermissionDenied(message),
            UfsError::Operation { temporary: true, .. } => ClientError::Unavailable(message),
            UfsError::Operation { temporary: false, .. } | UfsError::Configuration { .. } => {
                ClientError::Internal(message)
            }
        }
    }
}

impl From<ClientError> for std::io::Error {
    fn from(err: ClientError) -> Self {
        use std::io::ErrorKind;
        let kind = match &err {
            ClientError::NotFound(_) => ErrorKind::NotFound,
            ClientError::AlreadyExists(_) => ErrorKind::AlreadyExists,
            ClientError::InvalidArgument(_) => ErrorKind::InvalidInput,
            ClientError::ResourceExhausted(_) => ErrorKind::StorageFull,
            ClientError::PermissionDenied(_) => ErrorKind::PermissionDenied,
            ClientError::Unavailable(_) => ErrorKind::ConnectionRefused,
            ClientError::FailedPrecondition(_) | ClientError::Internal(_) => ErrorKind::Other,
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
        assert!(matches!(&err, ClientError::NotFound(m) if m == "Path /a does not exist"));
        let err = ClientError::from_status(&tonic::Status::unavailable(""), "m:1");
        assert!(
            matches!(&err, ClientError::Unavailable(m) if m.contains("m:1")),
            "{err}"
        );
        let err =
            ClientError::from_data_status(alluxio_proto::data::Status::ResourceExhausted, "no space".into())
                .context("block 7 on worker w:2");
        assert!(matches!(&err, ClientError::ResourceExhausted(m) if m == "block 7 on worker w:2: no space"));
    }
}
