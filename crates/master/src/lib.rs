//! The Alluxio master: the namespace (inode tree), the block map, the worker registry and the
//! journal that makes every change durable, served over gRPC (RPC port) and HTTP (web port).

mod block_map;
mod block_master;
mod cluster_metrics;
mod error;
mod journal_apply;
mod journal_writer;
mod metrics;
mod mount_table;
mod namespace;
mod operations;
mod persist;
mod persist_done;
mod roles;
mod server;
mod service;
mod standby;
mod startup_check;
mod ttl;
mod ufs_space;
mod web;
mod workers;

pub use error::MasterError;
pub use journal_apply::ApplyError;
pub use server::{RunningMaster, format, journal_folder, start};

use std::sync::Arc;
use std::time::Instant;

use alluxio_conf::Configuration;
use alluxio_proto::grpc::MasterInfo;

use metrics::MasterMetrics;
use namespace::FileSystemMaster;

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the info endpoints (gRPC and web) report about this master.
pub(crate) struct MasterInfoSource {
    fs: Arc<FileSystemMaster>,
    metrics: MasterMetrics,
    /// The master's configuration, for the configuration page and the logs folder.
    conf: Configuration,
    /// Where the journal is (`alluxio.master.journal.folder` as resolved).
    journal_location: String,
    /// The startup consistency check's outcome.
    consistency: Arc<parking_lot::Mutex<startup_check::ConsistencyCheck>>,
    /// The mounted under storages' capacity, measured in the background.
    ufs_space: Arc<ufs_space::UfsSpace>,
    /// `host:port` clients use (the configured host name when bound to all interfaces).
    rpc_address: String,
    web_address: String,
    start_time_ms: i64,
    started: Instant,
}

impl MasterInfoSource {
    fn master_info(&self) -> MasterInfo {
        MasterInfo {
            rpc_address: self.rpc_address.clone(),
            web_address: self.web_address.clone(),
            start_time_ms: self.start_time_ms,
            uptime_ms: self.started.elapsed().as_millis() as u64,
            version: alluxio_proto::VERSION.to_string(),
            root_ufs: self.fs.settings.root_ufs.clone(),
        }
    }
}
