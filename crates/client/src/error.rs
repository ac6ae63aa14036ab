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
    /// The master or a worker cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (I/O errors, internal errors of a server).
    #[error("{0}")]
    Internal(String),
}
