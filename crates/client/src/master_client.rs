//! The master's client services over one lazily connected gRPC channel, retrying while the master
//! is unreachable for up to `alluxio.user.rpc.retry.max.duration`.
//!
//! Idempotent calls are retried on every UNAVAILABLE; a call that changes the namespace only when
//! it never left the client (the connection could not be made), because one the master applied
//! before its answer was lost would come back as AlreadyExists or worse.

use std::future::Future;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use alluxio_proto::grpc::file_system_master_client_service_client::FileSystemMasterClientServiceClient;
use alluxio_proto::grpc::metrics_master_client_service_client::MetricsMasterClientServiceClient;
use alluxio_proto::grpc::*;
use alluxio_server::Backoff;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::{ClientError, ErrorKind, Subject};

type FsClient = FileSystemMasterClientServiceClient<Channel>;
type BlockClient = BlockMasterClientServiceClient<Channel>;
type MetricsClient = MetricsMasterClientServiceClient<Channel>;

/// Largest gRPC message accepted (a listing of a big directory is one message).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Whether a call may be sent again after the master became unavailable during it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads and calls whose repetition leaves the same state: always.
    Idempotent,
    /// Calls that change the namespace: only when the request certainly never reached the master.
    IfNotSent,
}

/// Whether `status` reports a failure to connect, so the request was never sent. Tonic keeps the
/// transport error as the status' source; a connect failure carries a [`tonic::ConnectError`].
fn never_sent(status: &Status) -> bool {
    let mut source = std::error::Error::source(status);
    while let Some(err) = source {
        if err.is::<tonic::ConnectError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Whether `status` reports a lost connection rather than an answer of the master: Unavailable,
/// or any status whose source is a transport failure (a connection closed under an in-flight
/// call surfaces as "transport error" with another code).
fn connection_lost(status: &Status) -> bool {
    if status.code() == Code::Unavailable {
        return true;
    }
    let mut source = std::error::Error::source(status);
    while let Some(err) = source {
        if err.is::<tonic::transport::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Typed calls to the master.
#[derive(Clone)]
pub(crate) struct MasterClient {
    fs: FsClient,
    block: BlockClient,
    metrics: MetricsClient,
    address: String,
    retry_for: Duration,
    /// Pauses between attempts (`alluxio.user.rpc.retry.base.sleep` / `.max.sleep`).
    backoff: Backoff,
}

impl MasterClient {
    /// A client for the master named by the configuration; nothing is dialled until the first call.
    pub(crate) fn new(conf: &Configuration) -> Result<Self, ClientError> {
        let host = conf.get(keys::MASTER_HOSTNAME)?;
        let port = conf.get_port(keys::MASTER_PORT)?;
        let retry_for = conf.get_duration(keys::USER_RPC_RETRY_MAX_DURATION)?;
        let backoff = Backoff::new(
            conf.get_duration(keys::USER_RPC_RETRY_BASE_SLEEP)?,
            conf.get_duration(keys::USER_RPC_RETRY_MAX_SLEEP)?,
        );
        let address = format!("{host}:{port}");
        let endpoint = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| {
                ClientError::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "invalid master address {address} (alluxio.master.hostname / alluxio.master.port): {e}"
                    ),
                )
                .about(Subject::Master(address.clone()))
            })?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true);
        let channel = endpoint.connect_lazy();
        Ok(Self {
            fs: FsClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            metrics: MetricsClient::new(channel.clone()),
            block: BlockClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            address,
            retry_for,
            backoff,
        })
    }

    async fn retry<T, Fut>(&self, retry: Retry, mut attempt: impl FnMut() -> Fut) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = Instant::now() + self.retry_for;
        let mut pauses = self.backoff.pauses();
        loop {
            let status = match attempt().await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) => status,
            };
            if !connection_lost(&status) {
                return Err(ClientError::from_status(&status, &self.address));
            }
            if retry == Retry::IfNotSent && !never_sent(&status) {
                return Err(self.error(
                    ErrorKind::Unavailable,
                    format!(
                        "lost the Alluxio master at {} during a call that changes the namespace: {}; \
                         it may or may not have been applied, check the path before retrying",
                        self.address,
                        status.message()
                    ),
                ));
            }
            if Instant::now() + pauses.peek() > deadline {
                return Err(self.error(
                    ErrorKind::Unavailable,
                    format!(
                        "cannot reach the Alluxio master at {}: {}; is it running? \
                         (alluxio.master.hostname / alluxio.master.port)",
                        self.address,
                        status.message()
                    ),
                ));
            }
            tracing::debug!(master = %self.address, error = %status.message(), "master unavailable; retrying");
            tokio::time::sleep(pauses.next_pause()).await;
        }
    }

    async fn fs_call<Req: Clone, T, Fut>(
        &self,
        retry: Retry,
        request: Req,
        call: impl Fn(FsClient, Req) -> Fut,
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.retry(retry, || call(self.fs.clone(), request.clone())).await
    }

    async fn block_call<Req: Clone, T, Fut>(
        &self,
        request: Req,
        call: impl Fn(BlockClient, Req) -> Fut,
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.retry(Retry::Idempotent, || call(self.block.clone(), request.clone()))
            .await
    }

    pub(crate) async fn create_directory(&self, req: CreateDirectoryRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::IfNotSent, req, |mut c, r| async move {
            c.create_directory(r).await
        })
        .await
        .map(drop)
    }

    pub(crate) async fn create_file(&self, req: CreateFileRequest) -> Result<FileInfo, ClientError> {
        let resp = self
            .fs_call(
                Retry::IfNotSent,
                req,
                |mut c, r| async move { c.create_file(r).await },
            )
            .await?;
        self.require(resp.file_info, "CreateFile")
    }

    pub(crate) async fn new_block_id(&self, path: &str) -> Result<u64, ClientError> {
        let req = GetNewBlockIdForFileRequest {
            path: path.to_string(),
            ..Default::default()
        };
        let resp = self
            .fs_call(Retry::IfNotSent, req, |mut c, r| async move {
                c.get_new_block_id_for_file(r).await
            })
            .await?;
        Ok(resp.block_id)
    }

    pub(crate) async fn complete_file(&self, path: &str, length: u64) -> Result<FileInfo, ClientError> {
        let req = CompleteFileRequest {
            path: path.to_string(),
            length,
            ..Default::default()
        };
        let resp = self
            .fs_call(Retry::IfNotSent, req, |mut c, r| async move {
                c.complete_file(r).await
            })
            .await?;
        self.require(resp.file_info, "CompleteFile")
    }

    pub(crate) async fn get_status(
        &self,
        path: &str,
        load_metadata_type: LoadMetadataType,
        sync_interval_ms: Option<i64>,
    ) -> Result<FileInfo, ClientError> {
        let req = GetStatusRequest {
            path: path.to_string(),
            load_metadata_type: load_metadata_type as i32,
            sync_interval_ms,
            ..Default::default()
        };
        let resp = self
            .fs_call(
                Retry::Idempotent,
                req,
                |mut c, r| async move { c.get_status(r).await },
            )
            .await?;
        self.require(resp.file_info, "GetStatus")
    }

    pub(crate) async fn list_status(&self, req: ListStatusRequest) -> Result<Vec<FileInfo>, ClientError> {
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
                c.list_status(r).await
            })
            .await?;
        Ok(resp.file_infos)
    }

    pub(crate) async fn delete(&self, req: DeleteRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::IfNotSent, req, |mut c, r| async move { c.delete(r).await })
            .await
            .map(drop)
    }

    pub(crate) async fn rename(&self, req: RenameRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::IfNotSent, req, |mut c, r| async move { c.rename(r).await })
            .await
            .map(drop)
    }

    pub(crate) async fn set_attribute(&self, req: SetAttributeRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::Idempotent, req, |mut c, r| async move {
            c.set_attribute(r).await
        })
        .await
        .map(drop)
    }

    pub(crate) async fn free(&self, req: FreeRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::Idempotent, req, |mut c, r| async move { c.free(r).await })
            .await
            .map(drop)
    }

    pub(crate) async fn schedule_persistence(&self, path: &str) -> Result<(), ClientError> {
        let req = ScheduleAsyncPersistenceRequest {
            path: path.to_string(),
            ..Default::default()
        };
        self.fs_call(Retry::IfNotSent, req, |mut c, r| async move {
            c.schedule_async_persistence(r).await
        })
        .await
        .map(drop)
    }

    pub(crate) async fn check_consistency(&self, path: &str) -> Result<Vec<String>, ClientError> {
        let req = CheckConsistencyRequest {
            path: path.to_string(),
            ..Default::default()
        };
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
                c.check_consistency(r).await
            })
            .await?;
        Ok(resp.inconsistent_paths)
    }

    pub(crate) async fn mount(&self, req: MountRequest) -> Result<(), ClientError> {
        self.fs_call(Retry::IfNotSent, req, |mut c, r| async move { c.mount(r).await })
            .await
            .map(drop)
    }

    pub(crate) async fn unmount(&self, path: &str) -> Result<(), ClientError> {
        let req = UnmountRequest {
            path: path.to_string(),
            ..Default::default()
        };
        self.fs_call(
            Retry::IfNotSent,
            req,
            |mut c, r| async move { c.unmount(r).await },
        )
        .await
        .map(drop)
    }

    pub(crate) async fn get_mount_table(&self) -> Result<GetMountTableResponse, ClientError> {
        self.fs_call(
            Retry::Idempotent,
            GetMountTableRequest::default(),
            |mut c, r| async move { c.get_mount_table(r).await },
        )
        .await
    }

    pub(crate) async fn get_ufs_info(&self, mount_id: u64) -> Result<UfsInfo, ClientError> {
        let req = GetUfsInfoRequest {
            mount_id,
            ..Default::default()
        };
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
                c.get_ufs_info(r).await
            })
            .await?;
        resp.ufs_info.ok_or_else(|| {
            self.error(
                ErrorKind::Internal,
                format!(
                    "the master at {} answered GetUfsInfo without UFS information",
                    self.address
                ),
            )
        })
    }

    pub(crate) async fn worker_info_list(&self) -> Result<GetWorkerInfoListResponse, ClientError> {
        self.block_call(GetWorkerInfoListRequest::default(), |mut c, r| async move {
            c.get_worker_info_list(r).await
        })
        .await
    }

    pub(crate) async fn block_master_info(&self) -> Result<BlockMasterInfo, ClientError> {
        self.block_call(GetBlockMasterInfoRequest::default(), |mut c, r| async move {
            c.get_block_master_info(r).await
        })
        .await
    }

    pub(crate) async fn master_info(&self) -> Result<MasterInfo, ClientError> {
        self.block_call(GetMasterInfoRequest::default(), |mut c, r| async move {
            c.get_master_info(r).await
        })
        .await
    }

    /// Reports this client's metrics once, without retrying: the next heartbeat carries newer
    /// values anyway.
    pub(crate) async fn metrics_heartbeat(
        &self,
        client_id: &str,
        metrics: Vec<Metric>,
    ) -> Result<(), ClientError> {
        let request = MetricsHeartbeatRequest {
            client_id: client_id.to_string(),
            metrics,
        };
        self.metrics
            .clone()
            .metrics_heartbeat(request)
            .await
            .map(|_| ())
            .map_err(|status| ClientError::from_status(&status, &self.address))
    }

    /// The master's metrics, cluster totals included.
    pub(crate) async fn metrics(&self) -> Result<Vec<Metric>, ClientError> {
        let response = self
            .retry(Retry::Idempotent, || {
                let mut client = self.metrics.clone();
                async move { client.get_metrics(GetMetricsRequest::default()).await }
            })
            .await?;
        Ok(response.metrics)
    }

    fn require(&self, info: Option<FileInfo>, call: &str) -> Result<FileInfo, ClientError> {
        info.ok_or_else(|| {
            self.error(
                ErrorKind::Internal,
                format!(
                    "the master at {} answered {call} without file information",
                    self.address
                ),
            )
        })
    }

    /// An error concerning this master.
    fn error(&self, kind: ErrorKind, message: String) -> ClientError {
        ClientError::new(kind, message).about(Subject::Master(self.address.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connect_failures_count_as_never_sent() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let status = Status::from_error(Box::new(tonic::ConnectError(Box::new(refused))));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(never_sent(&status));
        // Said by a master that received the call: it may have applied it.
        assert!(!never_sent(&Status::unavailable("the master is shutting down")));
    }
}
