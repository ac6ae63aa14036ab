//! The tiered block store: tiers (MEM, SSD, HDD) of directories with quotas, blocks as files named
//! by block id under `<dir>/alluxioworker/`, an allocator choosing the directory of a new block,
//! an evictor freeing space between the watermarks, and block locks that keep a block being read
//! from being evicted, moved or removed.

mod allocator;
mod dir_lock;
mod evictor;
mod layout;
mod lock;
mod mover;
mod options;
mod shared;
mod space;
mod temp_block;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

pub use lock::BlockLock;
pub use options::{AllocatorKind, EvictorKind};
pub use temp_block::TempBlock;

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
    /// Another worker (or `alluxio format`, or another process) holds the directory's lock.
    #[error(
        "tier directory {} is in use by another worker or process (it holds {}/alluxioworker/.lock); \
         stop it or give this worker its own directory in alluxio.worker.tieredstore.level<n>.dirs.path",
        .0.display(),
        .0.display()
    )]
    InUse(PathBuf),
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

/// Everything the store needs to open ([`StoreOptions::from_conf`] reads it from the
/// configuration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreOptions {
    /// Tiers from top (fastest) to bottom.
    pub tiers: Vec<TierSpec>,
    /// How a directory is chosen for a new block.
    pub allocator: AllocatorKind,
    /// Which blocks go first when space is needed.
    pub evictor: EvictorKind,
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

/// Usage of one storage directory.
#[derive(Debug, Clone, PartialEq)]
pub struct DirUsageReport {
    /// Alias of its tier.
    pub tier: String,
    /// Where its blocks are.
    pub path: PathBuf,
    /// Its quota.
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
///
/// Methods do blocking file I/O (usually on tmpfs); [`BlockStore::lock_block`] may also wait
/// while the block is copied between tiers.
#[derive(Clone)]
pub struct BlockStore {
    shared: Arc<shared::Shared>,
}

/// A [`BlockStore`] handle that does not keep it open ([`BlockStore::downgrade`]).
#[derive(Clone)]
pub struct WeakBlockStore(std::sync::Weak<shared::Shared>);

impl WeakBlockStore {
    /// The store, while some strong handle still keeps it open.
    pub fn upgrade(&self) -> Option<BlockStore> {
        self.0.upgrade().map(|shared| BlockStore { shared })
    }
}

impl BlockStore {
    /// Locks and creates the directories, finds the blocks already there, drops unfinished ones.
    /// The directories stay locked (see [`StoreError::InUse`]) until the last handle is dropped.
    pub fn open(options: StoreOptions) -> Result<Self, StoreError> {
        Ok(BlockStore {
            shared: Arc::new(layout::open(options)?),
        })
    }

    /// Live handles on the store (clones, temp blocks, block locks); its directories stay locked
    /// until the count drops to zero.
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.shared)
    }

    /// A handle that does not keep the store (nor its directory locks) alive: for readers such
    /// as metric gauges, which must not delay a stop.
    pub fn downgrade(&self) -> WeakBlockStore {
        WeakBlockStore(Arc::downgrade(&self.shared))
    }

    /// Tier aliases from top to bottom.
    pub fn tier_aliases(&self) -> Vec<String> {
        self.shared.tiers.iter().map(|t| t.alias.clone()).collect()
    }

    /// Starts a block in tier `tier_level` (or the nearest lower tier with room), reserving
    /// `expected_length` bytes (evicting if needed).
    pub fn create_block(
        &self,
        block_id: u64,
        tier_level: usize,
        expected_length: u64,
    ) -> Result<TempBlock, StoreError> {
        {
            let mut state = self.shared.state.lock();
            if state.blocks.contains_key(&block_id) || !state.writing.insert(block_id) {
                return Err(StoreError::AlreadyExists(block_id));
            }
        }
        let tiers = self.shared.tiers.len();
        // Like Alluxio, a write tier below the last one means the last one.
        let top = tier_level.min(tiers - 1);
        let initial = self.shared.initial_reservation(top, expected_length);
        let mut reserved = self.shared.reserve_in_tier(top, initial, block_id, true);
        for lower in top + 1..tiers {
            let Err(first) = &reserved else { break };
            tracing::debug!(
                "block {block_id} tries tier {}: {first}",
                self.shared.tiers[lower].alias
            );
            if let Ok(dir) = self.shared.reserve_in_tier(lower, initial, block_id, true) {
                reserved = Ok(dir);
            }
        }
        match reserved {
            Ok(dir) => TempBlock::create(self.shared.clone(), block_id, dir, initial),
            Err(e) => {
                self.shared.state.lock().writing.remove(&block_id);
                Err(e)
            }
        }
    }

    /// Locks a committed block for reading; the lock keeps it in place until dropped.
    pub fn lock_block(&self, block_id: u64) -> Result<BlockLock, StoreError> {
        BlockLock::acquire(self.shared.clone(), block_id)
    }

    /// Moves a block to the top tier if it is not there (evicting there if needed); best effort.
    pub fn promote(&self, block_id: u64) -> Result<(), StoreError> {
        self.shared.promote(block_id)
    }

    /// Removes a block; if it is locked, it goes once the last lock is released.
    pub fn remove_block(&self, block_id: u64) -> Result<(), StoreError> {
        let mut state = self.shared.state.lock();
        let Some(block) = state.blocks.get_mut(&block_id) else {
            return Err(StoreError::NotFound(block_id));
        };
        if block.locks > 0 || block.moving {
            block.remove_pending = true;
            return Ok(());
        }
        self.shared.drop_block(&mut state, block_id);
        Ok(())
    }

    /// Replaces the set of pinned file ids; their blocks are never evicted.
    pub fn set_pinned_files(&self, file_ids: HashSet<u64>) {
        self.shared.state.lock().pinned_files = file_ids;
    }

    /// Adds one file to the pinned set (the next [`BlockStore::set_pinned_files`] replaces it).
    pub fn pin_file(&self, file_id: u64) {
        self.shared.state.lock().pinned_files.insert(file_id);
    }

    /// Usage per tier, top first.
    pub fn usage(&self) -> Vec<TierUsage> {
        let state = self.shared.state.lock();
        self.shared
            .tiers
            .iter()
            .zip(&state.usage)
            .map(|(tier, dirs)| TierUsage {
                alias: tier.alias.clone(),
                capacity: dirs.iter().map(|d| d.quota).sum(),
                used: dirs.iter().map(|d| d.used()).sum(),
            })
            .collect()
    }

    /// How many committed blocks the store holds.
    pub fn block_count(&self) -> u64 {
        self.shared.state.lock().blocks.len() as u64
    }

    /// Usage per directory, top tier first.
    pub fn dir_usage(&self) -> Vec<DirUsageReport> {
        let state = self.shared.state.lock();
        self.shared
            .tiers
            .iter()
            .zip(&state.usage)
            .flat_map(|(tier, dirs)| {
                tier.dirs.iter().zip(dirs).map(|(layout, usage)| DirUsageReport {
                    tier: tier.alias.clone(),
                    path: layout.blocks.clone(),
                    capacity: usage.quota,
                    used: usage.used(),
                })
            })
            .collect()
    }

    /// Every committed block, by id.
    pub fn blocks(&self) -> Vec<BlockMeta> {
        let mut blocks: Vec<BlockMeta> = {
            let state = self.shared.state.lock();
            state
                .blocks
                .iter()
                .map(|(id, b)| self.shared.meta(*id, b))
                .collect()
        };
        // Sorted without the lock the data path takes.
        blocks.sort_unstable_by_key(|b| b.block_id);
        blocks
    }

    /// Blocks evicted from a tier (moved down or dropped) since the store opened.
    pub fn blocks_evicted(&self) -> u64 {
        self.shared.evicted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Changes since the last call.
    pub fn take_changes(&self) -> StoreChanges {
        self.shared.state.lock().take_changes()
    }

    /// One pass of the space reserver: evicts from tiers above their high watermark down to the
    /// low watermark (moving blocks down a tier before dropping them). Returns bytes freed.
    pub fn reserve_space(&self) -> Result<u64, StoreError> {
        Ok(self.shared.reserve_space())
    }

    /// Deletes every block in the configured directories (for `alluxio format`); refuses with
    /// [`StoreError::InUse`] while a worker uses one of them.
    pub fn format(options: &StoreOptions) -> Result<(), StoreError> {
        layout::format(options)
    }
}
