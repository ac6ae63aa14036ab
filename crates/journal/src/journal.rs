//! The journal's writer: opening it (claiming an epoch and recovering), appending with group
//! commit, checkpoints, and `format`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alluxio_conf::Configuration;

use crate::cleanup::clean_up;
use crate::local::{LocalStorage, format, lock_folder};
use crate::replay::{EndRule, load, load_after_checkpoint};
use crate::storage::{CheckpointId, Storage};
use crate::ufs::UfsStorage;
use crate::writer::{Fence, Writer};
use crate::{JournalEntry, JournalError, JournalLocation, epoch};

/// A segment at least this large is closed and a new one started.
pub(crate) const SEGMENT_LIMIT: u64 = 64 << 20;

/// A journal open for writing, in an epoch of its own. Dropping it waits until every queued
/// entry is written.
pub struct Journal {
    writer: Writer,
    /// The epoch this writer claimed.
    epoch: u64,
    /// The sequence the latest checkpoint covers.
    checkpointed: AtomicU64,
    /// Checkpoints run one at a time, so they finish in the order of their sequences.
    checkpoint_turn: tokio::sync::Mutex<()>,
    storage: Arc<dyn Storage>,
    /// The folder's `flock` of a master running alone; declared last so it outlives the writer.
    _lock: Option<File>,
}

/// Where a new writer starts: what it read of the journal.
pub(crate) struct Start<'a> {
    /// The sequence its first entry gets.
    pub(crate) next: u64,
    /// The epoch it continues (the newest with pieces when it read the log).
    pub(crate) after: u64,
    /// The sequence the checkpoint it started from covers.
    pub(crate) through: u64,
    /// That checkpoint.
    pub(crate) checkpoint: Option<&'a CheckpointId>,
}

impl Journal {
    /// Opens (creating if needed) the journal at `location` for a master running alone; `conf`
    /// gives a UFS journal its credentials and endpoint. Returns it with the entries to replay,
    /// as [`Journal::open`], except that for a caller already `holding` the state through a
    /// sequence between [`Journal::checkpointed_through`] and [`Journal::last_sequence`] (a
    /// namespace kept on disk), the checkpoint is not read and the entries are the log after
    /// it alone. Blocks until recovered: call it from a blocking context.
    ///
    /// Masters sharing a journal open it with [`crate::JournalTailer::open`] and
    /// [`crate::JournalTailer::promote`] instead.
    pub fn open_at(
        location: &JournalLocation,
        conf: &Configuration,
        holding: Option<u64>,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        match location {
            JournalLocation::Local(folder) => Self::open_with_segment_limit(folder, SEGMENT_LIMIT, holding),
            JournalLocation::Ufs(uri) => {
                Self::recover(Arc::new(UfsStorage::connect(uri, conf)?), None, holding)
            }
        }
    }

    /// Deletes the journal at `location` (for `alluxio format`), as [`Journal::format`]. A UFS
    /// journal has no lock to tell whether a master still uses it: stop the masters first.
    pub fn format_at(location: &JournalLocation, conf: &Configuration) -> Result<(), JournalError> {
        match location {
            JournalLocation::Local(folder) => Self::format(folder),
            JournalLocation::Ufs(uri) => UfsStorage::format(uri, conf),
        }
    }

    /// Opens (creating if needed) the journal in `folder` for a master running alone (it holds
    /// the folder's lock) and returns it with the entries to replay, in order: those of the
    /// latest checkpoint, then every later log entry.
    pub fn open(folder: &Path) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        Self::open_with_segment_limit(folder, SEGMENT_LIMIT, None)
    }

    pub(crate) fn open_with_segment_limit(
        folder: &Path,
        segment_limit: u64,
        holding: Option<u64>,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        std::fs::create_dir_all(folder).map_err(JournalError::io_on(folder))?;
        let lock = lock_folder(folder)?;
        Self::recover(
            Arc::new(LocalStorage::new(folder, segment_limit)),
            Some(lock),
            holding,
        )
    }

    /// Claims the next epoch, reads the journal (the checkpoint only if needed, as
    /// [`Journal::open_at`]) and starts writing after it.
    fn recover(
        storage: Arc<dyn Storage>,
        lock: Option<File>,
        holding: Option<u64>,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        // Alone (by the folder lock, or by the operator's word on a UFS), no rival can race the
        // claim, so a store without an atomic create will do.
        let epoch = epoch::claim(storage.as_ref(), false)?;
        let (journal, entries) = Self::begin_after_all(storage, epoch, lock, holding)?;
        tracing::info!(
            journal = %journal.location(),
            epoch,
            entries = entries.len(),
            checkpoint = journal.checkpointed.load(Ordering::Acquire),
            last_sequence = journal.last_sequence(),
            "journal recovered"
        );
        Ok((journal, entries))
    }

    /// Reads the whole journal (newest checkpoint, unless `holding` makes it unnecessary, and
    /// the log after it) and starts writing after it in `epoch`, claimed before the read;
    /// returns the writer and every entry to replay.
    pub(crate) fn begin_after_all(
        storage: Arc<dyn Storage>,
        epoch: u64,
        lock: Option<File>,
        holding: Option<u64>,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        let loaded = match holding {
            Some(holding) => load_after_checkpoint(storage.as_ref(), holding)?,
            None => None,
        };
        let loaded = match loaded {
            Some(loaded) => loaded,
            None => load(storage.as_ref(), EndRule::Recovery)?,
        };
        let start = Start {
            next: loaded.log.end.max(loaded.through + 1),
            after: loaded.log.head,
            through: loaded.through,
            checkpoint: loaded.checkpoint.as_ref(),
        };
        let journal = Self::begin(storage, epoch, start, lock)?;
        let mut entries = loaded.snapshot;
        entries.extend(loaded.log.entries);
        Ok((journal, entries))
    }

    /// Starts writing in `epoch` (claimed, and the journal read after the claim) at `start`,
    /// then deletes what the checkpoint it started from covers.
    pub(crate) fn begin(
        storage: Arc<dyn Storage>,
        epoch: u64,
        start: Start<'_>,
        lock: Option<File>,
    ) -> Result<Journal, JournalError> {
        storage.record_writer()?;
        let sink = storage.start_epoch(start.next, epoch, start.after)?;
        let fence = Fence {
            storage: storage.clone(),
            epoch,
        };
        let location = PathBuf::from(storage.location().to_string());
        let writer = Writer::start(sink, fence, start.next, location)?;
        // After the epoch's first piece exists, so the clean-up's fence argument holds.
        clean_up(storage.as_ref(), epoch, start.through, start.checkpoint)?;
        Ok(Journal {
            writer,
            epoch,
            checkpointed: AtomicU64::new(start.through),
            checkpoint_turn: tokio::sync::Mutex::new(()),
            storage,
            _lock: lock,
        })
    }

    /// Appends entries (their sequence numbers are assigned here, in order) and returns the last
    /// sequence once they are durable. Concurrent appends share one flush (group commit).
    ///
    /// Once called, the entries are written even if the returned future is dropped. An empty
    /// append waits until everything appended before it is durable. An append fails with
    /// [`JournalError::Superseded`] once another master claimed a later epoch, and so does
    /// every append after it: [`JournalError::is_fenced`] tells the master to step down.
    pub async fn append(&self, entries: Vec<JournalEntry>) -> Result<u64, JournalError> {
        self.enqueue(entries).await
    }

    /// Queues `entries` now, so that the order of calls is the order in the log, and returns
    /// what resolves to their last sequence once they are durable (group commit, as
    /// [`Journal::append`]).
    pub fn enqueue(
        &self,
        entries: Vec<JournalEntry>,
    ) -> impl Future<Output = Result<u64, JournalError>> + Send + 'static {
        let queued = self.writer.enqueue(entries);
        async move { queued?.await.map_err(|_| JournalError::Closed)? }
    }

    /// Sequence number of the last appended entry (0 if none).
    pub fn last_sequence(&self) -> u64 {
        self.writer.last_sequence()
    }

    /// The sequence the latest checkpoint covers: log entries after it are all kept.
    pub fn checkpointed_through(&self) -> u64 {
        self.checkpointed.load(Ordering::Acquire)
    }

    /// The epoch this writer claimed when it opened the journal.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Entries appended since the last checkpoint.
    pub fn entries_since_checkpoint(&self) -> u64 {
        self.last_sequence()
            .saturating_sub(self.checkpointed.load(Ordering::Acquire))
    }

    /// How many times a batch of appends was synced to disk (group commit makes this far
    /// smaller than the number of appends under concurrency).
    pub fn flush_count(&self) -> u64 {
        self.writer.flush_count()
    }

    /// Writes a checkpoint: `snapshot` re-expresses the whole state as of `through_sequence`.
    /// Once durable, log entries up to `through_sequence` are no longer needed and are removed,
    /// unless another master claimed a later epoch: then nothing is removed and this fails with
    /// [`JournalError::Superseded`]. The checkpoint, named by this epoch, never replaces
    /// another master's. The entries are encoded as the snapshot yields them, on a blocking
    /// thread, so a snapshot of millions of inodes is never held whole.
    pub async fn checkpoint<S>(&self, snapshot: S, through_sequence: u64) -> Result<(), JournalError>
    where
        S: IntoIterator<Item = JournalEntry>,
        S::IntoIter: Send + 'static,
    {
        let _turn = self.checkpoint_turn.lock().await;
        let checkpointed = self.checkpointed.load(Ordering::Acquire);
        let last_sequence = self.last_sequence();
        if through_sequence > last_sequence || through_sequence < checkpointed {
            return Err(JournalError::CheckpointOutOfRange {
                through_sequence,
                checkpointed,
                last_sequence,
            });
        }
        // Makes `through_sequence` durable (and checked against the fence) and closes the
        // segment holding it, so the segments the checkpoint covers can go once it is written.
        self.writer.rotate()?.await.map_err(|_| JournalError::Closed)??;
        let mut entries = snapshot.into_iter();
        let (storage, epoch) = (self.storage.clone(), self.epoch);
        let written = tokio::task::spawn_blocking(move || {
            let id = storage.write_checkpoint(through_sequence, epoch, &mut entries)?;
            clean_up(storage.as_ref(), epoch, through_sequence, Some(&id))
        })
        .await;
        match written {
            Ok(result) => result?,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => return Err(JournalError::Closed),
        }
        self.checkpointed.store(through_sequence, Ordering::Release);
        tracing::debug!(journal = %self.location(), epoch, through_sequence, "journal checkpoint written");
        Ok(())
    }

    /// Where this journal lives.
    pub fn location(&self) -> JournalLocation {
        self.storage.location()
    }

    /// Deletes every journal file in `folder` (for `alluxio format`). Other files stay; a
    /// missing folder is already formatted; a folder in use by a master running alone is
    /// refused.
    pub fn format(folder: &Path) -> Result<(), JournalError> {
        format(folder)
    }
}
