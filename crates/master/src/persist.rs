//! The worker-facing side of the namespace: registration and heartbeats (sorting reported blocks
//! into known and unknown), block commits, and the queue of files waiting for asynchronous
//! persistence by a worker that holds all their blocks.

use std::collections::{BTreeMap, HashMap};

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockHeartbeatResponse, BlockIdList, CommandType, CommitBlockRequest,
    JournalSetAttribute, PersistFile, PersistenceState, RegisterWorkerRequest,
};
use alluxio_proto::{AlluxioPath, ids};

use crate::namespace::tree::{InodeKind, Tree};
use crate::namespace::{FileSystemMaster, persist_ancestors};
use crate::workers::BlockReport;
use crate::{MasterError, now_ms};

/// Files waiting for persistence: file id -> the worker it was handed to, if any.
#[derive(Debug, Default)]
pub struct PersistQueue {
    jobs: BTreeMap<u64, Option<u64>>,
}

impl PersistQueue {
    /// The queue of every TO_BE_PERSISTED file of a recovered tree.
    pub fn from_tree(tree: &Tree) -> Self {
        let jobs = tree
            .all_ids()
            .into_iter()
            .filter(|id| {
                tree.get(*id)
                    .is_some_and(|i| i.persistence == PersistenceState::ToBePersisted)
            })
            .map(|id| (id, None))
            .collect();
        Self { jobs }
    }

    /// Queues a file (again).
    pub fn schedule(&mut self, file_id: u64) {
        self.jobs.insert(file_id, None);
    }

    /// Makes the jobs handed to these workers available to others.
    pub fn release_workers(&mut self, workers: &[u64]) {
        for assigned in self.jobs.values_mut() {
            if assigned.is_some_and(|w| workers.contains(&w)) {
                *assigned = None;
            }
        }
    }
}

/// Whether the namespace has a block: its file exists and lists it.
fn is_known(tree: &Tree, block_id: u64) -> bool {
    match tree.get(ids::file_id_of_block(block_id)).map(|i| &i.kind) {
        Some(InodeKind::File { block_ids, .. }) => block_ids.contains(&block_id),
        _ => false,
    }
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
        let report = report(
            &self.tree.read(),
            request.used_bytes_on_tiers,
            request.current_blocks_on_tiers,
            &request.block_lengths,
            Vec::new(),
        );
        let capacity = request.total_bytes_on_tiers.into_iter().collect();
        self.blocks.register(request.worker_id, capacity, report)?;
        // A (re-)registering worker has dropped whatever it was persisting.
        self.persist.lock().release_workers(&[request.worker_id]);
        Ok(())
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
        if command.command_type() == CommandType::Register {
            return Ok(BlockHeartbeatResponse {
                command: Some(command),
                ..Default::default()
            });
        }
        self.mark_persisted(&request.persisted_file_ids).await?;
        {
            let mut queue = self.persist.lock();
            for file in request.persisted_file_ids {
                queue.jobs.remove(&file);
            }
            for file in request.failed_persist_file_ids {
                tracing::warn!(file, worker, "persisting failed; rescheduling");
                queue.schedule(file);
            }
        }
        Ok(BlockHeartbeatResponse {
            command: Some(command),
            persist_files: self.persist_jobs_for(worker),
            pinned_file_ids: self.pinned_files(),
        })
    }

    /// Records a block a worker committed; its file must exist.
    pub fn commit_block(&self, request: CommitBlockRequest) -> Result<(), MasterError> {
        if !is_known(&self.tree.read(), request.block_id) {
            return Err(MasterError::BlockNotFound(request.block_id));
        }
        self.blocks.commit_block(
            request.worker_id,
            request.block_id,
            request.length,
            &request.tier_alias,
            request.used_bytes_on_tier,
        )
    }

    /// Workers were lost: their persist jobs go to others.
    pub fn workers_lost(&self, workers: &[u64]) {
        self.persist.lock().release_workers(workers);
    }

    async fn mark_persisted(&self, files: &[u64]) -> Result<(), MasterError> {
        if files.is_empty() {
            return Ok(());
        }
        self.commit(|tree, _| {
            let now = now_ms();
            let mut entries = Vec::new();
            for file in files {
                let Some(inode) = tree.get(*file).filter(|i| !i.is_dir() && !i.is_persisted()) else {
                    continue;
                };
                entries.push(Entry::SetAttribute(JournalSetAttribute {
                    id: *file,
                    persistence_state: Some(PersistenceState::Persisted.into()),
                    op_time_ms: now,
                    ..Default::default()
                }));
                entries.extend(persist_ancestors(tree, inode.parent, now));
            }
            Ok((entries, ()))
        })
        .await
    }

    /// Hands the worker the queued files whose blocks it holds.
    fn persist_jobs_for(&self, worker: u64) -> Vec<PersistFile> {
        let tree = self.tree.read();
        let mut queue = self.persist.lock();
        let mut out = Vec::new();
        let mut gone = Vec::new();
        for (file, assigned) in queue.jobs.iter_mut().filter(|(_, a)| a.is_none()) {
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
            if self.blocks.holds_all(worker, block_ids) {
                *assigned = Some(worker);
                out.push(PersistFile {
                    file_id: *file,
                    ufs_path: self.ufs_path(&path),
                    block_ids: block_ids.clone(),
                    length: *length,
                });
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
