//! `POST /api/v1/scheduler`: the checks of apache/mesos `Master::Http::scheduler` in its order
//! (method, Content-Type, parse, validate, Accept, stream id, framework lookup), SUBSCRIBE as
//! a RecordIO event stream, every other call answered 202 and handed to [`super::calls`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use serde_json::{Value, json};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::Inner;
use super::agent::run_task;
use super::calls;
use super::subscribe::subscribe;
use super::update::update_framework;
use super::validate::validate;

/// The scheduler endpoint path.
pub(crate) const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// The leader's router.
pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route(SCHEDULER_PATH, any(scheduler))
        .route("/version", axum::routing::get(version))
        .with_state(inner)
}

/// `GET /version`, which clients such as pymesos read to pick their features.
async fn version() -> Response {
    let body =
        json!({"version": MESOS_VERSION, "build_user": "alluxio-testkit", "build_date": "", "build_time": 0});
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The Mesos release whose behaviour the simulator follows.
pub(crate) const MESOS_VERSION: &str = "1.11.0";

/// A follower's router: every request is redirected to the leader, as `redirect()` in Mesos.
pub(crate) fn follower_router(leader_port: u16) -> Router {
    let handler = move |uri: axum::http::Uri| async move {
        let location = format!("//127.0.0.1:{leader_port}{}", uri.path());
        (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response()
    };
    Router::new().fallback(handler)
}

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into(),
    )
        .into_response()
}

fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|item| {
        let media = item.split(';').next().unwrap_or_default().trim();
        let q_zero = item
            .split(';')
            .skip(1)
            .any(|p| p.trim().replace(' ', "") == "q=0");
        !q_zero && matches!(media, "application/json" | "application/*" | "*/*")
    })
}

/// Checks HTTP basic credentials when the simulator requires them: the authenticated
/// principal, or the 401 that libprocess answers.
fn authenticate(inner: &Inner, headers: &HeaderMap) -> Result<Option<String>, Box<Response>> {
    let Some((principal, secret)) = inner.state.lock().credential.clone() else {
        return Ok(None);
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    match presented.as_deref().and_then(|p| p.split_once(':')) {
        Some((p, s)) if p == principal && s == secret => Ok(Some(principal)),
        _ => Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"mesos\"")],
                "",
            )
                .into_response(),
        )),
    }
}

async fn scheduler(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let principal = match authenticate(&inner, &headers) {
        Ok(principal) => principal,
        Err(response) => return *response,
    };
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            format!("Expecting one of {{ 'POST' }}, but received '{method}'"),
        )
            .into_response();
    }
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return text(StatusCode::BAD_REQUEST, "Expecting 'Content-Type' to be present");
    };
    // Mesos compares the header verbatim: `application/json; charset=utf-8` is refused too.
    if content_type.as_bytes() != b"application/json" {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expecting 'Content-Type' of application/json or application/x-protobuf (the simulator speaks application/json only)",
        );
    }
    let call: Value = match serde_json::from_slice(&body) {
        Ok(call) => call,
        Err(err) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("Failed to parse body into JSON: {err}"),
            );
        }
    };
    let kind = match validate(&call) {
        Ok(kind) => kind,
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    };
    let stream_id = headers
        .get("Mesos-Stream-Id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if kind == "SUBSCRIBE" {
        if !accepts_json(&headers) {
            return text(
                StatusCode::NOT_ACCEPTABLE,
                "Expecting 'Accept' to allow 'application/json' (the simulator does not produce protobuf)",
            );
        }
        if stream_id.is_some() {
            return text(
                StatusCode::BAD_REQUEST,
                "Subscribe calls should not include the 'Mesos-Stream-Id' header",
            );
        }
        let declared = call
            .pointer("/subscribe/framework_info/principal")
            .and_then(Value::as_str);
        if let (Some(principal), Some(declared)) = (&principal, declared)
            && principal != declared
        {
            return text(
                StatusCode::BAD_REQUEST,
                format!(
                    "Failed to validate scheduler::Call: Authenticated principal '{principal}' does not match principal '{declared}' set in `FrameworkInfo`"
                ),
            );
        }
        let (stream_id, rx) = subscribe(&inner, call.get("subscribe").cloned().unwrap_or(Value::Null));
        let body = Body::from_stream(UnboundedReceiverStream::new(rx).map(Ok::<_, Infallible>));
        return (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (header::HeaderName::from_static("mesos-stream-id"), stream_id),
            ],
            body,
        )
            .into_response();
    }
    let fid = call
        .pointer("/framework_id/value")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut state = inner.state.lock();
    let Some(framework) = state.frameworks.get(&fid) else {
        return text(StatusCode::BAD_REQUEST, "Framework cannot be found");
    };
    if let Some(principal) = &principal
        && framework.principal.as_deref() != Some(principal.as_str())
    {
        let declared = framework.principal.clone().unwrap_or_default();
        return text(
            StatusCode::BAD_REQUEST,
            format!(
                "Authenticated principal '{principal}' does not match principal '{declared}' set in `FrameworkInfo`"
            ),
        );
    }
    let Some(current) = framework.stream.as_ref().map(|s| s.id.clone()) else {
        return text(StatusCode::FORBIDDEN, "Framework is not subscribed");
    };
    let Some(stream_id) = stream_id else {
        return text(
            StatusCode::BAD_REQUEST,
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
        );
    };
    if stream_id != current {
        return text(
            StatusCode::BAD_REQUEST,
            format!(
                "The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {fid}"
            ),
        );
    }
    tracing::debug!(framework = %fid, call = %kind, "scheduler call");
    let body = |field: &str| call.get(field).cloned().unwrap_or(Value::Null);
    match kind.as_str() {
        "TEARDOWN" => super::removal::remove_framework(&inner, &mut state, &fid),
        "ACCEPT" => {
            let launched = calls::accept(&mut state, &fid, &body("accept"));
            drop(state);
            for key in launched {
                tokio::spawn(run_task(inner.clone(), key));
            }
            return StatusCode::ACCEPTED.into_response();
        }
        "DECLINE" => calls::decline(&mut state, &fid, &body("decline")),
        "REVIVE" => calls::revive(&mut state, &fid, call.get("revive")),
        "SUPPRESS" => calls::suppress(&mut state, &fid, call.get("suppress")),
        "KILL" => {
            let task_id = body("kill")
                .pointer("/task_id/value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            calls::kill(&inner, &mut state, &fid, &task_id);
        }
        "SHUTDOWN" => {
            // Command tasks run under an executor whose id is the task id.
            let executor = body("shutdown")
                .pointer("/executor_id/value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            calls::kill(&inner, &mut state, &fid, &executor);
        }
        "ACKNOWLEDGE" => {
            let ack = body("acknowledge");
            let task_id = ack
                .pointer("/task_id/value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let uuid = ack.get("uuid").and_then(Value::as_str).unwrap_or_default();
            calls::acknowledge(&mut state, &fid, task_id, uuid);
        }
        "RECONCILE" => calls::reconcile(&state, &fid, &body("reconcile")),
        "RECONCILE_OPERATIONS" => {
            let answer =
                json!({"type": "RECONCILE_OPERATIONS", "reconcile_operations": {"operation_statuses": []}});
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                answer.to_string(),
            )
                .into_response();
        }
        // Applied before the answer, hence 200 rather than 202.
        "UPDATE_FRAMEWORK" => {
            return match update_framework(&mut state, &fid, &body("update_framework")) {
                Ok(()) => StatusCode::OK.into_response(),
                Err(message) => text(StatusCode::BAD_REQUEST, message),
            };
        }
        "UNKNOWN" => return StatusCode::NOT_IMPLEMENTED.into_response(),
        // MESSAGE, REQUEST, inverse offers, operation acks: accepted, nothing to simulate.
        _ => {}
    }
    StatusCode::ACCEPTED.into_response()
}
