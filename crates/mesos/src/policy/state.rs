//! The policy's persisted state: framework id, task id counter and the tasks believed active.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TaskKind;
use super::backoff::Backoff;

/// A Mesos task state (`TaskState` in `mesos/v1/mesos.proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    /// `TASK_STAGING`: accepted, not yet on the agent.
    Staging,
    /// `TASK_STARTING`: the executor is starting it.
    Starting,
    /// `TASK_RUNNING`.
    Running,
    /// `TASK_KILLING`: a kill is under way.
    Killing,
    /// `TASK_FINISHED`: exited with status 0.
    Finished,
    /// `TASK_FAILED`: exited with an error.
    Failed,
    /// `TASK_KILLED`.
    Killed,
    /// `TASK_ERROR`: the task description was invalid.
    Error,
    /// `TASK_LOST` (older masters, and for frameworks without the PARTITION_AWARE capability).
    Lost,
    /// `TASK_DROPPED`: never started.
    Dropped,
    /// `TASK_UNREACHABLE`: its agent is partitioned away.
    Unreachable,
    /// `TASK_GONE`: its agent was removed.
    Gone,
    /// `TASK_GONE_BY_OPERATOR`.
    GoneByOperator,
    /// `TASK_UNKNOWN`: the master does not know it (reconciliation).
    Unknown,
}

/// Each state with its name in the v1 API, so both directions come from one table.
const MESOS_NAMES: &[(TaskState, &str)] = &[
    (TaskState::Staging, "TASK_STAGING"),
    (TaskState::Starting, "TASK_STARTING"),
    (TaskState::Running, "TASK_RUNNING"),
    (TaskState::Killing, "TASK_KILLING"),
    (TaskState::Finished, "TASK_FINISHED"),
    (TaskState::Failed, "TASK_FAILED"),
    (TaskState::Killed, "TASK_KILLED"),
    (TaskState::Error, "TASK_ERROR"),
    (TaskState::Lost, "TASK_LOST"),
    (TaskState::Dropped, "TASK_DROPPED"),
    (TaskState::Unreachable, "TASK_UNREACHABLE"),
    (TaskState::Gone, "TASK_GONE"),
    (TaskState::GoneByOperator, "TASK_GONE_BY_OPERATOR"),
    (TaskState::Unknown, "TASK_UNKNOWN"),
];

impl TaskState {
    /// Parses a v1 name such as `TASK_RUNNING`; `None` for a name this build does not know.
    pub fn from_mesos_name(name: &str) -> Option<TaskState> {
        MESOS_NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(state, _)| *state)
    }

    /// The v1 name, e.g. `TASK_RUNNING`.
    pub fn mesos_name(self) -> &'static str {
        MESOS_NAMES
            .iter()
            .find(|(state, _)| *state == self)
            .map_or("TASK_UNKNOWN", |(_, name)| name)
    }

    /// Whether the task is gone for the policy's purposes. Unreachable and unknown tasks count
    /// as gone: they are replaced, and killed should they come back.
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            TaskState::Staging | TaskState::Starting | TaskState::Running | TaskState::Killing
        )
    }
}

/// A task the framework launched and believes active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Master or worker.
    pub kind: TaskKind,
    /// Agent it was launched on.
    pub agent_id: String,
    /// That agent's host name.
    pub hostname: String,
    /// Last state reported (`Staging` until the first update).
    pub state: TaskState,
    /// Last health-check result reported, if any.
    pub healthy: Option<bool>,
    /// When it last turned healthy (seconds since the epoch), while it stays healthy.
    #[serde(default)]
    pub healthy_since: Option<f64>,
    /// For a worker, the master host it was told to join; `None` when it finds the leader
    /// through ZooKeeper.
    pub master_hostname: Option<String>,
}

/// What the driver persists after each step so that a restarted framework re-attaches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchedulerState {
    /// Framework id Mesos assigned at the first subscription.
    pub framework_id: Option<String>,
    /// Id of the next task; ids are never reused, even across restarts.
    pub next_task_id: u64,
    /// Active tasks by numeric task id.
    pub tasks: BTreeMap<u64, TaskRecord>,
    /// Whether offers are suppressed.
    pub suppressed: bool,
    /// Hosts that offered enough for a worker, with their agent ids: the cluster is complete
    /// (without a worker maximum) once each of them runs a worker.
    pub worker_hosts: BTreeMap<String, String>,
    /// Host of the last master that ended, preferred for its replacement (its journal may be local).
    pub last_master_host: Option<String>,
    /// Failure streaks of tasks that end before running healthy, by [`super::backoff::key`].
    pub backoffs: BTreeMap<String, Backoff>,
}

impl SchedulerState {
    /// The first active master task, if any.
    pub fn master(&self) -> Option<(u64, &TaskRecord)> {
        self.masters().next()
    }

    /// The active master tasks, by task id.
    pub fn masters(&self) -> impl Iterator<Item = (u64, &TaskRecord)> {
        self.tasks
            .iter()
            .filter(|(_, task)| task.kind == TaskKind::Master)
            .map(|(id, task)| (*id, task))
    }

    /// A master task that is running and whose last health check passed, if any.
    pub fn healthy_master(&self) -> Option<&TaskRecord> {
        self.healthy_masters().next()
    }

    /// The master tasks that are running and whose last health check passed.
    pub fn healthy_masters(&self) -> impl Iterator<Item = &TaskRecord> {
        self.masters()
            .map(|(_, task)| task)
            .filter(|task| task.state == TaskState::Running && task.healthy == Some(true))
    }

    /// Whether an active master runs on `hostname`.
    pub fn has_master_on(&self, hostname: &str) -> bool {
        self.masters().any(|(_, task)| task.hostname == hostname)
    }

    /// Number of active master tasks.
    pub fn active_masters(&self) -> u64 {
        self.count(TaskKind::Master)
    }

    /// Number of active worker tasks.
    pub fn active_workers(&self) -> u64 {
        self.count(TaskKind::Worker)
    }

    /// Whether an active worker runs on `hostname`.
    pub fn has_worker_on(&self, hostname: &str) -> bool {
        self.tasks
            .values()
            .any(|task| task.kind == TaskKind::Worker && task.hostname == hostname)
    }

    fn count(&self, kind: TaskKind) -> u64 {
        self.tasks.values().filter(|task| task.kind == kind).count() as u64
    }
}
