//! Moving committed blocks between tiers: eviction (down a tier, or out) and promotion (to the
//! top tier). Files are copied without the state lock; the block is marked as moving meanwhile.

use std::path::Path;
use std::sync::atomic::Ordering;

use super::StoreError;
use super::shared::{DirId, Shared, io_error};

impl Shared {
    /// Evicts claimed victims: each moves to the next lower tier if there is room there (which
    /// may evict in turn), else is deleted. Returns the bytes leaving the victims' directories.
    pub(super) fn evict(&self, victims: Vec<u64>) -> u64 {
        victims.into_iter().map(|block_id| self.evict_one(block_id)).sum()
    }

    fn evict_one(&self, block_id: u64) -> u64 {
        let Some((from, length)) = self.state.lock().blocks.get(&block_id).map(|b| (b.dir, b.length)) else {
            return 0;
        };
        let lower = from.tier + 1;
        if lower < self.tiers.len() {
            let alias = &self.tiers[lower].alias;
            match self.reserve_in_tier(lower, length, block_id, true) {
                Ok(to) => match self.relocate(block_id, from, to, length) {
                    Ok(()) => {
                        tracing::debug!("evicted block {block_id} down to tier {alias}");
                        self.evicted.fetch_add(1, Ordering::Relaxed);
                        return length;
                    }
                    Err(e) => tracing::warn!(
                        "cannot move evicted block {block_id} to tier {alias}: {e}; deleting it"
                    ),
                },
                Err(e) => {
                    tracing::debug!("evicted block {block_id} does not fit in tier {alias}: {e}; deleting it")
                }
            }
        }
        let mut state = self.state.lock();
        self.drop_block(&mut state, block_id);
        tracing::debug!(
            "evicted block {block_id} from tier {}",
            self.tiers[from.tier].alias
        );
        self.evicted.fetch_add(1, Ordering::Relaxed);
        length
    }

    /// Moves a block to the top tier if it is elsewhere, unlocked and not moving; best effort.
    pub(super) fn promote(&self, block_id: u64) -> Result<(), StoreError> {
        let (from, length) = {
            let mut state = self.state.lock();
            let now = state.tick();
            let block = match state.blocks.get_mut(&block_id) {
                Some(b) if !b.remove_pending => b,
                _ => return Err(StoreError::NotFound(block_id)),
            };
            if block.dir.tier == 0 || block.locks > 0 || block.moving {
                return Ok(());
            }
            block.moving = true;
            block.last_access = now;
            (block.dir, block.length)
        };
        let moved = self
            // Not patient: this block is moving itself, and evictions from the top tier may be
            // waiting for it.
            .reserve_in_tier(0, length, block_id, false)
            .and_then(|to| self.relocate(block_id, from, to, length));
        match moved {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut state = self.state.lock();
                self.cancel_move(&mut state, block_id);
                match e {
                    StoreError::NoSpace { .. } => {
                        tracing::debug!(
                            "block {block_id} stays in tier {}: {e}",
                            self.tiers[from.tier].alias
                        );
                        Ok(())
                    }
                    e => Err(e),
                }
            }
        }
    }

    /// Copies a moving block from `from` into space already reserved in `to`, then switches its
    /// metadata and deletes the old file. On failure the reservation is released and the block
    /// is still moving (the caller decides what happens to it).
    fn relocate(&self, block_id: u64, from: DirId, to: DirId, length: u64) -> Result<(), StoreError> {
        let source = self.block_path(from, block_id);
        let target = self.block_path(to, block_id);
        let temp = self.temp_path(to, block_id);
        if let Err(e) = copy_durably(&source, &temp, &target, self.tiers[to.tier].durable) {
            let _ = std::fs::remove_file(&temp);
            let mut state = self.state.lock();
            self.release(&mut state, to, length);
            return Err(self.full_or_io(e, to, block_id, length));
        }
        let mut state = self.state.lock();
        if !state.blocks.contains_key(&block_id) {
            // Moving blocks are never dropped by others; keep the books right regardless.
            self.release(&mut state, to, length);
            let _ = std::fs::remove_file(&target);
            return Ok(());
        }
        let from_usage = state.dir_mut(from);
        from_usage.committed = from_usage.committed.saturating_sub(length);
        let to_usage = state.dir_mut(to);
        to_usage.reserved = to_usage.reserved.saturating_sub(length);
        to_usage.committed += length;
        let Some(block) = state.blocks.get_mut(&block_id) else {
            return Ok(());
        };
        block.dir = to;
        block.moving = false;
        let remove = block.remove_pending && block.locks == 0;
        let meta = self.meta(block_id, block);
        if let Err(e) = std::fs::remove_file(&source) {
            tracing::warn!(
                "moved block {block_id} but cannot delete its old file {}: {e}",
                source.display()
            );
        }
        if remove {
            self.drop_block(&mut state, block_id);
        } else {
            state.note_added(meta);
        }
        self.moved.notify_all();
        Ok(())
    }
}

/// Copies `source` to `temp` and renames it to `target`, fsyncing file and directory if asked.
fn copy_durably(source: &Path, temp: &Path, target: &Path, durable: bool) -> Result<(), StoreError> {
    std::fs::copy(source, temp).map_err(io_error(source))?;
    if durable {
        std::fs::File::open(temp)
            .and_then(|f| f.sync_all())
            .map_err(io_error(temp))?;
    }
    std::fs::rename(temp, target).map_err(io_error(target))?;
    if durable && let Some(dir) = target.parent() {
        alluxio_server::sync_dir(dir).map_err(io_error(dir))?;
    }
    Ok(())
}
