//! The tiered block store: tiers (MEM, SSD, HDD) of directories with quotas, blocks as files named
//! by block id under `<dir>/alluxioworker/`, an allocator choosing the directory of a new block,
//! an evictor freeing space between the watermarks, and block locks that keep a block being read
//! from being evicted, moved or removed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The block is not in the store.
    #[error("block {0} is not stored on this worker")]
    NotFound(u64),
    /// The block is already stored or being written.
    #[error("block {0} already exists on this worker")]
    AlreadyExists(u64),
    /// Not enough space could be freed.
    #[error("no space for {needed} bytes of block {block_id} in tier {tier}: {reason}")]
    NoSpace {
        /// The block.
        block_id: u64,
        /// Tier alias.
        tier: String,
        /// Bytes requested.
        needed: u64,
        /// Why eviction could not help (pinned, locked, too large).
        reason: String,
    },
    /// A wrong tiered-store setting.
    #[error("invalid tiered store configuration: {0}")]
    Config(String),
    /// A file system failure.
    #[error("block store I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One storage directory and its quota.
#[derive(Debug, Clone, PartialEq)]
pub struct DirSpec {
    /// The directory (blocks go under `<path>/alluxioworker/`).
    pub path: PathBuf,
    /// Bytes it may hold.
    pub quota: u64,
}

/// One tier.
#[derive(Debug, Clone, PartialEq)]
pub struct TierSpec {
    /// MEM, SSD, HDD, ...
    pub alias: String,
    /// Its directories.
    pub dirs: Vec<DirSpec>,
    /// Usage ratio that starts background eviction.
    pub high_watermark: f64,
    /// Usage ratio background eviction stops at.
    pub low_watermark: f64,
}

/// Everything the store needs to open.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// Tiers from top (fastest) to bottom.
    pub tiers: Vec<TierSpec>,
}

impl StoreOptions {
    /// Reads the `alluxio.worker.tieredstore.*` keys.
    pub fn from_conf(_conf: &alluxio_conf::Configuration) -> Result<Self, StoreError> {
        unimplemented!("being written")
    }
}

/// Usage of one tier.
#[derive(Debug, Clone, PartialEq)]
pub struct TierUsage {
    /// Tier alias.
    pub alias: String,
    /// Sum of its directories' quotas.
    pub capacity: u64,
    /// Bytes held by committed and in-progress blocks.
    pub used: u64,
}

/// A committed block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockMeta {
    /// Its id.
    pub block_id: u64,
    /// Its length.
    pub length: u64,
    /// Alias of the tier holding it.
    pub tier: String,
}

/// Changes since the last [`BlockStore::take_changes`], for the heartbeat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreChanges {
    /// Blocks committed or moved to another tier.
    pub added: Vec<BlockMeta>,
    /// Blocks removed or evicted.
    pub removed: Vec<u64>,
}

/// The worker's tiered block store. Cheap to clone.
#[derive(Clone)]
pub struct BlockStore {}

impl BlockStore {
    /// Creates the directories, finds the blocks already there, drops unfinished ones.
    pub fn open(_options: StoreOptions) -> Result<Self, StoreError> {
        unimplemented!("being written")
    }

    /// Tier aliases from top to bottom.
    pub fn tier_aliases(&self) -> Vec<String> {
        unimplemented!("being written")
    }

    /// Starts a block in tier `tier_level` (or the nearest lower tier with room), reserving
    /// `expected_length` bytes (evicting if needed).
    pub fn create_block(
        &self,
        _block_id: u64,
        _tier_level: usize,
        _expected_length: u64,
    ) -> Result<TempBlock, StoreError> {
        unimplemented!("being written")
    }

    /// Locks a committed block for reading; the lock keeps it in place until dropped.
    pub fn lock_block(&self, _block_id: u64) -> Result<BlockLock, StoreError> {
        unimplemented!("being written")
    }

    /// Moves a block to the top tier if it is not there (evicting there if needed); best effort.
    pub fn promote(&self, _block_id: u64) -> Result<(), StoreError> {
        unimplemented!("being written")
    }

    /// Removes a block; if it is locked, it goes once the last lock is released.
    pub fn remove_block(&self, _block_id: u64) -> Result<(), StoreError> {
        unimplemented!("being written")
    }

    /// Replaces the set of pinned file ids; their blocks are never evicted.
    pub fn set_pinned_files(&self, _file_ids: HashSet<u64>) {
        unimplemented!("being written")
    }

    /// Usage per tier, top first.
    pub fn usage(&self) -> Vec<TierUsage> {
        unimplemented!("being written")
    }

    /// Every committed block.
    pub fn blocks(&self) -> Vec<BlockMeta> {
        unimplemented!("being written")
    }

    /// Changes since the last call.
    pub fn take_changes(&self) -> StoreChanges {
        unimplemented!("being written")
    }

    /// One pass of the space reserver: evicts from tiers above their high watermark down to the
    /// low watermark (moving blocks down a tier before dropping them). Returns bytes freed.
    pub fn reserve_space(&self) -> Result<u64, StoreError> {
        unimplemented!("being written")
    }

    /// Deletes every block in the configured directories (for `alluxio format`).
    pub fn format(_options: &StoreOptions) -> Result<(), StoreError> {
        unimplemented!("being written")
    }
}

/// A block being written; dropped without [`TempBlock::commit`], it is removed.
pub struct TempBlock {}

impl TempBlock {
    /// Appends bytes, reserving more space as it grows.
    pub fn write(&mut self, _data: &[u8]) -> Result<(), StoreError> {
        unimplemented!("being written")
    }

    /// Bytes written so far.
    pub fn length(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Makes the block visible (durably named by its id) and returns its metadata.
    pub fn commit(self) -> Result<BlockMeta, StoreError> {
        unimplemented!("being written")
    }
}

/// A read lock on a committed block.
pub struct BlockLock {}

impl BlockLock {
    /// The block file.
    pub fn path(&self) -> &Path {
        unimplemented!("being written")
    }

    /// Its metadata.
    pub fn meta(&self) -> &BlockMeta {
        unimplemented!("being written")
    }
}
