//! Read locks on committed blocks: while one is held the block is not evicted, moved or removed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::shared::Shared;
use super::{BlockMeta, StoreError};

/// A read lock on a committed block.
pub struct BlockLock {
    shared: Arc<Shared>,
    path: PathBuf,
    meta: BlockMeta,
    in_memory: bool,
}

impl BlockLock {
    /// Takes a lock, waiting while the block is being moved between tiers (a bounded file copy).
    pub(super) fn acquire(shared: Arc<Shared>, block_id: u64) -> Result<Self, StoreError> {
        let mut state = shared.state.lock();
        loop {
            let now = state.tick();
            let block = match state.blocks.get_mut(&block_id) {
                Some(b) if !b.remove_pending => b,
                _ => return Err(StoreError::NotFound(block_id)),
            };
            if block.moving {
                shared.moved.wait(&mut state);
                continue;
            }
            block.locks += 1;
            block.last_access = now;
            let dir = block.dir;
            let meta = shared.meta(block_id, block);
            drop(state);
            let path = shared.block_path(dir, block_id);
            let in_memory = !shared.tiers[dir.tier].durable;
            return Ok(BlockLock {
                shared,
                path,
                meta,
                in_memory,
            });
        }
    }

    /// The block file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its metadata.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// Whether the file is in the memory tier, where reading it never waits for a disk.
    pub fn in_memory(&self) -> bool {
        self.in_memory
    }
}

impl std::fmt::Debug for BlockLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockLock")
            .field("path", &self.path)
            .field("meta", &self.meta)
            .finish()
    }
}

impl Drop for BlockLock {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock();
        let block_id = self.meta.block_id;
        let Some(block) = state.blocks.get_mut(&block_id) else {
            return;
        };
        block.locks = block.locks.saturating_sub(1);
        if block.locks == 0 && block.remove_pending && !block.moving {
            self.shared.drop_block(&mut state, block_id);
        }
    }
}
