//! Hands applied entries to the journal in apply order, and starts checkpoints.
//!
//! Operations apply their entries to the tree under its write lock and, still under it, queue
//! them in the journal itself ([`JournalStore::enqueue`]); that makes the journal's order the
//! apply order, and the journal's writer groups whatever is queued into one flush (group
//! commit). There is no queue of the master's own in front of it. When enough entries were
//! appended (or `alluxio fsadmin journal checkpoint` asks), the tree is cloned under its read
//! lock, where every applied entry is queued and no other can be, so the clone is the state as
//! of the last queued sequence. A clone shares the inodes (copy on write in memory, a frozen
//! read transaction on disk), so taking it holds writers off for milliseconds; the snapshot is
//! encoded and written by a separate task while appends go on (one checkpoint at a time; the
//! journal keeps appends and a checkpoint apart).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use alluxio_journal::{Journal, JournalEntry, JournalError};
use alluxio_proto::grpc::OperationId;
use alluxio_proto::grpc::journal_entry::Entry;
use parking_lot::{Mutex, RwLock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::MasterError;
use crate::journal_apply::Snapshot;
use crate::namespace::resume;
use crate::namespace::tree::Tree;

/// Entries between two commits of a kept disk metastore: each costs a flush of the held changes
/// and an fsync under the write lock (milliseconds), and bounds what a restart after a crash
/// replays.
const KEEP_EVERY: u64 = 1 << 18;

/// How often a checkpoint asked for waits to find none being written.
const CHECKPOINT_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// Resolves to the last sequence of queued entries once they are durable.
pub type Appending = Pin<Box<dyn Future<Output = Result<u64, JournalError>> + Send>>;

/// Where entries become durable: the journal, or something that behaves like it.
#[async_trait::async_trait]
pub trait JournalStore: Send + Sync + 'static {
    /// Queues `entries` now, after everything queued before; the returned future resolves when
    /// they are durable.
    fn enqueue(&self, entries: Vec<JournalEntry>) -> Appending;
    /// Sequence of the last queued entry (0 if none).
    fn last_sequence(&self) -> u64;
    /// Entries queued since the last checkpoint.
    fn entries_since_checkpoint(&self) -> u64;
    /// Replaces everything up to `through_sequence` by `snapshot`.
    async fn checkpoint(&self, snapshot: Snapshot, through_sequence: u64) -> Result<(), JournalError>;
}

#[async_trait::async_trait]
impl JournalStore for Journal {
    fn enqueue(&self, entries: Vec<JournalEntry>) -> Appending {
        Box::pin(Journal::enqueue(self, entries))
    }
    fn last_sequence(&self) -> u64 {
        Journal::last_sequence(self)
    }
    fn entries_since_checkpoint(&self) -> u64 {
        Journal::entries_since_checkpoint(self)
    }
    async fn checkpoint(&self, snapshot: Snapshot, through_sequence: u64) -> Result<(), JournalError> {
        Journal::checkpoint(self, snapshot, through_sequence).await
    }
}

/// Queued entries becoming durable.
pub struct Durable(Option<(Appending, Arc<AtomicBool>)>);

impl Durable {
    /// Waits until the entries are in the journal. A failed append stops every later change:
    /// the tree already holds entries the journal does not.
    pub async fn wait(self) -> Result<(), MasterError> {
        let Some((appending, failed)) = self.0 else {
            return Ok(());
        };
        match appending.await {
            Ok(_) => Ok(()),
            Err(err) => {
                failed.store(true, Ordering::Release);
                tracing::error!(error = %err, "journal append failed; the master refuses further changes until restarted");
                Err(MasterError::JournalWrite(Arc::new(err)))
            }
        }
    }
}

/// Where the journal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalState {
    /// Sequence of the last queued entry.
    pub last_sequence: u64,
    /// Entries queued since the last checkpoint.
    pub entries_since_checkpoint: u64,
    /// Entries between checkpoints.
    pub checkpoint_period: u64,
    /// An append failed: the master refuses changes until restarted.
    pub failed: bool,
}

/// The master's side of the journal: queueing applied entries and starting checkpoints.
pub struct JournalWriter {
    store: Arc<dyn JournalStore>,
    tree: Arc<RwLock<Tree>>,
    /// Entries between checkpoints.
    period: u64,
    failed: Arc<AtomicBool>,
    closed: AtomicBool,
    /// The sequence a kept disk metastore was last committed at.
    kept_through: AtomicU64,
    checkpointing: Mutex<Option<JoinHandle<()>>>,
}

impl JournalWriter {
    /// A writer to `store`, checkpointing `tree` every `period` entries.
    pub fn start(store: Arc<dyn JournalStore>, tree: Arc<RwLock<Tree>>, period: u64) -> Self {
        Self {
            kept_through: AtomicU64::new(store.last_sequence()),
            store,
            tree,
            period: period.max(1),
            failed: Arc::new(AtomicBool::new(false)),
            closed: AtomicBool::new(false),
            checkpointing: Mutex::new(None),
        }
    }

    /// Where the journal stands, for the web UI.
    pub fn state(&self) -> JournalState {
        JournalState {
            last_sequence: self.store.last_sequence(),
            entries_since_checkpoint: self.store.entries_since_checkpoint(),
            checkpoint_period: self.period,
            failed: self.failed.load(Ordering::Acquire),
        }
    }

    /// Whether changes must be refused before they are applied: an append failed, or the master
    /// is closing.
    pub fn stopped(&self) -> bool {
        self.failed.load(Ordering::Acquire) || self.closed.load(Ordering::Acquire)
    }

    /// Queues entries already applied to the tree, the last one naming the client change they
    /// make, if any; call with the tree write lock held.
    pub fn submit(&self, entries: Vec<Entry>, operation: Option<OperationId>) -> Durable {
        if entries.is_empty() {
            return Durable(None);
        }
        let last = entries.len() - 1;
        let entries = entries
            .into_iter()
            .enumerate()
            .map(|(index, entry)| JournalEntry {
                entry: Some(entry),
                operation_id: operation.filter(|_| index == last),
                ..Default::default()
            })
            .collect();
        Durable(Some((self.store.enqueue(entries), self.failed.clone())))
    }

    /// Resolves once every entry queued so far is durable.
    pub fn barrier(&self) -> Durable {
        Durable(Some((self.store.enqueue(Vec::new()), self.failed.clone())))
    }

    /// Starts a checkpoint if `period` entries were queued since the last one and none is being
    /// written. Call without holding the tree lock.
    pub fn checkpoint_if_due(&self) {
        self.commit_kept_if_due();
        if self.stopped() || self.store.entries_since_checkpoint() < self.period || self.checkpoint_running()
        {
            return;
        }
        // A kept disk metastore is committed first, so that it never falls behind the journal's
        // checkpoint (whose log entries go) and a restart after a crash can resume from it.
        self.commit_kept();
        // Not awaited: the outcome is logged.
        let _ = self.start_checkpoint();
    }

    /// Writes a checkpoint now (`alluxio fsadmin journal checkpoint`), after the one being
    /// written if any, and returns the last sequence it covers once it is durable.
    pub async fn checkpoint_now(&self) -> Result<u64, MasterError> {
        loop {
            if self.stopped() {
                return Err(MasterError::Unavailable);
            }
            if let Some((through, written)) = self.start_checkpoint() {
                return match written.await {
                    Ok(Ok(())) => Ok(through),
                    Ok(Err(err)) => Err(err),
                    Err(_) => Err(MasterError::Internal("the checkpoint task stopped".into())),
                };
            }
            tokio::time::sleep(CHECKPOINT_POLL).await;
        }
    }

    fn checkpoint_running(&self) -> bool {
        is_running(&self.checkpointing.lock())
    }

    /// Starts a checkpoint of the tree as it is, unless one is being written; returns the last
    /// sequence it covers and what tells when it is written.
    fn start_checkpoint(&self) -> Option<(u64, oneshot::Receiver<Result<(), MasterError>>)> {
        let mut checkpointing = self.checkpointing.lock();
        if is_running(&checkpointing) {
            return None;
        }
        // Writers queue under the write lock: under the read lock the tree holds exactly the
        // entries queued so far. A disk metastore's clone is a frozen view, not a copy.
        let (frozen, through) = {
            let tree = self.tree.read();
            (tree.clone(), self.store.last_sequence())
        };
        let (written, outcome) = oneshot::channel();
        let store = self.store.clone();
        *checkpointing = Some(tokio::spawn(async move {
            let _ = written.send(checkpoint(store, frozen, through).await);
        }));
        Some((through, outcome))
    }

    /// Commits a kept disk metastore once [`KEEP_EVERY`] entries were queued since the last
    /// commit, so that a restart after a crash replays at most about that many.
    fn commit_kept_if_due(&self) {
        let since = self.store.last_sequence() - self.kept_through.load(Ordering::Acquire);
        if since >= KEEP_EVERY && !self.stopped() {
            self.commit_kept();
        }
    }

    /// Records the tree in a kept disk metastore as of the last queued entry. Under the write
    /// lock the tree holds exactly the entries queued; should the journal fail to make them
    /// durable, the file is ahead of the journal and the next start rebuilds it.
    fn commit_kept(&self) {
        let mut tree = self.tree.write();
        let sequence = self.store.last_sequence();
        resume::commit_kept(&mut tree, sequence);
        self.kept_through.store(sequence, Ordering::Release);
    }

    /// Refuses further changes and waits for a checkpoint being written; entries already queued
    /// are flushed by the journal itself. A kept disk metastore is committed as of the last
    /// entry, so that the next start replays nothing.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if !self.failed.load(Ordering::Acquire) {
            self.commit_kept();
        }
        let task = self.checkpointing.lock().take();
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, "journal checkpoint task failed");
        }
    }
}

/// Whether a checkpoint task is still being written.
fn is_running(checkpointing: &Option<JoinHandle<()>>) -> bool {
    checkpointing.as_ref().is_some_and(|task| !task.is_finished())
}

/// Writes `tree`, the state as of `sequence`, as the journal's checkpoint (logged either way).
async fn checkpoint(store: Arc<dyn JournalStore>, tree: Tree, sequence: u64) -> Result<(), MasterError> {
    match store.checkpoint(tree.into_snapshot(), sequence).await {
        Ok(()) => {
            tracing::info!(sequence, "journal checkpoint written");
            Ok(())
        }
        Err(err) => {
            tracing::error!(error = %err, "journal checkpoint failed");
            Err(MasterError::Journal(err))
        }
    }
}
