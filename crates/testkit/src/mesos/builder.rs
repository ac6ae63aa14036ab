//! [`MesosSimulatorBuilder`]: agents, timings, TLS and the follower; `start` binds the
//! listeners and spawns the servers and the allocator.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;

use super::resources::{ResourceError, Resources};
use super::state::{Agent, State, Timing};
use super::{DEFAULT_AGENT_RESOURCES, Inner, MesosSimulator, SimulatorError, http, tls};

/// Builds a [`MesosSimulator`].
#[derive(Debug, Clone)]
pub struct MesosSimulatorBuilder {
    agents: Vec<(String, String)>,
    /// (host, resources, role, principal) to reserve dynamically once the agents exist.
    dynamic_reservations: Vec<(String, String, String, Option<String>)>,
    port: u16,
    work_dir: Option<PathBuf>,
    timing: Timing,
    follower_redirect: bool,
    credential: Option<(String, String)>,
    tls: Option<(PathBuf, PathBuf)>,
}

impl MesosSimulatorBuilder {
    /// The defaults of a Mesos master: 15s heartbeats, 1s allocation interval.
    pub(super) fn new() -> Self {
        Self {
            agents: Vec::new(),
            dynamic_reservations: Vec::new(),
            port: 0,
            work_dir: None,
            timing: Timing {
                heartbeat: Duration::from_secs(15),
                allocation_interval: Duration::from_secs(1),
                update_retry: Duration::from_secs(10),
                kill_grace: Duration::from_secs(3),
            },
            follower_redirect: false,
            credential: None,
            tls: None,
        }
    }

    /// Serves https (leader and follower) with the certificate chain of the PEM file `cert`
    /// and the private key of the PEM file `key`, as a master with `LIBPROCESS_SSL_ENABLED=1`.
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// Requires HTTP basic authentication with this principal and secret on the scheduler
    /// endpoint (as `--authenticate_http_frameworks` with a credentials file).
    pub fn credential(mut self, principal: &str, secret: &str) -> Self {
        self.credential = Some((principal.to_owned(), secret.to_owned()));
        self
    }

    /// Adds an agent with this loopback address as hostname and resources in the agent flag
    /// syntax (`cpus:4;mem:8192;ports:[31000-32000]`).
    pub fn agent(mut self, host: &str, resources: &str) -> Self {
        self.agents.push((host.to_owned(), resources.to_owned()));
        self
    }

    /// Reserves `resources` (agent flag syntax, taken from the unreserved ones) of the agent
    /// `host` dynamically for `role`, as an operator's `/reserve` by `principal` does.
    pub fn dynamic_reservation(
        mut self,
        host: &str,
        resources: &str,
        role: &str,
        principal: Option<&str>,
    ) -> Self {
        self.dynamic_reservations.push((
            host.to_owned(),
            resources.to_owned(),
            role.to_owned(),
            principal.map(str::to_owned),
        ));
        self
    }

    /// Adds `n` agents on 127.0.0.2, 127.0.0.3, ... with [`DEFAULT_AGENT_RESOURCES`].
    pub fn default_agents(mut self, n: usize) -> Self {
        for _ in 0..n {
            let host = format!("127.0.0.{}", self.agents.len() + 2);
            self.agents.push((host, DEFAULT_AGENT_RESOURCES.to_owned()));
        }
        self
    }

    /// The leader's port (default 0: chosen by the OS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Where sandboxes go (default: a temp dir removed with the simulator).
    pub fn work_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.work_dir = Some(dir.into());
        self
    }

    /// The heartbeat interval announced in SUBSCRIBED (default 15s, as Mesos).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.timing.heartbeat = interval;
        self
    }

    /// How often offers are made (default 1s, the Mesos `--allocation_interval`).
    pub fn allocation_interval(mut self, interval: Duration) -> Self {
        self.timing.allocation_interval = interval;
        self
    }

    /// How long an unacknowledged status update waits before it is re-sent (default 10s).
    pub fn update_retry_interval(mut self, interval: Duration) -> Self {
        self.timing.update_retry = interval;
        self
    }

    /// SIGTERM → SIGKILL grace of a KILL when the task has no kill policy (default 3s).
    pub fn kill_grace_period(mut self, grace: Duration) -> Self {
        self.timing.kill_grace = grace;
        self
    }

    /// Also starts a non-leading master that answers everything with 307 to the leader.
    pub fn follower_redirect(mut self, on: bool) -> Self {
        self.follower_redirect = on;
        self
    }

    /// Binds the listeners and starts the allocator.
    pub async fn start(self) -> Result<MesosSimulator, SimulatorError> {
        let io = |what: String| move |source| SimulatorError::Io { what, source };
        let (work_dir, temp) = match self.work_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::tempdir().map_err(io("cannot create a temp work dir".into()))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let tls = match &self.tls {
            Some((cert, key)) => Some(tls::acceptor(cert, key)?),
            None => None,
        };
        std::fs::create_dir_all(&work_dir)
            .map_err(io(format!("cannot create work dir {}", work_dir.display())))?;
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(io(format!("cannot bind 127.0.0.1:{}", self.port)))?;
        let addr = listener
            .local_addr()
            .map_err(io("cannot read the bound address".into()))?;
        let master_id = uuid::Uuid::new_v4().to_string();
        let mut agents = BTreeMap::new();
        for (i, (host, spec)) in self.agents.iter().enumerate() {
            let total = Resources::parse(spec).map_err(|source| SimulatorError::Resources {
                host: host.clone(),
                source,
            })?;
            let mut total = total;
            for (_, spec, role, principal) in self.dynamic_reservations.iter().filter(|r| r.0 == *host) {
                let amount = Resources::parse(spec).map_err(|source| SimulatorError::Resources {
                    host: host.clone(),
                    source,
                })?;
                if !total.reserve_dynamically(&amount, role, principal.as_deref()) {
                    return Err(SimulatorError::Resources {
                        host: host.clone(),
                        source: ResourceError::Spec {
                            spec: spec.clone(),
                            why: format!(
                                "cannot reserve it for {role}: the agent's unreserved resources do not hold it"
                            ),
                        },
                    });
                }
            }
            let id = format!("{master_id}-S{i}");
            agents.insert(
                id.clone(),
                Agent {
                    id,
                    hostname: host.clone(),
                    total,
                    used: Resources::default(),
                    offered: Resources::default(),
                },
            );
        }
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                master_addr: addr,
                master_id,
                work_dir: work_dir.clone(),
                timing: self.timing.clone(),
                agents,
                frameworks: BTreeMap::new(),
                removed_frameworks: HashSet::new(),
                offers: BTreeMap::new(),
                tasks: BTreeMap::new(),
                counter: 0,
                closed: false,
                credential: self.credential.clone(),
            }),
        });
        let mut servers = vec![tokio::spawn(serve(
            listener,
            tls.clone(),
            http::router(inner.clone()),
        ))];
        let mut follower = None;
        if self.follower_redirect {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(io("cannot bind the follower".into()))?;
            follower = Some(
                listener
                    .local_addr()
                    .map_err(io("cannot read the follower address".into()))?,
            );
            servers.push(tokio::spawn(serve(
                listener,
                tls.clone(),
                http::follower_router(addr.port()),
            )));
        }
        servers.push(tokio::spawn(allocator(
            inner.clone(),
            self.timing.allocation_interval,
        )));
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, scheme, agents = self.agents.len(), work_dir = %work_dir.display(), "Mesos simulator started");
        Ok(MesosSimulator {
            inner,
            addr,
            scheme,
            follower,
            work_dir,
            servers,
            _temp: temp,
        })
    }
}

async fn serve(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, router: axum::Router) {
    let served = match tls {
        Some(tls) => match tls::TlsListener::new(listener, tls) {
            Ok(listener) => axum::serve(listener, router).await,
            Err(err) => Err(err),
        },
        None => axum::serve(listener, router).await,
    };
    if let Err(err) = served {
        tracing::error!(%err, "simulator listener stopped");
    }
}

async fn allocator(inner: Arc<Inner>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let mut state = inner.state.lock();
        state.retry_updates();
        state.allocate();
    }
}
