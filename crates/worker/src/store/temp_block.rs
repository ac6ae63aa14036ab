//! Blocks being written: a temp file in the chosen directory, growing its space reservation as
//! bytes arrive, renamed to its final name on commit and deleted if dropped before.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use alluxio_server::sync_dir;

use super::shared::{Block, DirId, Shared, io_error};
use super::{BlockMeta, StoreError};

/// A block being written; dropped without [`TempBlock::commit`], it is removed.
pub struct TempBlock {
    shared: Arc<Shared>,
    block_id: u64,
    dir: DirId,
    path: PathBuf,
    file: File,
    written: u64,
    reserved: u64,
    /// Set once the file has its final name, which disarms the cleanup in `drop`.
    committed: bool,
}

impl TempBlock {
    /// Opens the temp file of a block whose id is already claimed and whose initial space is
    /// reserved in `dir`; on failure gives both back.
    pub(super) fn create(
        shared: Arc<Shared>,
        block_id: u64,
        dir: DirId,
        reserved: u64,
    ) -> Result<Self, StoreError> {
        let path = shared.temp_path(dir, block_id);
        match File::options().write(true).create_new(true).open(&path) {
            Ok(file) => Ok(TempBlock {
                shared,
                block_id,
                dir,
                path,
                file,
                written: 0,
                reserved,
                committed: false,
            }),
            Err(e) => {
                let mut state = shared.state.lock();
                state.writing.remove(&block_id);
                shared.release(&mut state, dir, reserved);
                Err(io_error(&path)(e))
            }
        }
    }

    /// The block id.
    pub fn block_id(&self) -> u64 {
        self.block_id
    }

    /// Appends bytes, reserving more space as it grows.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let total = self.written + data.len() as u64;
        if total > self.reserved {
            self.reserved += self.shared.grow(self.dir, total - self.reserved, self.block_id)?;
        }
        self.file.write_all(data).map_err(|e| {
            let e = io_error(&self.path)(e);
            self.shared
                .full_or_io(e, self.dir, self.block_id, data.len() as u64)
        })?;
        self.written = total;
        Ok(())
    }

    /// Bytes written so far.
    pub fn length(&self) -> u64 {
        self.written
    }

    /// The temp file, for a client on this host that writes it directly.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is in the memory tier, where writing it never waits for a disk.
    pub fn in_memory(&self) -> bool {
        !self.shared.tiers[self.dir.tier].durable
    }

    /// Bytes of space held for the block.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }

    /// Holds at least `total` bytes of space for the block (evicting if needed), for a writer that
    /// bypasses [`TempBlock::write`].
    pub fn reserve(&mut self, total: u64) -> Result<(), StoreError> {
        if total > self.reserved {
            self.reserved += self.shared.grow(self.dir, total - self.reserved, self.block_id)?;
        }
        Ok(())
    }

    /// Takes the file's length as the block's, after another writer filled it directly; a file
    /// longer than the space it was given must get that space now or is refused.
    pub fn adopt_file_length(&mut self) -> Result<u64, StoreError> {
        let length = self.file.metadata().map_err(io_error(&self.path))?.len();
        self.reserve(length)?;
        self.written = length;
        Ok(length)
    }

    /// Makes the block visible (durably named by its id) and returns its metadata.
    pub fn commit(mut self) -> Result<BlockMeta, StoreError> {
        let durable = self.shared.tiers[self.dir.tier].durable;
        let target = self.shared.block_path(self.dir, self.block_id);
        self.file.flush().map_err(io_error(&self.path))?;
        if durable {
            self.file.sync_all().map_err(io_error(&self.path))?;
        }
        std::fs::rename(&self.path, &target).map_err(io_error(&target))?;
        if durable && let Some(dir) = target.parent() {
            // Without a durable name the block could vanish in a crash after being reported.
            if let Err(e) = sync_dir(dir).map_err(io_error(dir)) {
                let _ = std::fs::remove_file(&target);
                return Err(e);
            }
        }
        self.committed = true;
        let mut state = self.shared.state.lock();
        let now = state.tick();
        state.writing.remove(&self.block_id);
        self.shared.release(&mut state, self.dir, self.reserved);
        state.dir_mut(self.dir).committed += self.written;
        let block = Block {
            dir: self.dir,
            length: self.written,
            locks: 0,
            moving: false,
            remove_pending: false,
            last_access: now,
        };
        let meta = self.shared.meta(self.block_id, &block);
        state.blocks.insert(self.block_id, block);
        state.note_added(meta.clone());
        Ok(meta)
    }
}

impl std::fmt::Debug for TempBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempBlock")
            .field("block_id", &self.block_id)
            .field("path", &self.path)
            .field("written", &self.written)
            .field("reserved", &self.reserved)
            .finish()
    }
}

impl Drop for TempBlock {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(
                "cannot delete abandoned temp block {} at {}: {e}",
                self.block_id,
                self.path.display()
            );
        }
        let mut state = self.shared.state.lock();
        state.writing.remove(&self.block_id);
        self.shared.release(&mut state, self.dir, self.reserved);
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{BlockStore, DirSpec, StoreError, StoreOptions, TierSpec};

    #[test]
    fn a_full_file_system_is_no_space_not_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlockStore::open(StoreOptions {
            tiers: vec![TierSpec {
                alias: "MEM".into(),
                dirs: vec![DirSpec {
                    path: dir.path().to_path_buf(),
                    quota: 1 << 20,
                }],
                high_watermark: 0.95,
                low_watermark: 0.7,
            }],
            ..Default::default()
        })
        .unwrap();
        let mut block = store.create_block(5, 0, 0).unwrap();
        // /dev/full fails every write with ENOSPC, as a tmpfs smaller than the quota does.
        block.file = std::fs::File::options().write(true).open("/dev/full").unwrap();
        match block.write(&[1; 100]) {
            Err(StoreError::NoSpace {
                block_id,
                tier,
                needed,
                ..
            }) => assert_eq!((block_id, tier.as_str(), needed), (5, "MEM", 100)),
            other => panic!("expected NoSpace, got {other:?}"),
        }
    }
}
