//! The master's web port: the JSON REST API of Alluxio 1.x and a health check.

use std::sync::Arc;

use alluxio_proto::grpc::WorkerInfo;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::MasterInfoSource;

/// Routes of the web port; anything else is 404.
pub fn router(info: Arc<MasterInfoSource>) -> Router {
    Router::new()
        .route("/health", get(|| async { "OK" }))
        .route("/api/v1/master/info", get(master_info))
        .route("/api/v1/master/worker_info_list", get(worker_info_list))
        .route("/api/v1/master/capacity_bytes", get(capacity_bytes))
        .route("/api/v1/master/used_bytes", get(used_bytes))
        .route("/api/v1/master/version", get(version))
        .with_state(info)
}

type Info = State<Arc<MasterInfoSource>>;

async fn master_info(State(info): Info) -> Json<Value> {
    let master = info.master_info();
    let blocks = info.fs.blocks.master_info();
    Json(json!({
        "rpcAddress": master.rpc_address,
        "webAddress": master.web_address,
        "startTimeMs": master.start_time_ms,
        "uptimeMs": master.uptime_ms,
        "version": master.version,
        "rootUfs": master.root_ufs,
        "workerCount": blocks.live_worker_num,
        "lostWorkerCount": blocks.lost_worker_num,
        "capacityBytes": blocks.capacity_bytes,
        "usedBytes": blocks.used_bytes,
        "capacityBytesOnTiers": blocks.capacity_bytes_on_tiers,
        "usedBytesOnTiers": blocks.used_bytes_on_tiers,
    }))
}

fn worker_json(worker: &WorkerInfo) -> Value {
    let address = worker.address.clone().unwrap_or_default();
    json!({
        "id": worker.id,
        "address": {
            "host": address.host,
            "rpcPort": address.rpc_port,
            "dataPort": address.data_port,
            "webPort": address.web_port,
        },
        "state": worker.state,
        "capacityBytes": worker.capacity_bytes,
        "usedBytes": worker.used_bytes,
        "capacityBytesOnTiers": worker.capacity_bytes_on_tiers,
        "usedBytesOnTiers": worker.used_bytes_on_tiers,
        "lastContactSec": worker.last_contact_ms / 1000,
        "startTimeMs": worker.start_time_ms,
        "blockCount": worker.block_count,
    })
}

async fn worker_info_list(State(info): Info) -> Json<Value> {
    let (live, lost) = info.fs.blocks.worker_infos();
    Json(Value::Array(live.iter().chain(&lost).map(worker_json).collect()))
}

async fn capacity_bytes(State(info): Info) -> Json<u64> {
    Json(info.fs.blocks.master_info().capacity_bytes)
}

async fn used_bytes(State(info): Info) -> Json<u64> {
    Json(info.fs.blocks.master_info().used_bytes)
}

async fn version() -> Json<&'static str> {
    Json(alluxio_proto::VERSION)
}
