//! `Call` (scheduler.proto) and `FrameworkInfo` (mesos.proto): what the scheduler sends.

use serde::{Deserialize, Serialize};

use super::{Bytes64, Id, TaskInfo};

/// `FrameworkInfo.Capability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    /// Capability name, e.g. `MULTI_ROLE`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `FrameworkInfo`: who the framework is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameworkInfo {
    /// Unix user tasks run as; empty lets Mesos use the scheduler's user.
    pub user: String,
    /// Framework name.
    pub name: String,
    /// Set when re-attaching to a framework Mesos already knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Seconds Mesos keeps the tasks running while the scheduler is away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_timeout: Option<f64>,
    /// Agents checkpoint the tasks so they survive agent restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    /// Deprecated single role (used when `roles` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Roles, with the MULTI_ROLE capability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Principal for authentication and authorisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Link shown in the Mesos UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webui_url: Option<String>,
    /// Declared capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<Capability>,
}

/// `Call.Type`: the calls this framework makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallType {
    /// Open the event stream.
    Subscribe,
    /// Unregister; Mesos kills every task.
    Teardown,
    /// Use offers.
    Accept,
    /// Return offers.
    Decline,
    /// Remove offer filters and resume offers.
    Revive,
    /// Kill a task.
    Kill,
    /// Acknowledge a status update.
    Acknowledge,
    /// Ask for the state of tasks.
    Reconcile,
    /// Stop receiving offers.
    Suppress,
    /// Replace the FrameworkInfo (all but user, principal and checkpoint) and the suppressed roles.
    UpdateFramework,
}

/// `Call.Subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribe {
    /// The framework.
    pub framework_info: FrameworkInfo,
}

/// `Call.UpdateFramework`: the whole new FrameworkInfo, and the roles to keep suppressed (any
/// role left out is revived, so this must list what the framework currently suppresses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateFramework {
    /// The framework, `id` included.
    pub framework_info: FrameworkInfo,
    /// Roles offers stay suppressed for after the update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_roles: Vec<String>,
}

/// `Filters`: how long declined or unused resources stay away.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// Seconds before the resources are offered again.
    pub refuse_seconds: f64,
}

/// `Offer.Operation.Launch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// Tasks to start.
    pub task_infos: Vec<TaskInfo>,
}

/// `Offer.Operation` (LAUNCH only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Always `LAUNCH` here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tasks.
    pub launch: Launch,
}

/// `Call.Accept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accept {
    /// Offers used (all from one agent).
    pub offer_ids: Vec<Id>,
    /// What to do with them.
    pub operations: Vec<Operation>,
    /// Filter for the unused rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
}

/// `Call.Decline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decline {
    /// Offers returned.
    pub offer_ids: Vec<Id>,
    /// How long to keep them away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
}

/// `Call.Kill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kill {
    /// The task.
    pub task_id: Id,
    /// Its agent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Id>,
}

/// `Call.Acknowledge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Agent of the update.
    pub agent_id: Id,
    /// Task of the update.
    pub task_id: Id,
    /// The update's uuid.
    pub uuid: Bytes64,
}

/// `Call.Reconcile.Task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileTask {
    /// The task.
    pub task_id: Id,
    /// Its agent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Id>,
}

/// `Call.Reconcile`: an empty list asks for every task (implicit reconciliation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconcile {
    /// Tasks to ask about.
    pub tasks: Vec<ReconcileTask>,
}

/// `Call.Revive` / `Call.Suppress`: empty roles mean all the framework's roles.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Roles {
    /// The roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// `Call`: one request to `/api/v1/scheduler`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Set on every call but SUBSCRIBE of a new framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<Id>,
    /// Which call.
    #[serde(rename = "type")]
    pub kind: CallType,
    /// SUBSCRIBE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<Subscribe>,
    /// ACCEPT payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Accept>,
    /// DECLINE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    /// KILL payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill: Option<Kill>,
    /// ACKNOWLEDGE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Acknowledge>,
    /// RECONCILE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconcile>,
    /// REVIVE payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revive: Option<Roles>,
    /// SUPPRESS payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress: Option<Roles>,
    /// UPDATE_FRAMEWORK payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_framework: Option<UpdateFramework>,
}

impl Call {
    /// A call of `kind` with no payload.
    fn bare(framework_id: Option<Id>, kind: CallType) -> Self {
        Self {
            framework_id,
            kind,
            subscribe: None,
            accept: None,
            decline: None,
            kill: None,
            acknowledge: None,
            reconcile: None,
            revive: None,
            suppress: None,
            update_framework: None,
        }
    }

    /// SUBSCRIBE; `framework_info.id` is repeated as `framework_id` when re-attaching.
    pub fn subscribe(framework_info: FrameworkInfo) -> Self {
        Self {
            subscribe: Some(Subscribe {
                framework_info: framework_info.clone(),
            }),
            ..Self::bare(framework_info.id, CallType::Subscribe)
        }
    }

    /// TEARDOWN.
    pub fn teardown(framework_id: Id) -> Self {
        Self::bare(Some(framework_id), CallType::Teardown)
    }

    /// ACCEPT of one offer with one LAUNCH of `tasks`.
    pub fn launch(framework_id: Id, offer_id: Id, tasks: Vec<TaskInfo>, refuse_seconds: f64) -> Self {
        let operation = Operation {
            kind: "LAUNCH".to_string(),
            launch: Launch { task_infos: tasks },
        };
        Self {
            accept: Some(Accept {
                offer_ids: vec![offer_id],
                operations: vec![operation],
                filters: Some(Filters { refuse_seconds }),
            }),
            ..Self::bare(Some(framework_id), CallType::Accept)
        }
    }

    /// DECLINE of `offer_ids`, refused for `refuse_seconds`.
    pub fn decline(framework_id: Id, offer_ids: Vec<Id>, refuse_seconds: f64) -> Self {
        Self {
            decline: Some(Decline {
                offer_ids,
                filters: Some(Filters { refuse_seconds }),
            }),
            ..Self::bare(Some(framework_id), CallType::Decline)
        }
    }

    /// KILL.
    pub fn kill(framework_id: Id, task_id: Id, agent_id: Option<Id>) -> Self {
        Self {
            kill: Some(Kill { task_id, agent_id }),
            ..Self::bare(Some(framework_id), CallType::Kill)
        }
    }

    /// ACKNOWLEDGE of an update carrying `uuid`.
    pub fn acknowledge(framework_id: Id, agent_id: Id, task_id: Id, uuid: Bytes64) -> Self {
        Self {
            acknowledge: Some(Acknowledge {
                agent_id,
                task_id,
                uuid,
            }),
            ..Self::bare(Some(framework_id), CallType::Acknowledge)
        }
    }

    /// RECONCILE; an empty list is an implicit reconciliation.
    pub fn reconcile(framework_id: Id, tasks: Vec<ReconcileTask>) -> Self {
        Self {
            reconcile: Some(Reconcile { tasks }),
            ..Self::bare(Some(framework_id), CallType::Reconcile)
        }
    }

    /// REVIVE for all the framework's roles.
    pub fn revive(framework_id: Id) -> Self {
        Self {
            revive: Some(Roles::default()),
            ..Self::bare(Some(framework_id), CallType::Revive)
        }
    }

    /// SUPPRESS for all the framework's roles.
    pub fn suppress(framework_id: Id) -> Self {
        Self {
            suppress: Some(Roles::default()),
            ..Self::bare(Some(framework_id), CallType::Suppress)
        }
    }

    /// UPDATE_FRAMEWORK of framework `framework_id`: `framework_info` gets that id (the master
    /// requires both to match) and replaces the one Mesos holds; `suppressed_roles` replaces the
    /// suppressed set.
    pub fn update_framework(
        framework_id: Id,
        framework_info: FrameworkInfo,
        suppressed_roles: Vec<String>,
    ) -> Self {
        let framework_info = FrameworkInfo {
            id: Some(framework_id.clone()),
            ..framework_info
        };
        Self {
            update_framework: Some(UpdateFramework {
                framework_info,
                suppressed_roles,
            }),
            ..Self::bare(Some(framework_id), CallType::UpdateFramework)
        }
    }
}
