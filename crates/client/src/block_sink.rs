//! One block of a file being written, to one worker: straight into the block's temp file when
//! the worker is on this host (short-circuit), or streamed in chunks over its data port.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

use alluxio_proto::data::{FLAG_CANCEL, Op, RESPONSE_IN_MEMORY, Request};

use crate::worker_client::{DataConnection, DataPool};
use crate::{ClientError, ErrorKind, Subject};

/// Space asked for at once beyond what a local write needs, so few writes wait for the worker.
const LOCAL_SPACE_STEP: u64 = 64 * 1024 * 1024;

/// How a block's bytes reach the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WritePath {
    /// Written by the client into the worker's temp block file.
    ShortCircuit,
    /// Streamed over the worker's data port.
    Remote,
}

enum Target {
    /// The temp block file the worker created for this client, and the space it holds.
    Local {
        file: Arc<File>,
        /// The file is on a memory file system: a write cannot stall the async thread.
        in_memory: bool,
        reserved: u64,
    },
    /// Chunks on the data connection, which then carries nothing else until the commit.
    Remote,
}

/// A block being written on one worker.
pub(crate) struct BlockSink {
    block_id: u64,
    conn: DataConnection,
    target: Target,
    written: u64,
}

impl BlockSink {
    /// Starts block `block_id` on the worker at the other end of `conn`, in tier `tier`,
    /// reserving `expected` bytes; short-circuit when `local` and the worker's temp file can be
    /// opened here, else over the data port.
    pub(crate) async fn open(
        mut conn: DataConnection,
        block_id: u64,
        expected: u64,
        tier: u32,
        local: bool,
    ) -> Result<Self, ClientError> {
        if local {
            let mut req = Request::new(Op::CreateLocalBlock, block_id, 0, expected);
            req.tier = tier;
            let resp = conn.call(&req).await?;
            match File::options().write(true).open(&resp.message) {
                Ok(file) => {
                    let target = Target::Local {
                        in_memory: resp.flags & RESPONSE_IN_MEMORY != 0,
                        file: Arc::new(file),
                        reserved: resp.length,
                    };
                    return Ok(Self::new(block_id, conn, target));
                }
                Err(e) => {
                    // Another user's worker, or a directory this process cannot reach.
                    tracing::debug!(
                        block_id,
                        path = %resp.message,
                        error = %e,
                        "cannot write the block file directly; using the data port"
                    );
                    let mut cancel = Request::new(Op::CompleteLocalBlock, block_id, 0, 0);
                    cancel.flags = FLAG_CANCEL;
                    conn.call(&cancel).await?;
                }
            }
        }
        let mut req = Request::new(Op::WriteBlock, block_id, 0, expected);
        req.tier = tier;
        conn.send(&req).await?;
        Ok(Self::new(block_id, conn, Target::Remote))
    }

    fn new(block_id: u64, conn: DataConnection, target: Target) -> Self {
        Self {
            block_id,
            conn,
            target,
            written: 0,
        }
    }

    /// The block id.
    pub(crate) fn block_id(&self) -> u64 {
        self.block_id
    }

    /// The `host:data_port` of the worker.
    pub(crate) fn address(&self) -> &str {
        self.conn.address()
    }

    /// How this block's bytes reach the worker.
    pub(crate) fn path(&self) -> WritePath {
        match self.target {
            Target::Local { .. } => WritePath::ShortCircuit,
            Target::Remote => WritePath::Remote,
        }
    }

    /// Appends `data` to the block.
    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), ClientError> {
        let block_id = self.block_id;
        match &mut self.target {
            Target::Remote => self.conn.write_chunk(data).await?,
            Target::Local {
                file,
                in_memory,
                reserved,
            } => {
                let total = self.written + data.len() as u64;
                if total > *reserved {
                    let want = total.max(*reserved + LOCAL_SPACE_STEP);
                    let req = Request::new(Op::RequestLocalSpace, block_id, 0, want);
                    *reserved = match self.conn.call(&req).await {
                        Ok(resp) => resp.length,
                        // The block may still fit what it needs, if not the generous step.
                        Err(e) if e.kind() == ErrorKind::ResourceExhausted && want > total => {
                            let req = Request::new(Op::RequestLocalSpace, block_id, 0, total);
                            self.conn.call(&req).await?.length
                        }
                        Err(e) => return Err(e),
                    };
                }
                let written = if *in_memory {
                    (&**file).write_all(data)
                } else {
                    write_off_thread(file.clone(), data.to_vec()).await
                };
                written.map_err(|e| {
                    let message = format!(
                        "cannot write the file of block {block_id} of worker {}: {e}",
                        self.conn.address()
                    );
                    let kind = if e.kind() == io::ErrorKind::StorageFull {
                        ErrorKind::ResourceExhausted
                    } else {
                        ErrorKind::Internal
                    };
                    ClientError::new(kind, message).about(Subject::Block(block_id))
                })?;
            }
        }
        self.written += data.len() as u64;
        Ok(())
    }

    /// Commits the block on the worker (which reports it to the master) and returns the
    /// connection to `pool`.
    pub(crate) async fn commit(mut self, pool: &DataPool) -> Result<(), ClientError> {
        let committed = match self.target {
            Target::Remote => self.conn.commit().await?,
            Target::Local { file, .. } => {
                drop(file);
                let req = Request::new(Op::CompleteLocalBlock, self.block_id, 0, 0);
                self.conn.call(&req).await?.length
            }
        };
        if committed != self.written {
            let message = format!(
                "worker {} committed {committed} bytes of block {}, {} were written",
                self.conn.address(),
                self.block_id,
                self.written
            );
            return Err(ClientError::new(ErrorKind::Internal, message).about(Subject::Block(self.block_id)));
        }
        pool.release(self.conn);
        Ok(())
    }

    /// Abandons the block; the worker removes what was written.
    pub(crate) async fn cancel(mut self, pool: &DataPool) {
        match self.target {
            Target::Remote => self.conn.cancel().await,
            Target::Local { file, .. } => {
                drop(file);
                let mut req = Request::new(Op::CompleteLocalBlock, self.block_id, 0, 0);
                req.flags = FLAG_CANCEL;
                // Failing that, dropping the connection makes the worker abandon the block.
                if self.conn.call(&req).await.is_ok() {
                    pool.release(self.conn);
                }
            }
        }
    }
}

/// Writes `data` to `file` on tokio's blocking pool, so a slow disk stalls no async thread.
async fn write_off_thread(file: Arc<File>, data: Vec<u8>) -> io::Result<()> {
    tokio::task::spawn_blocking(move || (&*file).write_all(&data))
        .await
        .map_err(io::Error::other)?
}
