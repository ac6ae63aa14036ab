//! The worker's control RPC service (status, block removal) for clients and admin tools.

use std::sync::Arc;

use alluxio_proto::grpc::worker_service_server::{WorkerService, WorkerServiceServer};
use alluxio_proto::grpc::{GetWorkerStatusRequest, RemoveBlockRequest, RemoveBlockResponse, WorkerStatus};
use alluxio_server::{GrpcRoutes, RpcLimits, Shutdown};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};
use tower::Layer;

use crate::context::WorkerContext;
use crate::store::StoreError;

/// Serves [`WorkerService`] on `listener` until shutdown.
pub(crate) async fn serve(
    ctx: Arc<WorkerContext>,
    listener: TcpListener,
    limits: RpcLimits,
    shutdown: Shutdown,
) {
    let routes = GrpcRoutes::default().with(WorkerServiceServer::new(WorkerRpc { ctx: ctx.clone() }));
    limits
        .serve(listener, ctx.metrics.rpc_layer().layer(routes), shutdown)
        .await;
}

struct WorkerRpc {
    ctx: Arc<WorkerContext>,
}

/// The status reported by the RPC service and the web API.
pub(crate) fn status(ctx: &WorkerContext) -> WorkerStatus {
    let usage = ctx.store.usage();
    WorkerStatus {
        worker_id: ctx.worker_id(),
        address: Some(ctx.address.clone()),
        storage_tiers: usage.iter().map(|t| t.alias.clone()).collect(),
        capacity_bytes_on_tiers: usage.iter().map(|t| (t.alias.clone(), t.capacity)).collect(),
        used_bytes_on_tiers: usage.iter().map(|t| (t.alias.clone(), t.used)).collect(),
        block_count: ctx.store.block_count(),
        start_time_ms: ctx.start_time_ms,
        version: alluxio_proto::VERSION.to_string(),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl WorkerService for WorkerRpc {
    async fn get_status(&self, _: Request<GetWorkerStatusRequest>) -> Result<Response<WorkerStatus>, Status> {
        Ok(Response::new(status(&self.ctx)))
    }

    async fn remove_block(
        &self,
        request: Request<RemoveBlockRequest>,
    ) -> Result<Response<RemoveBlockResponse>, Status> {
        let block_id = request.into_inner().block_id;
        let store = self.ctx.store.clone();
        let removed = tokio::task::spawn_blocking(move || store.remove_block(block_id))
            .await
            .map_err(|e| Status::internal(format!("removing block {block_id} was interrupted: {e}")))?;
        match removed {
            Ok(()) => Ok(Response::new(RemoveBlockResponse {})),
            Err(e @ StoreError::NotFound(_)) => Err(Status::not_found(e.to_string())),
            Err(e) => Err(Status::internal(e.to_string())),
        }
    }
}
