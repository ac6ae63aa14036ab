//! Removing a framework (TEARDOWN, failover timeout) or an agent, as the Mesos master does:
//! kill what ran there, drop or rescind its offers, tell the frameworks concerned.

use std::sync::Arc;

use serde_json::json;

use super::Inner;
use super::agent::{kill_task, signal_group};
use super::state::{State, TaskKey};

/// Removes a framework (TEARDOWN or failover timeout): kills its tasks, drops its offers and
/// stream, and remembers the id so it cannot subscribe again.
pub(crate) fn remove_framework(inner: &Arc<Inner>, state: &mut State, fid: &str) {
    let keys: Vec<TaskKey> = state.tasks.keys().filter(|k| k.0 == fid).cloned().collect();
    for key in &keys {
        kill_task(inner, state, key);
    }
    state.drop_offers_of(fid);
    state.frameworks.remove(fid);
    state.removed_frameworks.insert(fid.to_owned());
    tracing::info!(framework = fid, tasks = keys.len(), "framework removed");
}

/// Removes an agent: rescinds its offers, reports its tasks lost, kills their processes and
/// tells every framework with a FAILURE event.
pub(crate) fn remove_agent(state: &mut State, agent_id: &str) {
    let offers: Vec<(String, String)> = state
        .offers
        .iter()
        .filter(|(_, o)| o.agent_id == agent_id)
        .map(|(id, o)| (id.clone(), o.framework_id.clone()))
        .collect();
    for (id, fid) in offers {
        state.remove_offer(&id);
        state.send(
            &fid,
            &json!({"type": "RESCIND", "rescind": {"offer_id": {"value": id}}}),
        );
    }
    let keys: Vec<TaskKey> = state
        .tasks
        .iter()
        .filter(|(_, t)| t.agent_id == agent_id && !t.is_terminal())
        .map(|(k, _)| k.clone())
        .collect();
    for key in keys {
        let partition_aware = state.frameworks.get(&key.0).is_some_and(|f| f.partition_aware);
        let lost = if partition_aware {
            "TASK_UNREACHABLE"
        } else {
            "TASK_LOST"
        };
        let status = state.status(
            &key,
            lost,
            "SOURCE_MASTER",
            Some("REASON_AGENT_REMOVED"),
            "Agent removed",
        );
        if let Some(task) = state.tasks.get_mut(&key) {
            task.state = lost.to_owned();
            task.pending.clear();
            if let Some(pid) = task.pid {
                signal_group(pid, rustix::process::Signal::KILL);
            }
        }
        state.master_update(&key.0, status);
    }
    state.agents.remove(agent_id);
    let fids: Vec<String> = state.frameworks.keys().cloned().collect();
    for fid in fids {
        state.send(
            &fid,
            &json!({"type": "FAILURE", "failure": {"agent_id": {"value": agent_id}}}),
        );
    }
}
