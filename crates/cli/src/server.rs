//! `alluxio master`, `alluxio worker`, `alluxio proxy` and `alluxio local`: servers in the foreground until
//! SIGINT or SIGTERM, then a clean shutdown.

use std::net::TcpListener;
use std::process::ExitCode;

use alluxio_conf::{Configuration, Source, keys};
use alluxio_embedded::{Cluster, LaunchError};
use anyhow::Context;

use crate::logging;

/// Ports a master binds, with the property that sets each.
const MASTER_PORTS: &[(&str, &str)] = &[
    (keys::MASTER_PORT, keys::MASTER_BIND_HOST),
    (keys::MASTER_WEB_PORT, keys::MASTER_WEB_BIND_HOST),
];
/// Ports a worker binds, with the property that sets each.
const WORKER_PORTS: &[(&str, &str)] = &[
    (keys::WORKER_PORT, keys::WORKER_BIND_HOST),
    (keys::WORKER_DATA_PORT, keys::WORKER_BIND_HOST),
    (keys::WORKER_WEB_PORT, keys::WORKER_BIND_HOST),
];

/// Ports a proxy binds, with the property that sets each.
const PROXY_PORTS: &[(&str, &str)] = &[
    (keys::PROXY_WEB_PORT, keys::PROXY_WEB_BIND_HOST),
    (keys::PROXY_S3_PORT, keys::PROXY_WEB_BIND_HOST),
];

/// Runs the master until a signal.
pub fn run_master(conf: Configuration) -> anyhow::Result<ExitCode> {
    let log = logging::init_server(&conf, "master")?;
    crate::runtime()?.block_on(async {
        let mut signals = Signals::install()?;
        let master = start_master(&conf).await?;
        outln!(
            "Alluxio master serving RPC on {} and web on {} (logs: {})",
            master.rpc_addr(),
            master.web_addr(),
            log.display()
        );
        let signal = signals.wait().await;
        tracing::info!(signal, "shutting down the master");
        master
            .shutdown()
            .await
            .context("the master did not shut down cleanly")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs a worker until a signal.
pub fn run_worker(conf: Configuration) -> anyhow::Result<ExitCode> {
    let log = logging::init_server(&conf, "worker")?;
    crate::runtime()?.block_on(async {
        let mut signals = Signals::install()?;
        let worker = start_worker(&conf).await?;
        outln!(
            "Alluxio worker {} serving RPC on {}, data on {}, web on {} (logs: {})",
            worker.worker_id(),
            worker.rpc_addr(),
            worker.data_addr(),
            worker.web_addr(),
            log.display()
        );
        let signal = signals.wait().await;
        tracing::info!(signal, "shutting down the worker");
        worker
            .shutdown()
            .await
            .context("the worker did not shut down cleanly")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs the proxy until a signal.
pub fn run_proxy(conf: Configuration) -> anyhow::Result<ExitCode> {
    let log = logging::init_server(&conf, "proxy")?;
    crate::runtime()?.block_on(async {
        let mut signals = Signals::install()?;
        let proxy = start_proxy(&conf).await?;
        outln!(
            "Alluxio proxy serving REST and S3 on {}{} (logs: {})",
            proxy.web_addr(),
            s3_port_note(&proxy, &proxy.web_addr().ip().to_string()),
            log.display()
        );
        let signal = signals.wait().await;
        tracing::info!(signal, "shutting down the proxy");
        proxy
            .shutdown()
            .await
            .context("the proxy did not shut down cleanly")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `, S3 also at http://<host>:<port>/` when the S3-only port is served.
fn s3_port_note(proxy: &alluxio_proxy::RunningProxy, host: &str) -> String {
    proxy
        .s3_addr()
        .map(|addr| format!(", S3 also at http://{host}:{}/", addr.port()))
        .unwrap_or_default()
}

/// Runs a master, one worker and the proxy in this process until a signal.
pub fn run_local(mut conf: Configuration) -> anyhow::Result<ExitCode> {
    if conf.source(keys::WORK_DIR) == Source::Default {
        let dir = std::env::current_dir()
            .context("cannot determine the current directory")?
            .join("alluxio-data");
        conf.set(keys::WORK_DIR, dir.display().to_string());
    }
    for key in [keys::MASTER_HOSTNAME, keys::WORKER_HOSTNAME] {
        if conf.source(key) == Source::Default {
            conf.set(key, "localhost");
        }
    }
    let work_dir = conf.get(keys::WORK_DIR)?;
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("cannot create the work directory {work_dir}"))?;
    let ufs = conf.get(keys::MASTER_MOUNT_TABLE_ROOT_UFS)?;
    // A local root UFS may not exist yet; an object store or HDFS has nothing to create here.
    let local_ufs = match alluxio_ufs::UfsUri::parse(&ufs) {
        Ok(uri) => (uri.scheme == "file").then_some(uri.path),
        // Not absolute and no scheme: a path relative to the working directory.
        Err(_) => Some(ufs.clone()),
    };
    if let Some(dir) = local_ufs {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the under storage directory {dir}"))?;
    }
    let log = logging::init_server(&conf, "local")?;
    crate::runtime()?.block_on(async {
        let mut signals = Signals::install()?;
        let cluster = match Cluster::start(conf.clone(), vec![conf.clone()]).await {
            Ok(cluster) => cluster,
            Err(LaunchError::Master(e)) => return Err(master_start_failure(&conf, e)),
            Err(LaunchError::Worker { source, .. }) => return Err(worker_start_failure(&conf, source)),
            Err(e) => return Err(e.into()),
        };
        let (Some(master), Some(worker), Some(worker_conf)) =
            (cluster.master(), cluster.worker(0), cluster.worker_conf(0))
        else {
            anyhow::bail!("the local cluster stopped while starting");
        };
        let mem_dirs: Vec<String> = alluxio_worker::tier_dirs(worker_conf)
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|(_, dirs)| dirs.iter().map(|dir| dir.display().to_string()).collect())
            .unwrap_or_default();
        let proxy = match start_proxy(cluster.conf()).await {
            Ok(proxy) => proxy,
            Err(err) => {
                if let Err(stop) = cluster.shutdown().await {
                    tracing::warn!(error = %stop, "the cluster did not shut down cleanly after the proxy failed to start");
                }
                return Err(err);
            }
        };
        let host = conf.get(keys::MASTER_HOSTNAME)?;
        outln!("Alluxio local cluster is running (work dir {work_dir})");
        outln!(
            "  master: rpc {host}:{}, web http://{host}:{}/",
            master.rpc_addr().port(),
            master.web_addr().port()
        );
        let worker_host = worker_conf.get(keys::WORKER_HOSTNAME)?;
        outln!(
            "  worker: rpc {worker_host}:{}, data {worker_host}:{}, web http://{worker_host}:{}/",
            worker.rpc_addr().port(),
            worker.data_addr().port(),
            worker.web_addr().port()
        );
        outln!(
            "  proxy:  REST http://{host}:{port}/api/v1, S3 http://{host}:{port}/api/v1/s3{}",
            s3_port_note(&proxy, &host),
            port = proxy.web_addr().port()
        );
        outln!("  MEM tier: {}", mem_dirs.join(", "));
        outln!("  logs: {}", log.display());
        outln!("Try: alluxio fs copyFromLocal <file> /   then   alluxio fs ls /");
        outln!("Press Ctrl-C to stop.");
        let signal = signals.wait().await;
        tracing::info!(signal, "shutting down the local cluster");
        proxy.shutdown().await.context("the proxy did not shut down cleanly")?;
        cluster.shutdown().await.map_err(|e| match e {
            LaunchError::Master(e) => anyhow::Error::new(e).context("the master did not shut down cleanly"),
            LaunchError::Worker { source, .. } => {
                anyhow::Error::new(source).context("the worker did not shut down cleanly")
            }
            e => e.into(),
        })?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn start_master(conf: &Configuration) -> anyhow::Result<alluxio_master::RunningMaster> {
    alluxio_master::start(conf.clone())
        .await
        .map_err(|e| master_start_failure(conf, e))
}

async fn start_worker(conf: &Configuration) -> anyhow::Result<alluxio_worker::RunningWorker> {
    alluxio_worker::start(conf.clone())
        .await
        .map_err(|e| worker_start_failure(conf, e))
}

async fn start_proxy(conf: &Configuration) -> anyhow::Result<alluxio_proxy::RunningProxy> {
    alluxio_proxy::start(conf.clone()).await.map_err(|e| {
        explain_start_failure(
            conf,
            PROXY_PORTS,
            anyhow::Error::new(e).context("cannot start the proxy"),
        )
    })
}

fn master_start_failure(conf: &Configuration, e: alluxio_master::MasterError) -> anyhow::Error {
    explain_start_failure(
        conf,
        MASTER_PORTS,
        anyhow::Error::new(e).context("cannot start the master"),
    )
}

fn worker_start_failure(conf: &Configuration, e: alluxio_worker::WorkerError) -> anyhow::Error {
    explain_start_failure(
        conf,
        WORKER_PORTS,
        anyhow::Error::new(e).context("cannot start the worker"),
    )
}

/// A start that failed because a configured port is taken gets an error naming the port and the
/// property to change; any other failure is returned as it is.
fn explain_start_failure(conf: &Configuration, ports: &[(&str, &str)], err: anyhow::Error) -> anyhow::Error {
    for (port_key, host_key) in ports {
        let (Ok(port), Ok(host)) = (conf.get_port(port_key), conf.get(host_key)) else {
            continue;
        };
        if port != 0 && TcpListener::bind((host.as_str(), port)).is_err() {
            return anyhow::anyhow!(
                "port {port} ({port_key}) on {host} is already in use; stop what uses it or set {port_key} to a free port"
            );
        }
    }
    err
}

/// SIGINT and SIGTERM handlers, installed before a server starts so an early signal still
/// leads to a clean shutdown instead of the default abrupt exit.
pub(crate) struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
        })
    }

    /// Waits for either signal and names the one that came.
    pub(crate) async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}
