//! The Alluxio master: the namespace (inode tree), the block map, the worker registry and the
//! journal that makes every change durable, served over gRPC (RPC port) and HTTP (web port).

mod error;

pub use error::MasterError;

use std::net::SocketAddr;

use alluxio_conf::Configuration;

/// A master serving on its ports.
pub struct RunningMaster {}

impl RunningMaster {
    /// Where the RPC server listens (the actual port when 0 was configured).
    pub fn rpc_addr(&self) -> SocketAddr {
        unimplemented!("being written")
    }

    /// Where the web server listens.
    pub fn web_addr(&self) -> SocketAddr {
        unimplemented!("being written")
    }

    /// Stops serving, flushes the journal and returns once every task has ended.
    pub async fn shutdown(self) -> Result<(), MasterError> {
        unimplemented!("being written")
    }
}

/// Recovers the namespace from the journal and starts serving.
pub async fn start(_conf: Configuration) -> Result<RunningMaster, MasterError> {
    unimplemented!("being written")
}

/// Deletes the journal (for `alluxio format`).
pub fn format(_conf: &Configuration) -> Result<(), MasterError> {
    unimplemented!("being written")
}
