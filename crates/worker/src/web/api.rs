//! `GET /api/v1/worker/<name>`: Alluxio's worker REST API, camelCase JSON as Alluxio returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use alluxio_web::{configuration_map, metrics_map};
use axum::Json;
use axum::Router;
use axum::extract::State as Extract;
use axum::routing::get;
use serde_json::{Value, json};

use super::{State, WebState};

pub(super) fn routes() -> Router<Arc<WebState>> {
    let field = |name: &'static str| {
        get(move |Extract(state): State| async move { Json(info_json(&state)[name].clone()) })
    };
    Router::new()
        .route(
            "/api/v1/worker/info",
            get(|Extract(state): State| async move { Json(info_json(&state)) }),
        )
        .route("/api/v1/worker/rpc_address", field("rpcAddress"))
        .route("/api/v1/worker/capacity_bytes", field("capacityBytes"))
        .route("/api/v1/worker/used_bytes", field("usedBytes"))
        .route(
            "/api/v1/worker/capacity_bytes_on_tiers",
            field("capacityBytesOnTiers"),
        )
        .route("/api/v1/worker/used_bytes_on_tiers", field("usedBytesOnTiers"))
        .route("/api/v1/worker/directory_paths_on_tiers", field("tierPaths"))
        .route("/api/v1/worker/start_time_ms", field("startTimeMs"))
        .route("/api/v1/worker/uptime_ms", field("uptimeMs"))
        .route("/api/v1/worker/version", field("version"))
        .route("/api/v1/worker/metrics", field("metrics"))
        .route("/api/v1/worker/configuration", field("configuration"))
}

/// Everything the worker reports, as `/api/v1/worker/info` returns it.
fn info_json(state: &WebState) -> Value {
    let ctx = &state.ctx;
    let usage = ctx.store.usage();
    let capacity: u64 = usage.iter().map(|t| t.capacity).sum();
    let used: u64 = usage.iter().map(|t| t.used).sum();
    let mut tier_paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for dir in ctx.store.dir_usage() {
        tier_paths
            .entry(dir.tier)
            .or_default()
            .push(dir.path.display().to_string());
    }
    json!({
        "id": ctx.worker_id(),
        "address": ctx.address.host,
        "rpcAddress": format!("{}:{}", ctx.address.host, ctx.address.rpc_port),
        "rpcPort": ctx.address.rpc_port,
        "dataPort": ctx.address.data_port,
        "webPort": ctx.address.web_port,
        "tiers": usage.iter().map(|t| &t.alias).collect::<Vec<_>>(),
        "capacityBytes": capacity,
        "usedBytes": used,
        "capacity": { "total": capacity, "used": used },
        "capacityBytesOnTiers": usage.iter().map(|t| (t.alias.clone(), t.capacity)).collect::<BTreeMap<_, _>>(),
        "usedBytesOnTiers": usage.iter().map(|t| (t.alias.clone(), t.used)).collect::<BTreeMap<_, _>>(),
        "tierCapacity": usage.iter().map(|t| (t.alias.clone(), json!({"total": t.capacity, "used": t.used}))).collect::<BTreeMap<_, _>>(),
        "tierPaths": tier_paths,
        "blockCount": ctx.store.block_count(),
        "startTimeMs": ctx.start_time_ms,
        "uptimeMs": ctx.started.elapsed().as_millis() as u64,
        "version": alluxio_proto::VERSION,
        "metrics": metrics_map(&ctx.metrics.registry),
        "configuration": configuration_map(&state.conf),
    })
}
