//! BlockMasterWorkerService.

use std::sync::Arc;

use alluxio_proto::grpc::block_master_worker_service_server::BlockMasterWorkerService;
use alluxio_proto::grpc::*;
use tonic::{Request, Response, Status};

use crate::{MasterError, MasterInfoSource};

/// Serves worker registration, heartbeats (with the worker's metrics) and block commits.
pub struct BlockWorkerService(pub Arc<MasterInfoSource>);

#[tonic::async_trait]
impl BlockMasterWorkerService for BlockWorkerService {
    async fn get_worker_id(
        &self,
        request: Request<GetWorkerIdRequest>,
    ) -> Result<Response<GetWorkerIdResponse>, Status> {
        let address = request.into_inner().address.ok_or_else(|| {
            Status::from(MasterError::InvalidArgument(
                "GetWorkerId needs the worker's address".into(),
            ))
        })?;
        let worker_id = self.0.fs.blocks.worker_id(address);
        Ok(Response::new(GetWorkerIdResponse { worker_id }))
    }

    async fn register_worker(
        &self,
        request: Request<RegisterWorkerRequest>,
    ) -> Result<Response<RegisterWorkerResponse>, Status> {
        self.0.fs.register_worker(request.into_inner())?;
        Ok(Response::new(RegisterWorkerResponse {}))
    }

    async fn block_heartbeat(
        &self,
        request: Request<BlockHeartbeatRequest>,
    ) -> Result<Response<BlockHeartbeatResponse>, Status> {
        let mut request = request.into_inner();
        let metrics = std::mem::take(&mut request.metrics);
        self.0
            .metrics
            .report(&format!("worker {}", request.worker_id), &metrics);
        Ok(Response::new(self.0.fs.worker_heartbeat(request).await?))
    }

    async fn commit_block(
        &self,
        request: Request<CommitBlockRequest>,
    ) -> Result<Response<CommitBlockResponse>, Status> {
        let file_pinned = self.0.fs.commit_block(request.into_inner())?;
        Ok(Response::new(CommitBlockResponse { file_pinned }))
    }
}
