//! The block master: the worker registry and the block map together, for registration,
//! heartbeats, block commits, lost worker detection and the Free commands queued for each
//! worker. One mutex guards both, held only for in-memory updates (no I/O), so the block
//! locations and the workers never disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use alluxio_proto::grpc::{
    BlockInfo, BlockLocation, BlockMasterInfo, Command, CommandType, WorkerInfo, WorkerNetAddress,
};
use parking_lot::Mutex;

use crate::MasterError;
use crate::block_map::BlockMap;
use crate::workers::{Worker, WorkerRegistry};

/// The top tier; bytes there count as "in memory".
pub const MEM_TIER: &str = "MEM";

struct Inner {
    workers: WorkerRegistry,
    blocks: BlockMap,
}

/// What a worker's heartbeat or registration reports, already sorted into known and unknown
/// blocks by the namespace.
pub struct BlockReport {
    /// Tier alias -> used bytes.
    pub used: BTreeMap<String, u64>,
    /// (block id, length, tier) the namespace knows.
    pub added: Vec<(u64, u64, String)>,
    /// Blocks the worker holds that belong to no file: to be freed.
    pub unknown: Vec<u64>,
    /// Blocks the worker removed.
    pub removed: Vec<u64>,
}

/// Workers and the blocks they hold.
pub struct BlockMaster {
    inner: Mutex<Inner>,
}

impl BlockMaster {
    /// An empty registry; worker ids start from `first_worker_id` (distinct per master start,
    /// so a worker of a previous master run is never taken for a new one).
    pub fn new(first_worker_id: u64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                workers: WorkerRegistry::new(first_worker_id),
                blocks: BlockMap::default(),
            }),
        }
    }

    /// The id of the worker at `address`, the same one for as long as this master lives.
    pub fn worker_id(&self, address: WorkerNetAddress) -> u64 {
        self.inner.lock().workers.id_of(address)
    }

    /// Registers a worker: its capacity and its complete block list replace what was known.
    pub fn register(
        &self,
        id: u64,
        capacity: BTreeMap<String, u64>,
        report: BlockReport,
    ) -> Result<(), MasterError> {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        let worker = workers.get_mut(id).ok_or(MasterError::UnknownWorker(id))?;
        for block in worker.blocks.drain() {
            blocks.remove_location(block, id);
        }
        worker.capacity = capacity;
        worker.used = report.used;
        worker.registered = true;
        worker.lost = false;
        worker.last_contact = Instant::now();
        worker.start_time_ms = crate::now_ms();
        // Frees still pending (or sent but maybe lost) stay due for blocks the worker still has.
        let mut due: BTreeSet<u64> = std::mem::take(&mut worker.to_free);
        due.append(&mut worker.freeing);
        worker.to_free = report
            .added
            .iter()
            .map(|(block, ..)| *block)
            .filter(|block| due.contains(block))
            .chain(report.unknown)
            .collect();
        for (block, length, tier) in report.added {
            blocks.add(block, length, id, &tier);
            worker.blocks.insert(block);
        }
        tracing::info!(worker = id, address = %worker.key(), blocks = worker.blocks.len(), "worker registered");
        Ok(())
    }

    /// Applies a heartbeat; returns the command for the worker.
    pub fn heartbeat(&self, id: u64, report: BlockReport) -> Command {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        let Some(worker) = workers.get_mut(id).filter(|w| w.is_live()) else {
            return Command {
                command_type: CommandType::Register.into(),
                ..Default::default()
            };
        };
        worker.last_contact = Instant::now();
        worker.used = report.used;
        for block in report.removed {
            worker.blocks.remove(&block);
            worker.freeing.remove(&block);
            blocks.remove_location(block, id);
        }
        for (block, length, tier) in report.added {
            if worker.freeing.remove(&block) {
                worker.to_free.insert(block);
            }
            blocks.add(block, length, id, &tier);
            worker.blocks.insert(block);
        }
        for block in report.unknown {
            worker.freeing.remove(&block);
            worker.to_free.insert(block);
        }
        worker.free_command()
    }

    /// Records a block a worker has just committed.
    pub fn commit_block(
        &self,
        id: u64,
        block: u64,
        length: u64,
        tier: &str,
        used_on_tier: u64,
    ) -> Result<(), MasterError> {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        let worker = workers
            .get_mut(id)
            .filter(|w| w.is_live())
            .ok_or(MasterError::UnknownWorker(id))?;
        worker.used.insert(tier.to_string(), used_on_tier);
        worker.blocks.insert(block);
        blocks.add(block, length, id, tier);
        Ok(())
    }

    /// Blocks of deleted files: forgotten now, and their workers told to drop them.
    pub fn forget_blocks(&self, block_ids: &[u64]) {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        for block in block_ids {
            for holder in blocks.remove(*block) {
                if let Some(worker) = workers.get_mut(holder) {
                    worker.blocks.remove(block);
                    worker.to_free.insert(*block);
                }
            }
        }
    }

    /// Blocks of freed files: their workers are told to drop them, and the locations go when
    /// the workers report the removal. Dropping them earlier would let a read served from the
    /// doomed copy look like a fresh cache, and the copy would vanish right after.
    pub fn free_blocks(&self, block_ids: &[u64]) {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        for block in block_ids {
            let Some(entry) = blocks.get(*block) else { continue };
            for holder in entry.locations.keys() {
                if let Some(worker) = workers.get_mut(*holder) {
                    worker.to_free.insert(*block);
                }
            }
        }
    }

    /// Marks workers silent for longer than `timeout` as lost and drops their block locations.
    pub fn detect_lost(&self, timeout: Duration) -> Vec<u64> {
        let mut inner = self.inner.lock();
        let Inner { workers, blocks } = &mut *inner;
        let mut lost = Vec::new();
        for (id, worker) in workers.iter_mut() {
            if worker.is_live() && worker.last_contact.elapsed() > timeout {
                worker.lost = true;
                for block in worker.blocks.drain() {
                    blocks.remove_location(block, *id);
                }
                tracing::warn!(worker = id, address = %worker.key(), "worker lost: no heartbeat within {timeout:?}");
                lost.push(*id);
            }
        }
        lost
    }

    /// Length and locations of a block held by some worker.
    pub fn block_info(&self, block_id: u64) -> Option<BlockInfo> {
        let inner = self.inner.lock();
        let entry = inner.blocks.get(block_id)?;
        let locations = entry
            .locations
            .iter()
            .filter_map(|(worker, tier)| {
                Some(BlockLocation {
                    worker_id: *worker,
                    worker_address: Some(inner.workers.get(*worker)?.address.clone()),
                    tier_alias: tier.clone(),
                })
            })
            .collect();
        Some(BlockInfo {
            block_id,
            length: entry.length,
            locations,
        })
    }

    /// Whether `worker` is a live worker holding at least one of `block_ids` and no fewer than
    /// any other live worker: the best one to persist the file (it fetches the rest).
    pub fn holds_most(&self, worker: u64, block_ids: &[u64]) -> bool {
        let inner = self.inner.lock();
        let held = |w: &Worker| block_ids.iter().filter(|b| w.blocks.contains(b)).count();
        let Some(mine) = inner.workers.live(worker).map(held) else {
            return false;
        };
        mine > 0 && inner.workers.live_workers().all(|w| held(w) <= mine)
    }

    /// The files with at least one block held by some worker.
    pub fn cached_file_ids(&self) -> std::collections::BTreeSet<u64> {
        let inner = self.inner.lock();
        inner
            .blocks
            .block_ids()
            .map(alluxio_proto::ids::file_id_of_block)
            .collect()
    }

    /// Live and lost workers.
    pub fn worker_infos(&self) -> (Vec<WorkerInfo>, Vec<WorkerInfo>) {
        self.inner.lock().workers.infos()
    }

    /// Cluster totals over live workers.
    pub fn master_info(&self) -> BlockMasterInfo {
        let (live, lost) = self.worker_infos();
        let mut info = BlockMasterInfo {
            live_worker_num: live.len() as u32,
            lost_worker_num: lost.len() as u32,
            ..Default::default()
        };
        for worker in &live {
            info.capacity_bytes += worker.capacity_bytes;
            info.used_bytes += worker.used_bytes;
            for (tier, bytes) in &worker.capacity_bytes_on_tiers {
                *info.capacity_bytes_on_tiers.entry(tier.clone()).or_default() += bytes;
            }
            for (tier, bytes) in &worker.used_bytes_on_tiers {
                *info.used_bytes_on_tiers.entry(tier.clone()).or_default() += bytes;
            }
        }
        info
    }
}
