//! Alluxio's REST API v1 as the proxy serves it: `/api/v1/paths` (file system calls),
//! `/api/v1/streams` (reading and writing the streams those calls open) and
//! `/api/v1/proxy/info`. Compatible with PyPI's `alluxio` 0.1.x client unchanged.

mod error;
mod json;
mod paths;
mod streams;

use alluxio_client::FileSystem;
use alluxio_conf::Configuration;
use axum::extract::{Request, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

pub(crate) use streams::Streams;

use crate::Started;
use error::RestError;

/// What every REST handler shares.
#[derive(Clone)]
pub(crate) struct RestState {
    fs: FileSystem,
    conf: Configuration,
    streams: Streams,
    started: Started,
}

impl RestState {
    pub(crate) fn new(fs: FileSystem, conf: Configuration, streams: Streams, started: Started) -> Self {
        Self {
            fs,
            conf,
            streams,
            started,
        }
    }
}

/// The routes of the REST API; any request no route of the port takes gets a JSON error naming it.
pub(crate) fn router(state: RestState) -> Router {
    Router::new()
        .route(
            "/api/v1/paths/{*rest}",
            post(paths::path_action).fallback(unknown_endpoint),
        )
        .route(
            "/api/v1/streams/{id}/{action}",
            post(streams::stream_action).fallback(unknown_endpoint),
        )
        .route("/api/v1/proxy/info", get(proxy_info))
        .fallback(unknown_endpoint)
        .with_state(state)
}

/// A request for no endpoint of the REST API (or the S3 API).
async fn unknown_endpoint(request: Request) -> RestError {
    RestError::not_found(format!(
        "no endpoint {} {}: the REST API takes POST /api/v1/paths/<path>/<action> and POST \
         /api/v1/streams/<id>/read|write|close, the S3 API lives under /api/v1/s3/",
        request.method(),
        request.uri().path()
    ))
}

/// `GET /api/v1/proxy/info`: the configuration (secrets redacted), start time, uptime, version.
async fn proxy_info(State(state): State<RestState>) -> Json<Value> {
    let configuration: Map<String, Value> = state
        .conf
        .entries()
        .into_iter()
        .filter_map(|(key, value, _)| {
            let value = alluxio_conf::displayed_value(&key, value?);
            Some((key, Value::String(value)))
        })
        .collect();
    let uptime_ms = u64::try_from(state.started.at.elapsed().as_millis()).unwrap_or(u64::MAX);
    Json(json!({
        "configuration": configuration,
        "startTimeMs": state.started.epoch_ms,
        "uptimeMs": uptime_ms,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
