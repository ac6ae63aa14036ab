//! Start-up (journal recovery, servers, background tasks), shutdown and format.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_conf::{Configuration, keys};
use alluxio_ha::ZooKeeperSettings;
use alluxio_journal::{Journal, JournalLocation};
use alluxio_proto::grpc::block_master_client_service_server::BlockMasterClientServiceServer;
use alluxio_proto::grpc::block_master_worker_service_server::BlockMasterWorkerServiceServer;
use alluxio_proto::grpc::file_system_master_client_service_server::FileSystemMasterClientServiceServer;
use alluxio_proto::grpc::metrics_master_client_service_server::MetricsMasterClientServiceServer;
use alluxio_server::{GrpcRoutes, RpcLimits, Shutdown, ShutdownSender, every};
use alluxio_ufs::UfsUri;
use parking_lot::RwLock;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::Layer;

use crate::block_master::BlockMaster;
use crate::journal_writer::JournalWriter;
use crate::metrics::MasterMetrics;
use crate::namespace::metastore::MetastoreSettings;
use crate::namespace::resume::{JournalBounds, KeptStore, recover_tree};
use crate::namespace::tree::Tree;
use crate::namespace::{FileSystemMaster, FsSettings, PermissionSettings};
use crate::service::{AuthLayer, Impersonation};
use crate::service::{BlockClientService, BlockWorkerService, FsClientService, MetricsService};
use crate::ufs_space::UfsSpace;
use crate::{MasterError, MasterInfoSource, now_ms, roles, startup_check, web};
use alluxio_proto::auth::AuthType;
use alluxio_web::HttpLimits;

/// Largest worker request accepted (a registration lists ~10 bytes per block).
const MAX_WORKER_MESSAGE: usize = 256 << 20;

/// A master serving on its ports: alone, or elected among several through ZooKeeper (then
/// serving as the leader or refusing calls as a standby, whichever it is at the moment).
pub struct RunningMaster {
    rpc_addr: SocketAddr,
    web_addr: SocketAddr,
    role: Role,
}

enum Role {
    /// The only master of its journal.
    Alone(Serving),
    /// One of several; `alluxio.zookeeper.enabled`.
    Elected(roles::Elected),
}

impl RunningMaster {
    /// Where the RPC server listens (the actual port when 0 was configured).
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    /// Where the web server listens.
    pub fn web_addr(&self) -> SocketAddr {
        self.web_addr
    }

    /// Stops serving, flushes the journal and returns once every task has ended; an elected
    /// master also leaves the election, so that another one leads at once.
    pub async fn shutdown(self) -> Result<(), MasterError> {
        match self.role {
            Role::Alone(serving) => serving.shutdown().await,
            Role::Elected(elected) => elected.shutdown().await,
        }
        tracing::info!(rpc = %self.rpc_addr, "master stopped");
        Ok(())
    }
}

/// What a serving master runs: its servers, its background tasks and the namespace.
pub(crate) struct Serving {
    stop: ShutdownSender,
    tasks: Vec<JoinHandle<()>>,
    /// The startup consistency check, stopped (not run to its end) at shutdown.
    consistency_check: Option<JoinHandle<()>>,
    fs: Arc<FileSystemMaster>,
}

impl Serving {
    /// Serves the namespace `tree`, journaling to `journal`, on `listeners`.
    pub(crate) fn start(
        conf: &Configuration,
        plan: &Plan,
        listeners: Listeners,
        journal: Journal,
        tree: Tree,
        journal_location: &JournalLocation,
    ) -> Result<Self, MasterError> {
        let (rpc_addr, web_addr) = (listeners.rpc_addr, listeners.web_addr);
        let inodes = tree.len();
        let fs = file_system(journal, tree, plan.checkpoint_period, conf, plan.settings.clone());
        let hostname = conf.get(keys::MASTER_HOSTNAME)?;
        let (consistency, consistency_check) = startup_check::start(
            &fs,
            conf.get_bool(keys::MASTER_STARTUP_CONSISTENCY_CHECK_ENABLED)?,
        );
        let ufs_space = Arc::new(UfsSpace::default());
        let info = Arc::new(MasterInfoSource {
            metrics: MasterMetrics::new(&fs, &ufs_space),
            ufs_space: ufs_space.clone(),
            conf: conf.clone(),
            journal_location: journal_location.to_string(),
            consistency,
            fs: fs.clone(),
            rpc_address: advertised(rpc_addr, &hostname),
            web_address: advertised(web_addr, &hostname),
            start_time_ms: now_ms(),
            started: Instant::now(),
        });

        let (stop, stopped) = Shutdown::channel();
        let registry = info.metrics.registry.clone();
        let sampled_fs = fs.clone();
        let mut tasks = spawn_servers(listeners, &fs, info, plan, &stopped);
        tasks.push(every(plan.sampling, stopped.clone(), move || {
            let (registry, space) = (registry.clone(), ufs_space.clone());
            let uris = sampled_fs
                .mount_table()
                .into_iter()
                .map(|(_, m)| m.ufs_uri)
                .collect();
            async move {
                space.refresh(uris).await;
                registry.sample();
            }
        }));
        tasks.extend(plan.periodic.spawn(&fs, stopped));
        tracing::info!(rpc = %rpc_addr, web = %web_addr, journal = %journal_location, inodes, "master serving");
        Ok(Self {
            stop,
            tasks,
            consistency_check,
            fs,
        })
    }

    /// Whether a journal append failed (the master refuses changes from then on).
    pub(crate) fn journal_failed(&self) -> bool {
        self.fs.journal_state().failed
    }

    /// Stops serving, flushes the journal and returns once every task has ended (and the
    /// listeners are closed).
    pub(crate) async fn shutdown(self) {
        self.stop.stop();
        if let Some(check) = self.consistency_check {
            // Awaited, not only aborted: the check holds the namespace (and so the journal's
            // lock) until its task is dropped, and a restart must find the lock free.
            check.abort();
            let _ = check.await;
        }
        for task in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "master task failed while stopping");
            }
        }
        self.fs.close().await;
    }
}

/// What a master serves with, read from the configuration once.
pub(crate) struct Plan {
    settings: FsSettings,
    /// Entries between checkpoints.
    checkpoint_period: u64,
    periodic: Periodic,
    /// How often metrics are sampled for the time series.
    sampling: Duration,
    /// What every gRPC call must carry (`alluxio.security.authentication.type`).
    authentication: AuthType,
    /// Who may act for whom (`alluxio.master.security.impersonation.*`).
    impersonation: Arc<Impersonation>,
    /// What the web port allows its clients.
    pub(crate) web_limits: HttpLimits,
    /// What the gRPC port allows its clients.
    pub(crate) rpc_limits: RpcLimits,
}

impl Plan {
    fn from_conf(conf: &Configuration) -> Result<Self, MasterError> {
        let sampling = conf.get_duration(keys::MASTER_METRICS_TIME_SERIES_INTERVAL)?;
        if sampling.is_zero() {
            return Err(MasterError::InvalidArgument(format!(
                "{} must be longer than zero, e.g. 10sec",
                keys::MASTER_METRICS_TIME_SERIES_INTERVAL
            )));
        }
        let settings = settings(conf)?;
        let impersonation = Impersonation::from_conf(conf, &settings.owner, &settings.permissions.supergroup);
        Ok(Self {
            settings,
            impersonation: Arc::new(impersonation),
            checkpoint_period: conf.get_u64(keys::MASTER_JOURNAL_CHECKPOINT_PERIOD_ENTRIES)?,
            periodic: Periodic::from_conf(conf)?,
            sampling,
            authentication: conf.get_parsed(keys::SECURITY_AUTHENTICATION_TYPE, |text| {
                AuthType::parse(text).ok_or("NOSASL or SIMPLE")
            })?,
            web_limits: HttpLimits::from_conf(conf)?,
            rpc_limits: RpcLimits {
                max_connections: conf.get_positive_usize(keys::RPC_CONNECTIONS_MAX)?,
                silent_timeout: conf.get_duration(keys::RPC_CONNECTION_SILENT_TIMEOUT)?,
                keepalive_time: conf.get_duration(keys::MASTER_NETWORK_KEEPALIVE_TIME)?,
                keepalive_timeout: conf.get_duration(keys::MASTER_NETWORK_KEEPALIVE_TIMEOUT)?,
            },
        })
    }
}

fn settings(conf: &Configuration) -> Result<FsSettings, MasterError> {
    let umask_text = conf.get(keys::SECURITY_AUTHORIZATION_PERMISSION_UMASK)?;
    let umask = u32::from_str_radix(umask_text.trim(), 8).map_err(|_| {
        MasterError::InvalidArgument(format!(
            "{} = '{umask_text}' is not an octal umask such as 022",
            keys::SECURITY_AUTHORIZATION_PERMISSION_UMASK
        ))
    })?;
    // The OS user when the property is not set (a default computed at load).
    let owner = match conf.get_opt(keys::SECURITY_LOGIN_USERNAME)? {
        Some(user) if !user.is_empty() => user,
        _ => "alluxio".to_string(),
    };
    Ok(FsSettings {
        default_block_size: conf.get_bytes(keys::USER_BLOCK_SIZE_BYTES_DEFAULT)?,
        umask: umask & 0o777,
        group: owner.clone(),
        owner,
        permissions: PermissionSettings {
            enabled: conf.get_bool(keys::SECURITY_AUTHORIZATION_PERMISSION_ENABLED)?,
            supergroup: conf.get(keys::SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP)?,
        },
        root_ufs: conf.get(keys::MASTER_MOUNT_TABLE_ROOT_UFS)?,
    })
}

async fn bind(what: &'static str, host: String, port: u16) -> Result<TcpListener, MasterError> {
    alluxio_server::bind(what, &host, port)
        .await
        .map_err(|e| MasterError::Serve {
            what: e.what,
            address: e.address,
            source: e.source,
        })
}

/// The address others should use: the configured host name with the bound port (the bind host
/// is often 0.0.0.0, which nobody can connect to).
pub(crate) fn advertised(bound: SocketAddr, hostname: &str) -> String {
    format!("{hostname}:{}", bound.port())
}

/// Where `alluxio.master.journal.folder` puts the journal: a plain path or a `file://` URI is a
/// local folder; any other URI (s3://, s3a://, hdfs://, gs://, wasb:// ...) an under file system.
pub fn journal_folder(conf: &Configuration) -> Result<JournalLocation, MasterError> {
    let value = conf.get(keys::MASTER_JOURNAL_FOLDER)?;
    if value.trim().is_empty() {
        return Err(journal_folder_error(&value, "it is empty"));
    }
    match UfsUri::parse(&value) {
        // file:///j is /j; file://localhost/j names the same local folder.
        Ok(uri) if uri.scheme == "file" => match uri.authority.as_str() {
            "" | "localhost" => Ok(JournalLocation::Local(PathBuf::from(uri.path))),
            _ => Err(journal_folder_error(
                &value,
                "a file:// URI must name a local absolute path, as file:///path",
            )),
        },
        Ok(_) => Ok(JournalLocation::Ufs(value)),
        // Neither an absolute path nor scheme://...: a path relative to the working directory.
        Err(_) => Ok(JournalLocation::Local(PathBuf::from(value))),
    }
}

fn journal_folder_error(value: &str, why: &str) -> MasterError {
    MasterError::InvalidArgument(format!(
        "{} = '{value}' cannot be used: {why}",
        keys::MASTER_JOURNAL_FOLDER
    ))
}

/// Starts a master: with `alluxio.zookeeper.enabled`, as a candidate in the election that
/// serves once it leads (a standby until then); else alone, after recovering the namespace
/// from the journal.
pub async fn start(conf: Configuration) -> Result<RunningMaster, MasterError> {
    let folder = journal_folder(&conf)?;
    let plan = Plan::from_conf(&conf)?;
    let zookeeper = ZooKeeperSettings::from_conf(&conf).map_err(|e| MasterError::Ha(Arc::new(e)))?;
    let listeners = Listeners::bind(&conf).await?;
    let (rpc_addr, web_addr) = (listeners.rpc_addr, listeners.web_addr);
    let role = match zookeeper {
        None => {
            let (journal, tree, replayed) = recover(&folder, &conf).await?;
            tracing::info!(replayed, "journal recovered");
            Role::Alone(Serving::start(&conf, &plan, listeners, journal, tree, &folder)?)
        }
        Some(zookeeper) => Role::Elected(roles::start(conf, plan, zookeeper, listeners, folder).await?),
    };
    tracing::info!(rpc = %rpc_addr, web = %web_addr, "master started");
    Ok(RunningMaster {
        rpc_addr,
        web_addr,
        role,
    })
}

/// The RPC and web listeners, with the addresses they were given.
pub(crate) struct Listeners {
    pub(crate) rpc: TcpListener,
    pub(crate) web: TcpListener,
    pub(crate) rpc_addr: SocketAddr,
    pub(crate) web_addr: SocketAddr,
}

impl Listeners {
    /// Binds the configured RPC and web hosts and ports.
    async fn bind(conf: &Configuration) -> Result<Self, MasterError> {
        let rpc = bind(
            "master RPC",
            conf.get(keys::MASTER_BIND_HOST)?,
            conf.get_port(keys::MASTER_PORT)?,
        )
        .await?;
        let web = bind(
            "master web",
            conf.get(keys::MASTER_WEB_BIND_HOST)?,
            conf.get_port(keys::MASTER_WEB_PORT)?,
        )
        .await?;
        let rpc_addr = local_addr(&rpc, "master RPC")?;
        let web_addr = local_addr(&web, "master web")?;
        Ok(Self {
            rpc,
            web,
            rpc_addr,
            web_addr,
        })
    }

    /// Binds the addresses bound before again (their servers have stopped), for the next role.
    pub(crate) async fn rebind(rpc_addr: SocketAddr, web_addr: SocketAddr) -> Result<Self, MasterError> {
        let rebind = |what: &'static str, addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| MasterError::Serve {
                    what,
                    address: addr.to_string(),
                    source,
                })
        };
        Ok(Self {
            rpc: rebind("master RPC", rpc_addr).await?,
            web: rebind("master web", web_addr).await?,
            rpc_addr,
            web_addr,
        })
    }
}

fn local_addr(listener: &TcpListener, what: &'static str) -> Result<SocketAddr, MasterError> {
    listener.local_addr().map_err(|source| MasterError::Serve {
        what,
        address: String::new(),
        source,
    })
}

/// Opens the journal in `folder` and rebuilds the namespace from it; also returns how many
/// entries were replayed.
pub(crate) async fn recover(
    folder: &JournalLocation,
    conf: &Configuration,
) -> Result<(Journal, Tree, usize), MasterError> {
    let location = folder.clone();
    let journal_conf = conf.clone();
    let metastore = MetastoreSettings::from_conf(conf)?;
    let recovered = tokio::task::spawn_blocking(move || {
        let kept = KeptStore::open(&metastore)?;
        let (claimed, entries) = Journal::open_at(&location, &journal_conf, kept.sequence())?;
        let bounds = JournalBounds {
            checkpointed: claimed.checkpointed_through(),
            last: claimed.last_sequence(),
        };
        let (tree, replayed) = recover_tree(&metastore, kept, entries, bounds)?;
        Ok::<_, MasterError>((claimed.begin()?, tree, replayed))
    });
    recovered
        .await
        .map_err(|err| MasterError::Internal(format!("journal recovery stopped: {err}")))?
}

/// The namespace over the recovered `tree`, journaling to `journal` with a checkpoint every
/// `period` entries, with an empty block master.
fn file_system(
    journal: Journal,
    tree: Tree,
    period: u64,
    conf: &Configuration,
    settings: FsSettings,
) -> Arc<FileSystemMaster> {
    let tree = Arc::new(RwLock::new(tree));
    let writer = JournalWriter::start(Arc::new(journal), tree.clone(), period);
    let blocks = Arc::new(BlockMaster::new(now_ms().unsigned_abs() * 1000));
    let ufs = alluxio_ufs::UfsManager::new(conf);
    Arc::new(FileSystemMaster::new(tree, writer, blocks, ufs, settings))
}

/// Spawns the gRPC and web servers; both stop when `stopped` fires.
fn spawn_servers(
    listeners: Listeners,
    fs: &Arc<FileSystemMaster>,
    info: Arc<MasterInfoSource>,
    plan: &Plan,
    stopped: &Shutdown,
) -> Vec<JoinHandle<()>> {
    let routes = GrpcRoutes::default()
        .with(FileSystemMasterClientServiceServer::new(FsClientService(
            fs.clone(),
        )))
        .with(
            // A registering worker lists every block it holds: far beyond the 4MB default.
            BlockMasterWorkerServiceServer::new(BlockWorkerService(info.clone()))
                .max_decoding_message_size(MAX_WORKER_MESSAGE),
        )
        .with(BlockMasterClientServiceServer::new(BlockClientService(
            info.clone(),
        )))
        .with(MetricsMasterClientServiceServer::new(MetricsService(
            info.clone(),
        )));
    let service = info
        .metrics
        .rpc_layer()
        .layer(AuthLayer::new(plan.authentication, plan.impersonation.clone()).layer(routes));
    let rpc = plan.rpc_limits.serve(listeners.rpc, service, stopped.clone());
    let mut web_stop = stopped.clone();
    let web = alluxio_web::serve(listeners.web, web::router(info), plan.web_limits, async move {
        web_stop.wait().await
    });
    vec![tokio::spawn(rpc), spawn_server("master web server", web)]
}

/// Runs a server to its end, logging how it failed.
pub(crate) fn spawn_server<S, E>(what: &'static str, server: S) -> JoinHandle<()>
where
    S: IntoFuture<Output = Result<(), E>> + Send + 'static,
    S::IntoFuture: Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        if let Err(err) = server.await {
            tracing::error!(error = %err, "{what} failed");
        }
    })
}

/// The master's periodic tasks: lost worker detection and TTL expiry.
pub(crate) struct Periodic {
    /// Workers silent for longer are lost.
    worker_timeout: Duration,
    /// How often lost workers are looked for.
    lost_check: Duration,
    /// How often expired TTLs are acted on.
    ttl_check: Duration,
}

impl Periodic {
    fn from_conf(conf: &Configuration) -> Result<Self, MasterError> {
        Ok(Self {
            worker_timeout: conf.get_duration(keys::MASTER_WORKER_TIMEOUT)?,
            lost_check: conf.get_duration(keys::MASTER_WORKER_HEARTBEAT_INTERVAL)?,
            ttl_check: conf.get_duration(keys::MASTER_TTL_CHECKER_INTERVAL)?,
        })
    }

    /// Spawns both tasks; they stop when `stopped` fires.
    fn spawn(&self, fs: &Arc<FileSystemMaster>, stopped: Shutdown) -> [JoinHandle<()>; 2] {
        let worker_timeout = self.worker_timeout;
        let lost_fs = fs.clone();
        let lost = every(self.lost_check, stopped.clone(), move || {
            let lost = lost_fs.blocks.detect_lost(worker_timeout);
            lost_fs.workers_lost(&lost);
            std::future::ready(())
        });
        let ttl_fs = fs.clone();
        let ttl = every(self.ttl_check, stopped, move || {
            let fs = ttl_fs.clone();
            async move {
                fs.expire_ttl(now_ms()).await;
            }
        });
        [lost, ttl]
    }
}

/// Deletes the journal and the metastore kept with it (for `alluxio format`).
pub fn format(conf: &Configuration) -> Result<(), MasterError> {
    let folder = journal_folder(conf)?;
    Journal::format_at(&folder, conf)?;
    MetastoreSettings::from_conf(conf)?.discard_kept()?;
    tracing::info!(journal = %folder, "master journal formatted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_of(value: &str) -> Result<JournalLocation, MasterError> {
        let mut conf = Configuration::defaults();
        conf.set(keys::MASTER_JOURNAL_FOLDER, value);
        journal_folder(&conf)
    }

    #[test]
    fn journal_folder_is_local_for_paths_and_file_uris_else_a_ufs() {
        let local = |path: &str| JournalLocation::Local(PathBuf::from(path));
        assert_eq!(folder_of("/j/x").unwrap(), local("/j/x"));
        assert_eq!(folder_of("rel/j").unwrap(), local("rel/j"));
        assert_eq!(folder_of("file:///j").unwrap(), local("/j"));
        assert_eq!(folder_of("file://localhost/j").unwrap(), local("/j"));
        assert!(folder_of("file://host/j").is_err());
        for uri in ["hdfs://nn:9000/journal", "s3://bucket/journal", "s3a://b/j"] {
            assert_eq!(folder_of(uri).unwrap(), JournalLocation::Ufs(uri.into()));
        }
        let err = folder_of(" ").unwrap_err().to_string();
        assert!(err.contains("it is empty"), "{err}");
    }

    #[test]
    fn advertised_address_uses_the_host_name() {
        let bound: SocketAddr = "0.0.0.0:19998".parse().unwrap();
        assert_eq!(advertised(bound, "master.example"), "master.example:19998");
        let bound: SocketAddr = "127.0.0.1:5".parse().unwrap();
        assert_eq!(advertised(bound, "localhost"), "localhost:5");
    }
}
