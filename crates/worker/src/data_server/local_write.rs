//! Short-circuit writes: a client on this host gets a temp block file, writes it directly within
//! the space it asked for, and has the worker commit it. The temp block belongs to the
//! connection: if the client goes away without completing, the block is abandoned.

use alluxio_proto::data::{self, FLAG_CANCEL, RESPONSE_IN_MEMORY, Request, Response, Status};

use super::{Connection, DataError, blocking};
use crate::store::TempBlock;

/// Serves CreateLocalBlock: starts the temp block, answers with its path and reservation.
pub(super) async fn create_local_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    if conn.local_writes.contains_key(&block_id) {
        return Err(DataError::Request(
            Status::AlreadyExists,
            format!("block {block_id} is already being written on this connection"),
        ));
    }
    let store = conn.ctx.store.clone();
    let (tier, expected) = (request.tier as usize, request.length);
    let block = blocking(move || store.create_block(block_id, tier, expected)).await?;
    let path = std::path::absolute(block.path()).map_err(|e| {
        DataError::Request(
            Status::Internal,
            format!(
                "cannot resolve the temp file {} of block {block_id}: {e}",
                block.path().display()
            ),
        )
    })?;
    let response = Response {
        status: Status::Ok,
        flags: if block.in_memory() { RESPONSE_IN_MEMORY } else { 0 },
        message: path.to_string_lossy().into_owned(),
        length: block.reserved(),
    };
    conn.local_writes.insert(block_id, block);
    Ok(data::write_response(&mut conn.stream, &response).await?)
}

/// Serves RequestLocalSpace: grows the block's reservation to at least `length` bytes.
pub(super) async fn request_local_space(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let (block_id, total) = (request.block_id, request.length);
    let mut block = take_local_write(conn, block_id)?;
    let (block, reserved) = blocking(move || {
        let reserved = block.reserve(total).map(|()| block.reserved());
        Ok((block, reserved))
    })
    .await?;
    // The block stays open when it cannot grow: the client cancels it (or hangs up).
    conn.local_writes.insert(block_id, block);
    Ok(data::write_response(&mut conn.stream, &Response::ok(reserved?)).await?)
}

/// Serves CompleteLocalBlock: commits the block at its file's length and reports it to the
/// master, or abandons it with [`FLAG_CANCEL`].
pub(super) async fn complete_local_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    let mut block = take_local_write(conn, block_id)?;
    if request.flags & FLAG_CANCEL != 0 {
        blocking(move || {
            drop(block);
            Ok(())
        })
        .await?;
        tracing::debug!(block_id, "local block write cancelled by the client");
        return Ok(data::write_response(&mut conn.stream, &Response::ok(0)).await?);
    }
    let meta = blocking(move || {
        block.adopt_file_length()?;
        block.commit()
    })
    .await?;
    conn.ctx.report_commit(&meta).await.map_err(|e| {
        DataError::Request(
            Status::Unavailable,
            format!("block {block_id} is stored but the master did not record it: {e}"),
        )
    })?;
    tracing::debug!(block_id, length = meta.length, tier = %meta.tier, "local block committed");
    Ok(data::write_response(&mut conn.stream, &Response::ok(meta.length)).await?)
}

fn take_local_write(conn: &mut Connection, block_id: u64) -> Result<TempBlock, DataError> {
    conn.local_writes.remove(&block_id).ok_or_else(|| {
        DataError::Request(
            Status::NotFound,
            format!("block {block_id} is not being written locally on this connection"),
        )
    })
}
