//! `LocalCluster`: a master and N workers in this process, on 127.0.0.1 with OS-chosen ports and
//! temp dirs (journal, root UFS, one tier dir per worker), each configured through its own
//! [`Configuration`], so tests exercise the real servers end to end without globals.

pub mod browser;
pub mod java;
pub mod mesos;
pub mod prometheus;
mod python;
mod readiness;
pub mod s3;
pub mod zookeeper;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_embedded::{Cluster, LaunchError};
use alluxio_proto::auth::Credentials;
use tempfile::TempDir;

pub use python::{test_python, test_venv};

/// Why the cluster could not be started or changed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The temp dirs could not be made.
    #[error("cannot prepare the cluster's directories: {0}")]
    Io(#[from] std::io::Error),
    /// The master failed to start or stop.
    #[error("master: {0}")]
    Master(#[from] alluxio_master::MasterError),
    /// A worker failed to start or stop.
    #[error("worker {index}: {source}")]
    Worker {
        /// Which worker.
        index: usize,
        /// The cause.
        #[source]
        source: alluxio_worker::WorkerError,
    },
    /// The cluster did not reach the expected state in time.
    #[error("cluster not ready after {waited:?}: {what}")]
    NotReady {
        /// What was awaited.
        what: String,
        /// How long.
        waited: Duration,
    },
    /// A call on a worker that is not running or does not exist.
    #[error("worker {0} is not running (or does not exist)")]
    NoSuchWorker(usize),
}

impl From<LaunchError> for ClusterError {
    fn from(err: LaunchError) -> Self {
        match err {
            LaunchError::Master(err) => Self::Master(err),
            LaunchError::Worker { index, source } => Self::Worker { index, source },
            LaunchError::NoSuchWorker(index)
            | LaunchError::NotRunning(index)
            | LaunchError::AlreadyRunning(index) => Self::NoSuchWorker(index),
        }
    }
}

/// Heartbeats this fast keep tests short.
const HEARTBEAT_INTERVAL: &str = "100ms";
/// The master declares a silent worker lost after this long.
const WORKER_TIMEOUT: &str = "5sec";
/// How long a client of the cluster retries an unreachable master.
const CLIENT_RETRY: &str = "5sec";

/// Builds a [`LocalCluster`].
#[derive(Debug, Clone)]
pub struct LocalClusterBuilder {
    workers: usize,
    mem_quota: u64,
    block_size: Option<u64>,
    second_tier: Option<u64>,
    properties: Vec<(String, String)>,
}

impl LocalClusterBuilder {
    /// Number of workers (default 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// Size of each worker's MEM tier (default 64 MiB).
    pub fn mem_quota(mut self, bytes: u64) -> Self {
        self.mem_quota = bytes;
        self
    }

    /// Default block size of new files (`alluxio.user.block.size.bytes.default`).
    pub fn block_size(mut self, bytes: u64) -> Self {
        self.block_size = Some(bytes);
        self
    }

    /// Adds an SSD tier of `quota` bytes below MEM on every worker.
    pub fn second_tier(mut self, quota: u64) -> Self {
        self.second_tier = Some(quota);
        self
    }

    /// Sets a property on the master, the workers and the client configuration.
    pub fn property(mut self, key: &str, value: impl Into<String>) -> Self {
        self.properties.push((key.to_string(), value.into()));
        self
    }

    /// Starts the master, then the workers, and waits until the master lists them all live.
    pub async fn start(self) -> Result<LocalCluster, ClusterError> {
        let root = tempfile::Builder::new().prefix("alluxio-cluster-").tempdir()?;
        let ufs_root = root.path().join("underFSStorage");
        let journal = root.path().join("journal");
        std::fs::create_dir_all(&ufs_root)?;
        std::fs::create_dir_all(&journal)?;
        let base = base_conf(root.path(), &ufs_root, &journal, &self);
        let mut workers = Vec::with_capacity(self.workers);
        let mut worker_confs = Vec::with_capacity(self.workers);
        for index in 0..self.workers {
            let dir = root.path().join(format!("worker{index}"));
            let mem_dir = dir.join("mem");
            std::fs::create_dir_all(&mem_dir)?;
            let ssd_dir = match self.second_tier {
                Some(_) => {
                    let ssd = dir.join("ssd");
                    std::fs::create_dir_all(&ssd)?;
                    Some(ssd)
                }
                None => None,
            };
            let info = LocalWorker {
                index,
                mem_dir,
                ssd_dir,
                rpc_addr: None,
                data_addr: None,
                web_addr: None,
                worker_id: None,
            };
            worker_confs.push(worker_conf(&base, &info, self.mem_quota, self.second_tier));
            workers.push(info);
        }
        let servers = Cluster::start(base, worker_confs).await?;
        tracing::info!(port = servers.master_port(), "local cluster started");
        let mut cluster = LocalCluster {
            servers,
            ufs_root,
            workers,
            _root: root,
        };
        for index in 0..cluster.workers.len() {
            cluster.sync_worker(index);
        }
        cluster.wait_ready().await?;
        Ok(cluster)
    }
}

/// What a test may want to know about one worker.
#[derive(Debug, Clone)]
pub struct LocalWorker {
    /// Position in the cluster.
    pub index: usize,
    /// The MEM tier dir (blocks live under it).
    pub mem_dir: PathBuf,
    /// The SSD tier dir, if the cluster has a second tier.
    pub ssd_dir: Option<PathBuf>,
    /// RPC address while running.
    pub rpc_addr: Option<SocketAddr>,
    /// Data-port address while running.
    pub data_addr: Option<SocketAddr>,
    /// Web address while running.
    pub web_addr: Option<SocketAddr>,
    /// The id the master gave it, while running.
    pub worker_id: Option<u64>,
}

/// A master and workers running in this process on loopback.
pub struct LocalCluster {
    /// The servers; their configurations are built here, their starts and stops are the launcher's.
    servers: Cluster,
    ufs_root: PathBuf,
    workers: Vec<LocalWorker>,
    /// Dropped last: every dir of the cluster lives under it.
    _root: TempDir,
}

impl LocalCluster {
    /// A builder with one worker, 64 MiB of MEM and default block size.
    pub fn builder() -> LocalClusterBuilder {
        LocalClusterBuilder {
            workers: 1,
            mem_quota: 64 * 1024 * 1024,
            block_size: None,
            second_tier: None,
            properties: Vec::new(),
        }
    }

    /// A configuration for clients of this cluster (master address, short retries, properties).
    pub fn client_conf(&self) -> Configuration {
        self.servers.conf().clone()
    }

    /// Where the master's RPC server listens.
    pub fn master_rpc_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.servers.master_port()))
    }

    /// Where the master's web server listens; panics while the master is stopped.
    pub fn master_web_addr(&self) -> SocketAddr {
        self.servers.master().expect("the master runs").web_addr()
    }

    /// Worker `index`; panics if there is no such worker (a mistake in the test).
    pub fn worker(&self, index: usize) -> &LocalWorker {
        &self.workers[index]
    }

    /// Number of workers, running or stopped.
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// The root UFS directory (mounted at `/`).
    pub fn ufs_root(&self) -> &Path {
        &self.ufs_root
    }

    /// Stops the master and starts it again on the same journal and port.
    pub async fn restart_master(&mut self) -> Result<(), ClusterError> {
        self.servers.restart_master().await?;
        self.wait_ready().await
    }

    /// Stops worker `index`; its cached blocks stay on disk.
    pub async fn stop_worker(&mut self, index: usize) -> Result<(), ClusterError> {
        let stopped = self.servers.stop_worker(index).await;
        self.sync_worker(index);
        Ok(stopped?)
    }

    /// Starts a stopped worker on its dirs and ports; it keeps the blocks it had.
    pub async fn start_worker(&mut self, index: usize) -> Result<(), ClusterError> {
        self.servers.start_worker(index).await?;
        self.sync_worker(index);
        self.wait_ready().await
    }

    /// Stops every server; the temp dirs are removed.
    pub async fn shutdown(self) -> Result<(), ClusterError> {
        Ok(self.servers.shutdown().await?)
    }

    /// Copies worker `index`'s addresses and id from its server; a stopped worker keeps its
    /// addresses and has no id.
    fn sync_worker(&mut self, index: usize) {
        let Some(info) = self.workers.get_mut(index) else {
            return;
        };
        info.worker_id = None;
        if let Some(running) = self.servers.worker(index) {
            info.rpc_addr = Some(running.rpc_addr());
            info.data_addr = Some(running.data_addr());
            info.web_addr = Some(running.web_addr());
            info.worker_id = Some(running.worker_id());
        }
    }

    /// Waits until the master lists exactly the running workers as live.
    async fn wait_ready(&self) -> Result<(), ClusterError> {
        let expected: Vec<SocketAddr> = self.servers.running_workers().map(|w| w.data_addr()).collect();
        let credentials =
            Credentials::from_conf(&self.client_conf()).map_err(alluxio_master::MasterError::from)?;
        readiness::wait_for_live_workers(self.master_rpc_addr(), &credentials, &expected).await
    }
}

fn base_conf(root: &Path, ufs_root: &Path, journal: &Path, builder: &LocalClusterBuilder) -> Configuration {
    let mut conf = Configuration::defaults();
    let path = |p: &Path| p.display().to_string();
    conf.set(keys::HOME, path(root));
    conf.set(keys::WORK_DIR, path(root));
    conf.set(keys::MASTER_HOSTNAME, "127.0.0.1");
    conf.set(keys::MASTER_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_PORT, "0");
    conf.set(keys::MASTER_WEB_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_WEB_PORT, "0");
    conf.set(keys::MASTER_JOURNAL_FOLDER, path(journal));
    conf.set(keys::UNDERFS_ADDRESS, path(ufs_root));
    conf.set(keys::MASTER_MOUNT_TABLE_ROOT_UFS, path(ufs_root));
    conf.set(keys::MASTER_WORKER_HEARTBEAT_INTERVAL, HEARTBEAT_INTERVAL);
    conf.set(keys::WORKER_BLOCK_HEARTBEAT_INTERVAL, HEARTBEAT_INTERVAL);
    conf.set(keys::MASTER_WORKER_TIMEOUT, WORKER_TIMEOUT);
    conf.set(keys::WORKER_TIERED_STORE_RESERVER_INTERVAL, HEARTBEAT_INTERVAL);
    conf.set(keys::USER_RPC_RETRY_MAX_DURATION, CLIENT_RETRY);
    if let Some(block_size) = builder.block_size {
        conf.set(keys::USER_BLOCK_SIZE_BYTES_DEFAULT, block_size.to_string());
    }
    for (key, value) in &builder.properties {
        conf.set(key, value.clone());
    }
    conf
}

/// A worker's configuration: its tier dirs on loopback, any ports (a restart keeps the ones it got).
fn worker_conf(
    base: &Configuration,
    info: &LocalWorker,
    mem_quota: u64,
    ssd_quota: Option<u64>,
) -> Configuration {
    let mut conf = base.clone();
    conf.set(keys::WORKER_HOSTNAME, "127.0.0.1");
    conf.set(keys::WORKER_BIND_HOST, "127.0.0.1");
    conf.set(keys::WORKER_PORT, "0");
    conf.set(keys::WORKER_DATA_PORT, "0");
    conf.set(keys::WORKER_WEB_PORT, "0");
    conf.set(keys::WORKER_MEMORY_SIZE, mem_quota.to_string());
    conf.set(&keys::tier_alias(0), "MEM");
    conf.set(&keys::tier_dirs_path(0), info.mem_dir.display().to_string());
    conf.set(&keys::tier_dirs_quota(0), mem_quota.to_string());
    match (&info.ssd_dir, ssd_quota) {
        (Some(dir), Some(quota)) => {
            conf.set(keys::WORKER_TIERED_STORE_LEVELS, "2");
            conf.set(&keys::tier_alias(1), "SSD");
            conf.set(&keys::tier_dirs_path(1), dir.display().to_string());
            conf.set(&keys::tier_dirs_quota(1), quota.to_string());
        }
        _ => conf.set(keys::WORKER_TIERED_STORE_LEVELS, "1"),
    }
    conf
}
