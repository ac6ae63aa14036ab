//! What the simulated master does for each scheduler call once the HTTP layer validated it,
//! following apache/mesos `src/master/master.cpp` semantics (offer validation, task errors,
//! filters, acknowledgements, reconciliation, framework removal).

use std::sync::Arc;

use serde_json::Value;

use super::Inner;
use super::agent::{kill_task, sandbox_path};
use super::resources::Resources;
use super::state::{State, Task, TaskKey};

/// Default `Filters.refuse_seconds` of mesos.proto.
const DEFAULT_REFUSE_SECONDS: f64 = 5.0;

fn value_of<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn refuse_seconds(filters: Option<&Value>) -> f64 {
    filters
        .and_then(|f| f.get("refuse_seconds"))
        .and_then(Value::as_f64)
        .unwrap_or(DEFAULT_REFUSE_SECONDS)
}

/// ACCEPT: validates the offers and each LAUNCH task, allocates, and returns the tasks to run.
pub(crate) fn accept(state: &mut State, fid: &str, accept: &Value) -> Vec<TaskKey> {
    let offer_ids: Vec<String> = accept
        .get("offer_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().map(|id| value_of(id, "/value").to_owned()).collect())
        .unwrap_or_default();
    let operations = accept
        .get("operations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (role, partition_aware, multi_role) = match state.frameworks.get(fid) {
        Some(fw) => (fw.role.clone(), fw.partition_aware, fw.multi_role),
        None => return Vec::new(),
    };
    let offer_error = validate_offers(state, fid, &offer_ids);
    let mut pool = Resources::default();
    let mut agent_id = String::new();
    for id in &offer_ids {
        if let Some(offer) = state.offers.get(id).filter(|o| o.framework_id == fid) {
            agent_id = offer.agent_id.clone();
        }
        if offer_error.is_none()
            && let Some(offer) = state.remove_offer(id)
        {
            pool.add(&offer.resources);
        }
    }
    if let Some(err) = offer_error {
        tracing::warn!(framework = fid, %err, "ACCEPT with invalid offers");
        for id in &offer_ids {
            if state.offers.get(id).is_some_and(|o| o.framework_id == fid) {
                state.remove_offer(id);
            }
        }
        let lost = if partition_aware {
            "TASK_DROPPED"
        } else {
            "TASK_LOST"
        };
        for task in launched_tasks(&operations) {
            let key = (fid.to_owned(), value_of(&task, "/task_id/value").to_owned());
            let status = state.status(
                &key,
                lost,
                "SOURCE_MASTER",
                Some("REASON_INVALID_OFFERS"),
                &format!("Task launched with invalid offers: {err}"),
            );
            state.master_update(fid, status);
        }
        return Vec::new();
    }
    let mut launched = Vec::new();
    for op in &operations {
        let kind = op.get("type").and_then(Value::as_str).unwrap_or_default();
        let tasks = match kind {
            "LAUNCH" => op.pointer("/launch/task_infos"),
            "LAUNCH_GROUP" => op.pointer("/launch_group/task_group/tasks"),
            _ => {
                tracing::warn!(
                    framework = fid,
                    operation = kind,
                    "operation not supported by the simulator: ignored"
                );
                continue;
            }
        };
        for info in tasks.and_then(Value::as_array).cloned().unwrap_or_default() {
            let key = (fid.to_owned(), value_of(&info, "/task_id/value").to_owned());
            let checked = if kind == "LAUNCH_GROUP" {
                Err("LAUNCH_GROUP needs the default executor, which the simulator does not run".to_owned())
            } else {
                validate_task(state, &key, &info, &agent_id, &pool, &role, multi_role)
            };
            match checked {
                Ok(resources) => {
                    pool.subtract(&resources);
                    launched.push(add_task(state, key, info, &agent_id, resources));
                }
                Err(err) => {
                    tracing::warn!(framework = fid, task = %key.1, %err, "invalid task");
                    let status = state.status(
                        &key,
                        "TASK_ERROR",
                        "SOURCE_MASTER",
                        Some("REASON_TASK_INVALID"),
                        &err,
                    );
                    state.master_update(fid, status);
                }
            }
        }
    }
    // What the tasks did not use goes back to the pool, filtered like a decline.
    if !agent_id.is_empty() {
        state.add_filter(fid, &agent_id, pool, refuse_seconds(accept.get("filters")));
    }
    launched
}

fn launched_tasks(operations: &[Value]) -> Vec<Value> {
    operations
        .iter()
        .filter_map(|op| {
            op.pointer("/launch/task_infos")
                .or_else(|| op.pointer("/launch_group/task_group/tasks"))
        })
        .filter_map(Value::as_array)
        .flatten()
        .cloned()
        .collect()
}

fn validate_offers(state: &State, fid: &str, offer_ids: &[String]) -> Option<String> {
    if offer_ids.is_empty() {
        return Some("no offer ids".to_owned());
    }
    let mut agent: Option<&str> = None;
    for (i, id) in offer_ids.iter().enumerate() {
        if offer_ids[..i].contains(id) {
            return Some(format!("duplicate offer {id}"));
        }
        let Some(offer) = state.offers.get(id) else {
            return Some(format!("Offer {id} is no longer valid"));
        };
        if offer.framework_id != fid {
            return Some(format!(
                "Offer {id} has invalid framework {} while framework {fid} is expected",
                offer.framework_id
            ));
        }
        match agent {
            Some(a) if a != offer.agent_id => {
                return Some(format!(
                    "Aggregated offers must belong to one single agent. Offer {id} uses agent {} and agent {a}",
                    offer.agent_id
                ));
            }
            _ => agent = Some(&offer.agent_id),
        }
    }
    None
}

fn validate_task(
    state: &State,
    key: &TaskKey,
    info: &Value,
    agent_id: &str,
    pool: &Resources,
    role: &str,
    multi_role: bool,
) -> Result<Resources, String> {
    if state
        .tasks
        .get(key)
        .is_some_and(|t| !t.is_terminal() || !t.pending.is_empty())
    {
        return Err(format!("Task has duplicate ID: {}", key.1));
    }
    let task_agent = value_of(info, "/agent_id/value");
    if task_agent != agent_id {
        return Err(format!(
            "Agent {task_agent} is invalid: the offers are for agent {agent_id}"
        ));
    }
    match (info.get("command").is_some(), info.get("executor").is_some()) {
        (true, true) | (false, false) => {
            return Err(
                "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                    .to_owned(),
            );
        }
        (false, true) => return Err(
            "the simulator runs command tasks only (TaskInfo.command); custom executors are not supported"
                .to_owned(),
        ),
        (true, false) => {}
    }
    let list = info
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if multi_role {
        for r in &list {
            let got = value_of(r, "/allocation_info/role");
            if got != role {
                return Err(format!(
                    "Invalid resource {}: a MULTI_ROLE framework must set allocation_info.role {role:?} (got {got:?})",
                    value_of(r, "/name")
                ));
            }
        }
    }
    let resources = Resources::from_json(&list).map_err(|e| e.to_string())?;
    if !pool.contains(&resources) {
        return Err(format!(
            "Total resources {} required by task and its executor is more than available {}",
            resources.describe(role),
            pool.describe(role)
        ));
    }
    Ok(resources)
}

fn add_task(state: &mut State, key: TaskKey, info: Value, agent_id: &str, resources: Resources) -> TaskKey {
    let hostname = state
        .agents
        .get(agent_id)
        .map(|a| a.hostname.clone())
        .unwrap_or_default();
    if let Some(agent) = state.agents.get_mut(agent_id) {
        agent.used.add(&resources);
    }
    let sandbox = sandbox_path(&state.work_dir, &hostname, &key.0, &key.1);
    tracing::info!(framework = %key.0, task = %key.1, agent = %hostname, sandbox = %sandbox.display(), "launching task");
    state.tasks.insert(
        key.clone(),
        Task {
            name: info
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            agent_id: agent_id.to_owned(),
            hostname,
            resources,
            info,
            sandbox,
            state: "TASK_STAGING".to_owned(),
            healthy: None,
            pid: None,
            kill_requested: false,
            pending: Default::default(),
            last_sent: None,
        },
    );
    key
}

/// DECLINE: the offers' resources return to the pool, refused to this framework for a while.
pub(crate) fn decline(state: &mut State, fid: &str, decline: &Value) {
    let refuse = refuse_seconds(decline.get("filters"));
    for id in decline
        .get("offer_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = value_of(id, "/value");
        if state.offers.get(id).is_some_and(|o| o.framework_id == fid) {
            if let Some(offer) = state.remove_offer(id) {
                state.add_filter(fid, &offer.agent_id, offer.resources, refuse);
            }
        } else {
            tracing::warn!(framework = fid, offer = id, "DECLINE of an unknown offer ignored");
        }
    }
}

fn concerns_role(call: Option<&Value>, role: &str) -> bool {
    match call.and_then(|c| c.get("roles")).and_then(Value::as_array) {
        Some(roles) if !roles.is_empty() => roles.iter().any(|r| r.as_str() == Some(role)),
        _ => true,
    }
}

/// REVIVE: clears the filters and lifts suppression.
pub(crate) fn revive(state: &mut State, fid: &str, revive: Option<&Value>) {
    if let Some(fw) = state.frameworks.get_mut(fid)
        && concerns_role(revive, &fw.role)
    {
        fw.filters.clear();
        fw.suppressed = false;
    }
}

/// SUPPRESS: no more offers until REVIVE.
pub(crate) fn suppress(state: &mut State, fid: &str, suppress: Option<&Value>) {
    if let Some(fw) = state.frameworks.get_mut(fid)
        && concerns_role(suppress, &fw.role)
    {
        fw.suppressed = true;
    }
}

/// KILL: kills a live task; for an unknown or finished one, answers as reconciliation does.
pub(crate) fn kill(inner: &Arc<Inner>, state: &mut State, fid: &str, task_id: &str) {
    let key = (fid.to_owned(), task_id.to_owned());
    if state.tasks.get(&key).is_some_and(|t| !t.is_terminal()) {
        kill_task(inner, state, &key);
    } else {
        reconcile_one(state, &key);
    }
}

/// ACKNOWLEDGE: retires the update on the wire and sends the task's next one.
pub(crate) fn acknowledge(state: &mut State, fid: &str, task_id: &str, uuid: &str) {
    let key = (fid.to_owned(), task_id.to_owned());
    let matched = match state.tasks.get_mut(&key) {
        Some(task)
            if task
                .pending
                .front()
                .is_some_and(|s| s.get("uuid").and_then(Value::as_str) == Some(uuid)) =>
        {
            task.pending.pop_front();
            task.last_sent = None;
            true
        }
        _ => false,
    };
    if matched {
        state.send_head(&key);
    } else {
        tracing::warn!(
            framework = fid,
            task = task_id,
            uuid,
            "acknowledgement of an unknown status update ignored"
        );
    }
}

fn known(task: &Task) -> bool {
    !task.is_terminal() || !task.pending.is_empty()
}

fn reconcile_one(state: &State, key: &TaskKey) {
    let status = match state.tasks.get(key).filter(|t| known(t)) {
        Some(task) => state.status(
            key,
            &task.state.clone(),
            "SOURCE_MASTER",
            Some("REASON_RECONCILIATION"),
            "Reconciliation: Latest task state",
        ),
        None => {
            let partition_aware = state.frameworks.get(&key.0).is_some_and(|f| f.partition_aware);
            let state_name = if partition_aware {
                "TASK_UNKNOWN"
            } else {
                "TASK_LOST"
            };
            state.status(
                key,
                state_name,
                "SOURCE_MASTER",
                Some("REASON_RECONCILIATION"),
                "Reconciliation: Task is unknown",
            )
        }
    };
    state.master_update(&key.0, status);
}

/// RECONCILE: explicit (listed tasks) or implicit (every task the master still knows).
pub(crate) fn reconcile(state: &State, fid: &str, reconcile: &Value) {
    let listed: Vec<String> = reconcile
        .get("tasks")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .map(|t| value_of(t, "/task_id/value").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let keys: Vec<TaskKey> = if listed.is_empty() {
        state
            .tasks
            .iter()
            .filter(|(k, t)| k.0 == fid && known(t))
            .map(|(k, _)| k.clone())
            .collect()
    } else {
        listed.into_iter().map(|t| (fid.to_owned(), t)).collect()
    };
    for key in keys {
        reconcile_one(state, &key);
    }
}
