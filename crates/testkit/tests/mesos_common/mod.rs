//! A raw v1 scheduler client for the simulator tests: plain HTTP with reqwest, RecordIO
//! parsed by hand, so the tests check the wire format rather than trusting a library.

#![allow(dead_code)] // each test file uses its own subset of these helpers

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// How long a test waits for one expected event.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

/// A subscribed scheduler: its ids and its event stream.
pub struct Scheduler {
    pub addr: SocketAddr,
    pub framework_id: String,
    pub stream_id: String,
    pub heartbeat: f64,
    events: mpsc::UnboundedReceiver<Value>,
    /// Events a wait for another kind passed over, oldest first (heartbeats are not kept): an
    /// offer made before the update a test waits for is still there for its next `offer()`.
    passed_over: VecDeque<Value>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The user these tests run as: agents drop tasks of users they do not know.
pub fn current_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .expect("the tests run as a user with a passwd entry")
        .name
}

/// A FrameworkInfo with the required fields, for role `test`, running tasks as this user.
pub fn framework_info() -> Value {
    json!({"user": current_user(), "name": "sim-test", "roles": ["test"], "capabilities": [{"type": "MULTI_ROLE"}]})
}

/// POSTs `call` to the scheduler endpoint; returns status and body text.
pub async fn post(addr: SocketAddr, stream_id: Option<&str>, call: &Value) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .body(call.to_string());
    if let Some(id) = stream_id {
        req = req.header("Mesos-Stream-Id", id);
    }
    let resp = req.send().await.expect("simulator answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// Splits complete RecordIO records off the front of `buf`.
pub fn parse_records(buf: &mut Vec<u8>) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = buf.iter().position(|b| *b == b'\n') else {
            return out;
        };
        let len: usize = std::str::from_utf8(&buf[..nl])
            .expect("ascii length")
            .parse()
            .expect("decimal length");
        if buf.len() < nl + 1 + len {
            return out;
        }
        let record: Value = serde_json::from_slice(&buf[nl + 1..nl + 1 + len]).expect("record is JSON");
        buf.drain(..nl + 1 + len);
        out.push(record);
    }
}

impl Scheduler {
    /// SUBSCRIBEs with `info` and waits for SUBSCRIBED.
    pub async fn subscribe(addr: SocketAddr, info: Value) -> Scheduler {
        let call = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": info}});
        let resp = reqwest::Client::new()
            .post(format!("http://{addr}/api/v1/scheduler"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(call.to_string())
            .send()
            .await
            .expect("subscribe sent");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let stream_id = resp.headers()["mesos-stream-id"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let (tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = Vec::new();
            while let Some(Ok(chunk)) = body.next().await {
                buf.extend_from_slice(&chunk);
                for record in parse_records(&mut buf) {
                    if tx.send(record).is_err() {
                        return;
                    }
                }
            }
        });
        let mut sched = Scheduler {
            addr,
            framework_id: String::new(),
            stream_id,
            heartbeat: 0.0,
            events,
            passed_over: VecDeque::new(),
            reader,
        };
        let subscribed = sched.next_event().await.expect("first event");
        assert_eq!(subscribed["type"], "SUBSCRIBED", "{subscribed}");
        sched.framework_id = subscribed["subscribed"]["framework_id"]["value"]
            .as_str()
            .expect("framework id")
            .to_owned();
        sched.heartbeat = subscribed["subscribed"]["heartbeat_interval_seconds"]
            .as_f64()
            .expect("heartbeat");
        sched
    }

    /// The next event of any type, or None when the stream ended or nothing came in time.
    pub async fn next_event(&mut self) -> Option<Value> {
        if let Some(event) = self.passed_over.pop_front() {
            return Some(event);
        }
        tokio::time::timeout(EVENT_TIMEOUT, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event of type `kind` (the oldest passed over before, else the next to come),
    /// keeping others for later waits, for at most [`EVENT_TIMEOUT`].
    pub async fn next_of(&mut self, kind: &str) -> Value {
        if let Some(at) = self.passed_over.iter().position(|event| event["type"] == kind) {
            return self.passed_over.remove(at).expect("a kept event");
        }
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("no {kind} event"));
            if event["type"] == kind {
                return event;
            }
            if event["type"] != "HEARTBEAT" {
                self.passed_over.push_back(event);
            }
        }
    }

    /// The next status update of `task_id` (any state), skipping other events.
    pub async fn next_update(&mut self, task_id: &str) -> Value {
        loop {
            let event = self.next_of("UPDATE").await;
            if event["update"]["status"]["task_id"]["value"] == task_id {
                return event["update"]["status"].clone();
            }
        }
    }

    /// Waits for an update of `task_id` in `state`, acknowledging every uuid'd update on the way.
    pub async fn await_state(&mut self, task_id: &str, state: &str) -> Value {
        loop {
            let status = self.next_update(task_id).await;
            self.ack(&status).await;
            if status["state"] == state {
                return status;
            }
        }
    }

    /// Acknowledges `status` if it carries a uuid.
    pub async fn ack(&self, status: &Value) {
        if let Some(uuid) = status.get("uuid") {
            let (code, body) = self
                .call(json!({"type": "ACKNOWLEDGE", "acknowledge": {
                    "agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": uuid}}))
                .await;
            assert_eq!(code, 202, "{body}");
        }
    }

    /// Sends a call of this framework on this stream.
    pub async fn call(&self, mut call: Value) -> (u16, String) {
        call["framework_id"] = json!({"value": self.framework_id});
        post(self.addr, Some(&self.stream_id), &call).await
    }

    /// Waits for an offer and returns it.
    pub async fn offer(&mut self) -> Value {
        let event = self.next_of("OFFERS").await;
        event["offers"]["offers"][0].clone()
    }

    /// Launches `command` as task `task_id` on `offer` with small resources; extra TaskInfo
    /// fields are merged in.
    pub async fn launch(&self, offer: &Value, task_id: &str, command: Value, extra: Value) -> (u16, String) {
        let mut task = json!({
            "name": format!("task-{task_id}"),
            "task_id": {"value": task_id},
            "agent_id": offer["agent_id"],
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "allocation_info": {"role": "test"}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}, "allocation_info": {"role": "test"}},
            ],
            "command": command,
        });
        if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                task.insert(k.clone(), v.clone());
            }
        }
        self.call(json!({"type": "ACCEPT", "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
            "filters": {"refuse_seconds": 0.0}}}))
            .await
    }
}

/// True while a process with this pid exists.
pub fn process_alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// Polls `cond` every 20ms for up to 20s.
pub async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
