//! Worker errors.

use std::time::Duration;

/// Why the worker failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Bad configuration.
    #[error(transparent)]
    Conf(#[from] alluxio_conf::ConfError),
    /// The block store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A setting that parses but cannot be used.
    #[error("invalid value for {key}: {reason}")]
    InvalidConfig {
        /// The property.
        key: &'static str,
        /// What is wrong and what to set instead.
        reason: String,
    },
    /// A listener could not be opened.
    #[error(
        "cannot bind the worker {server} server to {address}: {source}; is the port in use? change {key}"
    )]
    Bind {
        /// rpc, data or web.
        server: &'static str,
        /// host:port.
        address: String,
        /// The property holding the port.
        key: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The configuration does not say which masters to follow.
    #[error(
        "cannot tell which master to call: {0}; set alluxio.master.hostname and \
         alluxio.master.port, or alluxio.master.rpc.addresses, or alluxio.zookeeper.enabled with \
         alluxio.zookeeper.address"
    )]
    MasterAddresses(#[source] alluxio_ha::HaError),
    /// No master answered within the heartbeat timeout.
    #[error(
        "cannot reach {masters} (last tried: {address}) after {waited:?}: {cause}; check that a \
         master runs and that these addresses are right"
    )]
    MasterUnreachable {
        /// What the worker follows: the master locator's description.
        masters: String,
        /// host:port of the master tried last ("none" when no master could be looked up).
        address: String,
        /// How long the worker tried.
        waited: Duration,
        /// The last connection error.
        cause: String,
    },
    /// The master answered an RPC with an error.
    #[error("master {address} failed {rpc}: {status}")]
    MasterRpc {
        /// host:port of the master.
        address: String,
        /// The RPC.
        rpc: &'static str,
        /// Its status.
        status: tonic::Status,
    },
    /// The under file system failed.
    #[error(transparent)]
    Ufs(#[from] alluxio_ufs::UfsError),
    /// Fetching a block from another worker failed.
    #[error("cannot fetch block {block_id} from worker {address}: {reason}")]
    RemoteBlock {
        /// The block.
        block_id: u64,
        /// The other worker's data address (or "nowhere" if no worker holds it).
        address: String,
        /// Why.
        reason: String,
    },
    /// A file failed to persist to the under file system.
    #[error("cannot persist file {file_id} to {ufs_path}: {reason}")]
    Persist {
        /// The file.
        file_id: u64,
        /// Its destination.
        ufs_path: String,
        /// Why.
        reason: String,
    },
    /// A block file could not be read.
    #[error("cannot read block file {path}: {source}")]
    BlockFile {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A background task of the worker died.
    #[error("worker task {task} failed: {reason}")]
    Task {
        /// Which task.
        task: &'static str,
        /// The panic or cancellation text.
        reason: String,
    },
}
