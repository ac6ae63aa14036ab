//! A scriptable fake Mesos master on loopback: records every call, streams the RecordIO events
//! a test pushes (cut into odd chunks), and can redirect or reject. Calls on the stream are
//! answered as Mesos does: 200 for UPDATE_FRAMEWORK, 202 for the others.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alluxio_mesos::wire::recordio;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// Stream id the fake hands out.
pub const STREAM_ID: &str = "stream-7f3a";

/// A call as the fake received it.
pub struct Received {
    /// Request headers.
    pub headers: HeaderMap,
    /// JSON body.
    pub call: Value,
}

#[derive(Default)]
struct Shared {
    events: Mutex<Option<mpsc::UnboundedSender<Bytes>>>,
    reject_next: Mutex<Option<(StatusCode, String)>>,
    calls: Mutex<Option<mpsc::UnboundedSender<Received>>>,
}

/// The fake leader.
pub struct FakeMaster {
    /// Its address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    calls: mpsc::UnboundedReceiver<Received>,
    _stop: oneshot::Sender<()>,
}

async fn serve(router: Router) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (addr, stop)
}

async fn scheduler(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(call) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "Failed to parse body into JSON").into_response();
    };
    let subscribe = call["type"] == "SUBSCRIBE";
    let applied_at_once = call["type"] == "UPDATE_FRAMEWORK";
    if let Some(calls) = shared.calls.lock().unwrap().as_ref() {
        let _ = calls.send(Received {
            headers: headers.clone(),
            call,
        });
    }
    if let Some((status, body)) = shared.reject_next.lock().unwrap().take() {
        return (status, body).into_response();
    }
    if subscribe {
        let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
        *shared.events.lock().unwrap() = Some(tx);
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .header("Mesos-Stream-Id", STREAM_ID)
            .body(Body::from_stream(stream))
            .unwrap();
    }
    match headers.get("Mesos-Stream-Id").and_then(|v| v.to_str().ok()) {
        Some(STREAM_ID) if applied_at_once => StatusCode::OK.into_response(),
        Some(STREAM_ID) => StatusCode::ACCEPTED.into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
        )
            .into_response(),
    }
}

impl FakeMaster {
    /// Starts the fake on 127.0.0.1, port 0.
    pub async fn start() -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            calls: Mutex::new(Some(tx)),
            ..Default::default()
        });
        let router = Router::new()
            .route("/api/v1/scheduler", post(scheduler))
            .with_state(shared.clone());
        let (addr, stop) = serve(router).await;
        Self {
            addr,
            shared,
            calls,
            _stop: stop,
        }
    }

    /// Streams one event, cut into `chunk`-byte pieces.
    pub fn send_event(&self, event: &Value, chunk: usize) {
        let framed = recordio::encode(&serde_json::to_vec(event).unwrap());
        let events = self.shared.events.lock().unwrap();
        let tx = events.as_ref().expect("no subscriber");
        for piece in framed.chunks(chunk) {
            tx.send(Bytes::copy_from_slice(piece)).unwrap();
        }
    }

    /// Streams raw bytes, framed or not.
    pub fn send_raw(&self, bytes: &'static [u8]) {
        let events = self.shared.events.lock().unwrap();
        events
            .as_ref()
            .expect("no subscriber")
            .send(Bytes::from_static(bytes))
            .unwrap();
    }

    /// Ends the current event stream.
    pub fn close_stream(&self) {
        self.shared.events.lock().unwrap().take();
    }

    /// Answers the next call with `status` and `body`.
    pub fn reject_next(&self, status: StatusCode, body: &str) {
        *self.shared.reject_next.lock().unwrap() = Some((status, body.to_string()));
    }

    /// The next call of type `kind`, skipping others; fails after 10 s.
    pub async fn expect_call(&mut self, kind: &str) -> Received {
        self.calls_until(&[kind])
            .await
            .pop()
            .expect("the call waited for is the last one")
    }

    /// The calls received up to and including the next one of a type in `kinds`; fails after
    /// 10 s.
    pub async fn calls_until(&mut self, kinds: &[&str]) -> Vec<Received> {
        let wait = async {
            let mut received = Vec::new();
            loop {
                let call = self.calls.recv().await.expect("fake master stopped");
                let done = kinds.iter().any(|kind| call.call["type"] == *kind);
                received.push(call);
                if done {
                    return received;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no {kinds:?} call within 10 s"))
    }
}

/// A non-leader that redirects every request to `leader` with `location`.
pub async fn redirector(location: String) -> (SocketAddr, oneshot::Sender<()>) {
    let router = Router::new().route(
        "/api/v1/scheduler",
        post(move || {
            let location = location.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]) }
        }),
    );
    serve(router).await
}

/// A loopback port nothing listens on.
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
