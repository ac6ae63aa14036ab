//! The worker's connection to the leading master: the worker-facing block master service
//! (registration, heartbeats, commits) and the client-facing ones (block locations and mount
//! options, for persistence and UFS reads).
//!
//! With several masters (ZooKeeper, or `alluxio.master.rpc.addresses`) the calls follow the
//! leader: a call that finds its master gone or a standby moves every later call to the master
//! the [`MasterLocator`] names next. A standby's refusal was never applied, so that call is sent
//! once more at once; any other retry is left to the callers' loops (heartbeats, registration),
//! since a call lost in flight may have been applied.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_ha::{CurrentMaster, MasterConnection, MasterLocator, master_lost, refused_by_standby};
use alluxio_proto::auth::{AuthChannel, Credentials};
use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use alluxio_proto::grpc::block_master_worker_service_client::BlockMasterWorkerServiceClient;
use alluxio_proto::grpc::file_system_master_client_service_client::FileSystemMasterClientServiceClient;
use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockHeartbeatResponse, BlockInfo, CommitBlockRequest, GetBlockInfoRequest,
    GetUfsInfoRequest, GetWorkerIdRequest, RegisterWorkerRequest, UfsInfo, WorkerNetAddress,
};
use alluxio_server::Backoff;
use parking_lot::Mutex;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::WorkerError;

/// Bound on one RPC, so a hung master cannot stall a heartbeat forever.
const RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on dialling one master.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection with calls waiting pings the master.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(2);
/// How long a ping may go unanswered before the connection and its calls fail, so a frozen or
/// cut-off master gives way to the next leader within seconds rather than [`RPC_TIMEOUT`].
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The services of one master over one HTTP/2 channel.
struct Conn {
    /// `host:port` of the master.
    address: String,
    worker: BlockMasterWorkerServiceClient<AuthChannel>,
    blocks: BlockMasterClientServiceClient<AuthChannel>,
    fs: FileSystemMasterClientServiceClient<AuthChannel>,
}

impl Conn {
    /// How the master at `address` is dialled.
    fn endpoint(address: &str) -> Result<Endpoint, tonic::transport::Error> {
        Ok(Endpoint::from_shared(format!("http://{address}"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(RPC_TIMEOUT)
            .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
            .keep_alive_timeout(KEEP_ALIVE_TIMEOUT))
    }

    /// The services of the master at `address` over `channel`, called with `credentials`.
    fn over(address: String, channel: Channel, credentials: &Credentials) -> Self {
        Self {
            worker: BlockMasterWorkerServiceClient::new(credentials.on(channel.clone())),
            blocks: BlockMasterClientServiceClient::new(credentials.on(channel.clone())),
            fs: FileSystemMasterClientServiceClient::new(credentials.on(channel)),
            address,
        }
    }
}

impl MasterConnection for Conn {
    type Error = String;
    type Options = Credentials;

    /// The services of the master at `address`, dialled at the first call.
    fn open(address: &str, credentials: &Credentials) -> Result<Self, String> {
        let channel = Self::endpoint(address)
            .map_err(|e| source_chain(&e))?
            .connect_lazy();
        Ok(Self::over(address.to_string(), channel, credentials))
    }

    fn address(&self) -> &str {
        &self.address
    }
}

/// What a failed call says about the master it went to.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// A standby refused the call, which was not applied; it named the leader when it knew one.
    Standby(Option<String>),
    /// The master could not be reached or stopped answering (unavailable, a broken connection,
    /// no answer in time): the call may or may not have been applied.
    Lost,
    /// The master does not know this worker: a new leader, until the worker registers with it
    /// (at its next heartbeat).
    Unregistered,
    /// The master answered with an error of the call's own.
    Answered,
}

impl Failure {
    /// Sorts a call's error status. A master never answers with CANCELLED or DEADLINE_EXCEEDED
    /// itself: those come from the call's timeout or a stream reset, as do the statuses tonic
    /// builds around a transport error.
    fn of(status: &Status) -> Self {
        if let Some(hint) = refused_by_standby(status) {
            return Self::Standby(hint);
        }
        if matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded) || master_lost(status) {
            return Self::Lost;
        }
        if status.code() == Code::FailedPrecondition
            && status.message().contains(alluxio_proto::UNREGISTERED_WORKER)
        {
            return Self::Unregistered;
        }
        Self::Answered
    }
}

/// Typed calls to the leading master. Cheap to clone; clones share the connection, so a switch
/// to another master made by one call holds for all.
#[derive(Clone)]
pub(crate) struct MasterClient {
    /// The master calls go to now, and which one is next when it cannot serve.
    master: Arc<CurrentMaster<Conn>>,
    /// How long a call that may be repeated keeps trying while the masters fail over
    /// (`alluxio.worker.block.heartbeat.timeout`), and the pauses between its attempts.
    patience: Duration,
    backoff: Backoff,
}

impl MasterClient {
    /// Connects to the master `locator` names first, moving on to the next one after each
    /// failure, retrying with `backoff` for up to `timeout`; every call carries `credentials`.
    pub(crate) async fn connect(
        locator: MasterLocator,
        credentials: Credentials,
        timeout: Duration,
        backoff: Backoff,
    ) -> Result<Self, WorkerError> {
        let tried = Mutex::new(None);
        let connected = retry_until(timeout, backoff, "connecting to the master", || {
            dial(&locator, &credentials, &tried)
        })
        .await;
        match connected {
            Ok(conn) => Ok(Self::with(locator, conn, credentials, timeout, backoff)),
            Err((cause, waited)) => Err(WorkerError::MasterUnreachable {
                masters: locator.describe(),
                address: tried.into_inner().unwrap_or_else(|| "none".to_string()),
                waited,
                cause,
            }),
        }
    }

    /// A client calling `conn` first, repeating calls that may be repeated for up to `patience`.
    fn with(
        locator: MasterLocator,
        conn: Conn,
        credentials: Credentials,
        patience: Duration,
        backoff: Backoff,
    ) -> Self {
        Self {
            master: Arc::new(CurrentMaster::new(locator, Some(conn), credentials)),
            patience,
            backoff,
        }
    }

    /// host:port of the master calls go to now.
    pub(crate) fn address(&self) -> String {
        self.current().address.clone()
    }

    /// The masters this client follows, for messages.
    pub(crate) fn masters(&self) -> String {
        self.master.locator().describe()
    }

    /// The master calls go to now.
    fn current(&self) -> Arc<Conn> {
        // Built with a connection (`with`), and a move only ever replaces it.
        self.master
            .get()
            .expect("a worker's master client holds a connection from the start")
    }

    /// Sends `rpc` with `send` to the current master. A failure that shows the master gone or a
    /// standby moves later calls to the next master; a standby's refusal is sent again at once
    /// to the master calls moved to, once.
    async fn call<R, Fut>(&self, rpc: &'static str, send: impl Fn(Arc<Conn>) -> Fut) -> Result<R, WorkerError>
    where
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let mut resent = false;
        loop {
            let conn = self.current();
            let status = match send(Arc::clone(&conn)).await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) => status,
            };
            let failure = Failure::of(&status);
            let moved = match &failure {
                Failure::Standby(hint) => self.master.move_from(&conn, hint.as_deref()).await,
                Failure::Lost => self.master.move_from(&conn, None).await,
                Failure::Unregistered | Failure::Answered => false,
            };
            if resent || !moved || !matches!(failure, Failure::Standby(_)) {
                return Err(WorkerError::MasterRpc {
                    address: conn.address.clone(),
                    rpc,
                    status,
                });
            }
            tracing::debug!(rpc, from = %conn.address, "a standby refused the call; sending it to the leader");
            resent = true;
        }
    }

    /// Sends `rpc`, which may be repeated, as [`Self::call`] does, and again while the masters
    /// fail over: after a lost master or a standby's refusal (the call goes to the next master),
    /// or while a new leader does not know this worker yet; pausing as `backoff` says, for up
    /// to `patience`.
    async fn call_through_failover<R, Fut>(
        &self,
        rpc: &'static str,
        send: impl Fn(Arc<Conn>) -> Fut,
    ) -> Result<R, WorkerError>
    where
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let started = Instant::now();
        let mut pauses = self.backoff.pauses();
        loop {
            let err = match self.call(rpc, &send).await {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            let failing_over = matches!(
                &err,
                WorkerError::MasterRpc { status, .. } if Failure::of(status) != Failure::Answered
            );
            if !failing_over || started.elapsed() + pauses.peek() >= self.patience {
                return Err(err);
            }
            tracing::debug!(rpc, error = %err, "the masters are failing over; sending the call again");
            tokio::time::sleep(pauses.next_pause()).await;
        }
    }

    /// Asks the master for this worker's id.
    pub(crate) async fn get_worker_id(&self, address: WorkerNetAddress) -> Result<u64, WorkerError> {
        let request = GetWorkerIdRequest {
            address: Some(address),
        };
        let response = self
            .call("GetWorkerId", |conn| {
                let request = request.clone();
                async move { conn.worker.clone().get_worker_id(request).await }
            })
            .await?;
        Ok(response.worker_id)
    }

    /// Registers the worker with its tiers and blocks.
    pub(crate) async fn register(&self, request: RegisterWorkerRequest) -> Result<(), WorkerError> {
        self.call("RegisterWorker", |conn| {
            let request = request.clone();
            async move { conn.worker.clone().register_worker(request).await }
        })
        .await?;
        Ok(())
    }

    /// Sends one heartbeat.
    pub(crate) async fn heartbeat(
        &self,
        request: BlockHeartbeatRequest,
    ) -> Result<BlockHeartbeatResponse, WorkerError> {
        self.call("BlockHeartbeat", |conn| {
            let request = request.clone();
            async move { conn.worker.clone().block_heartbeat(request).await }
        })
        .await
    }

    /// Reports a committed block (again, if it must, through a failover: recording a location
    /// twice is harmless), as the worker `worker_id` says it is at each attempt (a new leader
    /// gives the worker a new id when it registers again); returns whether its file is pinned.
    pub(crate) async fn commit_block(
        &self,
        request: CommitBlockRequest,
        worker_id: impl Fn() -> u64,
    ) -> Result<bool, WorkerError> {
        let response = self
            .call_through_failover("CommitBlock", |conn| {
                let request = CommitBlockRequest {
                    worker_id: worker_id(),
                    ..request.clone()
                };
                async move { conn.worker.clone().commit_block(request).await }
            })
            .await?;
        Ok(response.file_pinned)
    }

    /// The UFS URI and options of mount `mount_id`.
    pub(crate) async fn ufs_info(&self, mount_id: u64) -> Result<UfsInfo, WorkerError> {
        let response = self
            .call_through_failover("GetUfsInfo", |conn| async move {
                conn.fs.clone().get_ufs_info(GetUfsInfoRequest { mount_id }).await
            })
            .await?;
        Ok(response.ufs_info.unwrap_or_default())
    }

    /// Where a block lives.
    pub(crate) async fn block_info(&self, block_id: u64) -> Result<BlockInfo, WorkerError> {
        let response = self
            .call_through_failover("GetBlockInfo", |conn| async move {
                conn.blocks
                    .clone()
                    .get_block_info(GetBlockInfoRequest { block_id })
                    .await
            })
            .await?;
        Ok(response.block_info.unwrap_or(BlockInfo {
            block_id,
            ..Default::default()
        }))
    }
}

/// One attempt of [`MasterClient::connect`]: dials the master `locator` names first, or the one
/// it names after the master `tried` last, and records the master dialled in `tried`.
async fn dial(
    locator: &MasterLocator,
    credentials: &Credentials,
    tried: &Mutex<Option<String>>,
) -> Result<Conn, String> {
    let last = tried.lock().clone();
    let address = match &last {
        None => locator.leader().await,
        Some(failed) => locator.after_failure(failed, None).await,
    }
    .map_err(|e| e.to_string())?;
    *tried.lock() = Some(address.clone());
    let endpoint = Conn::endpoint(&address).map_err(|e| format!("invalid master address {address}: {e}"))?;
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("{address}: {}", source_chain(&e)))?;
    Ok(Conn::over(address, channel, credentials))
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

#[cfg(test)]
mod tests {
    use alluxio_ha::standby_refusal;

    use super::*;
    use alluxio_proto::auth::AuthType;

    /// A client of `locator`, calling `first` first; nothing is dialled until a call.
    fn client(locator: MasterLocator, first: &str) -> MasterClient {
        let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(10));
        let credentials = Credentials::new(AuthType::Simple, "worker");
        MasterClient::with(
            locator,
            Conn::open(first, &credentials).unwrap(),
            credentials,
            Duration::from_millis(300),
            backoff,
        )
    }

    fn listed(addresses: &[&str]) -> MasterLocator {
        let mut conf = alluxio_conf::Configuration::default();
        conf.set(alluxio_conf::keys::MASTER_RPC_ADDRESSES, addresses.join(","));
        MasterLocator::from_conf(&conf).unwrap()
    }

    /// Two distinct addresses where nothing listens.
    async fn closed_addresses() -> (String, String) {
        let first = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let second = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        (
            first.local_addr().unwrap().to_string(),
            second.local_addr().unwrap().to_string(),
        )
    }

    #[test]
    fn failures_are_sorted_into_standby_lost_and_answered() {
        assert_eq!(
            Failure::of(&standby_refusal("m2:1", Some("m1:1"))),
            Failure::Standby(Some("m1:1".into()))
        );
        assert_eq!(
            Failure::of(&standby_refusal("m2:1", None)),
            Failure::Standby(None)
        );
        assert_eq!(
            Failure::of(&Status::unavailable("connection refused")),
            Failure::Lost
        );
        assert_eq!(Failure::of(&Status::cancelled("Timeout expired")), Failure::Lost);
        assert_eq!(
            Failure::of(&Status::failed_precondition(
                "Worker 7 is not registered with this master; register again"
            )),
            Failure::Unregistered
        );
        assert_eq!(
            Failure::of(&Status::failed_precondition("File /f is pinned")),
            Failure::Answered
        );
        assert_eq!(
            Failure::of(&Status::not_found("no such mount")),
            Failure::Answered
        );
    }

    #[tokio::test]
    async fn a_lost_master_fails_the_call_and_moves_the_next_one() {
        let (gone, next) = closed_addresses().await;
        let master = client(listed(&[&gone, &next]), &gone);
        let err = master
            .heartbeat(BlockHeartbeatRequest::default())
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&gone) && message.contains("BlockHeartbeat"),
            "{message}"
        );
        assert_eq!(master.address(), next);
    }

    #[tokio::test]
    async fn a_commit_goes_on_through_lost_masters_until_its_patience_runs_out() {
        let (gone, next) = closed_addresses().await;
        let master = client(listed(&[&gone, &next]), &gone);
        let started = Instant::now();
        let err = master
            .commit_block(CommitBlockRequest::default(), || 7)
            .await
            .unwrap_err();
        // Both masters were tried, more than once each, for about the patience (300 ms).
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
        assert!(err.to_string().contains("CommitBlock"), "{err}");
        // A heartbeat is not repeated: its loop does that.
        let started = Instant::now();
        master
            .heartbeat(BlockHeartbeatRequest::default())
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn connecting_names_the_masters_and_the_last_one_tried() {
        let (first, second) = closed_addresses().await;
        let locator = listed(&[&first, &second]);
        let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(10));
        let credentials = Credentials::new(AuthType::Simple, "worker");
        let err = match MasterClient::connect(locator, credentials, Duration::from_millis(100), backoff).await
        {
            Ok(_) => panic!("connected with no master running"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(alluxio_conf::keys::MASTER_RPC_ADDRESSES), "{err}");
        assert!(err.contains(&first) && err.contains(&second), "{err}");
    }
}
