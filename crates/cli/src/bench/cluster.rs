//! The cluster a bench runs against: an embedded master, worker and proxy on loopback with temp
//! dirs (MEM tier under /dev/shm), or a running cluster named by `--target alluxio://host:port`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_client::{AlluxioUri, FileSystem};
use alluxio_conf::{Configuration, keys};
use alluxio_embedded::{Cluster, LaunchError};
use alluxio_proxy::RunningProxy;
use anyhow::{Context, bail};

use super::BenchArgs;

/// How long the embedded worker may take to register.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Cached bytes beyond what the cases write: the listed directory, journal checkpoints, slack.
const MEM_SLACK: u64 = 512 << 20;
/// Size of each small file.
pub const SMALL_FILE_BYTES: u64 = 64 << 10;

/// The client configuration for a running cluster at `target` (`alluxio://host:port`).
pub fn target_conf(mut conf: Configuration, target: &str) -> anyhow::Result<Configuration> {
    let uri =
        AlluxioUri::parse(target).with_context(|| format!("--target {target} is not alluxio://host:port"))?;
    let Some((host, port)) = uri.authority.as_deref().and_then(|a| a.rsplit_once(':')) else {
        bail!("--target {target} names no master; use alluxio://host:port");
    };
    conf.set(keys::MASTER_HOSTNAME, host);
    conf.set(keys::MASTER_PORT, port);
    Ok(conf)
}

/// A master, one worker and a proxy in this process, and the temp dirs they use.
pub struct Embedded {
    /// The servers' own async threads: they share the machine with the benchmark's client the
    /// way separate processes would, rather than taking turns on the client's threads.
    runtime: tokio::runtime::Runtime,
    /// Locked only to restart the master ([`MasterRestart`]).
    servers: Arc<tokio::sync::Mutex<Cluster>>,
    proxy: RunningProxy,
    ufs_root: PathBuf,
    // Removed on drop, after the servers are down.
    _dirs: tempfile::TempDir,
}

impl Embedded {
    /// Starts the master, worker and proxy on 127.0.0.1 (ports 0), the MEM tier in
    /// `mem_parent`, and waits until the worker is live. The proxy writes S3 objects MUST_CACHE,
    /// as the data-port write it is compared with does.
    pub async fn start(mut conf: Configuration, args: &BenchArgs, mem_parent: &Path) -> anyhow::Result<Self> {
        let dirs = tempfile::Builder::new()
            .prefix("alluxio-bench-")
            .tempdir()
            .context("cannot create a temp directory for the embedded cluster")?;
        let ufs_root = dirs.path().join("underFSStorage");
        let journal = dirs.path().join("journal");
        let mem_dir = mem_parent.join("ramdisk");
        for dir in [&ufs_root, &journal, &mem_dir] {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let path = |p: &Path| p.display().to_string();
        for (key, value) in [
            (keys::WORK_DIR, path(dirs.path())),
            (keys::MASTER_HOSTNAME, "127.0.0.1".into()),
            (keys::MASTER_BIND_HOST, "127.0.0.1".into()),
            (keys::MASTER_PORT, "0".into()),
            (keys::MASTER_WEB_BIND_HOST, "127.0.0.1".into()),
            (keys::MASTER_WEB_PORT, "0".into()),
            (keys::MASTER_JOURNAL_FOLDER, path(&journal)),
            (keys::UNDERFS_ADDRESS, path(&ufs_root)),
            (keys::MASTER_MOUNT_TABLE_ROOT_UFS, path(&ufs_root)),
        ] {
            conf.set(key, value);
        }
        let quota = args.size + args.small_files as u64 * SMALL_FILE_BYTES + MEM_SLACK;
        let mut worker_conf = conf.clone();
        for (key, value) in [
            (keys::WORKER_HOSTNAME.to_string(), "127.0.0.1".to_string()),
            (keys::WORKER_BIND_HOST.into(), "127.0.0.1".into()),
            (keys::WORKER_PORT.into(), "0".into()),
            (keys::WORKER_DATA_PORT.into(), "0".into()),
            (keys::WORKER_WEB_PORT.into(), "0".into()),
            (keys::WORKER_MEMORY_SIZE.into(), quota.to_string()),
            (keys::WORKER_TIERED_STORE_LEVELS.into(), "1".into()),
            (keys::tier_alias(0), "MEM".into()),
            (keys::tier_dirs_path(0), path(&mem_dir)),
            (keys::tier_dirs_quota(0), quota.to_string()),
        ] {
            worker_conf.set(&key, value);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("alluxio-server")
            .enable_all()
            .build()
            .context("cannot start the servers' async runtime")?;
        let started = on_servers(&runtime, Cluster::start(conf, vec![worker_conf]))
            .await
            .and_then(|started| {
                started.map_err(|e| match e {
                    LaunchError::Master(e) => {
                        anyhow::Error::new(e).context("cannot start the embedded master")
                    }
                    LaunchError::Worker { source, .. } => {
                        anyhow::Error::new(source).context("cannot start the embedded worker")
                    }
                    e => e.into(),
                })
            });
        let servers = match started {
            Ok(servers) => servers,
            Err(e) => {
                // Dropping a runtime may not block inside async code; its threads end on their own.
                runtime.shutdown_background();
                return Err(e);
            }
        };
        let mut proxy_conf = servers.conf().clone();
        for (key, value) in [
            (keys::PROXY_WEB_BIND_HOST, "127.0.0.1"),
            (keys::PROXY_WEB_PORT, "0"),
            (keys::PROXY_S3_WRITETYPE, "MUST_CACHE"),
        ] {
            proxy_conf.set(key, value);
        }
        let proxy = on_servers(&runtime, alluxio_proxy::start(proxy_conf))
            .await
            .and_then(|started| started.context("cannot start the embedded proxy"));
        let proxy = match proxy {
            Ok(proxy) => proxy,
            Err(e) => {
                stop_servers(&runtime, servers).await;
                runtime.shutdown_background();
                return Err(e);
            }
        };
        let embedded = Self {
            runtime,
            servers: Arc::new(tokio::sync::Mutex::new(servers)),
            proxy,
            ufs_root,
            _dirs: dirs,
        };
        if let Err(e) = embedded.wait_ready().await {
            embedded.shutdown().await;
            return Err(e);
        }
        Ok(embedded)
    }

    /// Configuration of clients of this cluster.
    pub fn client_conf(&self) -> Configuration {
        self.servers().conf().clone()
    }

    /// The local directory mounted at `/`.
    pub fn ufs_root(&self) -> PathBuf {
        self.ufs_root.clone()
    }

    /// The address of the master's web port.
    pub fn master_web_addr(&self) -> Option<SocketAddr> {
        self.servers().master().map(|master| master.web_addr())
    }

    /// The address of the proxy's web port.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy.web_addr()
    }

    /// Stops the proxy, the worker, then the master; failures are logged, as the figures are
    /// already out.
    pub async fn shutdown(self) {
        let stopped = on_servers(&self.runtime, self.proxy.shutdown()).await;
        if let Err(e) = stopped.and_then(|stopped| Ok(stopped?)) {
            tracing::warn!(error = %e, "the embedded proxy did not shut down cleanly");
        }
        match Arc::try_unwrap(self.servers) {
            Ok(servers) => stop_servers(&self.runtime, servers.into_inner()).await,
            Err(_) => tracing::warn!("the embedded cluster is still in use and was left running"),
        }
        // Dropping a runtime may not block inside async code; its threads end on their own.
        self.runtime.shutdown_background();
    }

    /// Restarts of the embedded master, for the scale cases.
    pub fn master_restart(&self) -> MasterRestart {
        MasterRestart {
            runtime: self.runtime.handle().clone(),
            servers: self.servers.clone(),
        }
    }

    /// The servers, never locked but by a [`MasterRestart`] the bench awaits.
    fn servers(&self) -> tokio::sync::MutexGuard<'_, Cluster> {
        self.servers
            .try_lock()
            .expect("the embedded servers are only locked while the bench waits for a restart")
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let fs = FileSystem::connect(self.client_conf()).await?;
        let data_addr = self
            .servers()
            .worker(0)
            .context("the embedded worker is not running")?
            .data_addr();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let live = fs
                .worker_info_list()
                .await
                .map(|(live, _)| live)
                .unwrap_or_default();
            if live.iter().any(|w| {
                w.address
                    .as_ref()
                    .is_some_and(|a| a.data_port == u32::from(data_addr.port()))
            }) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the embedded worker (data port {data_addr}) did not register with the master within {READY_TIMEOUT:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Stops and starts the embedded master on its configuration and port.
#[derive(Clone)]
pub struct MasterRestart {
    runtime: tokio::runtime::Handle,
    servers: Arc<tokio::sync::Mutex<Cluster>>,
}

impl MasterRestart {
    /// Restarts the master; returns once it is back (journal replayed, port open).
    pub async fn restart(&self) -> anyhow::Result<()> {
        let servers = self.servers.clone();
        self.runtime
            .spawn(async move { servers.lock().await.restart_master().await })
            .await
            .context("restarting the embedded master panicked")?
            .context("cannot restart the embedded master")
    }
}

/// Stops the worker, then the master; failures are logged.
async fn stop_servers(runtime: &tokio::runtime::Runtime, servers: Cluster) {
    let stopped = on_servers(runtime, servers.shutdown()).await;
    if let Err(e) = stopped.and_then(|stopped| Ok(stopped?)) {
        tracing::warn!(error = %e, "the embedded cluster did not shut down cleanly");
    }
}

/// Runs `work` on the servers' runtime (so everything it spawns lives there) and waits for it.
async fn on_servers<F>(runtime: &tokio::runtime::Runtime, work: F) -> anyhow::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime
        .spawn(work)
        .await
        .context("a server task of the embedded cluster panicked")
}
