//! The journal's writer: opening it (claiming an epoch and recovering), appending with group
//! commit, checkpoints, and `format`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alluxio_conf::Configuration;

use crate::cleanup::clean_up;
use crate::local::{LocalStorage, format, lock_folder};
use crate::replay::{EndRule, Replay, load, load_after_checkpoint};
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

/// A journal this master claimed (an epoch of its own) and read, whose writer has not started:
/// replay the entries read with it into the state, then [`ClaimedJournal::begin`] writing after
/// them. Nothing but the claim's epoch marker is written before that, so a checkpoint found
/// damaged while it is replayed leaves the journal as it was, for the operator to repair.
pub struct ClaimedJournal {
    pub(crate) storage: Arc<dyn Storage>,
    /// The epoch claimed.
    pub(crate) epoch: u64,
    /// The folder's `flock` of a master running alone.
    pub(crate) lock: Option<File>,
    /// The sequence the writer's first entry gets.
    pub(crate) next: u64,
    /// The epoch it continues (the newest with pieces when it read the log).
    pub(crate) after: u64,
    /// The sequence the checkpoint it read (or started from) covers.
    pub(crate) through: u64,
    /// That checkpoint.
    pub(crate) checkpoint: Option<CheckpointId>,
}

impl ClaimedJournal {
    /// Claims the next epoch of a journal kept in `storage` by a master running alone (`lock`
    /// held, or the operator's word on a UFS) and reads it, as [`Journal::open_at`].
    fn claim_alone(
        storage: Arc<dyn Storage>,
        lock: Option<File>,
        holding: Option<u64>,
    ) -> Result<(ClaimedJournal, Replay), JournalError> {
        // Alone, no rival can race the claim, so a store without an atomic create will do.
        let epoch = epoch::claim(storage.as_ref(), false)?;
        let (claimed, replay) = Self::read_all(storage, epoch, lock, holding)?;
        tracing::info!(
            journal = %claimed.storage.location(),
            epoch,
            entries = replay.remaining(),
            checkpoint = claimed.through,
            last_sequence = claimed.last_sequence(),
            "journal read; replaying it"
        );
        Ok((claimed, replay))
    }

    /// Reads the whole journal (newest checkpoint, unless `holding` makes it unnecessary, and
    /// the log after it) for a writer in `epoch`, claimed before the read.
    pub(crate) fn read_all(
        storage: Arc<dyn Storage>,
        epoch: u64,
        lock: Option<File>,
        holding: Option<u64>,
    ) -> Result<(ClaimedJournal, Replay), JournalError> {
        let loaded = match holding {
            Some(holding) => load_after_checkpoint(storage.as_ref(), holding)?,
            None => None,
        };
        let loaded = match loaded {
            Some(loaded) => loaded,
            None => load(storage.as_ref(), EndRule::Recovery)?,
        };
        let claimed = ClaimedJournal {
            storage,
            epoch,
            lock,
            next: loaded.log.end.max(loaded.through + 1),
            after: loaded.log.head,
            through: loaded.through,
            checkpoint: loaded.checkpoint,
        };
        Ok((claimed, Replay::new(loaded.snapshot, loaded.log.entries)?))
    }

    /// The sequence the checkpoint read covers (0 without one).
    pub fn checkpointed_through(&self) -> u64 {
        self.through
    }

    /// The sequence of the last entry read (0 if none): the writer appends after it.
    pub fn last_sequence(&self) -> u64 {
        self.next - 1
    }

    /// The epoch claimed.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Starts writing after the entries read, once they are replayed; then deletes what the
    /// checkpoint read covers.
    pub fn begin(self) -> Result<Journal, JournalError> {
        let ClaimedJournal {
            storage,
            epoch,
            lock,
            next,
            after,
            through,
            checkpoint,
        } = self;
        storage.record_writer()?;
        let sink = storage.start_epoch(next, epoch, after)?;
        let fence = Fence {
            storage: storage.clone(),
            epoch,
        };
        let location = PathBuf::from(storage.location().to_string());
        let writer = Writer::start(sink, fence, next, location)?;
        // After the epoch's first piece exists, so the clean-up's fence argument holds.
        clean_up(storage.as_ref(), epoch, through, checkpoint.as_ref())?;
        Ok(Journal {
            writer,
            epoch,
            checkpointed: AtomicU64::new(through),
            checkpoint_turn: tokio::sync::Mutex::new(()),
            storage,
            _lock: lock,
        })
    }
}

impl Journal {
    /// Opens (creating if needed) the journal at `location` for a master running alone; `conf`
    /// gives a UFS journal its credentials and endpoint. Claims the next epoch and reads the
    /// journal: returns the claim, whose writer starts once the entries read are replayed, and
    /// those entries: the latest checkpoint's, then every later log entry; except that for a
    /// caller already `holding` the state through a sequence between the checkpoint and the
    /// log's last entry (a namespace kept on disk), the checkpoint is not read and the entries
    /// are the log after it alone. Blocks: call it, and replay, from a blocking context.
    ///
    /// Masters sharing a journal open it with [`crate::JournalTailer::open`] and
    /// [`crate::JournalTailer::promote`] instead.
    pub fn open_at(
        location: &JournalLocation,
        conf: &Configuration,
        holding: Option<u64>,
    ) -> Result<(ClaimedJournal, Replay), JournalError> {
        match location {
            JournalLocation::Local(folder) => Self::claim_local(folder, SEGMENT_LIMIT, holding),
            JournalLocation::Ufs(uri) => {
                ClaimedJournal::claim_alone(Arc::new(UfsStorage::connect(uri, conf)?), None, holding)
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
    /// the folder's lock), and returns it writing, with every entry it holds, in order: those of
    /// the latest checkpoint, then every later log entry. All are held at once: for a journal
    /// small enough (a tool, a test); a master replays [`Journal::open_at`]'s entries as they
    /// are read.
    pub fn open(folder: &Path) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        Self::open_with_segment_limit(folder, SEGMENT_LIMIT)
    }

    /// [`Journal::open`], starting a new segment every `segment_limit` bytes.
    pub(crate) fn open_with_segment_limit(
        folder: &Path,
        segment_limit: u64,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        let (claimed, replay) = Self::claim_local(folder, segment_limit, None)?;
        let entries = replay.collect::<Result<Vec<_>, _>>()?;
        Ok((claimed.begin()?, entries))
    }

    /// Claims the journal in `folder` for a master running alone, taking the folder's lock.
    fn claim_local(
        folder: &Path,
        segment_limit: u64,
        holding: Option<u64>,
    ) -> Result<(ClaimedJournal, Replay), JournalError> {
        std::fs::create_dir_all(folder).map_err(JournalError::io_on(folder))?;
        let lock = lock_folder(folder)?;
        ClaimedJournal::claim_alone(
            Arc::new(LocalStorage::new(folder, segment_limit)),
            Some(lock),
            holding,
        )
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
