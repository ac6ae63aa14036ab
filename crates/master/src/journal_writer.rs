//! Hands applied entries to the journal in apply order, with group commit and checkpoints.
//!
//! Operations apply their entries to the tree under its write lock and, still under it, submit
//! them to an unbounded channel; that makes the channel order the apply order. One task drains
//! the channel and appends everything waiting in a single `append` (group commit), then wakes
//! every submitter. When a checkpoint is due, the task drains the channel under the tree read lock
//! and clones the tree there, so the clone holds exactly the entries it is about to append, no
//! more; the snapshot is then encoded and written by a separate task while appends go on (one
//! checkpoint at a time; the journal keeps appends and a checkpoint apart).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use alluxio_journal::{Journal, JournalEntry, JournalError};
use alluxio_proto::grpc::journal_entry::Entry;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::MasterError;
use crate::namespace::tree::Tree;

/// Where entries become durable: the journal, or something that behaves like it.
#[async_trait::async_trait]
pub trait JournalStore: Send + Sync + 'static {
    /// Appends entries durably and returns the last sequence.
    async fn append(&self, entries: Vec<JournalEntry>) -> Result<u64, JournalError>;
    /// Entries appended since the last checkpoint.
    fn entries_since_checkpoint(&self) -> u64;
    /// Replaces everything up to `through_sequence` by `snapshot`.
    async fn checkpoint(
        &self,
        snapshot: Vec<JournalEntry>,
        through_sequence: u64,
    ) -> Result<(), JournalError>;
}

#[async_trait::async_trait]
impl JournalStore for Journal {
    async fn append(&self, entries: Vec<JournalEntry>) -> Result<u64, JournalError> {
        Journal::append(self, entries).await
    }
    fn entries_since_checkpoint(&self) -> u64 {
        Journal::entries_since_checkpoint(self)
    }
    async fn checkpoint(
        &self,
        snapshot: Vec<JournalEntry>,
        through_sequence: u64,
    ) -> Result<(), JournalError> {
        Journal::checkpoint(self, snapshot, through_sequence).await
    }
}

/// How an append ended, told to every batch it held.
type Appended = Result<(), Arc<JournalError>>;

struct Batch {
    entries: Vec<Entry>,
    done: oneshot::Sender<Appended>,
}

/// A submitted batch becoming durable.
pub struct Durable(Option<oneshot::Receiver<Appended>>);

impl Durable {
    /// Waits until the batch is in the journal.
    pub async fn wait(self) -> Result<(), MasterError> {
        let Some(receiver) = self.0 else {
            return Ok(());
        };
        match receiver.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(MasterError::JournalWrite(reason)),
            Err(_) => Err(MasterError::Unavailable),
        }
    }
}

/// The sending side of the journal task.
pub struct JournalWriter {
    sender: Mutex<Option<mpsc::UnboundedSender<Batch>>>,
    failed: Arc<AtomicBool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl JournalWriter {
    /// Starts the task appending to `store`, checkpointing `tree` every `period` entries.
    pub fn start(store: Arc<dyn JournalStore>, tree: Arc<RwLock<Tree>>, period: u64) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let failed = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run(store, tree, period.max(1), receiver, failed.clone()));
        Self {
            sender: Mutex::new(Some(sender)),
            failed,
            task: Mutex::new(Some(task)),
        }
    }

    /// Whether an append failed: from then on the master accepts no change.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Queues entries already applied to the tree; call with the tree write lock held.
    pub fn submit(&self, entries: Vec<Entry>) -> Durable {
        if entries.is_empty() {
            return Durable(None);
        }
        let (done, receiver) = oneshot::channel();
        let sent = match &*self.sender.lock() {
            Some(sender) => sender.send(Batch { entries, done }).is_ok(),
            None => false,
        };
        if sent {
            Durable(Some(receiver))
        } else {
            // A dropped sender makes `wait` report Unavailable.
            let (_, closed) = oneshot::channel();
            Durable(Some(closed))
        }
    }

    /// Stops accepting entries and waits until every queued one is appended.
    pub async fn close(&self) {
        self.sender.lock().take();
        let task = self.task.lock().take();
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, "journal writer task failed");
        }
    }
}

async fn run(
    store: Arc<dyn JournalStore>,
    tree: Arc<RwLock<Tree>>,
    period: u64,
    mut receiver: mpsc::UnboundedReceiver<Batch>,
    failed: Arc<AtomicBool>,
) {
    let mut checkpointing: Option<JoinHandle<()>> = None;
    while let Some(first) = receiver.recv().await {
        let mut batches = vec![first];
        while let Ok(batch) = receiver.try_recv() {
            batches.push(batch);
        }
        let count: u64 = batches.iter().map(|b| b.entries.len() as u64).sum();
        let idle = checkpointing.as_ref().is_none_or(JoinHandle::is_finished);
        let frozen = if idle && store.entries_since_checkpoint() + count >= period {
            // Submitters hold the write lock while sending, so under the read lock the channel
            // holds every applied entry and nothing new can arrive until the clone is taken.
            let tree = tree.read();
            while let Ok(batch) = receiver.try_recv() {
                batches.push(batch);
            }
            Some(tree.clone())
        } else {
            None
        };
        let mut entries = Vec::new();
        let mut waiters = Vec::with_capacity(batches.len());
        for batch in batches {
            entries.extend(batch.entries.into_iter().map(|entry| JournalEntry {
                entry: Some(entry),
                ..Default::default()
            }));
            waiters.push(batch.done);
        }
        let result = store.append(entries).await;
        let (outcome, sequence): (Appended, _) = match result {
            Ok(sequence) => (Ok(()), Some(sequence)),
            Err(err) => (Err(Arc::new(err)), None),
        };
        if let Err(reason) = &outcome {
            failed.store(true, Ordering::Release);
            tracing::error!(%reason, "journal append failed; the master refuses further changes until restarted");
        }
        for waiter in waiters {
            // A submitter that gave up waiting is not an error.
            let _ = waiter.send(outcome.clone());
        }
        if let (Some(sequence), Some(frozen)) = (sequence, frozen) {
            checkpointing = Some(tokio::spawn(checkpoint(store.clone(), frozen, sequence)));
        }
    }
    if let Some(task) = checkpointing
        && let Err(err) = task.await
    {
        tracing::error!(error = %err, "journal checkpoint task failed");
    }
}

/// Writes `tree`, the state as of `sequence`, as the journal's checkpoint.
async fn checkpoint(store: Arc<dyn JournalStore>, tree: Tree, sequence: u64) {
    let snapshot = match tokio::task::spawn_blocking(move || tree.snapshot()).await {
        Ok(snapshot) => snapshot,
        Err(err) => {
            tracing::error!(error = %err, "encoding the journal checkpoint failed");
            return;
        }
    };
    let size = snapshot.len();
    match store.checkpoint(snapshot, sequence).await {
        Ok(()) => tracing::info!(sequence, entries = size, "journal checkpoint written"),
        Err(err) => tracing::error!(error = %err, "journal checkpoint failed"),
    }
}
