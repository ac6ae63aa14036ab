//! A Mesos master simulator on loopback speaking the v1 scheduler HTTP API
//! (`POST /api/v1/scheduler`, JSON, RecordIO event stream), with simulated agents that really
//! run command tasks as local processes in their own sandboxes.
//!
//! It is written from the apache/mesos docs and protos (`docs/scheduler-http-api.md`,
//! `src/master/http.cpp`, `include/mesos/v1/scheduler/scheduler.proto`), independently of our
//! framework, so that it checks the framework rather than agreeing with it. Each agent's
//! hostname is its own loopback address (`127.0.0.2`, `127.0.0.3`, ...), which tasks receive
//! as `LIBPROCESS_IP`, so default ports on different agents do not collide.
//!
//! Run it by hand (Linux routes all of 127.0.0.0/8 to loopback):
//!
//! ```text
//! cargo run -p alluxio-testkit --bin mesos-simulator -- --port 5050 --agents 3 --work-dir /tmp/mesos
//! ```
//!
//! Deviations from a real master, by design: JSON only (protobuf bodies get 415, protobuf-only
//! `Accept` gets 406); command tasks only (custom executors and LAUNCH_GROUP get TASK_ERROR);
//! one role per framework; only HTTP basic authentication; no reservations or volumes.

mod agent;
mod calls;
mod fetch;
mod health;
mod http;
mod removal;
mod resources;
mod state;
mod subscribe;
mod validate;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use resources::{ResourceError, Resources};
use state::{Agent, State, Timing};

/// Resources of an agent when none are given: room for an Alluxio master and worker on the
/// default ports, plus the usual Mesos port pool.
pub const DEFAULT_AGENT_RESOURCES: &str =
    "cpus:4;mem:8192;disk:10240;ports:[19998-19999,29998-30000,31000-32000]";

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// An agent's resource spec is malformed.
    #[error("agent {host}: {source}")]
    Resources {
        /// The agent's hostname.
        host: String,
        /// The cause.
        #[source]
        source: ResourceError,
    },
    /// Binding a listener or making the work dir failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Shared between the HTTP handlers, the task runners and the allocator.
#[derive(Debug)]
pub(crate) struct Inner {
    pub state: Mutex<State>,
}

/// Builds a [`MesosSimulator`].
#[derive(Debug, Clone)]
pub struct MesosSimulatorBuilder {
    agents: Vec<(String, String)>,
    port: u16,
    work_dir: Option<PathBuf>,
    timing: Timing,
    follower_redirect: bool,
    credential: Option<(String, String)>,
}

impl MesosSimulatorBuilder {
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
        let mut servers = vec![tokio::spawn(serve(listener, http::router(inner.clone())))];
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
            servers.push(tokio::spawn(serve(listener, http::follower_router(addr.port()))));
        }
        servers.push(tokio::spawn(allocator(
            inner.clone(),
            self.timing.allocation_interval,
        )));
        tracing::info!(%addr, agents = self.agents.len(), work_dir = %work_dir.display(), "Mesos simulator started");
        Ok(MesosSimulator {
            inner,
            addr,
            follower,
            work_dir,
            servers,
            _temp: temp,
        })
    }
}

async fn serve(listener: TcpListener, router: axum::Router) {
    if let Err(err) = axum::serve(listener, router).await {
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

/// A simulated agent, as [`MesosSimulator::agents`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSnapshot {
    /// The agent id offers carry.
    pub id: String,
    /// Its hostname, a loopback address.
    pub hostname: String,
    /// Resources neither used by tasks nor offered.
    pub available: Resources,
    /// Resources held by live tasks.
    pub used: Resources,
}

/// A task, as [`MesosSimulator::tasks`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSnapshot {
    /// Owning framework.
    pub framework_id: String,
    /// The task id.
    pub task_id: String,
    /// TaskInfo.name.
    pub name: String,
    /// Hostname of its agent.
    pub hostname: String,
    /// Latest state (`TASK_RUNNING`, ...).
    pub state: String,
    /// Latest health check result, if the task has a check that ran.
    pub healthy: Option<bool>,
    /// Its sandbox directory.
    pub sandbox: PathBuf,
    /// Pid (and process group) of its command while it runs.
    pub pid: Option<i32>,
    /// Status updates sent but not yet acknowledged.
    pub unacknowledged: usize,
}

/// A framework, as [`MesosSimulator::frameworks`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSnapshot {
    /// Framework id.
    pub id: String,
    /// True while its event stream is open.
    pub connected: bool,
    /// True after SUPPRESS until REVIVE.
    pub suppressed: bool,
}

/// A running simulated Mesos master; every task process is killed on shutdown or drop.
#[derive(Debug)]
pub struct MesosSimulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    follower: Option<SocketAddr>,
    work_dir: PathBuf,
    servers: Vec<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl MesosSimulator {
    /// Starts building a simulator.
    pub fn builder() -> MesosSimulatorBuilder {
        MesosSimulatorBuilder {
            agents: Vec::new(),
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
        }
    }

    /// The leader's address (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The redirecting follower's address, when started with `follower_redirect(true)`.
    pub fn follower_addr(&self) -> Option<SocketAddr> {
        self.follower
    }

    /// Where sandboxes live.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The agents still registered.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        let state = self.inner.state.lock();
        state
            .agents
            .values()
            .map(|a| AgentSnapshot {
                id: a.id.clone(),
                hostname: a.hostname.clone(),
                available: a.available(),
                used: a.used.clone(),
            })
            .collect()
    }

    /// Every task ever launched, with its latest state.
    pub fn tasks(&self) -> Vec<TaskSnapshot> {
        let state = self.inner.state.lock();
        state
            .tasks
            .iter()
            .map(|((fid, tid), t)| TaskSnapshot {
                framework_id: fid.clone(),
                task_id: tid.clone(),
                name: t.name.clone(),
                hostname: t.hostname.clone(),
                state: t.state.clone(),
                healthy: t.healthy,
                sandbox: t.sandbox.clone(),
                pid: t.pid,
                unacknowledged: t.pending.len(),
            })
            .collect()
    }

    /// The frameworks the master knows (connected or within their failover timeout).
    pub fn frameworks(&self) -> Vec<FrameworkSnapshot> {
        let state = self.inner.state.lock();
        state
            .frameworks
            .values()
            .map(|f| FrameworkSnapshot {
                id: f.id.clone(),
                connected: f.stream.is_some(),
                suppressed: f.suppressed,
            })
            .collect()
    }

    /// SIGKILLs the running process of task `task_id` (any framework), simulating a crash;
    /// false when no such task is running.
    pub fn kill_task_process(&self, task_id: &str) -> bool {
        let state = self.inner.state.lock();
        let pid = state
            .tasks
            .iter()
            .find(|((_, tid), t)| tid == task_id && t.pid.is_some())
            .and_then(|(_, t)| t.pid);
        match pid {
            Some(pid) => {
                agent::signal_group(pid, rustix::process::Signal::KILL);
                true
            }
            None => false,
        }
    }

    /// Removes the agent with this hostname: its tasks are killed and reported lost, its offers
    /// rescinded, and frameworks get a FAILURE event. False when there is no such agent.
    pub fn remove_agent(&self, hostname: &str) -> bool {
        let mut state = self.inner.state.lock();
        let Some(id) = state
            .agents
            .values()
            .find(|a| a.hostname == hostname)
            .map(|a| a.id.clone())
        else {
            return false;
        };
        tracing::info!(agent = hostname, "removing agent");
        removal::remove_agent(&mut state, &id);
        true
    }

    /// Kills every task process, closes every stream and stops the listeners.
    pub async fn shutdown(mut self) {
        self.stop();
        for server in self.servers.drain(..) {
            let _ = server.await;
        }
    }

    fn stop(&mut self) {
        let mut state = self.inner.state.lock();
        state.closed = true;
        agent::kill_all(&state);
        for fw in state.frameworks.values_mut() {
            fw.stream = None;
        }
        drop(state);
        for server in &self.servers {
            server.abort();
        }
    }
}

impl Drop for MesosSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}
