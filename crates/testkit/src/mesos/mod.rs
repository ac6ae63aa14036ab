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
//! With [`MesosSimulatorBuilder::tls`] (`--tls-cert`/`--tls-key`) it serves https on the same
//! port instead, as a master with `LIBPROCESS_SSL_ENABLED=1`; [`TestCertificates`] makes a CA
//! and a certificate for it.
//!
//! As on a real cluster, agents may reserve resources for a role (`cpus(alluxio):4` statically,
//! [`MesosSimulatorBuilder::dynamic_reservation`] dynamically), which only frameworks of that
//! role are offered and whose launches must name the same reservation; health checks of type
//! HTTP and TCP go to 127.0.0.1 whatever the agent's address; and an agent drops a task whose
//! user (`CommandInfo.user`, else `FrameworkInfo.user`) is empty or unknown.
//!
//! UPDATE_FRAMEWORK replaces the FrameworkInfo (`webui_url` shows in
//! [`MesosSimulator::frameworks`]) and the suppressed roles, and is refused, as by Mesos, when
//! it changes `principal`, `user` or `checkpoint`.
//!
//! Deviations from a real master, by design: JSON only (protobuf bodies get 415, protobuf-only
//! `Accept` gets 406); command tasks only (custom executors and LAUNCH_GROUP get TASK_ERROR);
//! one role per framework, which UPDATE_FRAMEWORK cannot change (400); only HTTP basic
//! authentication; no refined reservations, RESERVE operations or volumes; tasks run as the
//! simulator's own user once their user is found.

mod agent;
mod builder;
mod calls;
mod certs;
mod fetch;
mod health;
mod http;
mod removal;
mod resources;
mod state;
mod subscribe;
mod tls;
mod update;
mod validate;
mod zookeeper;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::task::JoinHandle;

pub use builder::MesosSimulatorBuilder;
pub use certs::TestCertificates;
pub use resources::{Reservation, ResourceError, Resources};
use state::State;
pub use zookeeper::ZooKeeperRegistration;

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
    /// A TLS certificate or key is unusable.
    #[error("TLS file {path}: {reason}")]
    Tls {
        /// The certificate or key file (or the directory certificates were generated in).
        path: PathBuf,
        /// What is wrong.
        reason: String,
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
    /// True after SUPPRESS until REVIVE (or an UPDATE_FRAMEWORK not listing its role).
    pub suppressed: bool,
    /// `FrameworkInfo.webui_url` of its last SUBSCRIBE or UPDATE_FRAMEWORK.
    pub webui_url: Option<String>,
}

/// A running simulated Mesos master; every task process is killed on shutdown or drop.
#[derive(Debug)]
pub struct MesosSimulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    scheme: &'static str,
    follower: Option<SocketAddr>,
    work_dir: PathBuf,
    servers: Vec<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl MesosSimulator {
    /// Starts building a simulator.
    pub fn builder() -> MesosSimulatorBuilder {
        MesosSimulatorBuilder::new()
    }

    /// The leader's address (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The leader as a framework is pointed at it: `http://127.0.0.1:port`, or `https://...`
    /// when serving TLS.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
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
                webui_url: f.webui_url.clone(),
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
