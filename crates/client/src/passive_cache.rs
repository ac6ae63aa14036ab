//! Passive caching (`alluxio.user.file.passive.cache.enabled`): a block read from a remote
//! worker with a read type that caches is copied, in the background, to a worker on this host,
//! so the next read here is local. The copy is read from the remote worker afresh (the reader
//! may want only part of the block) and written like any new block; the worker that receives
//! it reports it to the master, so it shows among the block's locations.

use std::collections::HashSet;
use std::sync::Arc;

use alluxio_proto::grpc::WorkerNetAddress;

use crate::block_sink::BlockSink;
use crate::block_source::{BlockReader, BlockSpan};
use crate::context::Context;
use crate::worker_client::data_address;
use crate::{ClientError, ErrorKind};

/// Copies go to the top tier, as blocks cached on reads do.
const COPY_TIER: u32 = 0;

/// Starts copying block `block_id` (`length` bytes) from the worker at `source` to the worker
/// on this host, unless that worker is among `holders` (data addresses that have the block or
/// failed) or a copy of the block is already under way. Returns at once.
pub(crate) fn start(ctx: &Arc<Context>, source: &str, block_id: u64, length: u64, holders: HashSet<String>) {
    if !ctx.passive_copies.lock().insert(block_id) {
        return;
    }
    let copy = PassiveCopy {
        ctx: ctx.clone(),
        block_id,
    };
    let source = source.to_string();
    tokio::spawn(async move {
        match copy.run(&source, length, &holders).await {
            Ok(Some(target)) => {
                tracing::debug!(block_id, from = %source, to = %data_address(&target), "block cached on the local worker")
            }
            Ok(None) => {}
            // Another reader here cached it first.
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {}
            Err(err) => {
                tracing::warn!(block_id, from = %source, error = %err, "cannot cache the block on the local worker")
            }
        }
    });
}

/// One copy under way; dropping it lets the block be copied again.
struct PassiveCopy {
    ctx: Arc<Context>,
    block_id: u64,
}

impl Drop for PassiveCopy {
    fn drop(&mut self) {
        self.ctx.passive_copies.lock().remove(&self.block_id);
    }
}

impl PassiveCopy {
    /// The local worker the block was copied to, or `None` if there is none to copy it to.
    async fn run(
        &self,
        source: &str,
        length: u64,
        holders: &HashSet<String>,
    ) -> Result<Option<WorkerNetAddress>, ClientError> {
        let ctx = &self.ctx;
        let Some(target) = ctx.workers.local_worker(holders).await? else {
            return Ok(None);
        };
        let span = BlockSpan {
            block_id: self.block_id,
            start: 0,
            length,
            in_block: 0,
        };
        let mut reader = BlockReader::open_remote(&ctx.pool, source, span, false).await?;
        let opened = async {
            let conn = ctx.pool.acquire(&data_address(&target)).await?;
            let short_circuit = ctx.defaults.short_circuit;
            BlockSink::open(conn, self.block_id, length, COPY_TIER, short_circuit).await
        }
        .await;
        let mut sink = match opened {
            Ok(sink) => sink,
            Err(err) => {
                reader.close(&ctx.pool).await;
                return Err(err);
            }
        };
        let copied = pump(&mut reader, &mut sink, length, ctx.defaults.chunk_size).await;
        reader.close(&ctx.pool).await;
        match copied {
            Ok(()) => sink.commit(&ctx.pool).await?,
            Err(err) => {
                sink.cancel(&ctx.pool).await;
                return Err(err);
            }
        }
        Ok(Some(target))
    }
}

/// Moves the `length` bytes of the block from `reader` to `sink` in chunks of `chunk_size`.
async fn pump(
    reader: &mut BlockReader,
    sink: &mut BlockSink,
    length: u64,
    chunk_size: usize,
) -> Result<(), ClientError> {
    let mut buf = vec![
        0u8;
        chunk_size
            .min(usize::try_from(length).unwrap_or(usize::MAX))
            .max(1)
    ];
    let mut pos = 0;
    while pos < length {
        let want = buf.len().min(usize::try_from(length - pos).unwrap_or(usize::MAX));
        let mut filled = 0;
        while filled < want {
            filled += reader.read(pos + filled as u64, &mut buf[filled..want]).await?;
        }
        sink.write(&buf[..want]).await?;
        pos += want as u64;
    }
    Ok(())
}
