//! Mesos v1 scheduler API messages as JSON (proto field names, enum names as strings, bytes as
//! base64), RecordIO framing of the event stream.
//!
//! Only the fields this framework reads or writes are modelled; serde ignores the rest, so newer
//! masters that add fields still parse.

mod call;
mod event;
pub mod recordio;
mod resource;
mod task;

#[cfg(test)]
mod tests;

pub use call::{
    Accept, Acknowledge, Call, CallType, Capability, Decline, Filters, FrameworkInfo, Kill, Launch,
    Operation, Reconcile, ReconcileTask, Roles, Subscribe, UpdateFramework,
};
pub use event::{ErrorEvent, Event, EventType, Failure, MasterInfo, Offers, Rescind, Subscribed, Update};
pub use resource::{
    AllocationInfo, Offer, Range, Ranges, Resource, Scalar, ValueType, ranges_of, scalar_total, take_ranges,
    take_scalar,
};
pub use task::{CommandInfo, Environment, HealthCheck, HealthCheckType, TaskInfo, TaskStatus, Uri, Variable};

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `FrameworkID`, `OfferID`, `AgentID`, `TaskID` or `ExecutorID`: `{"value": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Id {
    /// The identifier text.
    pub value: String,
}

impl Id {
    /// An id holding `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self { value: value.into() }
    }
}

/// A proto `bytes` field: base64 text on the wire, raw bytes here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes64(pub Vec<u8>);

impl Bytes64 {
    /// The standard base64 text of these bytes, as it appears in JSON.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }

    /// Decodes base64 text (standard alphabet, padding required).
    pub fn from_base64(text: &str) -> Result<Self, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(text).map(Self)
    }
}

impl Serialize for Bytes64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Bytes64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_base64(&text)
            .map_err(|e| serde::de::Error::custom(format!("bytes field is not base64 ({e}): {text:?}")))
    }
}
