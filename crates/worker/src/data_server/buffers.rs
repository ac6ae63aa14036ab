//! Buffers for the bytes of blocks being written, shared by every connection: a chunk is
//! received in pieces of at most [`PIECE`] bytes, and at most [`BUDGET`] bytes of pieces exist at
//! once, so peers announcing huge chunks cannot make the worker allocate more.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::DataError;

/// Largest piece of a chunk held in memory at once.
pub(super) const PIECE: usize = 1 << 20;
/// Bytes of pieces that may be in flight over all connections.
const BUDGET: usize = 256 << 20;
/// Idle buffers kept for reuse; more are freed, so a burst does not pin the whole budget.
const KEEP_IDLE: usize = 16;

/// The pool of piece buffers.
pub(super) struct PieceBuffers {
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Vec<u8>>>,
}

impl PieceBuffers {
    /// A pool allowing [`BUDGET`] bytes.
    pub(super) fn new() -> Arc<Self> {
        Arc::new(PieceBuffers {
            permits: Arc::new(Semaphore::new(BUDGET / PIECE)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A buffer of [`PIECE`] bytes, waiting while the budget is spent.
    pub(super) async fn take(self: &Arc<Self>) -> Result<PieceBuffer, DataError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| DataError::Connection(format!("no write buffer: {e}")))?;
        let buf = self.idle.lock().pop().unwrap_or_else(|| vec![0; PIECE]);
        Ok(PieceBuffer {
            buf,
            pool: Arc::clone(self),
            _permit: permit,
        })
    }
}

/// One piece buffer; goes back to the pool when dropped.
pub(super) struct PieceBuffer {
    buf: Vec<u8>,
    pool: Arc<PieceBuffers>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for PieceBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for PieceBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Drop for PieceBuffer {
    fn drop(&mut self) {
        let mut idle = self.pool.idle.lock();
        if idle.len() < KEEP_IDLE {
            idle.push(std::mem::take(&mut self.buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_bounds_the_buffers_in_flight_and_buffers_are_reused() {
        let pool = PieceBuffers::new();
        let mut held = Vec::new();
        for _ in 0..BUDGET / PIECE {
            held.push(pool.take().await.unwrap());
        }
        assert_eq!(held[0].len(), PIECE);
        let waiting = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.take().await.unwrap().as_ptr() as usize }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a buffer beyond the budget was handed out"
        );
        let returned = held.pop().unwrap();
        let address = returned.as_ptr() as usize;
        drop(returned);
        assert_eq!(waiting.await.unwrap(), address);
        drop(held);
        assert_eq!(pool.idle.lock().len(), KEEP_IDLE);
    }
}
