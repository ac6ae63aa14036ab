//! Writing a file: bytes are cut into blocks, each written to a worker (cached write types:
//! straight into the block file of a worker on this host, else over its data port) and/or to the
//! file's UFS copy (CACHE_THROUGH, THROUGH), which a worker writes for the client, then the file
//! is completed. Any failure abandons the blocks, aborts the UFS copy and deletes the file.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{DeleteRequest, FileInfo, UfsFileTarget, WriteType};
use bytes::BytesMut;

use crate::block_sink::{BlockSink, WritePath};
use crate::context::Context;
use crate::ufs_sink::UfsSink;
use crate::worker_client::{DataConnection, data_address};
use crate::{ClientError, ErrorKind, Subject};

/// Bytes a [`FileOutStream`] has sent to workers so far, by how they reached them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Written straight into the block files of a worker on this host (short-circuit).
    pub short_circuit_bytes: u64,
    /// Streamed to a worker over its data port.
    pub remote_bytes: u64,
}

/// A file being written. Call [`FileOutStream::close`] to complete it; dropped unclosed, the
/// file stays incomplete and its blocks are abandoned.
pub struct FileOutStream {
    ctx: Arc<Context>,
    path: AlluxioPath,
    write_type: WriteType,
    block_size: u64,
    /// Bytes of the file accepted so far.
    written: u64,
    /// Bytes of the current block accepted so far (sent or buffered).
    block_fill: u64,
    /// Accepted bytes of the current block not sent yet.
    buffer: BytesMut,
    block: Option<BlockSink>,
    ufs: Option<Box<UfsSink>>,
    stats: WriteStats,
    /// Set once a failure abandoned the file; every later call reports it.
    failed: bool,
}

impl FileOutStream {
    /// Starts writing a file the master just created.
    pub(crate) async fn start(
        ctx: Arc<Context>,
        path: AlluxioPath,
        info: FileInfo,
        write_type: WriteType,
    ) -> Result<Self, ClientError> {
        let chunk_size = ctx.defaults.chunk_size;
        let mut stream = Self {
            ctx,
            path,
            write_type,
            block_size: info.block_size_bytes.max(1),
            written: 0,
            block_fill: 0,
            buffer: BytesMut::with_capacity(chunk_size),
            block: None,
            ufs: None,
            stats: WriteStats::default(),
            failed: false,
        };
        if write_type.writes_through() {
            let target = UfsFileTarget {
                ufs_path: info.ufs_path.clone(),
                mount_id: info.mount_id,
            };
            let what = format!("{} to the UFS at {}", stream.path, info.ufs_path);
            let opened = stream
                .on_a_worker(&what, |conn, _| UfsSink::open(conn, target.clone()))
                .await;
            match opened {
                Ok(sink) => stream.ufs = Some(Box::new(sink)),
                Err(err) => {
                    delete_incomplete(&stream.ctx, &stream.path).await;
                    return Err(err.about(Subject::Path(stream.path.to_string())));
                }
            }
        }
        Ok(stream)
    }

    /// Appends bytes.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ClientError> {
        self.check_usable()?;
        match self.write_inner(data).await {
            Ok(()) => Ok(()),
            Err(err) => Err(self.fail(err).await),
        }
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Bytes sent to workers so far, by path ([`FileOutStream::flush`] first to count them all).
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// Sends the bytes buffered so far on to the worker and the UFS (the block stays open).
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        self.check_usable()?;
        match self.flush_buffer(false).await {
            Ok(()) => Ok(()),
            Err(err) => Err(self.fail(err).await),
        }
    }

    /// Flushes the last block and completes the file.
    pub async fn close(mut self) -> Result<FileInfo, ClientError> {
        self.check_usable()?;
        match self.close_inner().await {
            Ok(info) => Ok(info),
            Err(err) => Err(self.fail(err).await),
        }
    }

    /// Abandons the file: its blocks are dropped and the incomplete file deleted.
    pub async fn cancel(mut self) -> Result<(), ClientError> {
        if !self.failed {
            self.abandon().await;
        }
        Ok(())
    }

    fn check_usable(&self) -> Result<(), ClientError> {
        if self.failed {
            let message = format!(
                "the write of {} was abandoned after an earlier error; create the file again",
                self.path
            );
            return Err(ClientError::new(ErrorKind::FailedPrecondition, message)
                .about(Subject::Path(self.path.to_string())));
        }
        Ok(())
    }

    async fn write_inner(&mut self, mut data: &[u8]) -> Result<(), ClientError> {
        let chunk_size = self.ctx.defaults.chunk_size;
        while !data.is_empty() {
            let room_in_block = (self.block_size - self.block_fill).min(usize::MAX as u64) as usize;
            let n = data.len().min(room_in_block).min(chunk_size - self.buffer.len());
            let (now, rest) = data.split_at(n);
            self.block_fill += n as u64;
            self.written += n as u64;
            if self.buffer.is_empty() && n == chunk_size {
                // A whole chunk from the caller goes out without a stop in the buffer.
                self.send(now).await?;
            } else {
                self.buffer.extend_from_slice(now);
                if self.buffer.len() == chunk_size || self.block_fill == self.block_size {
                    self.flush_buffer(false).await?;
                }
            }
            if self.block_fill == self.block_size {
                self.commit_block().await?;
            }
            data = rest;
        }
        Ok(())
    }

    async fn close_inner(&mut self) -> Result<FileInfo, ClientError> {
        self.flush_buffer(true).await?;
        if self.block_fill > 0 {
            self.commit_block().await?;
        }
        if let Some(ufs) = self.ufs.take() {
            let address = ufs.address().to_string();
            ufs.close(&self.ctx.pool).await.map_err(|err| {
                err.context(format!(
                    "cannot write {} to the UFS through worker {address}",
                    self.path
                ))
            })?;
        }
        self.ctx
            .master
            .complete_file(self.path.as_str(), self.written)
            .await
    }

    async fn flush_buffer(&mut self, last: bool) -> Result<(), ClientError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        if self.block.is_none() && self.write_type.caches() {
            // The final chunk of a block not yet opened tells the exact space to reserve.
            let expected = if last { self.block_fill } else { self.block_size };
            self.open_block(expected).await?;
        }
        self.send(&chunk).await
    }

    /// Sends `data` to the block's worker and/or the UFS copy's.
    async fn send(&mut self, data: &[u8]) -> Result<(), ClientError> {
        if self.write_type.caches() {
            if self.block.is_none() {
                self.open_block(self.block_size).await?;
            }
            if let Some(block) = self.block.as_mut() {
                block.write(data).await.map_err(|e| {
                    e.context(format!(
                        "cannot write block {} of {} to worker {}",
                        block.block_id(),
                        self.path,
                        block.address()
                    ))
                })?;
                let (counter, metric) = match block.path() {
                    WritePath::ShortCircuit => (
                        &mut self.stats.short_circuit_bytes,
                        &self.ctx.metrics.bytes_written_local,
                    ),
                    WritePath::Remote => (
                        &mut self.stats.remote_bytes,
                        &self.ctx.metrics.bytes_written_remote,
                    ),
                };
                *counter += data.len() as u64;
                metric.add(data.len() as u64);
            }
        }
        if let Some(ufs) = self.ufs.as_mut() {
            ufs.write(data).await.map_err(|e| {
                e.context(format!(
                    "cannot write {} to the UFS through worker {}",
                    self.path,
                    ufs.address()
                ))
            })?;
        }
        Ok(())
    }

    async fn open_block(&mut self, expected_length: u64) -> Result<(), ClientError> {
        let block_id = self.ctx.master.new_block_id(self.path.as_str()).await?;
        let tier = self.ctx.defaults.write_tier;
        let what = format!("block {block_id} of {}", self.path);
        let sink = self
            .on_a_worker(&what, |conn, local| {
                BlockSink::open(conn, block_id, expected_length, tier, local)
            })
            .await?;
        self.block = Some(sink);
        Ok(())
    }

    /// Opens `what` with `open` on a worker the write policy picks (given a connection to its
    /// data port and whether it is on this host); before any byte is sent, an unreachable
    /// worker is traded for another one.
    async fn on_a_worker<T, F, Opened>(&self, what: &str, mut open: F) -> Result<T, ClientError>
    where
        F: FnMut(DataConnection, bool) -> Opened,
        Opened: Future<Output = Result<T, ClientError>>,
    {
        let mut unreachable = HashSet::new();
        let mut last_err = None;
        loop {
            // The policy weighs the file's block size, as Alluxio's does, even for a short block.
            let policy = &self.ctx.write_policy;
            let worker = match self.ctx.workers.pick(policy, self.block_size, &unreachable).await {
                Ok(worker) => worker,
                Err(err) => return Err(last_err.unwrap_or(err)),
            };
            let address = data_address(&worker);
            let local = self.ctx.defaults.short_circuit && self.ctx.workers.is_local(&worker.host).await;
            let opened = match self.ctx.pool.acquire(&address).await {
                Ok(conn) => open(conn, local).await,
                Err(err) => Err(err),
            };
            match opened {
                Ok(opened) => return Ok(opened),
                Err(err) if err.kind() == ErrorKind::Unavailable => {
                    tracing::warn!(worker = %address, error = %err, "worker unreachable; writing elsewhere");
                    last_err = Some(err.context(format!("cannot write {what} to worker {address}")));
                    unreachable.insert(address);
                }
                Err(err) => return Err(err.context(format!("cannot write {what} to worker {address}"))),
            }
        }
    }

    async fn commit_block(&mut self) -> Result<(), ClientError> {
        self.block_fill = 0;
        let Some(block) = self.block.take() else {
            return Ok(());
        };
        let (block_id, address) = (block.block_id(), block.address().to_string());
        block.commit(&self.ctx.pool).await.map_err(|err| {
            err.context(format!(
                "cannot commit block {block_id} of {} on worker {address}",
                self.path
            ))
        })
    }

    /// Abandons everything after `err` and returns it, recording the file as its subject.
    async fn fail(&mut self, err: ClientError) -> ClientError {
        tracing::warn!(path = %self.path, error = %err, "write failed; abandoning the file");
        self.abandon().await;
        err.about(Subject::Path(self.path.to_string()))
    }

    async fn abandon(&mut self) {
        self.failed = true;
        self.buffer.clear();
        if let Some(block) = self.block.take() {
            block.cancel(&self.ctx.pool).await;
        }
        if let Some(ufs) = self.ufs.take() {
            ufs.abort().await;
        }
        delete_incomplete(&self.ctx, &self.path).await;
    }
}

/// Deletes an abandoned file from Alluxio; its UFS copy was never made visible.
async fn delete_incomplete(ctx: &Context, path: &AlluxioPath) {
    let req = DeleteRequest {
        path: path.to_string(),
        alluxio_only: true,
        ..Default::default()
    };
    if let Err(err) = ctx.master.delete(req).await {
        tracing::warn!(%path, error = %err, "cannot delete the abandoned file");
    }
}
