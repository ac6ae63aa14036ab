//! SUBSCRIBE and the life of an event stream: a new or failed-over framework gets SUBSCRIBED,
//! then HEARTBEATs; a closed stream leaves the framework disconnected until its
//! `failover_timeout` ends (then it is removed and its tasks killed) or it subscribes again.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

use super::Inner;
use super::removal::remove_framework;
use super::state::{Framework, State, Stream, TaskKey, record};

/// Registers the framework of `subscribe` and returns its stream id and event receiver.
pub(crate) fn subscribe(inner: &Arc<Inner>, subscribe: Value) -> (String, UnboundedReceiver<Bytes>) {
    let (tx, rx) = unbounded_channel();
    let stream_id = uuid::Uuid::new_v4().to_string();
    let info = subscribe.get("framework_info").cloned().unwrap_or(Value::Null);
    let mut state = inner.state.lock();
    let requested = info
        .pointer("/id/value")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(id) = requested
        .as_ref()
        .filter(|id| state.removed_frameworks.contains(*id))
    {
        tracing::warn!(framework = %id, "SUBSCRIBE of a removed framework refused");
        // Mesos answers 200 and sends ERROR on the stream, then closes it.
        let _ = tx.send(record(
            &json!({"type": "ERROR", "error": {"message": "Framework has been removed"}}),
        ));
        return (stream_id, rx);
    }
    let fid = match requested {
        Some(id) => id,
        None => state.next_id(""),
    };
    let declared = Framework::declared(&fid, &info);
    let role = declared.role.clone();
    let suppressed = subscribe
        .get("suppressed_roles")
        .and_then(Value::as_array)
        .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some(&role)));
    let (stop_tx, stop_rx) = oneshot::channel();
    let stream = Stream {
        id: stream_id.clone(),
        tx: tx.clone(),
        _stop: stop_tx,
    };
    let previous = state.frameworks.remove(&fid);
    if let Some(old) = previous.as_ref().and_then(|f| f.stream.as_ref()) {
        let _ = old.tx.send(record(
            &json!({"type": "ERROR", "error": {"message": "Framework failed over"}}),
        ));
    }
    let failed_over = previous.is_some();
    state.frameworks.insert(
        fid.clone(),
        Framework {
            stream: Some(stream),
            suppressed,
            filters: previous.map(|p| p.filters).unwrap_or_default(),
            ..declared
        },
    );
    let heartbeat = state.timing.heartbeat;
    let master = state.master_addr;
    let ip = match master.ip() {
        std::net::IpAddr::V4(v4) => u32::from_le_bytes(v4.octets()),
        std::net::IpAddr::V6(_) => 0,
    };
    let subscribed = json!({
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": fid},
            "heartbeat_interval_seconds": heartbeat.as_secs_f64(),
            "master_info": {
                "id": state.master_id, "ip": ip, "port": master.port(), "hostname": master.ip().to_string(),
                "version": super::http::MESOS_VERSION,
                "address": {"hostname": master.ip().to_string(), "ip": master.ip().to_string(), "port": master.port()},
            },
        },
    });
    let _ = tx.send(record(&subscribed));
    tracing::info!(framework = %fid, role, failed_over, "framework subscribed");
    if failed_over {
        resend_pending(&mut state, &fid);
    }
    drop(state);
    tokio::spawn(keep_alive(
        inner.clone(),
        fid,
        stream_id.clone(),
        tx,
        stop_rx,
        heartbeat,
    ));
    (stream_id, rx)
}

fn resend_pending(state: &mut State, fid: &str) {
    let keys: Vec<TaskKey> = state.tasks.keys().filter(|k| k.0 == fid).cloned().collect();
    for key in keys {
        state.send_head(&key);
    }
}

/// Sends heartbeats until the stream is replaced or removed (`stop` fires) or the scheduler
/// hangs up (`tx.closed()`), which disconnects the framework.
async fn keep_alive(
    inner: Arc<Inner>,
    fid: String,
    stream_id: String,
    tx: UnboundedSender<Bytes>,
    mut stop: oneshot::Receiver<()>,
    heartbeat: Duration,
) {
    let beat = record(&json!({"type": "HEARTBEAT"}));
    loop {
        tokio::select! {
            _ = &mut stop => return,
            () = tx.closed() => break,
            () = tokio::time::sleep(heartbeat) => {
                if tx.send(beat.clone()).is_err() {
                    break;
                }
            }
        }
    }
    let mut state = inner.state.lock();
    let Some(fw) = state.frameworks.get_mut(&fid) else {
        return;
    };
    if fw.stream.as_ref().is_none_or(|s| s.id != stream_id) {
        return;
    }
    fw.stream = None;
    fw.disconnects += 1;
    let generation = fw.disconnects;
    let timeout = fw.failover_timeout;
    state.drop_offers_of(&fid);
    tracing::info!(framework = %fid, ?timeout, "framework disconnected");
    drop(state);
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        let mut state = inner.state.lock();
        let expired = state
            .frameworks
            .get(&fid)
            .is_some_and(|f| f.stream.is_none() && f.disconnects == generation);
        if expired {
            tracing::info!(framework = %fid, "failover timeout expired");
            remove_framework(&inner, &mut state, &fid);
        }
    });
}
