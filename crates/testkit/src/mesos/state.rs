//! The simulated master's state: agents, frameworks with their event streams, outstanding
//! offers and tasks, plus the two things every call needs — sending an event and queueing a
//! task status update that is re-sent until acknowledged.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::resources::Resources;

/// A simulated agent.
#[derive(Debug)]
pub(crate) struct Agent {
    pub id: String,
    pub hostname: String,
    pub total: Resources,
    /// Resources of live tasks.
    pub used: Resources,
    /// Resources inside outstanding offers.
    pub offered: Resources,
}

impl Agent {
    /// What neither a task nor an offer holds.
    pub fn available(&self) -> Resources {
        let mut free = self.total.clone();
        free.subtract(&self.used);
        free.subtract(&self.offered);
        free
    }
}

/// The open SUBSCRIBE response of a connected framework.
#[derive(Debug)]
pub(crate) struct Stream {
    pub id: String,
    pub tx: UnboundedSender<Bytes>,
    /// Dropping the stream (failover, teardown) stops its heartbeat task, ending the response.
    pub _stop: tokio::sync::oneshot::Sender<()>,
}

/// A refuse filter: until `until`, `agent_id` is not offered to the framework again while what
/// it has free is within the refused `resources` (apache/mesos `RefusedOfferFilter`): resources
/// freed since, such as those of a task that ended, lift it at once.
#[derive(Debug)]
pub(crate) struct Filter {
    pub agent_id: String,
    pub resources: Resources,
    pub until: Instant,
}

/// A subscribed (or disconnected, within its failover timeout) framework.
#[derive(Debug)]
pub(crate) struct Framework {
    pub id: String,
    pub role: String,
    pub partition_aware: bool,
    pub killing_state: bool,
    pub multi_role: bool,
    /// RESERVATION_REFINEMENT: offers show reservations as `reservations`, not `role`.
    pub reservation_refinement: bool,
    pub failover_timeout: Duration,
    pub stream: Option<Stream>,
    /// `FrameworkInfo.user`: who its tasks run as unless `CommandInfo.user` says otherwise.
    pub user: String,
    /// `FrameworkInfo.principal`, checked against the authenticated one.
    pub principal: Option<String>,
    /// `FrameworkInfo.checkpoint`, which UPDATE_FRAMEWORK may not change.
    pub checkpoint: bool,
    /// `FrameworkInfo.webui_url`: what the Mesos UI links the framework to.
    pub webui_url: Option<String>,
    pub suppressed: bool,
    pub filters: Vec<Filter>,
    /// Bumped on every disconnect so a stale failover timer does nothing.
    pub disconnects: u64,
}

impl Framework {
    /// Framework `id` as its FrameworkInfo `info` declares it: not connected, nothing
    /// suppressed or filtered. Its one role is `roles[0]` with MULTI_ROLE, else `role`, else `*`.
    pub fn declared(id: &str, info: &Value) -> Self {
        let capabilities: Vec<&str> = info
            .get("capabilities")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|c| c.get("type").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let multi_role = capabilities.contains(&"MULTI_ROLE");
        let role = match multi_role {
            true => info.pointer("/roles/0"),
            false => info.get("role"),
        };
        let failover = info
            .get("failover_timeout")
            .and_then(Value::as_f64)
            .filter(|f| f.is_finite() && *f > 0.0)
            .map_or(0.0, |f| f.min(1e9));
        let text = |field: &str| info.get(field).and_then(Value::as_str).map(str::to_owned);
        Framework {
            id: id.to_owned(),
            role: role.and_then(Value::as_str).unwrap_or("*").to_owned(),
            partition_aware: capabilities.contains(&"PARTITION_AWARE"),
            killing_state: capabilities.contains(&"TASK_KILLING_STATE"),
            multi_role,
            reservation_refinement: capabilities.contains(&"RESERVATION_REFINEMENT"),
            failover_timeout: Duration::from_secs_f64(failover),
            stream: None,
            user: text("user").unwrap_or_default(),
            principal: text("principal"),
            checkpoint: info.get("checkpoint").and_then(Value::as_bool).unwrap_or(false),
            webui_url: text("webui_url"),
            suppressed: false,
            filters: Vec::new(),
            disconnects: 0,
        }
    }
}

/// An outstanding offer.
#[derive(Debug)]
pub(crate) struct Offer {
    pub framework_id: String,
    pub agent_id: String,
    pub resources: Resources,
}

/// (framework id, task id).
pub(crate) type TaskKey = (String, String);

/// A launched task and its status-update stream.
#[derive(Debug)]
pub(crate) struct Task {
    pub name: String,
    pub agent_id: String,
    pub hostname: String,
    pub resources: Resources,
    pub info: Value,
    pub sandbox: PathBuf,
    pub state: String,
    pub healthy: Option<bool>,
    pub pid: Option<i32>,
    pub kill_requested: bool,
    /// Updates not yet acknowledged; the head is the one on the wire.
    pub pending: VecDeque<Value>,
    pub last_sent: Option<Instant>,
}

impl Task {
    /// True once the task reached a terminal state.
    pub fn is_terminal(&self) -> bool {
        is_terminal(&self.state)
    }
}

/// True for the task states after which nothing changes.
pub(crate) fn is_terminal(state: &str) -> bool {
    matches!(
        state,
        "TASK_FINISHED"
            | "TASK_FAILED"
            | "TASK_KILLED"
            | "TASK_ERROR"
            | "TASK_LOST"
            | "TASK_DROPPED"
            | "TASK_GONE"
            | "TASK_GONE_BY_OPERATOR"
            | "TASK_UNREACHABLE"
    )
}

/// Timings of the simulator.
#[derive(Debug, Clone)]
pub(crate) struct Timing {
    pub heartbeat: Duration,
    pub allocation_interval: Duration,
    pub update_retry: Duration,
    pub kill_grace: Duration,
}

/// Everything the simulated master knows.
#[derive(Debug)]
pub(crate) struct State {
    pub master_addr: SocketAddr,
    pub master_id: String,
    pub work_dir: PathBuf,
    pub timing: Timing,
    pub agents: BTreeMap<String, Agent>,
    pub frameworks: BTreeMap<String, Framework>,
    /// Torn down or timed out: a SUBSCRIBE with one of these ids is refused.
    pub removed_frameworks: HashSet<String>,
    pub offers: BTreeMap<String, Offer>,
    pub tasks: BTreeMap<TaskKey, Task>,
    pub counter: u64,
    /// Set by shutdown: a task whose process appears afterwards is killed at once.
    pub closed: bool,
    /// (principal, secret) that HTTP basic authentication must present, when required.
    pub credential: Option<(String, String)>,
}

/// Frames one event as RecordIO: decimal length, `\n`, the JSON bytes.
pub(crate) fn record(event: &Value) -> Bytes {
    let body = event.to_string();
    Bytes::from(format!("{}\n{}", body.len(), body))
}

/// Seconds since the epoch, as Mesos stamps statuses.
pub(crate) fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl State {
    /// A fresh id with the given prefix, unique within this simulator.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{}-{prefix}{}", self.master_id, self.counter)
    }

    /// Sends `event` on the framework's stream; false when it is not connected.
    pub fn send(&self, framework_id: &str, event: &Value) -> bool {
        match self.frameworks.get(framework_id).and_then(|f| f.stream.as_ref()) {
            Some(stream) => stream.tx.send(record(event)).is_ok(),
            None => false,
        }
    }

    /// A TaskStatus of `key` in `state` (no uuid).
    pub fn status(
        &self,
        key: &TaskKey,
        state: &str,
        source: &str,
        reason: Option<&str>,
        message: &str,
    ) -> Value {
        let mut status = json!({
            "task_id": {"value": key.1},
            "state": state,
            "source": source,
            "timestamp": now_seconds(),
        });
        if let Some(task) = self.tasks.get(key) {
            status["agent_id"] = json!({"value": task.agent_id});
            status["executor_id"] = json!({"value": key.1});
            if let Some(h) = task.healthy {
                status["healthy"] = json!(h);
            }
        }
        if let Some(reason) = reason {
            status["reason"] = json!(reason);
        }
        if !message.is_empty() {
            status["message"] = json!(message);
        }
        status
    }

    /// Records a state change reported by the agent: a uuid'd update queued until acknowledged.
    pub fn agent_update(&mut self, key: &TaskKey, state: &str, reason: Option<&str>, message: &str) {
        let Some(task) = self.tasks.get_mut(key) else {
            return;
        };
        if task.is_terminal() {
            return;
        }
        task.state = state.to_owned();
        if is_terminal(state)
            && let Some(agent) = self.agents.get_mut(&task.agent_id)
        {
            agent.used.subtract(&task.resources);
        }
        let mut status = self.status(key, state, "SOURCE_EXECUTOR", reason, message);
        let uuid = base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes());
        status["uuid"] = json!(uuid);
        tracing::info!(framework = %key.0, task = %key.1, state, "status update");
        let Some(task) = self.tasks.get_mut(key) else {
            return;
        };
        task.pending.push_back(status);
        if task.pending.len() == 1 {
            self.send_head(key);
        }
    }

    /// Sends a master-generated update (no uuid, nothing to acknowledge).
    pub fn master_update(&self, framework_id: &str, status: Value) {
        self.send(
            framework_id,
            &json!({"type": "UPDATE", "update": {"status": status}}),
        );
    }

    /// (Re)sends the oldest unacknowledged update of `key`.
    pub fn send_head(&mut self, key: &TaskKey) {
        let Some(head) = self.tasks.get(key).and_then(|t| t.pending.front()).cloned() else {
            return;
        };
        if self.send(&key.0, &json!({"type": "UPDATE", "update": {"status": head}}))
            && let Some(task) = self.tasks.get_mut(key)
        {
            task.last_sent = Some(Instant::now());
        }
    }

    /// Re-sends every head update older than the retry interval.
    pub fn retry_updates(&mut self) {
        let retry = self.timing.update_retry;
        let due: Vec<TaskKey> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.pending.is_empty() && t.last_sent.is_none_or(|s| s.elapsed() >= retry))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.send_head(&key);
        }
    }

    /// Returns an offer's resources to its agent's free pool.
    pub fn remove_offer(&mut self, offer_id: &str) -> Option<Offer> {
        let offer = self.offers.remove(offer_id)?;
        if let Some(agent) = self.agents.get_mut(&offer.agent_id) {
            agent.offered.subtract(&offer.resources);
        }
        Some(offer)
    }

    /// Adds a refuse filter of `resources` on `agent_id` for `framework_id` (ignored for 0 or
    /// less seconds).
    pub fn add_filter(
        &mut self,
        framework_id: &str,
        agent_id: &str,
        resources: Resources,
        refuse_seconds: f64,
    ) {
        if refuse_seconds <= 0.0 || !refuse_seconds.is_finite() {
            return;
        }
        if let Some(fw) = self.frameworks.get_mut(framework_id) {
            fw.filters.push(Filter {
                agent_id: agent_id.to_owned(),
                resources,
                until: Instant::now() + Duration::from_secs_f64(refuse_seconds.min(1e9)),
            });
        }
    }

    /// One allocation round: every connected, unsuppressed framework gets one offer per agent
    /// with free, unfiltered resources and no outstanding offer.
    pub fn allocate(&mut self) {
        let now = Instant::now();
        let framework_ids: Vec<String> = self.frameworks.keys().cloned().collect();
        for fid in framework_ids {
            let Some(fw) = self.frameworks.get_mut(&fid) else {
                continue;
            };
            fw.filters.retain(|f| f.until > now);
            if fw.stream.is_none() || fw.suppressed {
                continue;
            }
            let role = fw.role.clone();
            let allocation_role = fw.multi_role.then(|| role.clone());
            let refinement = fw.reservation_refinement;
            let mut offers = Vec::new();
            let agent_ids: Vec<String> = self.agents.keys().cloned().collect();
            for aid in agent_ids {
                if self.offers.values().any(|o| o.agent_id == aid) {
                    continue;
                }
                let Some(agent) = self.agents.get_mut(&aid) else {
                    continue;
                };
                let free = agent.available().usable_by(&role);
                let refused = self.frameworks.get(&fid).is_some_and(|fw| {
                    fw.filters
                        .iter()
                        .any(|f| f.agent_id == aid && f.resources.contains(&free))
                });
                if free.is_empty() || refused {
                    continue;
                }
                agent.offered.add(&free);
                let hostname = agent.hostname.clone();
                let oid = self.next_id("O");
                let mut offer = json!({
                    "id": {"value": oid},
                    "framework_id": {"value": fid},
                    "agent_id": {"value": aid},
                    "hostname": hostname,
                    "resources": free.to_json(allocation_role.as_deref(), refinement),
                });
                if let Some(role) = &allocation_role {
                    offer["allocation_info"] = json!({"role": role});
                }
                offers.push(offer);
                self.offers.insert(
                    oid,
                    Offer {
                        framework_id: fid.clone(),
                        agent_id: aid,
                        resources: free,
                    },
                );
            }
            if !offers.is_empty() {
                tracing::debug!(framework = %fid, count = offers.len(), "sending offers");
                self.send(&fid, &json!({"type": "OFFERS", "offers": {"offers": offers}}));
            }
        }
    }

    /// Drops every offer of `framework_id` (on disconnect or teardown), returning the resources.
    pub fn drop_offers_of(&mut self, framework_id: &str) {
        let ids: Vec<String> = self
            .offers
            .iter()
            .filter(|(_, o)| o.framework_id == framework_id)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.remove_offer(&id);
        }
    }
}
