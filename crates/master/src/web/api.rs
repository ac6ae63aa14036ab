//! `GET /api/v1/master/<name>`: Alluxio's master REST API, camelCase JSON as Alluxio returns.

use std::collections::BTreeMap;

use alluxio_proto::grpc::WorkerInfo;
use alluxio_web::{configuration_map, metrics_map};
use axum::Router;
use axum::extract::State as Extract;
use axum::routing::get;
use axum::{Json, response::IntoResponse};
use serde_json::{Value, json};

use super::{State, WebState};

pub(super) fn routes() -> Router<std::sync::Arc<WebState>> {
    let field = |name: &'static str| {
        get(move |Extract(state): State| async move { Json(info_json(&state)[name].clone()) })
    };
    Router::new()
        .route(
            "/api/v1/master/info",
            get(|Extract(state): State| async move { Json(info_json(&state)) }),
        )
        .route("/api/v1/master/capacity_bytes", field("capacityBytes"))
        .route("/api/v1/master/used_bytes", field("usedBytes"))
        .route("/api/v1/master/free_bytes", field("freeBytes"))
        .route(
            "/api/v1/master/capacity_bytes_on_tiers",
            field("capacityBytesOnTiers"),
        )
        .route("/api/v1/master/used_bytes_on_tiers", field("usedBytesOnTiers"))
        .route("/api/v1/master/ufs_capacity_bytes", field("ufsCapacityBytes"))
        .route("/api/v1/master/ufs_used_bytes", field("ufsUsedBytes"))
        .route("/api/v1/master/ufs_free_bytes", field("ufsFreeBytes"))
        .route("/api/v1/master/worker_count", field("workerCount"))
        .route("/api/v1/master/worker_info_list", field("workers"))
        .route("/api/v1/master/lost_worker_info_list", field("lostWorkers"))
        .route("/api/v1/master/configuration", field("configuration"))
        .route("/api/v1/master/metrics", field("metrics"))
        .route("/api/v1/master/rpc_address", field("rpcAddress"))
        .route("/api/v1/master/start_time_ms", field("startTimeMs"))
        .route("/api/v1/master/uptime_ms", field("uptimeMs"))
        .route(
            "/api/v1/master/version",
            get(|| async { Json(alluxio_proto::VERSION).into_response() }),
        )
}

/// Everything the master reports, as `/api/v1/master/info` returns it; the single-value
/// endpoints return one field of it.
fn info_json(state: &WebState) -> Value {
    let info = &state.info;
    let master = info.master_info();
    let blocks = info.fs.blocks.master_info();
    let (live, lost) = info.fs.blocks.worker_infos();
    let (ufs_capacity, ufs_used) = info.ufs_space.get(&info.fs.settings.root_ufs);
    let tiers: BTreeMap<&String, Value> = blocks
        .capacity_bytes_on_tiers
        .iter()
        .map(|(tier, total)| {
            let used = blocks.used_bytes_on_tiers.get(tier).copied().unwrap_or(0);
            (tier, json!({ "total": total, "used": used }))
        })
        .collect();
    let mount_points: BTreeMap<String, Value> = info
        .fs
        .mount_table()
        .into_iter()
        .map(|(point, mount)| {
            let space = info.ufs_space.get(&mount.ufs_uri);
            (point.to_string(), super::settings::mount_json(&mount, space))
        })
        .collect();
    let consistency = info.consistency.lock().clone();
    json!({
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
        "freeBytes": blocks.capacity_bytes.saturating_sub(blocks.used_bytes),
        "capacityBytesOnTiers": blocks.capacity_bytes_on_tiers,
        "usedBytesOnTiers": blocks.used_bytes_on_tiers,
        "capacity": { "total": blocks.capacity_bytes, "used": blocks.used_bytes },
        "tierCapacity": tiers,
        "ufsCapacityBytes": ufs_capacity,
        "ufsUsedBytes": ufs_used,
        "ufsFreeBytes": if ufs_capacity < 0 { -1 } else { ufs_capacity - ufs_used },
        "ufsCapacity": { "total": ufs_capacity, "used": ufs_used },
        "workers": live.iter().map(worker_json).collect::<Vec<_>>(),
        "lostWorkers": lost.iter().map(worker_json).collect::<Vec<_>>(),
        "configuration": configuration_map(&info.conf),
        "metrics": metrics_map(&info.metrics.registry),
        "mountPoints": mount_points,
        "startupConsistencyCheck": {
            "status": consistency.status(),
            "inconsistentUris": consistency.inconsistent(),
        },
    })
}

/// A worker as Alluxio's `WorkerInfo` JSON.
pub(super) fn worker_json(worker: &WorkerInfo) -> Value {
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
