//! The worker-facing side of the namespace: registration and heartbeats (sorting reported blocks
//! into known and unknown), block commits, and the queue of files waiting for asynchronous
//! persistence by the worker holding most of their blocks (it fetches the others from their
//! workers), and the checks that a persisted file still sits where the namespace has it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockHeartbeatResponse, BlockIdList, CommandType, CommitBlockRequest, PersistFile,
    PersistenceState, RegisterWorkerRequest,
};
use alluxio_proto::{AlluxioPath, ids};
use tokio::time::Instant;

use crate::MasterError;
use crate::block_master::BlockReport;
use crate::namespace::FileSystemMaster;
use crate::namespace::tree::{InodeKind, Tree};

/// Pause before a file whose persisting failed is handed out again; doubled per failure.
const FIRST_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// Longest pause between two attempts at a file, however often it failed.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(600);

/// A file waiting for persistence.
#[derive(Debug, Default)]
struct Job {
    /// The worker persisting it now, if any.
    worker: Option<u64>,
    /// Its Alluxio path when last handed out: the worker writes the UFS file of this path,
    /// which may no longer be the file's path when it reports success.
    handed_path: Option<AlluxioPath>,
    /// Failed attempts so far.
    failures: u32,
    /// Not handed out before this, after a failure.
    retry_at: Option<Instant>,
}

impl Job {
    fn ready(&self, now: Instant) -> bool {
        self.worker.is_none() && self.retry_at.is_none_or(|at| at <= now)
    }
}

/// Files waiting for persistence, by file id.
#[derive(Debug, Default)]
pub struct PersistQueue {
    jobs: BTreeMap<u64, Job>,
}

impl PersistQueue {
    /// The queue of every TO_BE_PERSISTED file of a recovered tree.
    pub fn from_tree(tree: &Tree) -> Self {
        let jobs = tree
            .to_be_persisted
            .iter()
            .map(|id| (*id, Job::default()))
            .collect();
        Self { jobs }
    }

    /// Queues a file (again).
    pub fn schedule(&mut self, file_id: u64) {
        self.jobs.insert(file_id, Job::default());
    }

    /// Queues a file again after a failed attempt, to be handed out after a pause that doubles
    /// with each failure, so a UFS that stays unwritable is not hammered.
    pub fn retry_later(&mut self, file_id: u64) {
        let job = self.jobs.entry(file_id).or_default();
        job.worker = None;
        job.failures = job.failures.saturating_add(1);
        let doublings = (job.failures - 1).min(16);
        let pause = FIRST_RETRY_PAUSE
            .saturating_mul(1 << doublings)
            .min(MAX_RETRY_PAUSE);
        job.retry_at = Some(Instant::now() + pause);
    }

    /// Removes a file reported persisted; returns the path it was handed out for, if known.
    pub fn finish(&mut self, file_id: u64) -> Option<AlluxioPath> {
        self.jobs.remove(&file_id).and_then(|job| job.handed_path)
    }

    /// Makes the jobs handed to these workers available to others.
    pub fn release_workers(&mut self, workers: &[u64]) {
        for job in self.jobs.values_mut() {
            if job.worker.is_some_and(|w| workers.contains(&w)) {
                job.worker = None;
            }
        }
    }
}

/// Whether the namespace has a block: its file exists and lists it.
fn is_known(tree: &Tree, block_id: u64) -> bool {
    tree.get(ids::file_id_of_block(block_id)).is_some_and(
        |inode| matches!(&inode.kind, InodeKind::File { block_ids, .. } if block_ids.contains(&block_id)),
    )
}

fn report(
    tree: &Tree,
    used: HashMap<String, u64>,
    blocks: HashMap<String, BlockIdList>,
    lengths: &HashMap<u64, u64>,
    removed: Vec<u64>,
) -> BlockReport {
    let mut out = BlockReport {
        used: used.into_iter().collect(),
        added: Vec::new(),
        unknown: Vec::new(),
        removed,
    };
    for (tier, list) in blocks {
        for block in list.block_ids {
            if is_known(tree, block) {
                let length = lengths.get(&block).copied().unwrap_or_default();
                out.added.push((block, length, tier.clone()));
            } else {
                out.unknown.push(block);
            }
        }
    }
    out
}

impl FileSystemMaster {
    /// Registers a worker with its full block list.
    pub fn register_worker(&self, request: RegisterWorkerRequest) -> Result<(), MasterError> {
        // A (re-)registering worker has dropped whatever it was persisting.
        self.persist.lock().release_workers(&[request.worker_id]);
        let report = report(
            &self.tree.read(),
            request.used_bytes_on_tiers,
            request.current_blocks_on_tiers,
            &request.block_lengths,
            Vec::new(),
        );
        let capacity = request.total_bytes_on_tiers.into_iter().collect();
        self.blocks.register(request.worker_id, capacity, report)
    }

    /// Applies a heartbeat and answers with commands, persist jobs and pinned files.
    pub async fn worker_heartbeat(
        &self,
        request: BlockHeartbeatRequest,
    ) -> Result<BlockHeartbeatResponse, MasterError> {
        let worker = request.worker_id;
        let report = report(
            &self.tree.read(),
            request.used_bytes_on_tiers,
            request.added_blocks_on_tiers,
            &request.added_block_lengths,
            request.removed_block_ids,
        );
        let command = self.blocks.heartbeat(worker, report);
        // Persist results count even from a worker asked to register again: the UFS files exist.
        self.persisted(&request.persisted_file_ids).await?;
        {
            let mut queue = self.persist.lock();
            for file in request.failed_persist_file_ids {
                tracing::warn!(file, worker, "persisting failed; rescheduling after a pause");
                queue.retry_later(file);
            }
        }
        if command.command_type() == CommandType::Register {
            return Ok(BlockHeartbeatResponse {
                command: Some(command),
                ..Default::default()
            });
        }
        Ok(BlockHeartbeatResponse {
            command: Some(command),
            persist_files: self.persist_jobs_for(worker),
            pinned_file_ids: self.pinned_files(),
        })
    }

    /// Records a block a worker committed; its file must exist.
    /// Returns whether the block's file is pinned, so the worker protects it at once.
    pub fn commit_block(&self, request: CommitBlockRequest) -> Result<bool, MasterError> {
        let pinned = {
            let tree = self.tree.read();
            if !is_known(&tree, request.block_id) {
                return Err(MasterError::BlockNotFound(request.block_id));
            }
            tree.get(ids::file_id_of_block(request.block_id))
                .is_some_and(|inode| inode.pinned)
        };
        self.blocks.commit_block(
            request.worker_id,
            request.block_id,
            request.length,
            &request.tier_alias,
            request.used_bytes_on_tier,
        )?;
        Ok(pinned)
    }

    /// Workers were lost: their persist jobs go to others.
    pub fn workers_lost(&self, workers: &[u64]) {
        self.persist.lock().release_workers(workers);
    }

    /// Hands the worker the queued files of which no other live worker holds more blocks.
    fn persist_jobs_for(&self, worker: u64) -> Vec<PersistFile> {
        let tree = self.tree.read();
        let mut queue = self.persist.lock();
        let mut out = Vec::new();
        let mut gone = Vec::new();
        let now = Instant::now();
        for (file, job) in queue.jobs.iter_mut().filter(|(_, job)| job.ready(now)) {
            let Some(inode) = tree
                .get(*file)
                .filter(|i| i.persistence == PersistenceState::ToBePersisted)
            else {
                gone.push(*file);
                continue;
            };
            let InodeKind::File {
                length, block_ids, ..
            } = &inode.kind
            else {
                gone.push(*file);
                continue;
            };
            let Some(path) = tree.path_of(*file) else { continue };
            if self.blocks.holds_most(worker, block_ids) {
                job.worker = Some(worker);
                let (ufs_path, mount_id) = self.ufs_location(&tree, &path);
                out.push(PersistFile {
                    file_id: *file,
                    ufs_path,
                    mount_id,
                    block_ids: block_ids.to_vec(),
                    length: *length,
                });
                job.handed_path = Some(path);
            }
        }
        for file in gone {
            queue.jobs.remove(&file);
        }
        out
    }

    /// Ids of every pinned file (pinning a directory recursively pins what it holds).
    fn pinned_files(&self) -> Vec<u64> {
        self.tree.read().pinned_files.iter().copied().collect()
    }

    /// Path of an inode (for logs and the TTL checker).
    pub(crate) fn path_of(&self, id: u64) -> Option<AlluxioPath> {
        self.tree.read().path_of(id)
    }
}
