//! WriteBlock: receives a block's chunks into a temp block, commits it and reports it to the
//! master before answering, so the client's CompleteFile finds the block.

use alluxio_proto::data::{self, ChunkHeader, Request, Response, Status};
use tokio::io::AsyncReadExt;

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
    let mut buf = Vec::new();
    loop {
        match data::read_chunk_header(&mut conn.stream).await? {
            ChunkHeader::Data(len) => {
                buf.resize(len as usize, 0);
                conn.stream.read_exact(&mut buf).await?;
                if let Some(block) = temp.take() {
                    let (block, returned, written) = append(block, buf).await?;
                    buf = returned;
                    match written {
                        Ok(()) => temp = Some(block),
                        // Dropping the temp block removes what was written.
                        Err(e) => failure = Some(e),
                    }
                }
            }
            ChunkHeader::Cancel => {
                drop(temp);
                tracing::debug!(block_id, "block write cancelled by the client");
                return match failure {
                    Some(e) => Err(e),
                    None => Ok(data::write_response(&mut conn.stream, &Response::ok(0)).await?),
                };
            }
            ChunkHeader::Commit => break,
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

/// Appends `buf` to the block off the async threads; hands both back with the outcome.
async fn append(
    mut block: TempBlock,
    buf: Vec<u8>,
) -> Result<(TempBlock, Vec<u8>, Result<(), DataError>), DataError> {
    tokio::task::spawn_blocking(move || {
        let written = block.write(&buf).map_err(DataError::from);
        (block, buf, written)
    })
    .await
    .map_err(|e| DataError::Connection(format!("block write task failed: {e}")))
}
