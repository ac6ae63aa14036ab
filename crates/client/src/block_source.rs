//! One block of a file being read, from one source: the block file of a worker on this host
//! (short-circuit), a worker's data port, or a worker reading it from the UFS.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use alluxio_proto::data::{FLAG_PROMOTE, Op, Request, TO_END};
use alluxio_proto::grpc::{BlockInfo, FileBlockInfo, FileInfo, UfsBlockSource};
use bytes::Bytes;
use prost::Message;

use crate::worker_client::{DataConnection, DataPool};
use crate::{ClientError, ErrorKind, Subject};

/// Largest single read of a block file on the blocking pool (it goes through a buffer of this size).
const OFF_THREAD_READ_MAX: usize = 4 * 1024 * 1024;

/// How the bytes of a block reach the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadPath {
    /// Straight from the block file of a worker on this host.
    ShortCircuit,
    /// Streamed from a worker's cache over its data port.
    Remote,
    /// Read from the UFS by a worker and streamed over its data port.
    Ufs,
}

/// Where the bytes of an open block come from.
enum Source {
    /// The block file itself, locked on a worker of this host by `conn`.
    Local {
        file: Arc<File>,
        /// The block sits below the memory tier, so a read may wait for a disk.
        on_disk: bool,
        /// The whole memory-tier block file mapped, once bytes were first read shared.
        mapped: Option<Bytes>,
        conn: DataConnection,
    },
    /// A read response being streamed: file bytes `next..end` are still on the wire.
    Remote {
        conn: DataConnection,
        next: u64,
        end: u64,
    },
}

/// An open block: its id, its byte range in the file and its source.
pub(crate) struct BlockReader {
    block_id: u64,
    start: u64,
    end: u64,
    path: ReadPath,
    source: Source,
}

/// Which block of the file, and from which byte of it the read starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockSpan {
    /// The block.
    pub(crate) block_id: u64,
    /// Offset of the block in the file.
    pub(crate) start: u64,
    /// Length of the block.
    pub(crate) length: u64,
    /// First byte wanted, relative to the block.
    pub(crate) in_block: u64,
}

impl BlockReader {
    /// Short-circuit: locks the block on the local worker at `address` and opens its file;
    /// `on_disk` says the block is cached below the memory tier.
    pub(crate) async fn open_local(
        pool: &DataPool,
        address: &str,
        span: BlockSpan,
        promote: bool,
        on_disk: bool,
    ) -> Result<Self, ClientError> {
        let mut conn = pool.acquire(address).await?;
        if promote {
            // A zero-length read is the protocol's way to ask for promotion alone.
            let mut req = Request::new(Op::ReadBlock, span.block_id, 0, 0);
            req.flags = FLAG_PROMOTE;
            conn.call(&req).await?;
        }
        let resp = conn
            .call(&Request::new(Op::OpenLocalBlock, span.block_id, 0, 0))
            .await?;
        let open_failed = |e: io::Error| {
            let message = format!(
                "cannot open block file {} of block {} from worker {address}: {e}",
                resp.message, span.block_id
            );
            ClientError::new(ErrorKind::Internal, message).about(Subject::Block(span.block_id))
        };
        let file = tokio::fs::File::open(&resp.message)
            .await
            .map_err(open_failed)?
            .into_std()
            .await;
        let source = Source::Local {
            file: Arc::new(file),
            on_disk,
            mapped: None,
            conn,
        };
        Ok(Self::new(span, ReadPath::ShortCircuit, source))
    }

    /// Streams the block from the data port of the worker at `address`.
    pub(crate) async fn open_remote(
        pool: &DataPool,
        address: &str,
        span: BlockSpan,
        promote: bool,
    ) -> Result<Self, ClientError> {
        let mut req = Request::new(Op::ReadBlock, span.block_id, span.in_block, TO_END);
        if promote {
            req.flags = FLAG_PROMOTE;
        }
        Self::stream(pool, address, span, ReadPath::Remote, &req).await
    }

    /// Has the worker at `address` read the block from the UFS (and cache it if `source.cache`).
    pub(crate) async fn open_ufs(
        pool: &DataPool,
        address: &str,
        span: BlockSpan,
        source: &UfsBlockSource,
    ) -> Result<Self, ClientError> {
        let mut req = Request::new(Op::ReadUfsBlock, span.block_id, span.in_block, TO_END);
        req.extra = source.encode_to_vec();
        Self::stream(pool, address, span, ReadPath::Ufs, &req).await
    }

    async fn stream(
        pool: &DataPool,
        address: &str,
        span: BlockSpan,
        path: ReadPath,
        req: &Request,
    ) -> Result<Self, ClientError> {
        let mut conn = pool.acquire(address).await?;
        let resp = conn.call(req).await?;
        let next = span.start + span.in_block;
        let end = next + resp.length;
        Ok(Self::new(span, path, Source::Remote { conn, next, end }))
    }

    fn new(span: BlockSpan, path: ReadPath, source: Source) -> Self {
        Self {
            block_id: span.block_id,
            start: span.start,
            end: span.start + span.length,
            path,
            source,
        }
    }

    /// The block file itself, when the block is read short-circuit.
    pub(crate) fn local_file(&self) -> Option<&Arc<File>> {
        match &self.source {
            Source::Local { file, .. } => Some(file),
            Source::Remote { .. } => None,
        }
    }

    /// How this reader's bytes reach the client.
    pub(crate) fn path(&self) -> ReadPath {
        self.path
    }

    /// Whether the byte at `pos` of the file can come from this reader without a new request.
    pub(crate) fn serves(&self, pos: u64) -> bool {
        match &self.source {
            Source::Local { .. } => (self.start..self.end).contains(&pos),
            Source::Remote { next, end, .. } => pos == *next && next < end,
        }
    }

    /// The `host:data_port` of the worker serving the block.
    pub(crate) fn address(&self) -> &str {
        match &self.source {
            Source::Local { conn, .. } | Source::Remote { conn, .. } => conn.address(),
        }
    }

    /// Reads bytes at file position `pos` (which this reader serves) into `buf`; never 0.
    pub(crate) async fn read(&mut self, pos: u64, buf: &mut [u8]) -> Result<usize, ClientError> {
        let want = buf.len().min((self.end - pos).min(usize::MAX as u64) as usize);
        let buf = &mut buf[..want];
        let n = match &mut self.source {
            Source::Local {
                file, on_disk, conn, ..
            } => {
                let offset = pos - self.start;
                let read = if *on_disk {
                    read_off_thread(file.clone(), offset, buf).await
                } else {
                    // A memory-tier block file cannot stall: a positioned read straight into the
                    // caller's buffer beats a hop through the blocking pool and a copy.
                    file.read_at(buf, offset)
                };
                read.map_err(|e| {
                    let message = format!(
                        "short-circuit read of block {} of worker {} failed: {e}",
                        self.block_id,
                        conn.address()
                    );
                    ClientError::new(ErrorKind::Internal, message).about(Subject::Block(self.block_id))
                })?
            }
            Source::Remote { conn, next, end } => {
                let want = buf.len().min((*end - *next) as usize);
                let n = conn.read_data(&mut buf[..want]).await?;
                *next += n as u64;
                n
            }
        };
        if n == 0 {
            return Err(self.ended_early(pos));
        }
        Ok(n)
    }

    /// Reads up to `max` bytes at file position `pos` (which this reader serves) as shared
    /// bytes: a slice of the mapped block file for a memory-tier block on this host, with no
    /// copy, else a buffer of their own; never empty.
    pub(crate) async fn read_shared(&mut self, pos: u64, max: usize) -> Result<Bytes, ClientError> {
        let want = max.min((self.end - pos).min(usize::MAX as u64) as usize);
        if let Source::Local {
            file,
            on_disk: false,
            mapped,
            conn,
        } = &mut self.source
        {
            let map = match mapped {
                Some(map) => map,
                None => {
                    let map = map_block(file).map_err(|e| {
                        let message = format!(
                            "cannot map block {} of worker {}: {e}",
                            self.block_id,
                            conn.address()
                        );
                        ClientError::new(ErrorKind::Internal, message).about(Subject::Block(self.block_id))
                    })?;
                    mapped.insert(map)
                }
            };
            let offset = (pos - self.start) as usize;
            let end = (offset + want).min(map.len());
            if end <= offset {
                return Err(self.ended_early(pos));
            }
            return Ok(map.slice(offset..end));
        }
        let mut buf = vec![0u8; want];
        let n = self.read(pos, &mut buf).await?;
        buf.truncate(n);
        Ok(Bytes::from(buf))
    }

    fn ended_early(&self, pos: u64) -> ClientError {
        let message = format!(
            "block {} ended early at byte {} on worker {}",
            self.block_id,
            pos - self.start,
            self.address()
        );
        ClientError::new(ErrorKind::Unavailable, message).about(Subject::Block(self.block_id))
    }

    /// Releases the block lock and returns the connection to `pool` when it can serve again.
    pub(crate) async fn close(self, pool: &DataPool) {
        match self.source {
            Source::Local { mut conn, .. } => {
                let req = Request::new(Op::CloseLocalBlock, self.block_id, 0, 0);
                if conn.call(&req).await.is_ok() {
                    pool.release(conn);
                }
            }
            // A connection with unread bytes cannot serve another request.
            Source::Remote { conn, next, end } if next == end => pool.release(conn),
            Source::Remote { .. } => {}
        }
    }
}

/// The whole of a memory-tier block `file`, mapped and its pages mapped in at once.
fn map_block(file: &File) -> io::Result<Bytes> {
    // SAFETY: a committed block file is never written or truncated, only removed, and a
    // removed file's pages stay mapped until the mapping goes, so the bytes cannot change
    // while any slice of them is alive (also after the block's lock is released).
    let map = unsafe { memmap2::MmapOptions::new().populate().map(file)? };
    Ok(Bytes::from_owner(map))
}

/// Reads at `offset` of `file` on tokio's blocking pool, so a slow disk stalls no async thread.
async fn read_off_thread(file: Arc<File>, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let len = buf.len().min(OFF_THREAD_READ_MAX);
    let (n, bytes) = tokio::task::spawn_blocking(move || {
        let mut bytes = vec![0u8; len];
        file.read_at(&mut bytes, offset).map(|n| (n, bytes))
    })
    .await
    .map_err(io::Error::other)??;
    buf[..n].copy_from_slice(&bytes[..n]);
    Ok(n)
}

/// The file's blocks in order; synthesised from block ids and block size if the master sent none.
pub(crate) fn block_layout(info: &FileInfo) -> Vec<FileBlockInfo> {
    if !info.file_block_infos.is_empty() {
        return info.file_block_infos.clone();
    }
    let block_size = info.block_size_bytes.max(1);
    info.block_ids
        .iter()
        .enumerate()
        .map(|(i, &block_id)| {
            let offset = i as u64 * block_size;
            FileBlockInfo {
                block_info: Some(BlockInfo {
                    block_id,
                    length: block_size.min(info.length.saturating_sub(offset)),
                    ..Default::default()
                }),
                offset,
                ..Default::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_synthesised_from_block_ids_when_locations_are_absent() {
        let info = FileInfo {
            length: 2500,
            block_size_bytes: 1000,
            block_ids: vec![10, 11, 12],
            ..Default::default()
        };
        let layout = block_layout(&info);
        let got: Vec<(u64, u64, u64)> = layout
            .iter()
            .map(|b| {
                let i = b.block_info.as_ref().unwrap();
                (i.block_id, b.offset, i.length)
            })
            .collect();
        assert_eq!(got, vec![(10, 0, 1000), (11, 1000, 1000), (12, 2000, 500)]);
    }
}
