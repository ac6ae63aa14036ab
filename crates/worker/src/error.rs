//! Worker errors.

/// Why the worker failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Bad configuration.
    #[error(transparent)]
    Conf(#[from] alluxio_conf::ConfError),
    /// The block store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
