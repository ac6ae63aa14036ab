//! The scheduling policy: a pure state machine from Mesos events to decisions.
//!
//! It does no I/O and reads no clock. The driver feeds it [`Input`]s, carries out the returned
//! [`Action`]s in order, and persists [`Scheduler::state`] after each step so that a restarted
//! framework knows the tasks it launched. Every decision comes with one [`Action::Log`] line.
//!
//! Rules: the master first; workers only once the master task is RUNNING and its health check
//! passed; one worker per host, up to an optional maximum; one task per offer; everything else
//! declined with the refuse filter. Ended tasks are relaunched. A relaunched master recovers its
//! namespace only if `alluxio.master.journal.folder` is on a shared UFS path or it lands on the
//! same host as before, which is why that host is preferred when it offers in the same round.

mod backoff;
mod config;
mod offers;
mod state;
mod status;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::wire::{Resource, ranges_of, scalar_total};

pub use backoff::{Backoff, STABLE_SECONDS};
pub use config::{ConfigError, SchedulerConfig, TaskShape};
pub use state::{SchedulerState, TaskRecord, TaskState};

/// The two kinds of Alluxio task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskKind {
    /// The Alluxio master.
    Master,
    /// An Alluxio worker.
    Worker,
}

impl TaskKind {
    /// Lower-case name for log lines.
    pub fn label(self) -> &'static str {
        match self {
            TaskKind::Master => "master",
            TaskKind::Worker => "worker",
        }
    }
}

/// A resource offer: its agent and the offered resources, as Mesos sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Offer id.
    pub id: String,
    /// Agent offering.
    pub agent_id: String,
    /// The agent's host name.
    pub hostname: String,
    /// The offered resources; a task's resources are carved out of them.
    pub resources: Vec<Resource>,
}

impl Offer {
    /// Offered `cpus`, over every role and reservation (as in Alluxio 1.x).
    pub fn cpus(&self) -> f64 {
        scalar_total(&self.resources, "cpus")
    }

    /// Offered `mem`, in MB.
    pub fn mem_mb(&self) -> f64 {
        scalar_total(&self.resources, "mem")
    }

    /// Offered `ports`, inclusive ranges.
    pub fn port_ranges(&self) -> Vec<(u64, u64)> {
        ranges_of(&self.resources, "ports")
    }
}

/// A task status update, reduced to what the policy needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// Task id.
    pub task_id: String,
    /// Agent of the task (empty if Mesos gave none).
    pub agent_id: String,
    /// New state.
    pub state: TaskState,
    /// Health-check result, when the update carries one.
    pub healthy: Option<bool>,
    /// Set when the update must be acknowledged (reconciliation answers carry none).
    pub uuid: Option<String>,
    /// Human-readable detail from Mesos.
    pub message: Option<String>,
    /// Mesos' reason code, e.g. `REASON_COMMAND_EXECUTOR_FAILED`.
    pub reason: Option<String>,
}

/// An event from Mesos, as the driver saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// SUBSCRIBED; `reattached` when Mesos accepted the framework id from the state file.
    Subscribed {
        /// The framework id Mesos confirmed or assigned.
        framework_id: String,
        /// Whether this continues the framework of the persisted state.
        reattached: bool,
    },
    /// OFFERS.
    Offers(Vec<Offer>),
    /// RESCIND.
    Rescinded {
        /// The withdrawn offer.
        offer_id: String,
    },
    /// UPDATE.
    StatusUpdate(StatusUpdate),
    /// FAILURE of an agent (no executor id): every task on it is gone.
    AgentLost {
        /// The agent.
        agent_id: String,
    },
    /// The event stream broke; the driver re-subscribes.
    Disconnected,
}

/// A task to launch, as the driver turns it into a TaskInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPlan {
    /// Task id (`"0"`, `"1"`, ...).
    pub task_id: String,
    /// Master or worker.
    pub kind: TaskKind,
    /// Task name.
    pub name: String,
    /// Host name of the agent it runs on.
    pub hostname: String,
    /// CPUs to reserve.
    pub cpus: f64,
    /// Memory to reserve, in MB.
    pub mem_mb: u64,
    /// Ports to reserve, each as a single-port range: master `[web, rpc]`, worker `[rpc, data, web]`.
    pub ports: Vec<u16>,
    /// The cpus, mem and ports above, carved out of the offer's resources: each keeps the role,
    /// reservation and allocation of the offered resource it comes from, as Mesos requires.
    pub resources: Vec<Resource>,
    /// For a worker, the host of the master it joins.
    pub master_hostname: Option<String>,
}

/// A decision for the driver to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// ACCEPT the offer with one LAUNCH of `task`.
    Launch {
        /// The offer used.
        offer_id: String,
        /// Its agent.
        agent_id: String,
        /// What to run.
        task: TaskPlan,
    },
    /// DECLINE these offers with a refuse filter.
    Decline {
        /// Declined offers.
        offer_ids: Vec<String>,
        /// `filters.refuse_seconds`.
        refuse_seconds: f64,
    },
    /// ACKNOWLEDGE a status update.
    Acknowledge {
        /// Agent of the task.
        agent_id: String,
        /// The task.
        task_id: String,
        /// The update's uuid, as received.
        uuid: String,
    },
    /// RECONCILE these `(task id, agent id)` pairs; an empty list asks for every task.
    Reconcile {
        /// Tasks to reconcile.
        tasks: Vec<(String, String)>,
    },
    /// SUPPRESS offers.
    Suppress,
    /// REVIVE offers (also clears decline filters).
    Revive,
    /// KILL a task.
    Kill {
        /// The task.
        task_id: String,
        /// Its agent.
        agent_id: String,
    },
    /// A line for the framework log explaining the decision next to it.
    Log(String),
    /// A line for the framework log that needs an operator: something keeps failing.
    Warn(String),
}

/// The policy: configuration plus persisted state.
#[derive(Debug, Clone)]
pub struct Scheduler {
    config: SchedulerConfig,
    state: SchedulerState,
    /// The time of the event being handled, seconds since the epoch, as the driver last said.
    now: f64,
}

impl Scheduler {
    /// A scheduler with no framework id and no tasks.
    pub fn new(config: SchedulerConfig) -> Self {
        Scheduler {
            config,
            state: SchedulerState::default(),
            now: 0.0,
        }
    }

    /// Tells the time (seconds since the epoch) of the events that follow: the policy reads no
    /// clock, and relaunch backoff needs one.
    pub fn set_now(&mut self, now: f64) {
        self.now = now;
    }

    /// The configuration it decides with.
    pub fn config(&self) -> &SchedulerConfig {
        &self.config
    }

    /// The state to persist after each step.
    pub fn state(&self) -> &SchedulerState {
        &self.state
    }

    /// Continues from a persisted state; the task id counter never goes back below a known id.
    pub fn restore(&mut self, mut state: SchedulerState) {
        if let Some(highest) = state.tasks.keys().next_back() {
            state.next_task_id = state.next_task_id.max(highest + 1);
        }
        self.state = state;
    }

    /// Host of the active master task, for the workers' environment.
    pub fn master_hostname(&self) -> Option<&str> {
        self.state.master().map(|(_, task)| task.hostname.as_str())
    }

    /// Host of the master task once it is RUNNING, where its web UI answers: for `webui_url`.
    pub fn running_master_hostname(&self) -> Option<&str> {
        self.state
            .master()
            .filter(|(_, task)| task.state == TaskState::Running)
            .map(|(_, task)| task.hostname.as_str())
    }

    /// Decides what to do about one event.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Subscribed {
                framework_id,
                reattached,
            } => self.subscribed(framework_id, reattached, &mut out),
            Input::Offers(offers) => self.offers(&offers, &mut out),
            Input::Rescinded { offer_id } => out.push(Action::Log(format!(
                "offer {offer_id} rescinded: nothing to undo, every offer is answered when it arrives"
            ))),
            Input::StatusUpdate(update) => self.status_update(update, &mut out),
            Input::AgentLost { agent_id } => self.agent_lost(&agent_id, &mut out),
            Input::Disconnected => out.push(Action::Log(
                "disconnected from Mesos: outstanding offers are void; tasks keep running and are \
                 reconciled after re-subscribing"
                    .to_string(),
            )),
        }
        out
    }

    /// REVIVEs if offers are suppressed; `force` also when they are not, to clear decline filters.
    fn revive(&mut self, why: &str, force: bool, out: &mut Vec<Action>) {
        if self.state.suppressed || force {
            self.state.suppressed = false;
            out.push(Action::Log(format!("reviving offers: {why}")));
            out.push(Action::Revive);
        }
    }
}
