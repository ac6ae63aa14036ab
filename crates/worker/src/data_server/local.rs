//! Short-circuit reads: a client on this host gets the block file's path and reads it directly,
//! while the connection holds a lock that keeps the block from being evicted, moved or removed.

use alluxio_proto::data::{self, Request, Response, Status};

use super::{Connection, DataError, blocking};

/// Serves OpenLocalBlock: locks the block and answers with its absolute path and length.
pub(super) async fn open_local_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    let store = conn.ctx.store.clone();
    let lock = blocking(move || store.lock_block(block_id)).await?;
    let path = std::path::absolute(lock.path()).map_err(|e| {
        DataError::Request(
            Status::Internal,
            format!(
                "cannot resolve the file {} of block {block_id}: {e}",
                lock.path().display()
            ),
        )
    })?;
    let response = Response {
        flags: 0,
        status: Status::Ok,
        message: path.to_string_lossy().into_owned(),
        length: lock.meta().length,
    };
    conn.local_locks.entry(block_id).or_default().push(lock);
    conn.ctx.metrics.blocks_accessed.inc();
    Ok(data::write_response(&mut conn.stream, &response).await?)
}

/// Serves CloseLocalBlock: releases one lock this connection took on the block.
pub(super) async fn close_local_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    let Some(locks) = conn.local_locks.get_mut(&block_id) else {
        return Err(DataError::Request(
            Status::NotFound,
            format!("block {block_id} is not open for a local read on this connection"),
        ));
    };
    let length = locks.pop().map_or(0, |lock| lock.meta().length);
    if locks.is_empty() {
        conn.local_locks.remove(&block_id);
    }
    Ok(data::write_response(&mut conn.stream, &Response::ok(length)).await?)
}
