//! The worker's web port: a JSON summary and a health check.

use std::collections::BTreeMap;
use std::sync::Arc;

use alluxio_server::Shutdown;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;

use crate::WorkerError;
use crate::context::WorkerContext;

/// `GET /api/v1/worker/info`.
#[derive(Debug, serde::Serialize)]
struct WorkerInfo {
    id: u64,
    address: String,
    rpc_port: u32,
    data_port: u32,
    web_port: u32,
    tiers: Vec<String>,
    capacity_bytes: u64,
    used_bytes: u64,
    capacity_bytes_on_tiers: BTreeMap<String, u64>,
    used_bytes_on_tiers: BTreeMap<String, u64>,
    block_count: u64,
    start_time_ms: i64,
    uptime_ms: u64,
    version: String,
}

/// Serves the web API on `listener` until shutdown.
pub(crate) async fn serve(
    ctx: Arc<WorkerContext>,
    listener: TcpListener,
    mut shutdown: Shutdown,
) -> Result<(), WorkerError> {
    let router = Router::new()
        .route("/api/v1/worker/info", get(info))
        .route("/health", get(|| async { "OK" }))
        .with_state(ctx);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
        .map_err(|e| WorkerError::Task {
            task: "web server",
            reason: e.to_string(),
        })
}

async fn info(State(ctx): State<Arc<WorkerContext>>) -> Json<WorkerInfo> {
    let status = crate::rpc::status(&ctx);
    let address = status.address.unwrap_or_default();
    Json(WorkerInfo {
        id: status.worker_id,
        address: address.host,
        rpc_port: address.rpc_port,
        data_port: address.data_port,
        web_port: address.web_port,
        tiers: status.storage_tiers,
        capacity_bytes: status.capacity_bytes_on_tiers.values().sum(),
        used_bytes: status.used_bytes_on_tiers.values().sum(),
        capacity_bytes_on_tiers: status.capacity_bytes_on_tiers.into_iter().collect(),
        used_bytes_on_tiers: status.used_bytes_on_tiers.into_iter().collect(),
        block_count: status.block_count,
        start_time_ms: status.start_time_ms,
        uptime_ms: ctx.started.elapsed().as_millis() as u64,
        version: status.version,
    })
}
