//! The file system master: namespace operations, callable without gRPC.
//!
//! Locking: the inode tree sits behind one `parking_lot::RwLock` that is only ever held for
//! in-memory work (validate, build journal entries, apply them: microseconds), never across an
//! await. An operation validates and applies under the write lock and, still under it, queues its
//! entries to the journal writer, so the journal order is exactly the apply order for every pair
//! of operations, conflicting or not; it then releases the lock and awaits durability before
//! answering. Slow work (UFS calls, journal flushes) therefore never blocks unrelated paths.
//! Operations with UFS side effects validate under a read lock, do the UFS call unlocked, then
//! validate again when applying, so a concurrent change between the two is reported, not lost.

pub mod tree;

mod consistency;
mod create;
mod delete;
mod info;
mod listing;
mod load;
pub mod metastore;
mod modify;
mod mounts;
mod permission;
pub(crate) mod resume;
mod sync;
mod ufs_access;

pub use create::CreateFileOptions;
pub use listing::Listing;
pub use modify::SetAttributeOptions;
pub use mounts::MountOptions;
pub use permission::{Caller, PermissionSettings};
pub use sync::sync_interval;

use std::future::Future;
use std::sync::Arc;

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalSetAttribute, OperationId, PersistenceState};
use alluxio_proto::ids;
use alluxio_ufs::UfsManager;
use parking_lot::{Mutex, RwLock};

use crate::MasterError;
use crate::block_master::BlockMaster;
use crate::journal_writer::JournalWriter;
use crate::mount_table::{MountInfo, ROOT_MOUNT_ID};
use crate::operations::Applied;
use crate::persist::PersistQueue;
use tree::Tree;

tokio::task_local! {
    /// The client's id of the change being served, set by [`FileSystemMaster::once`]: the
    /// journal entries [`FileSystemMaster::commit`] writes for it carry it on their last one.
    static CHANGE: OperationId;
}

/// Settings of the namespace taken from the master's configuration.
#[derive(Debug, Clone)]
pub struct FsSettings {
    /// Block size of files created without one and of files loaded from the UFS.
    pub default_block_size: u64,
    /// Permission bits removed from new inodes.
    pub umask: u32,
    /// The master's login user: a superuser, and the owner of what the master creates itself.
    pub owner: String,
    /// Group of the root directory.
    pub group: String,
    /// How permissions are checked.
    pub permissions: PermissionSettings,
    /// URI of the UFS mounted at `/`.
    pub root_ufs: String,
}

/// The namespace with its journal, block master, UFS and persistence queue.
pub struct FileSystemMaster {
    pub(crate) tree: Arc<RwLock<Tree>>,
    journal: JournalWriter,
    pub(crate) blocks: Arc<BlockMaster>,
    ufs: UfsManager,
    /// The mount at `/`, from `settings.root_ufs`.
    root_mount: MountInfo,
    pub(crate) settings: FsSettings,
    pub(crate) persist: Mutex<PersistQueue>,
    /// Metadata sync times and UFS fingerprints (in memory only).
    pub(crate) sync: sync::SyncState,
}

/// Hands out the ids of inodes created by one operation.
pub(crate) struct IdAlloc {
    next_container: u64,
}

impl IdAlloc {
    fn new(tree: &Tree) -> Self {
        Self {
            next_container: tree.next_container,
        }
    }

    fn next(&mut self) -> u64 {
        let id = ids::file_id(self.next_container);
        self.next_container += 1;
        id
    }
}

impl FileSystemMaster {
    /// A namespace over `tree` (recovered from the journal), journaling through `journal`.
    pub fn new(
        tree: Arc<RwLock<Tree>>,
        journal: JournalWriter,
        blocks: Arc<BlockMaster>,
        ufs: UfsManager,
        settings: FsSettings,
    ) -> Self {
        let persist = PersistQueue::from_tree(&tree.read());
        let root_mount = MountInfo {
            mount_id: ROOT_MOUNT_ID,
            ufs_uri: settings.root_ufs.clone(),
            read_only: false,
            shared: false,
            options: Default::default(),
        };
        Self {
            tree,
            journal,
            blocks,
            ufs,
            root_mount,
            settings,
            persist: Mutex::new(persist),
            sync: sync::SyncState::default(),
        }
    }

    /// Where the journal stands.
    pub(crate) fn journal_state(&self) -> crate::journal_writer::JournalState {
        self.journal.state()
    }

    /// Applies the entries `build` derives from the current tree, then waits for the journal;
    /// then writes owners and modes the entries gave persisted inodes to the UFS
    /// (`ufs_access.rs`).
    pub(crate) async fn commit<T>(
        &self,
        build: impl FnOnce(&Tree, &mut IdAlloc) -> Result<(Vec<Entry>, T), MasterError>,
    ) -> Result<T, MasterError> {
        self.commit_step(|tree, alloc| build(tree, alloc).map(|(entries, out)| (entries, (out, true))))
            .await
            .map(|(out, _)| out)
    }

    /// Like [`FileSystemMaster::commit`], for one step of a change made in several: `build`
    /// also says whether this is the last step, which alone records the client's operation
    /// (a retry meanwhile runs the change again).
    pub(crate) async fn commit_step<T>(
        &self,
        build: impl FnOnce(&Tree, &mut IdAlloc) -> Result<(Vec<Entry>, (T, bool)), MasterError>,
    ) -> Result<(T, bool), MasterError> {
        let (durable, outcome, access) = {
            let mut tree = self.tree.write();
            if self.journal.stopped() {
                // Changes that cannot be journaled must not be applied either.
                return Err(MasterError::Unavailable);
            }
            let mut alloc = IdAlloc::new(&tree);
            let (mut entries, out) = build(&tree, &mut alloc)?;
            // An entry the journal cannot hold would fail its append after the tree took it,
            // leaving memory ahead of the journal: refuse the change before applying any of it.
            if let Some(size) = entries
                .iter()
                .map(alluxio_journal::entry_record_len)
                .find(|size| *size > alluxio_journal::MAX_ENTRY_LEN)
            {
                return Err(MasterError::EntryTooLarge {
                    size,
                    limit: alluxio_journal::MAX_ENTRY_LEN,
                });
            }
            let mut outcome = Ok(out);
            for (index, entry) in entries.iter().enumerate() {
                if let Err(reason) = tree.apply(entry) {
                    // Journal what was applied, so memory and journal still agree.
                    entries.truncate(index);
                    outcome = Err(MasterError::ApplyRejected(reason));
                    break;
                }
            }
            // A change a client named is applied once all its entries (of every step) are.
            let last_step = matches!(outcome, Ok((_, true)));
            let operation = CHANGE.try_with(|change| *change).ok().filter(|_| last_step);
            if let (Some(operation), Some(last)) = (&operation, entries.last()) {
                tree.applied.record(operation, last);
            }
            let access = ufs_access::access_to_write(&tree, &entries);
            (self.journal.submit(entries, operation), outcome, access)
        };
        durable.wait().await?;
        self.journal.checkpoint_if_due();
        if !access.is_empty() {
            self.write_access_to_ufs(access).await;
        }
        outcome
    }

    /// Runs `change`, which the client named `operation`, unless that change is applied
    /// already: then (once it is durable) `answer` says what it produced. A change that fails
    /// because its own earlier attempt got there first (a retry racing the original on this
    /// master) is answered the same way.
    pub(crate) async fn once<T>(
        &self,
        operation: Option<OperationId>,
        change: impl Future<Output = Result<T, MasterError>>,
        answer: impl FnOnce(Applied) -> Result<T, MasterError>,
    ) -> Result<T, MasterError> {
        let Some(operation) = operation else {
            return change.await;
        };
        if let Some(applied) = self.applied(&operation).await? {
            return answer(applied);
        }
        match CHANGE.scope(operation, change).await {
            Err(err) => match self.applied(&operation).await? {
                Some(applied) => answer(applied),
                None => Err(err),
            },
            done => done,
        }
    }

    /// What the change `operation` produced, once durable, if it is applied.
    async fn applied(&self, operation: &OperationId) -> Result<Option<Applied>, MasterError> {
        let applied = self.tree.read().applied.get(operation);
        if applied.is_some() {
            // Its entries may still be on their way to the journal.
            self.journal.barrier().wait().await?;
        }
        Ok(applied)
    }

    /// Writes a journal checkpoint now, for a superuser; returns the last sequence it covers.
    pub async fn checkpoint(&self) -> Result<u64, MasterError> {
        if !self.caller_is_superuser() {
            let caller = Caller::current()
                .map(|caller| caller.user.clone())
                .unwrap_or_default();
            return Err(MasterError::PermissionDenied {
                operation: "checkpoint",
                path: "the journal".into(),
                reason: format!("user={caller} is not a superuser"),
            });
        }
        self.journal.checkpoint_now().await
    }

    /// Stops journaling; waits for queued entries.
    pub async fn close(&self) {
        self.journal.close().await;
    }
}

/// SetAttribute entries marking `id` and its ancestors persisted, stopping at the first one that
/// already is (its own ancestors are then persisted too).
pub(crate) fn persist_ancestors(tree: &Tree, mut id: u64, time_ms: i64) -> Vec<Entry> {
    let mut out = Vec::new();
    while let Some(inode) = tree.get(id) {
        if inode.is_persisted() {
            break;
        }
        out.push(Entry::SetAttribute(JournalSetAttribute {
            id,
            persistence_state: Some(PersistenceState::Persisted.into()),
            op_time_ms: time_ms,
            ..Default::default()
        }));
        if inode.parent == id {
            break;
        }
        id = inode.parent;
    }
    out
}

/// Block ids of a file of `length` bytes whose blocks were never committed (THROUGH writes, UFS
/// files): one per `block_size` bytes, in the file's container.
pub(crate) fn derived_block_ids(file_id: u64, length: u64, block_size: u64) -> Vec<u64> {
    let count = length.div_ceil(block_size.max(1));
    let container = ids::container_id(file_id);
    (0..count).map(|seq| ids::block_id(container, seq)).collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_blocks;
#[cfg(test)]
mod tests_delete;
#[cfg(test)]
mod tests_mounts;
#[cfg(test)]
mod tests_permissions;
#[cfg(test)]
mod tests_persist;
#[cfg(test)]
mod tests_sync;
#[cfg(test)]
mod tests_ufs_access;
