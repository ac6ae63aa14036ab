//! Asynchronous persistence (ASYNC_THROUGH, `alluxio fs persist`): writes a cached file's blocks,
//! in order, to its UFS path. Blocks held here are read from the store; others are fetched from
//! the worker holding them over its data port.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use alluxio_proto::data::{self, Op, Request, Status};
use alluxio_proto::grpc::PersistFile;
use alluxio_ufs::UfsWriter;
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::WorkerError;
use crate::context::WorkerContext;

/// Bytes read from a block file or socket per UFS write.
const COPY_CHUNK: usize = 4 * 1024 * 1024;
/// Attempts at one file before its failure goes to the master, which hands it out again.
const PERSIST_ATTEMPTS: u32 = 4;
/// Pause after the first failed attempt, doubled after each further one, so a UFS that is
/// briefly unwritable is not hammered.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(250);

/// Files being persisted and outcomes not yet reported to the master.
#[derive(Default)]
pub(crate) struct PersistTracker {
    state: Mutex<TrackerState>,
}

#[derive(Default)]
struct TrackerState {
    running: HashSet<u64>,
    persisted: Vec<u64>,
    failed: Vec<u64>,
}

impl PersistTracker {
    /// Takes the ids of files persisted and failed since the last call.
    pub(crate) fn take_results(&self) -> (Vec<u64>, Vec<u64>) {
        let mut state = self.state.lock();
        (
            std::mem::take(&mut state.persisted),
            std::mem::take(&mut state.failed),
        )
    }

    fn begin(&self, file_id: u64) -> bool {
        self.state.lock().running.insert(file_id)
    }

    fn finish(&self, file_id: u64, ok: bool) {
        let mut state = self.state.lock();
        state.running.remove(&file_id);
        if ok {
            state.persisted.push(file_id);
        } else {
            state.failed.push(file_id);
        }
    }
}

/// Starts persisting `file` unless it is already being persisted.
pub(crate) fn spawn(ctx: &Arc<WorkerContext>, file: PersistFile, jobs: &mut JoinSet<()>) {
    if !ctx.persist.begin(file.file_id) {
        tracing::debug!(file_id = file.file_id, "already being persisted");
        return;
    }
    let ctx = Arc::clone(ctx);
    jobs.spawn(async move {
        let file_id = file.file_id;
        let result = persist_with_retry(&ctx, &file).await;
        match &result {
            Ok(()) => {
                tracing::info!(file_id, ufs_path = %file.ufs_path, bytes = file.length, "file persisted")
            }
            Err(e) => tracing::warn!(file_id, error = %e, "persisting failed; the master will reschedule it"),
        }
        ctx.persist.finish(file_id, result.is_ok());
    });
}

/// [`persist_file`], attempted again with a doubling pause while it fails.
async fn persist_with_retry(ctx: &WorkerContext, file: &PersistFile) -> Result<(), WorkerError> {
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt = 1;
    loop {
        match persist_file(ctx, file).await {
            Err(e) if attempt < PERSIST_ATTEMPTS => {
                tracing::warn!(
                    file_id = file.file_id,
                    ufs_path = %file.ufs_path,
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %e,
                    "persisting failed; retrying"
                );
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Writes every block of `file` to its UFS path; nothing is visible there unless all succeed.
pub(crate) async fn persist_file(ctx: &WorkerContext, file: &PersistFile) -> Result<(), WorkerError> {
    let ufs = ctx.ufs(file.mount_id, &file.ufs_path).await?;
    if let Some((parent, _)) = file.ufs_path.rsplit_once('/')
        && !parent.is_empty()
        && !parent.ends_with(':')
        && !parent.ends_with("//")
    {
        ufs.mkdirs(parent).await?;
    }
    let mut writer = ufs.create(&file.ufs_path).await?;
    let mut written = 0;
    for &block_id in &file.block_ids {
        match copy_block(ctx, block_id, writer.as_mut()).await {
            Ok(n) => written += n,
            Err(e) => {
                abort(writer, &file.ufs_path).await;
                return Err(e);
            }
        }
    }
    if written != file.length {
        abort(writer, &file.ufs_path).await;
        return Err(WorkerError::Persist {
            file_id: file.file_id,
            ufs_path: file.ufs_path.clone(),
            reason: format!("its blocks hold {written} bytes but the file has {}", file.length),
        });
    }
    writer.close().await?;
    ctx.metrics.bytes_written_ufs.add(written);
    Ok(())
}

async fn abort(writer: Box<dyn UfsWriter>, ufs_path: &str) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(ufs_path, error = %e, "cannot abandon a partial UFS file");
    }
}

/// Appends one block to `writer`; returns its length.
async fn copy_block(
    ctx: &WorkerContext,
    block_id: u64,
    writer: &mut dyn UfsWriter,
) -> Result<u64, WorkerError> {
    let store = ctx.store.clone();
    // Locking can wait for a whole tier move of the block: not on an async thread.
    let locked = tokio::task::spawn_blocking(move || store.lock_block(block_id))
        .await
        .map_err(|e| WorkerError::Task {
            task: "persistence block lock",
            reason: format!("locking block {block_id}: {e}"),
        })?;
    match locked {
        Ok(lock) => {
            let path = lock.path().to_path_buf();
            let file_error = |source| WorkerError::BlockFile {
                path: path.clone(),
                source,
            };
            let file = tokio::fs::File::open(&path).await.map_err(file_error)?;
            let copied = copy_stream(file, lock.meta().length, writer).await;
            // The lock lives until the whole block is read.
            drop(lock);
            copied.map_err(|e| match e {
                CopyError::Source(source) => file_error(source),
                CopyError::Ufs(e) => e.into(),
            })
        }
        Err(crate::store::StoreError::NotFound(_)) => fetch_remote(ctx, block_id, writer).await,
        Err(e) => Err(e.into()),
    }
}

/// Streams a block held by another worker from its data port.
async fn fetch_remote(
    ctx: &WorkerContext,
    block_id: u64,
    writer: &mut dyn UfsWriter,
) -> Result<u64, WorkerError> {
    let info = ctx.master.block_info(block_id).await?;
    let Some(address) = info
        .locations
        .iter()
        .find_map(|location| location.worker_address.as_ref())
    else {
        return Err(WorkerError::RemoteBlock {
            block_id,
            address: "nowhere".into(),
            reason: "no worker holds it; was it freed or evicted?".into(),
        });
    };
    let address = format!("{}:{}", address.host, address.data_port);
    let remote = |reason: String| WorkerError::RemoteBlock {
        block_id,
        address: address.clone(),
        reason,
    };
    let stream = TcpStream::connect(&address)
        .await
        .map_err(|e| remote(e.to_string()))?;
    let mut stream = BufReader::new(stream);
    data::write_request(
        &mut stream,
        &Request::new(Op::ReadBlock, block_id, 0, data::TO_END),
    )
    .await
    .map_err(|e| remote(e.to_string()))?;
    let response = data::read_response(&mut stream)
        .await
        .map_err(|e| remote(e.to_string()))?;
    if response.status != Status::Ok {
        return Err(remote(format!("{:?}: {}", response.status, response.message)));
    }
    copy_stream(stream, response.length, writer)
        .await
        .map_err(|e| match e {
            CopyError::Source(e) => remote(e.to_string()),
            CopyError::Ufs(e) => e.into(),
        })
}

enum CopyError {
    Source(std::io::Error),
    Ufs(alluxio_ufs::UfsError),
}

/// Copies exactly `length` bytes from `source` to `writer`.
async fn copy_stream(
    source: impl tokio::io::AsyncRead + Unpin,
    length: u64,
    writer: &mut dyn UfsWriter,
) -> Result<u64, CopyError> {
    let mut source = source.take(length);
    let mut copied = 0;
    loop {
        let mut buf = BytesMut::with_capacity(COPY_CHUNK);
        while buf.len() < COPY_CHUNK {
            if source.read_buf(&mut buf).await.map_err(CopyError::Source)? == 0 {
                break;
            }
        }
        if buf.is_empty() {
            break;
        }
        copied += buf.len() as u64;
        let chunk: Bytes = buf.freeze();
        writer.write(chunk).await.map_err(CopyError::Ufs)?;
    }
    if copied != length {
        return Err(CopyError::Source(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("got {copied} of {length} bytes"),
        )));
    }
    Ok(copied)
}
