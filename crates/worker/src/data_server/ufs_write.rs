//! WriteUfsFile: writes a UFS file for a client (THROUGH and CACHE_THROUGH writes) with the
//! mount's options, which only workers and masters hold: a client never needs the UFS's
//! credentials.

use alluxio_proto::data::{self, ChunkHeader, Request, Response};
use alluxio_proto::grpc::UfsFileTarget;
use alluxio_ufs::UfsWriter;
use bytes::Bytes;
use prost::Message;

use super::write::next_piece;
use super::{Connection, DataError, mounted_ufs};

/// Serves a WriteUfsFile request: answers once the file is created, then takes its chunks
/// and answers again once it is published (or abandoned). A write failing midway still has its
/// remaining chunks read (and dropped) before the error is sent, so the connection stays in step.
pub(super) async fn write_ufs_file(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let target = UfsFileTarget::decode(request.extra.as_slice())
        .map_err(|e| DataError::invalid(format!("the UFS file of a UFS write does not decode: {e}")))?;
    let uri = target.ufs_path;
    let ufs = mounted_ufs(conn, target.mount_id, &uri).await?;
    let mut progress = Progress::Writing(ufs.create(&uri).await?);
    data::write_response(&mut conn.stream, &Response::ok(0)).await?;
    let mut written = 0u64;
    loop {
        match data::read_chunk_header(&mut conn.stream).await? {
            ChunkHeader::Data(len) => {
                let mut left = len as usize;
                while left > 0 {
                    let (piece, size) = next_piece(conn, left, || format!("UFS file {uri}")).await?;
                    left -= size;
                    written += size as u64;
                    progress = progress.write(&piece[..size]).await;
                }
            }
            ChunkHeader::Cancel => {
                tracing::debug!(%uri, "UFS write cancelled by the client");
                return match progress {
                    Progress::Writing(file) => {
                        if let Err(e) = file.abort().await {
                            tracing::warn!(%uri, error = %e, "cannot remove an abandoned UFS write");
                        }
                        Ok(data::write_response(&mut conn.stream, &Response::ok(0)).await?)
                    }
                    Progress::Failed(e) => Err(e),
                };
            }
            ChunkHeader::Commit => break,
        }
    }
    match progress {
        Progress::Writing(file) => {
            file.close().await?;
            tracing::debug!(%uri, length = written, "UFS file written");
            Ok(data::write_response(&mut conn.stream, &Response::ok(written)).await?)
        }
        Progress::Failed(e) => Err(e),
    }
}

/// Where a UFS write stands.
enum Progress {
    Writing(Box<dyn UfsWriter>),
    /// Abandoned after this error; the rest of the chunks are dropped.
    Failed(DataError),
}

impl Progress {
    /// Appends a copy of `bytes` (none once failed), abandoning the file if that fails.
    async fn write(self, bytes: &[u8]) -> Self {
        let Progress::Writing(mut file) = self else {
            return self;
        };
        match file.write(Bytes::copy_from_slice(bytes)).await {
            Ok(()) => Progress::Writing(file),
            Err(e) => {
                if let Err(abort) = file.abort().await {
                    tracing::warn!(error = %abort, "cannot remove a failed UFS write");
                }
                Progress::Failed(e.into())
            }
        }
    }
}
