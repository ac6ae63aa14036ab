//! Reading a file block by block: short-circuit from a local worker's block file, streamed from a
//! worker holding the block (and then, with passive caching, copied to a worker on this host), or
//! read by a worker from the UFS. A failed source is skipped and the block retried from the next
//! one. No master state is held while bytes move.

use std::collections::HashSet;
use std::fs::File;
use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{
    BlockInfo, BlockLocation, FileBlockInfo, FileInfo, LoadMetadataType, ReadType, UfsBlockSource,
};
use bytes::Bytes;

use crate::block_source::{BlockReader, BlockSpan, ReadPath, block_layout};
use crate::context::Context;
use crate::passive_cache;
use crate::worker_client::data_address;
use crate::{ClientError, ErrorKind, Subject};

/// The tier blocks are promoted to; a block already there needs no promotion.
const TOP_TIER: &str = "MEM";
/// Workers tried for one UFS read of a block before giving up.
const UFS_READ_ATTEMPTS: usize = 3;

/// Bytes a [`FileInStream`] has read so far, by how they reached the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Read straight from the block files of a worker on this host (short-circuit).
    pub short_circuit_bytes: u64,
    /// Streamed from a worker's cache over its data port.
    pub remote_bytes: u64,
    /// Read from the under file system by a worker on the client's behalf.
    pub ufs_bytes: u64,
}

impl ReadStats {
    fn add(&mut self, path: ReadPath, bytes: usize) {
        let counter = match path {
            ReadPath::ShortCircuit => &mut self.short_circuit_bytes,
            ReadPath::Remote => &mut self.remote_bytes,
            ReadPath::Ufs => &mut self.ufs_bytes,
        };
        *counter += bytes as u64;
    }
}

/// Where one read of a block puts its bytes.
enum Want<'a> {
    /// Into the caller's buffer.
    Into(&'a mut [u8]),
    /// Up to this many, as shared bytes.
    Shared(usize),
}

/// What one read of a block returns.
enum Got {
    Count(usize),
    Bytes(Bytes),
}

impl Got {
    fn len(&self) -> usize {
        match self {
            Got::Count(n) => *n,
            Got::Bytes(bytes) => bytes.len(),
        }
    }
}

impl Want<'_> {
    async fn read_from(&mut self, reader: &mut BlockReader, pos: u64) -> Result<Got, ClientError> {
        match self {
            Want::Into(buf) => reader.read(pos, buf).await.map(Got::Count),
            Want::Shared(max) => reader.read_shared(pos, *max).await.map(Got::Bytes),
        }
    }
}

/// A worker holding a copy of a block, as the stream ranks them.
struct Holder {
    /// The worker runs on this host.
    local: bool,
    /// Its `host:data_port`.
    address: String,
    /// The copy sits below the memory tier.
    below_top: bool,
}

/// A file being read.
pub struct FileInStream {
    ctx: Arc<Context>,
    path: AlluxioPath,
    info: FileInfo,
    blocks: Vec<FileBlockInfo>,
    read_type: ReadType,
    pos: u64,
    reader: Option<BlockReader>,
    /// Data addresses of workers that failed during this stream.
    bad_workers: HashSet<String>,
    /// Blocks this stream has had copied to the local worker already.
    passively_cached: HashSet<u64>,
    stats: ReadStats,
}

impl FileInStream {
    /// A stream over a complete file.
    pub(crate) fn new(ctx: Arc<Context>, path: AlluxioPath, info: FileInfo, read_type: ReadType) -> Self {
        let blocks = block_layout(&info);
        Self {
            ctx,
            path,
            info,
            blocks,
            read_type,
            pos: 0,
            reader: None,
            bad_workers: HashSet::new(),
            passively_cached: HashSet::new(),
            stats: ReadStats::default(),
        }
    }

    /// Reads up to `buf.len()` bytes; 0 at the end of the file.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ClientError> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.read_with(Want::Into(buf)).await? {
            Some(Got::Count(n)) => Ok(n),
            _ => Ok(0),
        }
    }

    /// Reads up to `max` bytes as shared bytes; empty at the end of the file. Bytes of a block
    /// file in the memory tier of a worker on this host are not copied: the block file is
    /// mapped and the result is a slice of it (for a FUSE mount handing them to the kernel).
    pub async fn read_shared(&mut self, max: usize) -> Result<Bytes, ClientError> {
        if max == 0 {
            return Ok(Bytes::new());
        }
        match self.read_with(Want::Shared(max)).await? {
            Some(Got::Bytes(bytes)) => Ok(bytes),
            _ => Ok(Bytes::new()),
        }
    }

    /// Reads what `want` asks from the block at the current position, opening its reader
    /// (and trying the next source when a read fails), and moves past it; `None` at the end
    /// of the file.
    async fn read_with(&mut self, want: Want<'_>) -> Result<Option<Got>, ClientError> {
        self.read_inner(want)
            .await
            .map_err(|e| e.about(Subject::Path(self.path.to_string())))
    }

    async fn read_inner(&mut self, mut want: Want<'_>) -> Result<Option<Got>, ClientError> {
        if self.pos >= self.info.length {
            return Ok(None);
        }
        let mut refreshed = false;
        let mut read_failure: Option<ClientError> = None;
        loop {
            let reader = match self.reader.take() {
                Some(reader) if reader.serves(self.pos) => reader,
                stale => {
                    if let Some(stale) = stale {
                        stale.close(&self.ctx.pool).await;
                    }
                    match self.open_reader().await {
                        Ok(reader) => reader,
                        Err(err) if !refreshed && err.is_retryable_elsewhere() => {
                            // Locations may have changed since the stream opened (eviction,
                            // restart); with fresh ones every worker deserves another chance.
                            refreshed = true;
                            self.refresh_info().await?;
                            self.bad_workers.clear();
                            continue;
                        }
                        // A failed read explains more than "no source left".
                        Err(err) => return Err(read_failure.unwrap_or(err)),
                    }
                }
            };
            let reader = self.reader.insert(reader);
            match want.read_from(reader, self.pos).await {
                Ok(result) => {
                    let n = result.len();
                    self.pos += n as u64;
                    self.stats.add(reader.path(), n);
                    let counter = match reader.path() {
                        ReadPath::ShortCircuit => &self.ctx.metrics.bytes_read_local,
                        ReadPath::Remote | ReadPath::Ufs => &self.ctx.metrics.bytes_read_remote,
                    };
                    counter.add(n as u64);
                    return Ok(Some(result));
                }
                Err(err) => {
                    let address = reader.address().to_string();
                    self.reader = None;
                    tracing::warn!(path = %self.path, worker = %address, error = %err, "block read failed; trying another source");
                    self.ctx.pool.forget(&address);
                    self.bad_workers.insert(address);
                    read_failure = Some(err.context(format!("reading {}", self.path)));
                }
            }
        }
    }

    /// Moves to byte `position` of the file.
    pub async fn seek(&mut self, position: u64) -> Result<(), ClientError> {
        if position > self.info.length {
            let message = format!(
                "cannot seek to byte {position} of {}: the file is {} bytes long",
                self.path, self.info.length
            );
            return Err(ClientError::new(ErrorKind::InvalidArgument, message)
                .about(Subject::Path(self.path.to_string())));
        }
        self.pos = position;
        Ok(())
    }

    /// Current position.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Bytes read so far, by how they reached the client.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// File length.
    pub fn length(&self) -> u64 {
        self.info.length
    }

    /// Reads everything from the current position to the end.
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, ClientError> {
        let remaining = usize::try_from(self.info.length - self.pos).map_err(|_| {
            let message = format!("{} is too large to read into memory", self.path);
            ClientError::new(ErrorKind::InvalidArgument, message).about(Subject::Path(self.path.to_string()))
        })?;
        let mut out = vec![0u8; remaining];
        let mut filled = 0;
        while filled < remaining {
            let n = self.read(&mut out[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        out.truncate(filled);
        Ok(out)
    }

    /// Releases block locks and connections.
    pub async fn close(mut self) -> Result<(), ClientError> {
        if let Some(reader) = self.reader.take() {
            reader.close(&self.ctx.pool).await;
        }
        Ok(())
    }

    async fn refresh_info(&mut self) -> Result<(), ClientError> {
        self.info = self
            .ctx
            .master
            .get_status(self.path.as_str(), LoadMetadataType::Never, None)
            .await?;
        self.blocks = block_layout(&self.info);
        Ok(())
    }

    /// Opens the block holding `pos`: local copy, then remote copies, then the UFS.
    async fn open_reader(&mut self) -> Result<BlockReader, ClientError> {
        let pos = self.pos;
        let fbi = self
            .blocks
            .iter()
            .find(|b| {
                let len = b.block_info.as_ref().map_or(0, |i| i.length);
                (b.offset..b.offset + len).contains(&pos)
            })
            .ok_or_else(|| {
                ClientError::new(
                    ErrorKind::Internal,
                    format!("the master lists no block of {} holding byte {pos}", self.path),
                )
            })?;
        let block = fbi.block_info.clone().unwrap_or_default();
        let span = BlockSpan {
            block_id: block.block_id,
            start: fbi.offset,
            length: block.length,
            in_block: pos - fbi.offset,
        };
        let promote = self.read_type == ReadType::CachePromote;
        let mut last_err = None;
        for Holder {
            local,
            address,
            below_top,
        } in self.holders(&block).await
        {
            if local && self.ctx.defaults.short_circuit {
                // Promotion may find no room on top, so a block below it is read as if on disk.
                let open =
                    BlockReader::open_local(&self.ctx.pool, &address, span, promote && below_top, below_top);
                match open.await {
                    Ok(reader) => return Ok(reader),
                    // The same worker may still stream it over the socket.
                    Err(err) => {
                        tracing::debug!(path = %self.path, worker = %address, error = %err, "short-circuit open failed")
                    }
                }
            }
            match BlockReader::open_remote(&self.ctx.pool, &address, span, promote).await {
                Ok(reader) => {
                    if !local {
                        self.cache_passively(&address, span, &block.locations);
                    }
                    return Ok(reader);
                }
                Err(err) if err.is_retryable_elsewhere() => {
                    // A worker lacking the block (stale location) may still read it from the UFS.
                    if err.kind() != ErrorKind::NotFound {
                        self.bad_workers.insert(address.clone());
                    }
                    last_err = Some(err.context(format!(
                        "cannot read block {} of {} from worker {address}",
                        span.block_id, self.path
                    )));
                }
                Err(err) => return Err(err),
            }
        }
        if self.info.persisted {
            return self.open_ufs(span).await;
        }
        Err(last_err.unwrap_or_else(|| {
            ClientError::new(
                ErrorKind::FailedPrecondition,
                format!(
                    "block {} of {} is not cached on any worker and the file is not persisted",
                    span.block_id, self.path
                ),
            )
        }))
    }

    /// The workers holding `block` that this stream has not seen fail, those on this host first.
    async fn holders(&self, block: &BlockInfo) -> Vec<Holder> {
        let mut holders = Vec::new();
        for loc in &block.locations {
            let Some(address) = &loc.worker_address else {
                continue;
            };
            if self.bad_workers.contains(&data_address(address)) {
                continue;
            }
            holders.push(Holder {
                local: self.ctx.workers.is_local(&address.host).await,
                address: data_address(address),
                below_top: loc.tier_alias != TOP_TIER,
            });
        }
        holders.sort_by_key(|holder| !holder.local);
        holders
    }

    /// The file's only block as the block file of the worker on this host caching it, open
    /// and locked on that worker until the stream is closed, for a reader that reads the file
    /// itself: a FUSE mount hands it to the kernel, which then reads it with no request to the
    /// mount (passthrough). Reads through such a file are not counted in the client's metrics.
    /// `None` when the file is not exactly one block, no worker on this host caches it, or
    /// short-circuit reads are off: read the stream instead.
    pub async fn local_block_file(&mut self) -> Option<Arc<File>> {
        let [only] = self.blocks.as_slice() else {
            return None;
        };
        let block = only.block_info.clone().unwrap_or_default();
        if !self.ctx.defaults.short_circuit || only.offset != 0 || block.length != self.info.length {
            return None;
        }
        let span = BlockSpan {
            block_id: block.block_id,
            start: 0,
            length: block.length,
            in_block: 0,
        };
        let promote = self.read_type == ReadType::CachePromote;
        for holder in self.holders(&block).await.into_iter().filter(|h| h.local) {
            let promote = promote && holder.below_top;
            match BlockReader::open_local(&self.ctx.pool, &holder.address, span, promote, holder.below_top)
                .await
            {
                Ok(reader) => {
                    let file = reader.local_file().cloned();
                    if let Some(stale) = self.reader.replace(reader) {
                        stale.close(&self.ctx.pool).await;
                    }
                    return file;
                }
                Err(err) => {
                    tracing::debug!(path = %self.path, worker = %holder.address, error = %err, "short-circuit open failed")
                }
            }
        }
        None
    }

    /// Passive caching: a block read from the remote worker at `source` with a read type that
    /// caches is copied to the worker on this host, unless it holds the block or failed.
    fn cache_passively(&mut self, source: &str, span: BlockSpan, locations: &[BlockLocation]) {
        if !self.ctx.defaults.passive_cache
            || self.read_type == ReadType::NoCache
            || !self.passively_cached.insert(span.block_id)
        {
            return;
        }
        let mut holders = self.bad_workers.clone();
        holders.extend(
            locations
                .iter()
                .filter_map(|loc| loc.worker_address.as_ref().map(data_address)),
        );
        passive_cache::start(&self.ctx, source, span.block_id, span.length, holders);
    }

    /// Has a worker chosen by the UFS read policy read the block from the UFS.
    async fn open_ufs(&mut self, span: BlockSpan) -> Result<BlockReader, ClientError> {
        let source = UfsBlockSource {
            ufs_path: self.info.ufs_path.clone(),
            offset_in_file: span.start,
            block_length: span.length,
            cache: self.read_type != ReadType::NoCache,
            mount_id: self.info.mount_id,
        };
        let mut last_err = None;
        for _ in 0..UFS_READ_ATTEMPTS {
            let policy = &self.ctx.ufs_read_policy;
            let worker = match self
                .ctx
                .workers
                .pick(policy, span.length, &self.bad_workers)
                .await
            {
                Ok(worker) => worker,
                // Every worker failed already: the last failure says why.
                Err(err) => return Err(last_err.unwrap_or(err)),
            };
            let address = data_address(&worker);
            let err = match BlockReader::open_ufs(&self.ctx.pool, &address, span, &source).await {
                Ok(reader) => return Ok(reader),
                Err(err) => err.context(format!(
                    "cannot read block {} of {} from the UFS at {} through worker {address}",
                    span.block_id, self.path, self.info.ufs_path
                )),
            };
            // A file missing from the UFS is missing for every worker.
            if !err.is_retryable_elsewhere() || err.kind() == ErrorKind::NotFound {
                return Err(err);
            }
            self.bad_workers.insert(address);
            last_err = Some(err);
        }
        Err(last_err
            .unwrap_or_else(|| ClientError::new(ErrorKind::Unavailable, "no worker can read from the UFS")))
    }
}
