//! The data server: accepts data-port connections (bounded), and serves each connection's
//! requests one after another (see `alluxio_proto::data` for the protocol).

mod buffers;
mod local;
mod local_write;
mod read;
mod ufs_read;
mod ufs_write;
mod write;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alluxio_proto::data::{self, FrameError, Op, Request, Response, Status};
use alluxio_server::{Backoff, Shutdown};
use alluxio_ufs::{UfsError, UnderFileSystem};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::WorkerError;
use crate::context::WorkerContext;
use crate::store::{BlockLock, StoreError, TempBlock};
use buffers::PieceBuffers;

/// Read buffer of a connection: request headers and small chunks are coalesced into few reads.
const READ_BUFFER: usize = 64 * 1024;

/// Accepts connections until shutdown, serving at most `max_connections` at once (more wait in
/// the listen backlog), then closes every open connection and waits for them.
pub(crate) async fn serve(
    ctx: Arc<WorkerContext>,
    listener: TcpListener,
    max_connections: usize,
    mut shutdown: Shutdown,
) -> Result<(), WorkerError> {
    let permits = Arc::new(Semaphore::new(max_connections));
    let buffers = PieceBuffers::new();
    let mut connections = JoinSet::new();
    // Accept fails when the process is out of file descriptors: wait instead of spinning.
    let mut pauses = Backoff::new(Duration::from_millis(10), Duration::from_secs(1)).pauses();
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = shutdown.wait() => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                pauses.reset();
                accepted
            }
            Err(e) => {
                tracing::warn!(error = %e, "data server accept failed");
                tokio::time::sleep(pauses.next_pause()).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ctx = Arc::clone(&ctx);
        let buffers = Arc::clone(&buffers);
        let mut conn_shutdown = shutdown.clone();
        connections.spawn(async move {
            let mut conn = Connection::new(ctx, stream, peer, buffers);
            tokio::select! {
                _ = conn_shutdown.wait() => {}
                _ = conn.serve() => {}
            }
            drop(permit);
        });
    }
    // Connections saw the same signal; waiting makes their block locks and temp blocks go first.
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum DataError {
    /// Answer with this status and keep serving the connection.
    Request(Status, String),
    /// The connection cannot go on (broken frame, I/O failure, error after data began to flow).
    Connection(String),
}

impl DataError {
    fn invalid(message: String) -> Self {
        DataError::Request(Status::InvalidArgument, message)
    }
}

impl From<StoreError> for DataError {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::NotFound(_) => Status::NotFound,
            StoreError::AlreadyExists(_) => Status::AlreadyExists,
            StoreError::NoSpace { .. } => Status::ResourceExhausted,
            StoreError::Config(_) | StoreError::InUse(_) | StoreError::Io { .. } => Status::Internal,
        };
        DataError::Request(status, e.to_string())
    }
}

impl From<UfsError> for DataError {
    fn from(e: UfsError) -> Self {
        let status = match &e {
            UfsError::NotFound { .. } => Status::NotFound,
            UfsError::AlreadyExists { .. } => Status::AlreadyExists,
            UfsError::BadUri { .. }
            | UfsError::IsADirectory { .. }
            | UfsError::NotADirectory { .. }
            | UfsError::DirectoryNotEmpty { .. } => Status::InvalidArgument,
            UfsError::PermissionDenied { .. } => Status::PermissionDenied,
            UfsError::Operation { temporary: true, .. } => Status::Unavailable,
            UfsError::Operation { temporary: false, .. }
            | UfsError::Configuration { .. }
            | UfsError::NoConditionalCreate { .. } => Status::Internal,
        };
        DataError::Request(status, e.to_string())
    }
}

impl From<FrameError> for DataError {
    fn from(e: FrameError) -> Self {
        DataError::Connection(e.to_string())
    }
}

impl From<std::io::Error> for DataError {
    fn from(e: std::io::Error) -> Self {
        DataError::Connection(e.to_string())
    }
}

/// The UFS of mount `mount_id` serving `uri`, opened with the mount's options (asked of the
/// master once).
async fn mounted_ufs(
    conn: &Connection,
    mount_id: u64,
    uri: &str,
) -> Result<Arc<dyn UnderFileSystem>, DataError> {
    match conn.ctx.ufs(mount_id, uri).await {
        Ok(ufs) => Ok(ufs),
        Err(WorkerError::Ufs(e)) => Err(e.into()),
        // Unmounted since the client looked the file up.
        Err(WorkerError::MasterRpc { ref status, .. }) if status.code() == tonic::Code::NotFound => {
            Err(DataError::Request(Status::NotFound, status.message().to_string()))
        }
        // The mount's options come from the master; without them the call may succeed later.
        Err(e) => Err(DataError::Request(Status::Unavailable, e.to_string())),
    }
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, DataError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(DataError::from),
        Err(e) => Err(DataError::Request(
            Status::Internal,
            format!("store task failed: {e}"),
        )),
    }
}

/// One client connection, the short-circuit locks it holds and the blocks it writes locally.
pub(crate) struct Connection {
    ctx: Arc<WorkerContext>,
    stream: BufReader<TcpStream>,
    peer: SocketAddr,
    local_locks: HashMap<u64, Vec<BlockLock>>,
    local_writes: HashMap<u64, TempBlock>,
    buffers: Arc<PieceBuffers>,
}

impl Connection {
    fn new(ctx: Arc<WorkerContext>, stream: TcpStream, peer: SocketAddr, buffers: Arc<PieceBuffers>) -> Self {
        Self {
            ctx,
            stream: BufReader::with_capacity(READ_BUFFER, stream),
            peer,
            local_locks: HashMap::new(),
            local_writes: HashMap::new(),
            buffers,
        }
    }

    /// Serves requests until the peer closes, sends garbage or the connection breaks.
    async fn serve(&mut self) {
        loop {
            let request = match data::read_request(&mut self.stream).await {
                Ok(Some(request)) => request,
                Ok(None) => break,
                Err(FrameError::Invalid(message)) => {
                    tracing::warn!(peer = %self.peer, %message, "garbage on the data port; closing");
                    let reply = Response::error(Status::InvalidArgument, message);
                    let _ = data::write_response(&mut self.stream, &reply).await;
                    break;
                }
                Err(e) => {
                    tracing::debug!(peer = %self.peer, error = %e, "data connection ended");
                    break;
                }
            };
            tracing::debug!(
                peer = %self.peer,
                op = ?request.op,
                block_id = request.block_id,
                offset = request.offset,
                length = request.length,
                "data request"
            );
            match self.dispatch(&request).await {
                Ok(()) => {}
                Err(DataError::Request(status, message)) => {
                    tracing::warn!(peer = %self.peer, op = ?request.op, block_id = request.block_id, ?status, %message, "data request failed");
                    if let Err(e) =
                        data::write_response(&mut self.stream, &Response::error(status, message)).await
                    {
                        tracing::debug!(peer = %self.peer, error = %e, "cannot send the error");
                        break;
                    }
                }
                Err(DataError::Connection(message)) => {
                    tracing::warn!(peer = %self.peer, op = ?request.op, block_id = request.block_id, %message, "data connection failed; closing");
                    break;
                }
            }
        }
    }

    async fn dispatch(&mut self, request: &Request) -> Result<(), DataError> {
        match request.op {
            Op::ReadBlock => read::read_block(self, request).await,
            Op::WriteBlock => write::write_block(self, request).await,
            Op::ReadUfsBlock => ufs_read::read_ufs_block(self, request).await,
            Op::OpenLocalBlock => local::open_local_block(self, request).await,
            Op::CloseLocalBlock => local::close_local_block(self, request).await,
            Op::CreateLocalBlock => local_write::create_local_block(self, request).await,
            Op::RequestLocalSpace => local_write::request_local_space(self, request).await,
            Op::CompleteLocalBlock => local_write::complete_local_block(self, request).await,
            Op::WriteUfsFile => ufs_write::write_ufs_file(self, request).await,
        }
    }
}
