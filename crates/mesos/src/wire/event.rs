//! `Event` (scheduler.proto): what the master streams to the scheduler.

use serde::{Deserialize, Serialize};

use super::{Id, Offer, TaskStatus};

/// `Event.Type`. Types newer than this framework parse as `Unknown` and are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    /// First event of a stream.
    Subscribed,
    /// New offers.
    Offers,
    /// An offer is no longer valid.
    Rescind,
    /// A task status update.
    Update,
    /// A message from an executor.
    Message,
    /// An agent or executor failed.
    Failure,
    /// The master rejected the framework; resubscribe.
    Error,
    /// Keep-alive.
    Heartbeat,
    /// Anything else (inverse offers, operation updates, newer types).
    #[serde(other)]
    Unknown,
}

/// `MasterInfo`, reduced to what is logged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MasterInfo {
    /// Master id.
    #[serde(default)]
    pub id: String,
    /// Master host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Master port.
    #[serde(default)]
    pub port: u32,
    /// Mesos version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `Event.Subscribed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    /// The framework's id (new or the one re-attached to).
    pub framework_id: Id,
    /// Seconds between HEARTBEAT events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_seconds: Option<f64>,
    /// The leading master.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_info: Option<MasterInfo>,
}

/// `Event.Offers`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Offers {
    /// The offers.
    #[serde(default)]
    pub offers: Vec<Offer>,
}

/// `Event.Rescind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rescind {
    /// The offer withdrawn.
    pub offer_id: Id,
}

/// `Event.Update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// The new status.
    pub status: TaskStatus,
}

/// `Event.Failure`: an agent (no executor id) or an executor failed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Failure {
    /// The agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Id>,
    /// The executor, when an executor terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<Id>,
    /// The executor's exit status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
}

/// `Event.Error`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// Why the master rejected the framework.
    #[serde(default)]
    pub message: String,
}

/// `Event`: `kind` says which payload is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Which event.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// SUBSCRIBED payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscribed>,
    /// OFFERS payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<Offers>,
    /// RESCIND payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescind: Option<Rescind>,
    /// UPDATE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    /// FAILURE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// ERROR payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorEvent>,
}
