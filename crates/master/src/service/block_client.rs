//! BlockMasterClientService.

use std::sync::Arc;

use alluxio_proto::grpc::block_master_client_service_server::BlockMasterClientService;
use alluxio_proto::grpc::*;
use tonic::{Request, Response, Status};

use crate::{MasterError, MasterInfoSource};

/// Serves block and worker queries of clients and admins.
pub struct BlockClientService(pub Arc<MasterInfoSource>);

#[tonic::async_trait]
impl BlockMasterClientService for BlockClientService {
    async fn get_block_info(
        &self,
        request: Request<GetBlockInfoRequest>,
    ) -> Result<Response<GetBlockInfoResponse>, Status> {
        let block_id = request.into_inner().block_id;
        let block_info = self
            .0
            .fs
            .blocks
            .block_info(block_id)
            .ok_or(MasterError::BlockNotFound(block_id))?;
        Ok(Response::new(GetBlockInfoResponse {
            block_info: Some(block_info),
        }))
    }

    async fn get_worker_info_list(
        &self,
        _request: Request<GetWorkerInfoListRequest>,
    ) -> Result<Response<GetWorkerInfoListResponse>, Status> {
        let (live_workers, lost_workers) = self.0.fs.blocks.worker_infos();
        Ok(Response::new(GetWorkerInfoListResponse {
            live_workers,
            lost_workers,
        }))
    }

    async fn get_block_master_info(
        &self,
        _request: Request<GetBlockMasterInfoRequest>,
    ) -> Result<Response<BlockMasterInfo>, Status> {
        Ok(Response::new(self.0.fs.blocks.master_info()))
    }

    async fn get_master_info(
        &self,
        _request: Request<GetMasterInfoRequest>,
    ) -> Result<Response<MasterInfo>, Status> {
        Ok(Response::new(self.0.master_info()))
    }
}
