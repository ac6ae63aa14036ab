//! Starting and stopping a worker: configuration, store, listeners, registration, and the tasks
//! that serve and report until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_conf::{Configuration, keys};
use alluxio_ha::MasterLocator;
use alluxio_proto::auth::Credentials;
use alluxio_proto::grpc::WorkerNetAddress;
use alluxio_server::{Backoff, RpcLimits, Shutdown, ShutdownSender};
use alluxio_ufs::UfsManager;
use alluxio_web::HttpLimits;
use futures::FutureExt;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::context::WorkerContext;
use crate::master_client::MasterClient;
use crate::store::{BlockStore, StoreOptions};
use crate::{WorkerError, data_server, master_sync, rpc, web};

/// How long [`RunningWorker::shutdown`] waits for blocking store work to let go of the store.
const STORE_RELEASE_WAIT: Duration = Duration::from_secs(5);

/// A worker serving on its ports and registered with the master.
pub struct RunningWorker {
    ctx: Arc<WorkerContext>,
    rpc_addr: SocketAddr,
    data_addr: SocketAddr,
    web_addr: SocketAddr,
    stop: ShutdownSender,
    tasks: JoinSet<(&'static str, Result<(), WorkerError>)>,
}

impl RunningWorker {
    /// Where the RPC server listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    /// Where the data server listens.
    pub fn data_addr(&self) -> SocketAddr {
        self.data_addr
    }

    /// Where the web server listens.
    pub fn web_addr(&self) -> SocketAddr {
        self.web_addr
    }

    /// The id the master gave this worker.
    pub fn worker_id(&self) -> u64 {
        self.ctx.worker_id()
    }

    /// Stops serving and returns once every task has ended. Cached blocks stay on disk.
    pub async fn shutdown(mut self) -> Result<(), WorkerError> {
        self.stop.stop();
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let error = match joined {
                Ok((_, Ok(()))) => continue,
                Ok((_, Err(e))) => e,
                Err(e) => WorkerError::Task {
                    task: "worker",
                    reason: e.to_string(),
                },
            };
            tracing::warn!(error = %error, "worker task ended with an error");
            first_error.get_or_insert(error);
        }
        self.wait_for_store_release().await;
        tracing::info!(worker_id = self.ctx.worker_id(), "worker stopped");
        first_error.map_or(Ok(()), Err)
    }

    /// Blocking store work cut short by the stop (a piece being written, a lock waiting for a
    /// tier move) may hold the store, and so its directory locks, a moment longer: a worker
    /// started again right away must find the directories free.
    async fn wait_for_store_release(&self) {
        let deadline = Instant::now() + STORE_RELEASE_WAIT;
        while Arc::strong_count(&self.ctx) > 1 || self.ctx.store.handle_count() > 1 {
            if Instant::now() >= deadline {
                tracing::warn!(
                    "the block store is still in use {STORE_RELEASE_WAIT:?} after stopping; its \
                     directories stay locked until that work ends"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Timings read once at start.
struct Intervals {
    heartbeat: Duration,
    heartbeat_timeout: Duration,
    /// Pauses between attempts to reach the master (`alluxio.user.rpc.retry.*.sleep`).
    master_retry: Backoff,
    reserver: Option<Duration>,
    /// How often meters and gauges are sampled for the web UI's charts.
    metrics_sampling: Duration,
}

fn positive_duration(conf: &Configuration, key: &'static str) -> Result<Duration, WorkerError> {
    let value = conf.get_duration(key)?;
    if value.is_zero() {
        return Err(WorkerError::InvalidConfig {
            key,
            reason: "must be longer than zero, e.g. 1sec".into(),
        });
    }
    Ok(value)
}

impl Intervals {
    fn from_conf(conf: &Configuration) -> Result<Self, WorkerError> {
        let reserver = if conf.get_bool(keys::WORKER_TIERED_STORE_RESERVER_ENABLED)? {
            Some(positive_duration(
                conf,
                keys::WORKER_TIERED_STORE_RESERVER_INTERVAL,
            )?)
        } else {
            None
        };
        Ok(Self {
            heartbeat: positive_duration(conf, keys::WORKER_BLOCK_HEARTBEAT_INTERVAL)?,
            heartbeat_timeout: conf.get_duration(keys::WORKER_BLOCK_HEARTBEAT_TIMEOUT)?,
            master_retry: Backoff::new(
                conf.get_duration(keys::USER_RPC_RETRY_BASE_SLEEP)?,
                conf.get_duration(keys::USER_RPC_RETRY_MAX_SLEEP)?,
            ),
            reserver,
            metrics_sampling: positive_duration(conf, keys::MASTER_METRICS_TIME_SERIES_INTERVAL)?,
        })
    }
}

async fn bind(
    conf: &Configuration,
    server: &'static str,
    key: &'static str,
) -> Result<TcpListener, WorkerError> {
    let host = conf.get(keys::WORKER_BIND_HOST)?;
    let port = conf.get_port(key)?;
    alluxio_server::bind(server, &host, port)
        .await
        .map_err(|e| WorkerError::Bind {
            server: e.what,
            address: e.address,
            key,
            source: e.source,
        })
}

fn local_addr(
    listener: &TcpListener,
    server: &'static str,
    key: &'static str,
) -> Result<SocketAddr, WorkerError> {
    listener.local_addr().map_err(|source| WorkerError::Bind {
        server,
        address: "?".into(),
        key,
        source,
    })
}

/// `alluxio.worker.hostname`, else the system host name.
fn advertised_host(conf: &Configuration) -> Result<String, WorkerError> {
    if let Some(host) = conf.get_opt(keys::WORKER_HOSTNAME)?.filter(|h| !h.is_empty()) {
        return Ok(host);
    }
    let uname = rustix::system::uname();
    let host = uname.nodename().to_string_lossy().into_owned();
    if host.is_empty() {
        return Err(WorkerError::InvalidConfig {
            key: keys::WORKER_HOSTNAME,
            reason: "the system has no host name; set alluxio.worker.hostname".into(),
        });
    }
    Ok(host)
}

/// Opens the block store, starts the servers and registers with the master.
pub async fn start(conf: Configuration) -> Result<RunningWorker, WorkerError> {
    let intervals = Intervals::from_conf(&conf)?;
    let options = StoreOptions::from_conf(&conf)?;
    let host = advertised_host(&conf)?;
    let locator = MasterLocator::from_conf(&conf).map_err(WorkerError::MasterAddresses)?;

    let rpc_listener = bind(&conf, "rpc", keys::WORKER_PORT).await?;
    let data_listener = bind(&conf, "data", keys::WORKER_DATA_PORT).await?;
    let web_listener = bind(&conf, "web", keys::WORKER_WEB_PORT).await?;
    let rpc_addr = local_addr(&rpc_listener, "rpc", keys::WORKER_PORT)?;
    let data_addr = local_addr(&data_listener, "data", keys::WORKER_DATA_PORT)?;
    let web_addr = local_addr(&web_listener, "web", keys::WORKER_WEB_PORT)?;

    let store = tokio::task::spawn_blocking(move || BlockStore::open(options))
        .await
        .map_err(|e| WorkerError::Task {
            task: "store open",
            reason: e.to_string(),
        })??;
    let credentials = Credentials::from_conf(&conf)?;
    let web_limits = HttpLimits::from_conf(&conf)?;
    let data_connections = conf.get_positive_usize(keys::WORKER_DATA_SERVER_CONNECTIONS_MAX)?;
    let rpc_limits = RpcLimits {
        max_connections: conf.get_positive_usize(keys::RPC_CONNECTIONS_MAX)?,
        silent_timeout: conf.get_duration(keys::RPC_CONNECTION_SILENT_TIMEOUT)?,
        keepalive_time: conf.get_duration(keys::WORKER_NETWORK_KEEPALIVE_TIME)?,
        keepalive_timeout: conf.get_duration(keys::WORKER_NETWORK_KEEPALIVE_TIMEOUT)?,
    };
    let master = MasterClient::connect(
        locator,
        credentials,
        intervals.heartbeat_timeout,
        intervals.master_retry,
    )
    .await?;
    let address = WorkerNetAddress {
        host,
        rpc_port: rpc_addr.port().into(),
        data_port: data_addr.port().into(),
        web_port: web_addr.port().into(),
        ..Default::default()
    };
    let ctx = Arc::new(WorkerContext::new(store, UfsManager::new(&conf), master, address));
    master_sync::register_with_retry(&ctx, intervals.heartbeat_timeout, intervals.master_retry).await?;

    let usage = ctx.store.usage();
    tracing::info!(
        worker_id = ctx.worker_id(),
        host = %ctx.address.host,
        rpc = %rpc_addr,
        data = %data_addr,
        web = %web_addr,
        master = %ctx.master.address(),
        tiers = ?usage.iter().map(|t| format!("{}={}", t.alias, alluxio_conf::format_bytes(t.capacity))).collect::<Vec<_>>(),
        blocks = ctx.store.blocks().len(),
        "worker started"
    );

    let (stop, shutdown) = Shutdown::channel();
    let mut tasks = JoinSet::new();
    tasks.spawn(named(
        "rpc server",
        rpc::serve(Arc::clone(&ctx), rpc_listener, rpc_limits, shutdown.clone()).map(Ok),
    ));
    tasks.spawn(named(
        "data server",
        data_server::serve(
            Arc::clone(&ctx),
            data_listener,
            data_connections,
            shutdown.clone(),
        ),
    ));
    tasks.spawn(named(
        "web server",
        web::serve(
            Arc::clone(&ctx),
            conf.clone(),
            web_listener,
            web_limits,
            shutdown.clone(),
        ),
    ));
    let registry = ctx.metrics.registry.clone();
    let sampler = alluxio_server::every(intervals.metrics_sampling, shutdown.clone(), move || {
        registry.sample();
        std::future::ready(())
    });
    tasks.spawn(named("metrics sampler", async move {
        sampler.await.map_err(|e| WorkerError::Task {
            task: "metrics sampler",
            reason: e.to_string(),
        })
    }));
    let heartbeat = master_sync::heartbeat_loop(
        Arc::clone(&ctx),
        intervals.heartbeat,
        intervals.heartbeat_timeout,
        shutdown.clone(),
    );
    tasks.spawn(named("heartbeat", async move {
        heartbeat.await;
        Ok(())
    }));
    if let Some(interval) = intervals.reserver {
        let reserver = reserve_space_loop(ctx.store.clone(), interval, shutdown.clone());
        tasks.spawn(named("space reserver", async move {
            reserver.await.map_err(|e| WorkerError::Task {
                task: "space reserver",
                reason: e.to_string(),
            })
        }));
    }
    Ok(RunningWorker {
        ctx,
        rpc_addr,
        data_addr,
        web_addr,
        stop,
        tasks,
    })
}

async fn named(
    task: &'static str,
    future: impl Future<Output = Result<(), WorkerError>>,
) -> (&'static str, Result<(), WorkerError>) {
    (task, future.await)
}

/// Spawns the task that evicts between the watermarks every `interval` until shutdown, off the
/// async threads (it moves files).
fn reserve_space_loop(store: BlockStore, interval: Duration, shutdown: Shutdown) -> JoinHandle<()> {
    alluxio_server::every(interval, shutdown, move || {
        let store = store.clone();
        async move {
            match tokio::task::spawn_blocking(move || store.reserve_space()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(freed)) => tracing::debug!(freed, "space reserver freed bytes"),
                Ok(Err(e)) => tracing::warn!(error = %e, "space reserver pass failed"),
                Err(e) => tracing::warn!(error = %e, "space reserver pass panicked"),
            }
        }
    })
}

/// Each tier the configuration gives this worker, top tier first, as its alias and directories:
/// what `alluxio format` wipes and `alluxio local` reports.
pub fn tier_dirs(conf: &Configuration) -> Result<Vec<(String, Vec<std::path::PathBuf>)>, WorkerError> {
    let options = StoreOptions::from_conf(conf)?;
    Ok(options
        .tiers
        .into_iter()
        .map(|tier| (tier.alias, tier.dirs.into_iter().map(|dir| dir.path).collect()))
        .collect())
}

/// Deletes every cached block (for `alluxio format`).
pub fn format(conf: &Configuration) -> Result<(), WorkerError> {
    BlockStore::format(&StoreOptions::from_conf(conf)?)?;
    Ok(())
}
