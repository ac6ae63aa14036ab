//! ReadUfsBlock: serves a block not cached anywhere from the UFS and, when asked, keeps a copy of
//! the whole block in the top tier (Alluxio caches partially read blocks whole).

use alluxio_proto::data::{self, Request, Response, Status};
use alluxio_proto::grpc::UfsBlockSource;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use prost::Message;
use tokio::io::AsyncWriteExt;

use super::read::{resolve_range, send_range};
use super::{Connection, DataError, blocking, mounted_ufs};
use crate::store::TempBlock;

/// Bytes gathered before one write to the temp block, so small UFS chunks don't each cost a
/// blocking-pool round trip.
const CACHE_WRITE_BATCH: usize = 4 * 1024 * 1024;

/// Serves a ReadUfsBlock request.
pub(super) async fn read_ufs_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    let source = UfsBlockSource::decode(request.extra.as_slice()).map_err(|e| {
        DataError::invalid(format!("the UFS source of block {block_id} does not decode: {e}"))
    })?;
    let store = conn.ctx.store.clone();
    match blocking(move || store.lock_block(block_id)).await {
        Ok(lock) => return send_range(conn, &lock, request.offset, request.length).await,
        Err(DataError::Request(Status::NotFound, _)) => {}
        Err(e) => return Err(e),
    }
    let length = resolve_range(block_id, source.block_length, request.offset, request.length)?;
    let temp = if source.cache {
        start_cache(conn, block_id, source.block_length).await
    } else {
        None
    };
    let ufs = mounted_ufs(conn, source.mount_id, &source.ufs_path).await?;
    // With a cache copy the whole block is read; otherwise only the range asked for.
    let (read_from, read_len) = if temp.is_some() {
        (0, source.block_length)
    } else {
        (request.offset, length)
    };
    let mut chunks = ufs
        .read(&source.ufs_path, source.offset_in_file + read_from, read_len)
        .await?;
    // Backends may report a missing file only on the first chunk: get it before promising bytes.
    let mut next = chunks.next().await.transpose()?;
    data::write_response(&mut conn.stream, &Response::ok(length)).await?;

    let wanted = request.offset..request.offset + length;
    let mut cache = temp.map(|block| CacheCopy {
        block,
        pending: BytesMut::new(),
    });
    let mut position = read_from;
    let mut sent = 0;
    while let Some(chunk) = next {
        let chunk_range = position..position + chunk.len() as u64;
        position = chunk_range.end;
        let start = chunk_range.start.max(wanted.start);
        let end = chunk_range.end.min(wanted.end);
        if start < end {
            let part = &chunk[(start - chunk_range.start) as usize..(end - chunk_range.start) as usize];
            conn.stream.get_mut().write_all(part).await?;
            sent += part.len() as u64;
        }
        if let Some(copy) = cache.take() {
            cache = copy.push(chunk, block_id).await;
        }
        next = chunks
            .next()
            .await
            .transpose()
            .map_err(|e| DataError::Connection(format!("reading block {block_id} from the UFS: {e}")))?;
    }
    conn.ctx.metrics.bytes_read_ufs.add(position - read_from);
    if sent != length {
        return Err(DataError::Connection(format!(
            "the UFS file {} ended after {sent} of {length} bytes of block {block_id}",
            source.ufs_path
        )));
    }
    if let Some(copy) = cache {
        copy.finish(conn, block_id, source.block_length).await;
    }
    Ok(())
}

/// Starts the cache copy in the top tier; `None` (serve without caching) if it cannot be made.
async fn start_cache(conn: &Connection, block_id: u64, block_length: u64) -> Option<TempBlock> {
    let store = conn.ctx.store.clone();
    match blocking(move || store.create_block(block_id, 0, block_length)).await {
        Ok(temp) => Some(temp),
        // Another reader is caching it right now.
        Err(DataError::Request(Status::AlreadyExists, _)) => None,
        Err(e) => {
            tracing::warn!(block_id, error = ?e, "cannot cache the block; serving it from the UFS only");
            None
        }
    }
}

/// The whole-block copy being written while the read streams.
struct CacheCopy {
    block: TempBlock,
    pending: BytesMut,
}

impl CacheCopy {
    /// Adds a chunk; `None` once the copy failed (the temp block is then dropped, i.e. removed).
    async fn push(mut self, chunk: Bytes, block_id: u64) -> Option<Self> {
        self.pending.extend_from_slice(&chunk);
        if self.pending.len() < CACHE_WRITE_BATCH {
            return Some(self);
        }
        self.flush(block_id).await
    }

    async fn flush(mut self, block_id: u64) -> Option<Self> {
        let batch = self.pending.split().freeze();
        let mut block = self.block;
        match blocking(move || block.write(&batch).map(|()| block)).await {
            Ok(block) => Some(Self {
                block,
                pending: self.pending,
            }),
            Err(e) => {
                tracing::warn!(block_id, error = ?e, "caching the block failed; the read goes on");
                None
            }
        }
    }

    /// Commits the copy if it holds the whole block and reports it to the master.
    async fn finish(self, conn: &Connection, block_id: u64, block_length: u64) {
        let Some(copy) = self.flush(block_id).await else {
            return;
        };
        if copy.block.length() != block_length {
            tracing::warn!(
                block_id,
                got = copy.block.length(),
                block_length,
                "the UFS returned a different length; not caching"
            );
            return;
        }
        let block = copy.block;
        match blocking(move || block.commit()).await {
            Ok(meta) => {
                if let Err(e) = conn.ctx.report_commit(&meta).await {
                    tracing::warn!(block_id, error = %e, "block cached; the next heartbeat reports it");
                } else {
                    tracing::debug!(block_id, tier = %meta.tier, "block cached from the UFS");
                }
            }
            // A concurrent reader committed it first: the cache holds it either way.
            Err(DataError::Request(Status::AlreadyExists, _)) => {}
            Err(e) => tracing::warn!(block_id, error = ?e, "cannot commit the cached block"),
        }
    }
}
