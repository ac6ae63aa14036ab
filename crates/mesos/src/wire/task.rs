//! `TaskInfo`, `CommandInfo`, `HealthCheck` and `TaskStatus` (mesos.proto).

use serde::{Deserialize, Serialize};

use super::{Bytes64, Id, Resource};

/// `CommandInfo.URI`: something the Mesos fetcher puts into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uri {
    /// URL or agent-local path.
    pub value: String,
    /// Mark the fetched file executable (disables extraction).
    pub executable: bool,
    /// Extract archives into the sandbox.
    pub extract: bool,
    /// Use the agent's fetcher cache.
    pub cache: bool,
    /// Name of the fetched file in the sandbox, when the URL's last segment is unsuitable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file: Option<String>,
}

/// `Environment.Variable` (plain values only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// Variable name.
    pub name: String,
    /// Variable value.
    pub value: String,
}

/// `Environment`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Environment {
    /// The variables, in order.
    #[serde(default)]
    pub variables: Vec<Variable>,
}

/// `CommandInfo`: what the default command executor runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommandInfo {
    /// Files to fetch first.
    #[serde(default)]
    pub uris: Vec<Uri>,
    /// Environment of the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// Run `value` through `/bin/sh -c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<bool>,
    /// The shell command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// User to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// `HealthCheck.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthCheckType {
    /// Run a command.
    Command,
    /// HTTP GET, healthy on 2xx/3xx.
    Http,
    /// TCP connect.
    Tcp,
    /// A type newer than this framework.
    #[serde(other)]
    Unknown,
}

/// `HealthCheck`: run by the agent; results arrive as `healthy` in status updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Seconds to wait after the task starts before checking.
    pub delay_seconds: f64,
    /// Seconds between checks.
    pub interval_seconds: f64,
    /// Seconds a check may take.
    pub timeout_seconds: f64,
    /// Failures in a row after which the task is killed.
    pub consecutive_failures: u32,
    /// Seconds after start during which failures are not counted.
    pub grace_period_seconds: f64,
    /// Kind of check.
    #[serde(rename = "type")]
    pub kind: HealthCheckType,
    /// Set for COMMAND checks: run on the agent in the task's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
}

/// `TaskInfo`: a command task (no custom executor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Human-readable name.
    pub name: String,
    /// Framework-chosen id.
    pub task_id: Id,
    /// The offer's agent.
    pub agent_id: Id,
    /// Resources taken from the offer.
    pub resources: Vec<Resource>,
    /// What to run.
    pub command: CommandInfo,
    /// The agent's health check of the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
}

/// `TaskStatus`: what an UPDATE event carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// The task.
    pub task_id: Id,
    /// Its new state, e.g. `TASK_RUNNING` (kept as text: newer masters add states).
    pub state: String,
    /// Human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Who produced the update (`SOURCE_MASTER`, `SOURCE_AGENT`, `SOURCE_EXECUTOR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Machine-readable reason, e.g. `REASON_COMMAND_EXECUTOR_FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The task's agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Id>,
    /// Seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    /// Present when the update must be acknowledged with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Bytes64>,
    /// Result of the last health check, when the task has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy: Option<bool>,
}
