//! Master errors, each mapped once to a gRPC status.

/// Why a master operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    /// Bad configuration.
    #[error(transparent)]
    Conf(#[from] alluxio_conf::ConfError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] alluxio_journal::JournalError),
}
