//! The framework driver end to end against a fake master on loopback.

mod common;

use std::path::{Path, PathBuf};

use alluxio_conf::{Configuration, keys};
use alluxio_mesos::policy::SchedulerState;
use axum::http::StatusCode;
use common::{FakeMaster, STREAM_ID};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Framework {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<Result<(), alluxio_mesos::MesosError>>,
}

fn conf(state_file: &Path, missed_heartbeats: &str) -> Configuration {
    let mut conf = Configuration::defaults();
    conf.set(
        keys::INTEGRATION_MESOS_FRAMEWORK_STATE_FILE,
        state_file.display().to_string(),
    );
    conf.set(keys::INTEGRATION_MESOS_ALLUXIO_JAR_URL, "LOCAL");
    conf.set(keys::HOME, "/opt/alluxio");
    conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
    conf.set(keys::INTEGRATION_MESOS_HEARTBEAT_MISSED_MAX, missed_heartbeats);
    conf.set(keys::INTEGRATION_MESOS_USER, "alluxio");
    conf
}

fn start(conf: Configuration, master: &FakeMaster) -> Framework {
    let (stop, stopped) = oneshot::channel::<()>();
    let masters = master.addr.to_string();
    let handle = tokio::spawn(async move {
        alluxio_mesos::run(conf, &masters, None, async move {
            let _ = stopped.await;
        })
        .await
    });
    Framework { stop, handle }
}

fn offer(id: &str, agent: &str, host: &str) -> Value {
    let alloc = json!({"role": "*"});
    json!({"type": "OFFERS", "offers": {"offers": [{
    "id": {"value": id}, "agent_id": {"value": agent}, "hostname": host,
    "resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}, "allocation_info": alloc},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 8192}, "allocation_info": alloc},
        {"name": "ports", "type": "RANGES", "allocation_info": alloc,
         "ranges": {"range": [{"begin": 19998, "end": 19999}, {"begin": 29998, "end": 30000}]}}
    ]}]}})
}

fn subscribed(id: &str, heartbeat: f64) -> Value {
    json!({"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": id}, "heartbeat_interval_seconds": heartbeat}})
}

fn state(path: &PathBuf) -> SchedulerState {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn env(task: &Value, name: &str) -> Value {
    let vars = task["command"]["environment"]["variables"].as_array().unwrap();
    vars.iter()
        .find(|v| v["name"] == name)
        .map_or(Value::Null, |v| v["value"].clone())
}

#[tokio::test]
async fn launches_master_then_worker_acknowledges_and_tears_down_on_stop() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("mesos/framework.json");
    let mut master = FakeMaster::start().await;
    let framework = start(conf(&state_file, "5"), &master);

    let subscribe = master.expect_call("SUBSCRIBE").await.call;
    let info = &subscribe["subscribe"]["framework_info"];
    assert_eq!(info["name"], "alluxio");
    assert_eq!(info["user"], "alluxio");
    assert_eq!(info["checkpoint"], true);
    assert_eq!(info["failover_timeout"], 604800.0);
    assert_eq!(info["roles"], json!(["*"]));
    assert_eq!(info["capabilities"], json!([{"type": "MULTI_ROLE"}]));
    assert!(
        info.get("id").is_none() && info.get("webui_url").is_none(),
        "{info}"
    );

    master.send_event(&subscribed("F1", 15.0), 5);
    let revive = master.expect_call("REVIVE").await;
    assert_eq!(revive.headers["mesos-stream-id"], STREAM_ID);
    assert_eq!(revive.call["framework_id"]["value"], "F1");

    master.send_event(&offer("O1", "S1", "127.0.0.2"), 11);
    let accept = master.expect_call("ACCEPT").await.call;
    assert_eq!(accept["accept"]["offer_ids"], json!([{"value": "O1"}]));
    assert_eq!(accept["accept"]["filters"]["refuse_seconds"], 5.0);
    let task = &accept["accept"]["operations"][0]["launch"]["task_infos"][0];
    assert_eq!(
        (&task["name"], &task["task_id"]["value"]),
        (&json!("AlluxioMaster"), &json!("0"))
    );
    assert_eq!(task["agent_id"]["value"], "S1");
    assert_eq!(task["health_check"]["type"], "COMMAND");
    assert_eq!(
        task["health_check"]["command"]["value"],
        "/opt/alluxio/integration/mesos/bin/alluxio-mesos-health-check.sh 19999"
    );
    let persisted = state(&state_file);
    assert_eq!(persisted.framework_id.as_deref(), Some("F1"));
    assert!(persisted.tasks.contains_key(&0));

    // A bare RUNNING is not enough for workers; a healthy one is.
    master.send_event(&offer("O2", "S2", "127.0.0.3"), 64);
    assert_eq!(
        master.expect_call("DECLINE").await.call["decline"]["offer_ids"][0]["value"],
        "O2"
    );
    master.send_event(
        &json!({"type": "UPDATE", "update": {"status": {"task_id": {"value": "0"}, "state": "TASK_RUNNING",
                "agent_id": {"value": "S1"}, "uuid": "AAECAw==", "healthy": true}}}),
        9,
    );
    let ack = master.expect_call("ACKNOWLEDGE").await.call;
    assert_eq!(
        ack["acknowledge"],
        json!({"agent_id": {"value": "S1"}, "task_id": {"value": "0"}, "uuid": "AAECAw=="})
    );
    // The running master's web UI goes into the FrameworkInfo Mesos holds, at once.
    let update = master.expect_call("UPDATE_FRAMEWORK").await;
    assert_eq!(update.headers["mesos-stream-id"], STREAM_ID);
    assert_eq!(update.call["framework_id"]["value"], "F1");
    let body = &update.call["update_framework"];
    assert_eq!(
        body["framework_info"],
        json!({"user": "alluxio", "name": "alluxio", "id": {"value": "F1"},
               "failover_timeout": 604800.0, "checkpoint": true, "roles": ["*"],
               "principal": "alluxio", "capabilities": [{"type": "MULTI_ROLE"}],
               "webui_url": "http://127.0.0.2:19999/"})
    );
    assert!(
        body.get("suppressed_roles").is_none(),
        "offers are not suppressed: {body}"
    );

    master.send_event(&offer("O3", "S2", "127.0.0.3"), 13);
    let accept = master.expect_call("ACCEPT").await.call;
    let task = &accept["accept"]["operations"][0]["launch"]["task_infos"][0];
    assert_eq!(
        (&task["name"], &task["task_id"]["value"]),
        (&json!("AlluxioWorker"), &json!("1"))
    );
    assert_eq!(env(task, "ALLUXIO_MASTER_HOSTNAME"), "127.0.0.2");
    assert_eq!(env(task, "ALLUXIO_WORKER_MEMORY_SIZE"), "1.00GB");

    framework.stop.send(()).unwrap();
    let teardown = master.expect_call("TEARDOWN").await;
    assert_eq!(teardown.call["framework_id"]["value"], "F1");
    framework.handle.await.unwrap().unwrap();
    let persisted = state(&state_file);
    assert_eq!(persisted.framework_id, None);
    assert!(persisted.tasks.is_empty());
    assert_eq!(persisted.next_task_id, 2);
}

/// A status update of task `id` on agent `agent`, without uuid (nothing to acknowledge).
fn status(id: &str, agent: &str, state: &str) -> Value {
    json!({"type": "UPDATE", "update": {"status": {"task_id": {"value": id}, "state": state,
           "agent_id": {"value": agent}}}})
}

/// Offers agent `agent` on `host` until the framework launches on it (a relaunch backs off a
/// little first) and returns the ACCEPT.
async fn accepted_offer(master: &mut FakeMaster, agent: &str, host: &str) -> Value {
    for round in 0..50 {
        master.send_event(&offer(&format!("R{round}"), agent, host), 9);
        let answer = master.calls_until(&["ACCEPT", "DECLINE"]).await.pop().unwrap();
        if answer.call["type"] == "ACCEPT" {
            return answer.call;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no offer of {host} was accepted");
}

#[tokio::test]
async fn the_web_ui_link_follows_the_running_master_and_a_refused_update_does_not_stop_the_framework() {
    let dir = tempfile::tempdir().unwrap();
    let mut conf = conf(&dir.path().join("framework.json"), "5");
    conf.set(keys::INTEGRATION_MESOS_RELAUNCH_BACKOFF_INITIAL, "1ms");
    let mut master = FakeMaster::start().await;
    let framework = start(conf, &master);
    master.expect_call("SUBSCRIBE").await;
    master.send_event(&subscribed("F1", 15.0), 7);
    master.send_event(&offer("O1", "S1", "127.0.0.2"), 9);
    master.expect_call("ACCEPT").await;

    // A Mesos master older than 1.9 does not know the call: one WARN, and the framework goes on.
    master.reject_next(
        StatusCode::BAD_REQUEST,
        "Failed to convert JSON into Call protobuf: Failed to find enum for '\"UPDATE_FRAMEWORK\"'",
    );
    master.send_event(&status("0", "S1", "TASK_STARTING"), 8);
    master.send_event(&status("0", "S1", "TASK_RUNNING"), 8);
    let refused = master.expect_call("UPDATE_FRAMEWORK").await.call;
    assert_eq!(
        refused["update_framework"]["framework_info"]["webui_url"],
        "http://127.0.0.2:19999/"
    );

    // The master is relaunched on another host: the link moves there once it runs, and only once.
    master.send_event(&status("0", "S1", "TASK_FAILED"), 8);
    let accept = accepted_offer(&mut master, "S2", "127.0.0.3").await;
    let task = &accept["accept"]["operations"][0]["launch"]["task_infos"][0];
    assert_eq!(
        (&task["name"], &task["task_id"]["value"]),
        (&json!("AlluxioMaster"), &json!("1"))
    );
    master.send_event(&status("1", "S2", "TASK_RUNNING"), 8);
    let moved = master.expect_call("UPDATE_FRAMEWORK").await.call;
    assert_eq!(moved["framework_id"]["value"], "F1");
    assert_eq!(
        moved["update_framework"]["framework_info"]["webui_url"],
        "http://127.0.0.3:19999/"
    );
    master.send_event(
        &json!({"type": "UPDATE", "update": {"status": {"task_id": {"value": "1"}, "state": "TASK_RUNNING",
                "agent_id": {"value": "S2"}, "uuid": "AAECAw==", "healthy": true}}}),
        9,
    );
    master.expect_call("ACKNOWLEDGE").await;
    framework.stop.send(()).unwrap();
    let rest = master.calls_until(&["TEARDOWN"]).await;
    let kinds: Vec<&Value> = rest.iter().map(|r| &r.call["type"]).collect();
    assert!(
        !kinds.contains(&&json!("UPDATE_FRAMEWORK")),
        "the same URL is not sent twice: {kinds:?}"
    );
    framework.handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn missed_heartbeats_resubscribe_with_the_framework_id_and_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("framework.json");
    let mut master = FakeMaster::start().await;
    let framework = start(conf(&state_file, "1"), &master);

    master.expect_call("SUBSCRIBE").await;
    master.send_event(&subscribed("F9", 0.2), 4);
    // No heartbeat follows: after 0.2 s x 1 missed the driver must drop the stream and come back.
    let again = master.expect_call("SUBSCRIBE").await.call;
    assert_eq!(again["subscribe"]["framework_info"]["id"]["value"], "F9");
    assert_eq!(again["framework_id"]["value"], "F9");
    master.send_event(&subscribed("F9", 15.0), 4);
    let reconcile = master.expect_call("RECONCILE").await.call;
    assert_eq!(reconcile["reconcile"]["tasks"], json!([]));

    framework.stop.send(()).unwrap();
    master.expect_call("TEARDOWN").await;
    framework.handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn refused_framework_id_is_dropped_and_task_ids_continue_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("framework.json");
    let old = SchedulerState {
        framework_id: Some("OLD".into()),
        next_task_id: 5,
        ..Default::default()
    };
    std::fs::write(&state_file, serde_json::to_vec(&old).unwrap()).unwrap();
    let mut master = FakeMaster::start().await;
    let framework = start(conf(&state_file, "5"), &master);

    let first = master.expect_call("SUBSCRIBE").await.call;
    assert_eq!(first["subscribe"]["framework_info"]["id"]["value"], "OLD");
    master.send_event(
        &json!({"type": "ERROR", "error": {"message": "Framework has been removed"}}),
        8,
    );
    let second = master.expect_call("SUBSCRIBE").await.call;
    assert!(
        second["subscribe"]["framework_info"].get("id").is_none(),
        "{second}"
    );
    master.send_event(&subscribed("F2", 15.0), 8);
    master.send_event(&offer("O1", "S1", "127.0.0.2"), 8);
    let accept = master.expect_call("ACCEPT").await.call;
    assert_eq!(
        accept["accept"]["operations"][0]["launch"]["task_infos"][0]["task_id"]["value"],
        "5"
    );

    framework.stop.send(()).unwrap();
    master.expect_call("TEARDOWN").await;
    framework.handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn stop_while_disconnected_reattaches_to_tear_down() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("framework.json");
    let old = SchedulerState {
        framework_id: Some("F5".into()),
        next_task_id: 3,
        ..Default::default()
    };
    std::fs::write(&state_file, serde_json::to_vec(&old).unwrap()).unwrap();
    let mut master = FakeMaster::start().await;
    master.reject_next(StatusCode::SERVICE_UNAVAILABLE, "Master is not elected yet");
    let framework = start(conf(&state_file, "5"), &master);

    master.expect_call("SUBSCRIBE").await;
    framework.stop.send(()).unwrap();
    let attach = master.expect_call("SUBSCRIBE").await.call;
    assert_eq!(attach["subscribe"]["framework_info"]["id"]["value"], "F5");
    master.send_event(&subscribed("F5", 15.0), 8);
    assert_eq!(
        master.expect_call("TEARDOWN").await.call["framework_id"]["value"],
        "F5"
    );
    framework.handle.await.unwrap().unwrap();
    let persisted = state(&state_file);
    assert_eq!((persisted.framework_id, persisted.next_task_id), (None, 3));
}
