//! The Alluxio worker: a tiered block store (memory first), a data server that moves block bytes,
//! UFS read-through caching and persistence, and heartbeats to the master.

mod error;
pub mod store;

pub use error::WorkerError;

use std::net::SocketAddr;

use alluxio_conf::Configuration;

/// A worker serving on its ports and registered with the master.
pub struct RunningWorker {}

impl RunningWorker {
    /// Where the RPC server listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        unimplemented!("being written")
    }

    /// Where the data server listens.
    pub fn data_addr(&self) -> SocketAddr {
        unimplemented!("being written")
    }

    /// Where the web server listens.
    pub fn web_addr(&self) -> SocketAddr {
        unimplemented!("being written")
    }

    /// The id the master gave this worker.
    pub fn worker_id(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Stops serving and returns once every task has ended. Cached blocks stay on disk.
    pub async fn shutdown(self) -> Result<(), WorkerError> {
        unimplemented!("being written")
    }
}

/// Opens the block store, starts the servers and registers with the master.
pub async fn start(_conf: Configuration) -> Result<RunningWorker, WorkerError> {
    unimplemented!("being written")
}

/// Deletes every cached block (for `alluxio format`).
pub fn format(_conf: &Configuration) -> Result<(), WorkerError> {
    unimplemented!("being written")
}
