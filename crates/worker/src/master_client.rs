//! The worker's connection to the master: the worker-facing block master service (registration,
//! heartbeats, commits) and the client-facing one (block locations, for persistence).

use std::time::{Duration, Instant};

use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use alluxio_proto::grpc::block_master_worker_service_client::BlockMasterWorkerServiceClient;
use alluxio_proto::grpc::file_system_master_client_service_client::FileSystemMasterClientServiceClient;
use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockHeartbeatResponse, BlockInfo, CommitBlockRequest, GetBlockInfoRequest,
    GetUfsInfoRequest, GetWorkerIdRequest, RegisterWorkerRequest, UfsInfo, WorkerNetAddress,
};
use alluxio_server::Backoff;
use tonic::transport::{Channel, Endpoint};

use crate::WorkerError;

/// Bound on one RPC, so a hung master cannot stall a heartbeat forever.
const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Typed calls to the master. Cheap to clone (one shared HTTP/2 channel).
#[derive(Clone)]
pub(crate) struct MasterClient {
    address: String,
    worker: BlockMasterWorkerServiceClient<Channel>,
    blocks: BlockMasterClientServiceClient<Channel>,
    fs: FileSystemMasterClientServiceClient<Channel>,
}

impl MasterClient {
    /// Connects to `host:port`, retrying with `backoff` for up to `timeout`.
    pub(crate) async fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        backoff: Backoff,
    ) -> Result<Self, WorkerError> {
        let address = format!("{host}:{port}");
        let unreachable = |cause: String, waited| WorkerError::MasterUnreachable {
            address: address.clone(),
            waited,
            cause,
        };
        let endpoint = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| unreachable(format!("invalid address: {e}"), Duration::ZERO))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(RPC_TIMEOUT);
        let channel = retry_until(timeout, backoff, "connecting to the master", || {
            endpoint.connect()
        })
        .await
        .map_err(|(e, waited)| unreachable(source_chain(&e), waited))?;
        Ok(Self {
            worker: BlockMasterWorkerServiceClient::new(channel.clone()),
            blocks: BlockMasterClientServiceClient::new(channel.clone()),
            fs: FileSystemMasterClientServiceClient::new(channel),
            address,
        })
    }

    /// host:port of the master.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    fn rpc_error(&self, rpc: &'static str) -> impl FnOnce(tonic::Status) -> WorkerError + '_ {
        move |status| WorkerError::MasterRpc {
            address: self.address.clone(),
            rpc,
            status,
        }
    }

    /// Asks the master for this worker's id.
    pub(crate) async fn get_worker_id(&self, address: WorkerNetAddress) -> Result<u64, WorkerError> {
        let request = GetWorkerIdRequest {
            address: Some(address),
        };
        let response = self.worker.clone().get_worker_id(request).await;
        Ok(response
            .map_err(self.rpc_error("GetWorkerId"))?
            .into_inner()
            .worker_id)
    }

    /// Registers the worker with its tiers and blocks.
    pub(crate) async fn register(&self, request: RegisterWorkerRequest) -> Result<(), WorkerError> {
        let response = self.worker.clone().register_worker(request).await;
        response.map_err(self.rpc_error("RegisterWorker"))?;
        Ok(())
    }

    /// Sends one heartbeat.
    pub(crate) async fn heartbeat(
        &self,
        request: BlockHeartbeatRequest,
    ) -> Result<BlockHeartbeatResponse, WorkerError> {
        let response = self.worker.clone().block_heartbeat(request).await;
        Ok(response.map_err(self.rpc_error("BlockHeartbeat"))?.into_inner())
    }

    /// Reports a committed block; returns whether its file is pinned.
    pub(crate) async fn commit_block(&self, request: CommitBlockRequest) -> Result<bool, WorkerError> {
        let response = self.worker.clone().commit_block(request).await;
        Ok(response
            .map_err(self.rpc_error("CommitBlock"))?
            .into_inner()
            .file_pinned)
    }

    /// The UFS URI and options of mount `mount_id`.
    pub(crate) async fn ufs_info(&self, mount_id: u64) -> Result<UfsInfo, WorkerError> {
        let response = self
            .fs
            .clone()
            .get_ufs_info(GetUfsInfoRequest { mount_id })
            .await
            .map_err(self.rpc_error("GetUfsInfo"))?;
        Ok(response.into_inner().ufs_info.unwrap_or_default())
    }

    /// Where a block lives.
    pub(crate) async fn block_info(&self, block_id: u64) -> Result<BlockInfo, WorkerError> {
        let response = self
            .blocks
            .clone()
            .get_block_info(GetBlockInfoRequest { block_id })
            .await
            .map_err(self.rpc_error("GetBlockInfo"))?;
        Ok(response.into_inner().block_info.unwrap_or(BlockInfo {
            block_id,
            ..Default::default()
        }))
    }
}

/// Runs `attempt` until it succeeds, pausing as `backoff` says, for at most `timeout`; the last
/// error comes back with the time spent.
pub(crate) async fn retry_until<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    timeout: Duration,
    backoff: Backoff,
    what: &str,
    mut attempt: impl FnMut() -> F,
) -> Result<T, (E, Duration)> {
    let started = Instant::now();
    let mut pauses = backoff.pauses();
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if started.elapsed() + pauses.peek() < timeout => {
                tracing::debug!(error = %e, "{what} failed; retrying");
                tokio::time::sleep(pauses.next_pause()).await;
            }
            Err(e) => return Err((e, started.elapsed())),
        }
    }
}

/// The error with its causes, since tonic's transport error alone says only "transport error".
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
