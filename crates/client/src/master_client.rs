//! The master's client services over one lazily connected gRPC channel, retrying while the master
//! is unreachable for up to `alluxio.user.rpc.retry.max.duration`, and following the leader
//! when several masters run (a standby's refusal, or a lost master, sends calls to the next).
//!
//! Idempotent calls are retried on every UNAVAILABLE, and so are the changes a client names with
//! an operation id (create, complete, new block, delete, rename): a master that applied one
//! before its answer was lost, or took over from the master that did, answers the retry as if it
//! applied it then. Other changes are retried only when they never left the client (the
//! connection could not be made), because one the master applied before its answer was lost
//! would come back as AlreadyExists or worse.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_ha::{CurrentMaster, MasterConnection, MasterLocator, NoMaster, master_lost, refused_by_standby};
use alluxio_proto::auth::{AuthChannel, Credentials, OnBehalfOf};
use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use alluxio_proto::grpc::file_system_master_client_service_client::FileSystemMasterClientServiceClient;
use alluxio_proto::grpc::metrics_master_client_service_client::MetricsMasterClientServiceClient;
use alluxio_proto::grpc::*;
use alluxio_server::Backoff;
use tokio::time::Instant;
use tonic::Status;

use crate::grpc_channel::{GrpcChannel, Timeouts, never_sent};
use crate::{ClientError, ErrorKind, Subject};

type FsClient = FileSystemMasterClientServiceClient<AuthChannel<GrpcChannel>>;
type BlockClient = BlockMasterClientServiceClient<AuthChannel<GrpcChannel>>;
type MetricsClient = MetricsMasterClientServiceClient<AuthChannel<GrpcChannel>>;

/// Longest wait for a connection to the master.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection with calls waiting pings the master.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// How long a ping may go unanswered before the connection and its calls fail.
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest gRPC message accepted (a listing of a big directory is one message).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Whether a call may be sent again after the master became unavailable during it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads, calls whose repetition leaves the same state, and changes named by an operation
    /// id: always.
    Idempotent,
    /// Calls that change the namespace: only when the request certainly never reached the master.
    IfNotSent,
}

/// A fresh name for one change, kept by all its retries.
fn operation_id() -> Option<OperationId> {
    let (high, low) = uuid::Uuid::new_v4().as_u64_pair();
    Some(OperationId { high, low })
}

/// The calls to one master, over one lazily connected channel.
struct Connection {
    /// `host:port` of the master.
    address: String,
    fs: FsClient,
    block: BlockClient,
    metrics: MetricsClient,
}

impl MasterConnection for Connection {
    type Error = ClientError;
    type Options = Credentials;

    /// Clients of the master at `address`, calling with `credentials`; nothing is dialled
    /// until the first call.
    fn open(address: &str, credentials: &Credentials) -> Result<Self, ClientError> {
        let timeouts = Timeouts {
            connect: CONNECT_TIMEOUT,
            // A master that stops answering (frozen, cut off) fails the calls waiting on it
            // within seconds, so they can go to the next leader; pings only while calls wait.
            keep_alive_interval: KEEP_ALIVE_INTERVAL,
            keep_alive_timeout: KEEP_ALIVE_TIMEOUT,
        };
        let channel = GrpcChannel::new(address, timeouts).map_err(|e| {
            ClientError::new(
                ErrorKind::InvalidArgument,
                format!("invalid master address {address}: {e}"),
            )
            .about(Subject::Master(address.to_string()))
        })?;
        Ok(Self {
            fs: FsClient::new(credentials.on(channel.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            metrics: MetricsClient::new(credentials.on(channel.clone())),
            block: BlockClient::new(credentials.on(channel))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            address: address.to_string(),
        })
    }

    fn address(&self) -> &str {
        &self.address
    }
}

/// Typed calls to the leading master. With several masters (ZooKeeper, or
/// `alluxio.master.rpc.addresses`) a call that finds its master gone or a standby goes to the
/// one the [`MasterLocator`] names next; clones share the switch.
#[derive(Clone)]
pub(crate) struct MasterClient {
    /// The master calls go to (found at the first call), and which one is next.
    master: Arc<CurrentMaster<Connection>>,
    retry_for: Duration,
    /// Pauses between attempts (`alluxio.user.rpc.retry.base.sleep` / `.max.sleep`).
    backoff: Backoff,
    /// The user the calls are made for, when not the login user.
    on_behalf_of: Option<OnBehalfOf>,
}

/// `alluxio.security.login.impersonation.username` asking to act for the Hadoop user (the
/// default): the Hadoop client replaces it with its user; other clients have none.
pub const IMPERSONATE_HADOOP_USER: &str = "_HDFS_USER_";

/// Values of `alluxio.security.login.impersonation.username` that name nobody to act for.
const ACTING_FOR_NOBODY: [&str; 3] = ["", "_NONE_", IMPERSONATE_HADOOP_USER];

impl MasterClient {
    /// A client for the master(s) named by the configuration; nothing is dialled until the
    /// first call.
    pub(crate) fn new(conf: &Configuration) -> Result<Self, ClientError> {
        let locator = MasterLocator::from_conf(conf)
            .map_err(|e| ClientError::new(ErrorKind::InvalidArgument, e.to_string()))?;
        let retry_for = conf.get_duration(keys::USER_RPC_RETRY_MAX_DURATION)?;
        let backoff = Backoff::new(
            conf.get_duration(keys::USER_RPC_RETRY_BASE_SLEEP)?,
            conf.get_duration(keys::USER_RPC_RETRY_MAX_SLEEP)?,
        );
        let credentials = Credentials::from_conf(conf)?;
        let login = conf.get_opt(keys::SECURITY_LOGIN_USERNAME)?.unwrap_or_default();
        let on_behalf_of = conf
            .get(keys::SECURITY_LOGIN_IMPERSONATION_USERNAME)?
            .trim()
            .to_string();
        let on_behalf_of = (!ACTING_FOR_NOBODY.contains(&on_behalf_of.as_str()) && on_behalf_of != login)
            .then(|| OnBehalfOf::new(&on_behalf_of));
        // One master needs no look-up: its address is checked now.
        let first = match locator.single_address() {
            Some(address) => Some(
                Connection::open(address, &credentials)
                    .map_err(|e| e.context("check alluxio.master.hostname / alluxio.master.port"))?,
            ),
            None => None,
        };
        Ok(Self {
            master: Arc::new(CurrentMaster::new(locator, first, credentials)),
            retry_for,
            backoff,
            on_behalf_of,
        })
    }

    /// This client, its calls made on behalf of `user` (the master checks that the login user
    /// may act for them); clones share the connection.
    pub(crate) fn impersonating(&self, user: &str) -> Self {
        Self {
            on_behalf_of: Some(OnBehalfOf::new(user)),
            ..self.clone()
        }
    }

    /// `message` as a call, naming the user it is made for if this client acts for one.
    fn request<Req>(&self, message: Req) -> tonic::Request<Req> {
        let mut request = tonic::Request::new(message);
        if let Some(user) = &self.on_behalf_of {
            user.attach(request.metadata_mut());
        }
        request
    }

    /// `host:port` of the master calls go to now (empty before the first call found one).
    pub(crate) fn address(&self) -> String {
        self.master.get().map(|c| c.address.clone()).unwrap_or_default()
    }

    /// The master to call: the current one, or the one the locator names.
    async fn connection(&self) -> Result<Arc<Connection>, ClientError> {
        self.master.get_or_find().await.map_err(|err| match err {
            NoMaster::NotFound(err) => ClientError::new(ErrorKind::Unavailable, err.to_string()),
            NoMaster::Open(err) => err,
        })
    }

    async fn retry<T, Fut>(
        &self,
        retry: Retry,
        mut attempt: impl FnMut(&Connection) -> Fut,
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = Instant::now() + self.retry_for;
        let mut pauses = self.backoff.pauses();
        loop {
            let (failed, status, sent) = match self.connection().await {
                Ok(connection) => match attempt(&connection).await {
                    Ok(response) => return Ok(response.into_inner()),
                    Err(status) => {
                        let sent = !never_sent(&status);
                        (Some(connection), status, sent)
                    }
                },
                // No leader known yet: nothing was sent.
                Err(err) => (None, Status::unavailable(err.to_string()), false),
            };
            let address = failed.as_ref().map(|c| c.address.clone()).unwrap_or_default();
            // A standby's refusal: the call was not applied, whatever it was.
            let standby = refused_by_standby(&status);
            if standby.is_none() {
                if !master_lost(&status) {
                    return Err(ClientError::from_status(&status, &address));
                }
                if retry == Retry::IfNotSent && sent {
                    return Err(ClientError::new(
                        ErrorKind::Unavailable,
                        format!(
                            "lost the Alluxio master at {address} during a call that changes the namespace: {}; \
                             it may or may not have been applied, check the path before retrying",
                            status.message()
                        ),
                    )
                    .about(Subject::Master(address)));
                }
            }
            if Instant::now() + pauses.peek() > deadline {
                return Err(ClientError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "cannot reach {} (last tried {address}): {}; is it running?",
                        self.master.locator().describe(),
                        status.message()
                    ),
                )
                .about(Subject::Master(address)));
            }
            tracing::debug!(master = %address, error = %status.message(), "master unavailable; retrying");
            if let Some(failed) = &failed {
                self.master.move_from(failed, standby.flatten().as_deref()).await;
            }
            tokio::time::sleep(pauses.next_pause()).await;
        }
    }

    async fn fs_call<Req: Clone, T, Fut>(
        &self,
        retry: Retry,
        request: Req,
        call: impl Fn(FsClient, tonic::Request<Req>) -> Fut,
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.retry(retry, |c| call(c.fs.clone(), self.request(request.clone())))
            .await
    }

    async fn block_call<Req: Clone, T, Fut>(
        &self,
        request: Req,
        call: impl Fn(BlockClient, tonic::Request<Req>) -> Fut,
    ) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.retry(Retry::Idempotent, |c| {
            call(c.block.clone(), self.request(request.clone()))
        })
        .await
    }

    pub(crate) async fn create_directory(&self, req: CreateDirectoryRequest) -> Result<(), ClientError> {
        let req = CreateDirectoryRequest {
            operation_id: operation_id(),
            ..req
        };
        self.fs_call(Retry::Idempotent, req, |mut c, r| async move {
            c.create_directory(r).await
        })
        .await
        .map(drop)
    }

    pub(crate) async fn create_file(&self, req: CreateFileRequest) -> Result<FileInfo, ClientError> {
        let req = CreateFileRequest {
            operation_id: operation_id(),
            ..req
        };
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
                c.create_file(r).await
            })
            .await?;
        self.require(resp.file_info, "CreateFile")
    }

    pub(crate) async fn new_block_id(&self, path: &str) -> Result<u64, ClientError> {
        let req = GetNewBlockIdForFileRequest {
            path: path.to_string(),
            operation_id: operation_id(),
        };
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
                c.get_new_block_id_for_file(r).await
            })
            .await?;
        Ok(resp.block_id)
    }

    pub(crate) async fn complete_file(&self, path: &str, length: u64) -> Result<FileInfo, ClientError> {
        let req = CompleteFileRequest {
            path: path.to_string(),
            length,
            operation_id: operation_id(),
        };
        let resp = self
            .fs_call(Retry::Idempotent, req, |mut c, r| async move {
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

    /// The whole listing, every page of the master's stream gathered (retried whole when the
    /// master is lost midway).
    pub(crate) async fn list_status(&self, req: ListStatusRequest) -> Result<Vec<FileInfo>, ClientError> {
        self.fs_call(Retry::Idempotent, req, |mut c, r| async move {
            let mut pages = c.list_status(r).await?.into_inner();
            let mut all = Vec::new();
            while let Some(page) = pages.message().await? {
                all.extend(page.file_infos);
            }
            Ok(tonic::Response::new(all))
        })
        .await
    }

    /// The master's stream of listing pages; only the call that opens it is retried.
    pub(crate) async fn list_status_pages(
        &self,
        req: ListStatusRequest,
    ) -> Result<tonic::Streaming<ListStatusResponse>, ClientError> {
        self.fs_call(Retry::Idempotent, req, |mut c, r| async move {
            c.list_status(r).await
        })
        .await
    }

    pub(crate) async fn delete(&self, req: DeleteRequest) -> Result<(), ClientError> {
        let req = DeleteRequest {
            operation_id: operation_id(),
            ..req
        };
        self.fs_call(
            Retry::Idempotent,
            req,
            |mut c, r| async move { c.delete(r).await },
        )
        .await
        .map(drop)
    }

    pub(crate) async fn rename(&self, req: RenameRequest) -> Result<(), ClientError> {
        let req = RenameRequest {
            operation_id: operation_id(),
            ..req
        };
        self.fs_call(
            Retry::Idempotent,
            req,
            |mut c, r| async move { c.rename(r).await },
        )
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

    pub(crate) async fn checkpoint(&self) -> Result<u64, ClientError> {
        let resp = self
            .fs_call(Retry::IfNotSent, CheckpointRequest {}, |mut c, r| async move {
                c.checkpoint(r).await
            })
            .await?;
        Ok(resp.sequence)
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
        let connection = self.connection().await?;
        let sent = connection.metrics.clone().metrics_heartbeat(request).await;
        sent.map(|_| ())
            .map_err(|status| ClientError::from_status(&status, &connection.address))
    }

    /// The master's metrics, cluster totals included.
    pub(crate) async fn metrics(&self) -> Result<Vec<Metric>, ClientError> {
        let response = self
            .retry(Retry::Idempotent, |c| {
                let mut client = c.metrics.clone();
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
                    self.address()
                ),
            )
        })
    }

    /// An error concerning this master.
    fn error(&self, kind: ErrorKind, message: String) -> ClientError {
        ClientError::new(kind, message).about(Subject::Master(self.address()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_is_not_called_lost_when_no_leader_could_be_found() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut conf = Configuration::default();
        conf.set(keys::ZOOKEEPER_ENABLED, "true");
        conf.set(keys::ZOOKEEPER_ADDRESS, closed.to_string());
        conf.set(keys::ZOOKEEPER_LEADER_INQUIRY_RETRY, "1");
        conf.set(keys::USER_RPC_RETRY_MAX_DURATION, "1s");
        let client = MasterClient::new(&conf).unwrap();
        let err = client
            .create_directory(CreateDirectoryRequest {
                path: "/a".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("cannot reach the leader registered in ZooKeeper")
                && !message.contains("may or may not"),
            "{message}"
        );
    }

    #[test]
    fn only_connect_failures_count_as_never_sent() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let status = Status::from_error(Box::new(tonic::ConnectError(Box::new(refused))));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(never_sent(&status));
        // Said by a master that received the call: it may have applied it.
        assert!(!never_sent(&Status::unavailable("the master is shutting down")));
    }
}
