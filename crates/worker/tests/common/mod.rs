//! Test support: a fake block master speaking the real gRPC protocol (a test double of the peer
//! process, recording what workers send and handing out queued commands), worker configuration
//! on loopback with temp dirs, and small data-port client helpers.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_proto::data::{self, Op, Request, Response, Status};
use alluxio_proto::grpc::block_master_client_service_server::{
    BlockMasterClientService, BlockMasterClientServiceServer,
};
use alluxio_proto::grpc::block_master_worker_service_server::{
    BlockMasterWorkerService, BlockMasterWorkerServiceServer,
};
use alluxio_proto::grpc::*;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tonic::{Request as RpcRequest, Response as RpcResponse, Status as RpcStatus};

/// Everything the fake master saw, and the commands it will hand out.
#[derive(Default)]
pub struct Recorded {
    pub addresses: HashMap<u64, WorkerNetAddress>,
    pub registrations: Vec<RegisterWorkerRequest>,
    pub heartbeats: Vec<BlockHeartbeatRequest>,
    pub commits: Vec<CommitBlockRequest>,
    /// Responses for the next heartbeats of a worker id.
    pub queued: HashMap<u64, VecDeque<BlockHeartbeatResponse>>,
    /// Pinned file ids, sent in every heartbeat response as a real master does.
    pub pinned: Vec<u64>,
    /// Answer the first heartbeat reporting persisted files with Register (as a master that just
    /// lost the worker does), ignoring its report.
    pub forget_first_persist_report: bool,
    next_id: u64,
}

#[derive(Clone, Default)]
pub struct FakeMasterState(pub Arc<Mutex<Recorded>>);

#[tonic::async_trait]
impl BlockMasterWorkerService for FakeMasterState {
    async fn get_worker_id(
        &self,
        request: RpcRequest<GetWorkerIdRequest>,
    ) -> Result<RpcResponse<GetWorkerIdResponse>, RpcStatus> {
        let address = request.into_inner().address.unwrap_or_default();
        let mut recorded = self.0.lock();
        let known = recorded
            .addresses
            .iter()
            .find(|(_, a)| **a == address)
            .map(|(id, _)| *id);
        let worker_id = known.unwrap_or_else(|| {
            recorded.next_id += 1;
            recorded.next_id
        });
        recorded.addresses.insert(worker_id, address);
        Ok(RpcResponse::new(GetWorkerIdResponse { worker_id }))
    }

    async fn register_worker(
        &self,
        request: RpcRequest<RegisterWorkerRequest>,
    ) -> Result<RpcResponse<RegisterWorkerResponse>, RpcStatus> {
        self.0.lock().registrations.push(request.into_inner());
        Ok(RpcResponse::new(RegisterWorkerResponse {}))
    }

    async fn block_heartbeat(
        &self,
        request: RpcRequest<BlockHeartbeatRequest>,
    ) -> Result<RpcResponse<BlockHeartbeatResponse>, RpcStatus> {
        let request = request.into_inner();
        let mut recorded = self.0.lock();
        let response = recorded
            .queued
            .get_mut(&request.worker_id)
            .and_then(|queue| queue.pop_front())
            .unwrap_or_default();
        let response = if recorded.forget_first_persist_report && !request.persisted_file_ids.is_empty() {
            recorded.forget_first_persist_report = false;
            BlockHeartbeatResponse {
                command: Some(Command {
                    command_type: CommandType::Register.into(),
                    block_ids: vec![],
                }),
                ..Default::default()
            }
        } else {
            response
        };
        let response = BlockHeartbeatResponse {
            pinned_file_ids: recorded.pinned.clone(),
            ..response
        };
        recorded.heartbeats.push(request);
        Ok(RpcResponse::new(response))
    }

    async fn commit_block(
        &self,
        request: RpcRequest<CommitBlockRequest>,
    ) -> Result<RpcResponse<CommitBlockResponse>, RpcStatus> {
        self.0.lock().commits.push(request.into_inner());
        Ok(RpcResponse::new(CommitBlockResponse::default()))
    }
}

#[tonic::async_trait]
impl BlockMasterClientService for FakeMasterState {
    async fn get_block_info(
        &self,
        request: RpcRequest<GetBlockInfoRequest>,
    ) -> Result<RpcResponse<GetBlockInfoResponse>, RpcStatus> {
        let block_id = request.into_inner().block_id;
        let recorded = self.0.lock();
        let commits: Vec<_> = recorded
            .commits
            .iter()
            .filter(|c| c.block_id == block_id)
            .collect();
        let Some(first) = commits.first() else {
            return Err(RpcStatus::not_found(format!("block {block_id} unknown")));
        };
        let locations = commits
            .iter()
            .map(|c| BlockLocation {
                worker_id: c.worker_id,
                worker_address: recorded.addresses.get(&c.worker_id).cloned(),
                tier_alias: c.tier_alias.clone(),
            })
            .collect();
        Ok(RpcResponse::new(GetBlockInfoResponse {
            block_info: Some(BlockInfo {
                block_id,
                length: first.length,
                locations,
            }),
        }))
    }

    async fn get_worker_info_list(
        &self,
        _: RpcRequest<GetWorkerInfoListRequest>,
    ) -> Result<RpcResponse<GetWorkerInfoListResponse>, RpcStatus> {
        Err(RpcStatus::unimplemented("not needed by workers"))
    }

    async fn get_block_master_info(
        &self,
        _: RpcRequest<GetBlockMasterInfoRequest>,
    ) -> Result<RpcResponse<BlockMasterInfo>, RpcStatus> {
        Err(RpcStatus::unimplemented("not needed by workers"))
    }

    async fn get_master_info(
        &self,
        _: RpcRequest<GetMasterInfoRequest>,
    ) -> Result<RpcResponse<MasterInfo>, RpcStatus> {
        Err(RpcStatus::unimplemented("not needed by workers"))
    }
}

/// A fake master serving on loopback until dropped.
pub struct FakeMaster {
    pub state: FakeMasterState,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeMaster {
    pub async fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// Serves on `listener` (e.g. the port of a master that went away).
    pub fn start_on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let state = FakeMasterState::default();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tonic::transport::Server::builder()
            .add_service(BlockMasterWorkerServiceServer::new(state.clone()))
            .add_service(BlockMasterClientServiceServer::new(state.clone()))
            .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(listener), async {
                let _ = stop_rx.await;
            });
        let task = tokio::spawn(async move {
            let _ = server.await;
        });
        Self {
            state,
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Stops serving and closes every connection, as a master process exiting would.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    pub fn recorded(&self) -> parking_lot::MutexGuard<'_, Recorded> {
        self.state.0.lock()
    }

    /// Hands `response` to the next heartbeat of `worker_id`.
    pub fn queue(&self, worker_id: u64, response: BlockHeartbeatResponse) {
        self.recorded()
            .queued
            .entry(worker_id)
            .or_default()
            .push_back(response);
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A worker configuration: loopback, port 0, one MEM tier of 64 MB in `dir`, fast heartbeats.
pub fn worker_conf(master: SocketAddr, dir: &Path) -> Configuration {
    let mut conf = Configuration::defaults();
    conf.set(keys::WORK_DIR, dir.display().to_string());
    conf.set(keys::MASTER_HOSTNAME, "127.0.0.1");
    conf.set(keys::MASTER_PORT, master.port().to_string());
    conf.set(keys::WORKER_HOSTNAME, "127.0.0.1");
    conf.set(keys::WORKER_BIND_HOST, "127.0.0.1");
    conf.set(keys::WORKER_PORT, "0");
    conf.set(keys::WORKER_DATA_PORT, "0");
    conf.set(keys::WORKER_WEB_PORT, "0");
    conf.set(keys::WORKER_TIERED_STORE_LEVELS, "1");
    conf.set(&keys::tier_alias(0), "MEM");
    conf.set(&keys::tier_dirs_path(0), dir.join("mem").display().to_string());
    conf.set(&keys::tier_dirs_quota(0), "64MB");
    conf.set(keys::WORKER_BLOCK_HEARTBEAT_INTERVAL, "50ms");
    conf.set(keys::WORKER_BLOCK_HEARTBEAT_TIMEOUT, "10sec");
    conf
}

/// `len` bytes that differ from block to block and position to position.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(31).wrapping_add(seed * 7) as u8)
        .collect()
}

/// A data-port connection.
pub struct DataClient {
    pub stream: BufReader<TcpStream>,
}

impl DataClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        Self {
            stream: BufReader::new(TcpStream::connect(addr).await.unwrap()),
        }
    }

    /// Writes a block in chunks of `chunk` bytes and returns the response.
    pub async fn write_block(&mut self, block_id: u64, bytes: &[u8], chunk: usize) -> Response {
        let mut request = Request::new(Op::WriteBlock, block_id, 0, bytes.len() as u64);
        request.tier = 0;
        data::write_request(&mut self.stream, &request).await.unwrap();
        for part in bytes.chunks(chunk) {
            data::write_chunk(&mut self.stream, part).await.unwrap();
        }
        data::write_chunk(&mut self.stream, &[]).await.unwrap();
        tokio::io::AsyncWriteExt::flush(&mut self.stream).await.unwrap();
        data::read_response(&mut self.stream).await.unwrap()
    }

    /// Sends a read-like request; returns the response and the bytes that followed it.
    pub async fn read(&mut self, request: &Request) -> (Response, Vec<u8>) {
        data::write_request(&mut self.stream, request).await.unwrap();
        let response = data::read_response(&mut self.stream).await.unwrap();
        let mut bytes = vec![0; response.length as usize];
        if response.status == Status::Ok && matches!(request.op, Op::ReadBlock | Op::ReadUfsBlock) {
            self.stream.read_exact(&mut bytes).await.unwrap();
        } else {
            bytes.clear();
        }
        (response, bytes)
    }

    pub async fn read_block(&mut self, block_id: u64, offset: u64, length: u64) -> (Response, Vec<u8>) {
        self.read(&Request::new(Op::ReadBlock, block_id, offset, length))
            .await
    }
}

/// Polls `check` every 10 ms until it holds, for at most 10 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
