//! The state every handle of one store shares: the fixed directory layout and, under one mutex,
//! the block table, per-directory space accounting, pins and the changes for the heartbeat.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use super::dir_lock::DirLock;
use super::options::{AllocatorKind, EvictorKind};
use super::{BlockMeta, StoreChanges, StoreError};

/// Name of the folder holding block files inside every tier directory.
pub(super) const BLOCK_FOLDER: &str = "alluxioworker";
/// Name of the folder holding blocks being written, inside [`BLOCK_FOLDER`].
pub(super) const TEMP_FOLDER: &str = ".tmp";

/// One directory of a tier, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DirId {
    pub tier: usize,
    pub dir: usize,
}

/// Where a tier directory keeps its files.
pub(super) struct DirLayout {
    pub blocks: PathBuf,
    pub temp: PathBuf,
}

/// The fixed description of a tier.
pub(super) struct TierLayout {
    pub alias: String,
    pub dirs: Vec<DirLayout>,
    pub high_watermark: f64,
    pub low_watermark: f64,
    /// Whether files must be fsynced (every tier but memory).
    pub durable: bool,
}

/// Space accounting of one directory.
#[derive(Debug, Clone, Copy)]
pub(super) struct DirUsage {
    pub quota: u64,
    /// Bytes of committed blocks (including those being moved out).
    pub committed: u64,
    /// Bytes promised to blocks being written or moved in.
    pub reserved: u64,
}

impl DirUsage {
    pub fn used(&self) -> u64 {
        self.committed + self.reserved
    }

    pub fn free(&self) -> u64 {
        self.quota.saturating_sub(self.used())
    }
}

/// A committed block.
#[derive(Debug, Clone)]
pub(super) struct Block {
    pub dir: DirId,
    pub length: u64,
    pub locks: u32,
    /// Being copied to another tier (or about to be evicted); cannot be locked meanwhile.
    pub moving: bool,
    /// Removal asked while locked or moving; done by whoever lets go last.
    pub remove_pending: bool,
    /// Logical time of the last lock or commit, for LRU eviction.
    pub last_access: u64,
}

/// Everything that changes, guarded by [`Shared::state`].
pub(super) struct State {
    pub usage: Vec<Vec<DirUsage>>,
    pub blocks: HashMap<u64, Block>,
    pub writing: HashSet<u64>,
    pub pinned_files: HashSet<u64>,
    pub round_robin: Vec<usize>,
    clock: u64,
    added: BTreeMap<u64, BlockMeta>,
    removed: BTreeSet<u64>,
}

impl State {
    pub fn new(usage: Vec<Vec<DirUsage>>) -> Self {
        let tiers = usage.len();
        State {
            usage,
            blocks: HashMap::new(),
            writing: HashSet::new(),
            pinned_files: HashSet::new(),
            round_robin: vec![0; tiers],
            clock: 0,
            added: BTreeMap::new(),
            removed: BTreeSet::new(),
        }
    }

    pub fn dir(&self, dir: DirId) -> &DirUsage {
        &self.usage[dir.tier][dir.dir]
    }

    pub fn dir_mut(&mut self, dir: DirId) -> &mut DirUsage {
        &mut self.usage[dir.tier][dir.dir]
    }

    /// The next logical time stamp.
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub fn is_pinned(&self, block_id: u64) -> bool {
        self.pinned_files
            .contains(&alluxio_proto::ids::file_id_of_block(block_id))
    }

    pub fn note_added(&mut self, meta: BlockMeta) {
        self.removed.remove(&meta.block_id);
        self.added.insert(meta.block_id, meta);
    }

    pub fn note_removed(&mut self, block_id: u64) {
        self.added.remove(&block_id);
        self.removed.insert(block_id);
    }

    pub fn take_changes(&mut self) -> StoreChanges {
        StoreChanges {
            added: std::mem::take(&mut self.added).into_values().collect(),
            removed: std::mem::take(&mut self.removed).into_iter().collect(),
        }
    }
}

/// The store proper; [`super::BlockStore`], temp blocks and locks hold it in an `Arc`.
pub(super) struct Shared {
    pub tiers: Vec<TierLayout>,
    pub allocator: AllocatorKind,
    pub evictor: EvictorKind,
    pub state: Mutex<State>,
    /// Signalled whenever a block stops moving, for lockers waiting on it.
    pub moved: Condvar,
    temp_seq: AtomicU64,
    /// Blocks evicted from a tier (moved down or dropped) since the store opened.
    pub evicted: AtomicU64,
    /// Keeps other workers out of the directories for as long as any handle lives.
    _locks: Vec<DirLock>,
}

impl Shared {
    pub fn new(
        tiers: Vec<TierLayout>,
        allocator: AllocatorKind,
        evictor: EvictorKind,
        state: State,
        locks: Vec<DirLock>,
    ) -> Self {
        Shared {
            tiers,
            allocator,
            evictor,
            state: Mutex::new(state),
            moved: Condvar::new(),
            temp_seq: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            _locks: locks,
        }
    }

    pub fn layout(&self, dir: DirId) -> &DirLayout {
        &self.tiers[dir.tier].dirs[dir.dir]
    }

    pub fn block_path(&self, dir: DirId, block_id: u64) -> PathBuf {
        self.layout(dir).blocks.join(block_id.to_string())
    }

    /// A fresh temp file name, unique within this process; the temp folder is emptied on open.
    pub fn temp_path(&self, dir: DirId, block_id: u64) -> PathBuf {
        let seq = self.temp_seq.fetch_add(1, Ordering::Relaxed);
        self.layout(dir).temp.join(format!("{block_id}-{seq}"))
    }

    pub fn meta(&self, block_id: u64, block: &Block) -> BlockMeta {
        BlockMeta {
            block_id,
            length: block.length,
            tier: self.tiers[block.dir.tier].alias.clone(),
        }
    }

    /// Forgets a block and deletes its file. Runs under the state lock so that a block of the
    /// same id committed right after cannot lose its file to this unlink.
    pub fn drop_block(&self, state: &mut State, block_id: u64) {
        let Some(block) = state.blocks.remove(&block_id) else {
            return;
        };
        let usage = state.dir_mut(block.dir);
        usage.committed = usage.committed.saturating_sub(block.length);
        state.note_removed(block_id);
        let path = self.block_path(block.dir, block_id);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(
                "cannot delete the file of removed block {block_id} at {}: {e}",
                path.display()
            );
        }
        self.moved.notify_all();
    }

    /// `e`, or a lack of space if it is a full file system under `dir` (a quota above what the
    /// file system really has left): the client can act on that, as on a full quota.
    pub fn full_or_io(&self, e: StoreError, dir: DirId, block_id: u64, needed: u64) -> StoreError {
        match e {
            StoreError::Io { source, .. }
                if source.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error()) =>
            {
                StoreError::NoSpace {
                    block_id,
                    tier: self.tiers[dir.tier].alias.clone(),
                    needed,
                    reason: format!("the file system of {} is full", self.layout(dir).blocks.display()),
                }
            }
            e => e,
        }
    }

    /// Ends a move that did not happen: the block becomes lockable again (or goes, if its
    /// removal was asked meanwhile).
    pub fn cancel_move(&self, state: &mut State, block_id: u64) {
        let Some(block) = state.blocks.get_mut(&block_id) else {
            return;
        };
        block.moving = false;
        if block.remove_pending && block.locks == 0 {
            self.drop_block(state, block_id);
        }
        self.moved.notify_all();
    }
}

/// Wraps an I/O error with the path it concerns.
pub(super) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}
