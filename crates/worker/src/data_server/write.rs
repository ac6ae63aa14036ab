//! WriteBlock: receives a block's chunks into a temp block, commits it and reports it to the
//! master before answering, so the client's CompleteFile finds the block.

use alluxio_proto::data::{self, ChunkHeader, Request, Response, Status};
use futures::FutureExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::task::JoinHandle;

use super::buffers::{PIECE, PieceBuffer};
use super::{Connection, DataError, blocking};
use crate::store::TempBlock;

/// Serves a WriteBlock request. The protocol has one response, after the commit or cancel chunk,
/// so a block that cannot be stored still has its chunks read (and dropped) before the error is
/// sent: the connection stays in step and usable.
pub(super) async fn write_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    let store = conn.ctx.store.clone();
    let (tier, expected) = (request.tier as usize, request.length);
    let mut failure = None;
    let mut temp = match blocking(move || store.create_block(block_id, tier, expected)).await {
        Ok(temp) => Some(temp),
        Err(e) => {
            failure = Some(e);
            None
        }
    };
    // The write of one piece runs while the next one is received.
    let mut in_flight = None;
    loop {
        match data::read_chunk_header(&mut conn.stream).await? {
            ChunkHeader::Data(len) => {
                let mut left = len as usize;
                while left > 0 {
                    let (piece, size) = next_piece(conn, left, || format!("block {block_id}")).await?;
                    left -= size;
                    settle(&mut in_flight, &mut temp, &mut failure).await?;
                    if let Some(block) = temp.take() {
                        in_flight = Some(append(block, piece, size));
                    }
                }
            }
            ChunkHeader::Cancel => {
                settle(&mut in_flight, &mut temp, &mut failure).await?;
                drop(temp);
                tracing::debug!(block_id, "block write cancelled by the client");
                return match failure {
                    Some(e) => Err(e),
                    None => Ok(data::write_response(&mut conn.stream, &Response::ok(0)).await?),
                };
            }
            ChunkHeader::Commit => {
                settle(&mut in_flight, &mut temp, &mut failure).await?;
                break;
            }
        }
    }
    let block = match (failure, temp) {
        (Some(e), _) => return Err(e),
        (None, Some(block)) => block,
        (None, None) => {
            return Err(DataError::Request(
                Status::Internal,
                format!("block {block_id} was lost while written"),
            ));
        }
    };
    let meta = blocking(move || block.commit()).await?;
    conn.ctx.report_commit(&meta).await.map_err(|e| {
        DataError::Request(
            Status::Unavailable,
            format!("block {block_id} is stored but the master did not record it: {e}"),
        )
    })?;
    tracing::debug!(block_id, length = meta.length, tier = %meta.tier, "block committed");
    Ok(data::write_response(&mut conn.stream, &Response::ok(meta.length)).await?)
}

/// The next piece of a chunk with `left` bytes still to come, and how many bytes it holds; a
/// buffer is taken only once bytes arrive, so a peer that sends a header and stalls holds none
/// of the budget. `what` names what the chunk belongs to, for the error of a closed connection.
pub(super) async fn next_piece(
    conn: &mut Connection,
    left: usize,
    what: impl FnOnce() -> String,
) -> Result<(PieceBuffer, usize), DataError> {
    if conn.stream.fill_buf().await?.is_empty() {
        return Err(DataError::Connection(format!(
            "connection closed in the middle of a chunk of {}",
            what()
        )));
    }
    let mut piece = conn.buffers.take().await?;
    let size = fill_piece(conn, &mut piece[..left.min(PIECE)]).await?;
    Ok((piece, size))
}

/// Reads into `piece` the bytes that have arrived, at least one and at most its length, without
/// waiting for more: a buffer from the shared budget is never held while a slow or stalled peer
/// makes us wait.
async fn fill_piece(conn: &mut Connection, piece: &mut [u8]) -> Result<usize, DataError> {
    let mut filled = conn.stream.read(piece).await?;
    while filled > 0 && filled < piece.len() {
        match conn.stream.read(&mut piece[filled..]).now_or_never() {
            Some(Ok(0)) | None => break,
            Some(Ok(n)) => filled += n,
            Some(Err(e)) => return Err(e.into()),
        }
    }
    if filled == 0 {
        return Err(DataError::Connection(
            "connection closed in the middle of a chunk".into(),
        ));
    }
    Ok(filled)
}

/// A piece being appended to the block; yields the block back with the outcome.
type Append = JoinHandle<(TempBlock, Result<(), DataError>)>;

/// Starts appending the first `size` bytes of `piece` to the block off the async threads (the
/// piece returns to the pool once written).
fn append(mut block: TempBlock, piece: PieceBuffer, size: usize) -> Append {
    tokio::task::spawn_blocking(move || {
        let written = block.write(&piece[..size]).map_err(DataError::from);
        (block, written)
    })
}

/// Waits for the append in flight, if any: the block goes back to `temp`, or a failure to
/// `failure` (dropping the temp block removes what was written).
async fn settle(
    in_flight: &mut Option<Append>,
    temp: &mut Option<TempBlock>,
    failure: &mut Option<DataError>,
) -> Result<(), DataError> {
    let Some(append) = in_flight.take() else {
        return Ok(());
    };
    let (block, written) = append
        .await
        .map_err(|e| DataError::Connection(format!("block write task failed: {e}")))?;
    match written {
        Ok(()) => *temp = Some(block),
        Err(e) => *failure = Some(e),
    }
    Ok(())
}
