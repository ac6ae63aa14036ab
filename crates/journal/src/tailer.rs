//! A standby's read-only view of a journal another master writes: it takes no lock and claims
//! no epoch, replays the checkpoint and the log once, then follows what is appended, so that
//! taking over needs only the tail.
//!
//! A standby applies only entries every later leader will also have. It reads, then checks
//! that no epoch after the newest one with pieces was claimed: if none was, whatever it read
//! was in the journal before any new leader claimed its epoch, and a leader reads the journal
//! only after claiming, so it reads them too. If one was (a failover is under way), the old
//! leader's latest entries may yet be cut off by the new leader's first piece, so they wait
//! until that piece shows where the log goes on.

use std::sync::Arc;

use alluxio_conf::Configuration;

use crate::journal::{ClaimedJournal, SEGMENT_LIMIT};
use crate::local::LocalStorage;
use crate::replay::{Cursor, EndRule, LogRead, Outcome, Replay, load, read_log};
use crate::storage::{CheckpointId, Storage};
use crate::ufs::UfsStorage;
use crate::{JournalEntry, JournalError, JournalLocation, epoch};

/// What a standby reads next.
#[derive(Debug)]
pub enum Tail {
    /// The entries appended after those read before, in order (none if nothing new is
    /// certain yet).
    Entries(Vec<JournalEntry>),
    /// The entries after those read before were folded into a checkpoint and deleted: drop the
    /// state built so far and replay these from scratch (the checkpoint, then the log after it).
    Restart(Replay),
}

/// A standby's handle on a journal: reads, never writes, until [`JournalTailer::promote`].
pub struct JournalTailer {
    storage: Arc<dyn Storage>,
    /// The checkpoint the entries read so far started from.
    checkpoint: Option<CheckpointId>,
    /// The sequence that checkpoint covers.
    through: u64,
    /// The sequence of the next entry to read.
    next: u64,
    /// Where reading stopped in the newest piece.
    cursor: Option<Cursor>,
}

impl JournalTailer {
    /// Opens the journal at `location` for reading (it may not exist yet) and returns the
    /// tailer with the entries to replay: the latest checkpoint's, then the log's. Blocks:
    /// call it, and replay, from a blocking context, like [`JournalTailer::poll`].
    pub fn open(
        location: &JournalLocation,
        conf: &Configuration,
    ) -> Result<(JournalTailer, Replay), JournalError> {
        let storage: Arc<dyn Storage> = match location {
            JournalLocation::Local(folder) => Arc::new(LocalStorage::new(folder, SEGMENT_LIMIT)),
            JournalLocation::Ufs(uri) => Arc::new(UfsStorage::connect(uri, conf)?),
        };
        Self::with_storage(storage)
    }

    /// A tailer of a local journal whose writer will start segments every `segment_limit` bytes,
    /// with the entries it read, held whole.
    #[cfg(test)]
    pub(crate) fn open_local(
        folder: &std::path::Path,
        segment_limit: u64,
    ) -> Result<(JournalTailer, Vec<JournalEntry>), JournalError> {
        let (tailer, replay) = Self::with_storage(Arc::new(LocalStorage::new(folder, segment_limit)))?;
        Ok((tailer, replay.collect::<Result<_, _>>()?))
    }

    fn with_storage(storage: Arc<dyn Storage>) -> Result<(JournalTailer, Replay), JournalError> {
        let mut tailer = JournalTailer {
            storage,
            checkpoint: None,
            through: 0,
            next: 1,
            cursor: None,
        };
        let entries = tailer.restart()?;
        tracing::info!(
            journal = %tailer.storage.location(),
            entries = entries.remaining(),
            checkpoint = tailer.through,
            last_sequence = tailer.last_sequence(),
            "standby read the journal"
        );
        Ok((tailer, entries))
    }

    /// Reads what was appended since the last call (or the open). Cheap when nothing was: a
    /// listing, and a read of the newest piece from where the last one stopped.
    pub fn poll(&mut self) -> Result<Tail, JournalError> {
        match read_log(
            self.storage.as_ref(),
            self.next,
            self.cursor.as_ref(),
            EndRule::Tailing,
        )? {
            Outcome::Read(log) if !self.lost(&log) => {
                let mut entries = Vec::new();
                self.take_if_certain(log, &mut entries)?;
                Ok(Tail::Entries(entries))
            }
            Outcome::Read(_) | Outcome::Diverged(_) => {
                tracing::warn!(
                    journal = %self.storage.location(),
                    last_sequence = self.last_sequence(),
                    "the journal no longer holds entries this standby applied (its storage lost \
                     data it had shown); reading it all again"
                );
                Ok(Tail::Restart(self.restart()?))
            }
            Outcome::Gap(_) | Outcome::Vanished(_) => Ok(Tail::Restart(self.restart()?)),
        }
    }

    /// Sequence of the last entry read (0 if none).
    pub fn last_sequence(&self) -> u64 {
        self.next - 1
    }

    /// Where the journal lives.
    pub fn location(&self) -> JournalLocation {
        self.storage.location()
    }

    /// Makes this master the journal's writer: claims the next epoch (failing with
    /// [`JournalError::ClaimLost`] if another master claims it at the same time) and reads
    /// everything appended since the last poll. From then on the previous leader can get no
    /// append acknowledged. Returns the claim, whose writer starts after the entries not read
    /// before once they are applied, and those entries ([`Tail::Restart`] if they must replace
    /// the state instead). Blocks.
    ///
    /// A UFS without an atomic create cannot fence masters from each other, so promoting on it
    /// fails with [`JournalError::NoAtomicCreate`]. An error after the claim leaves the epoch
    /// claimed and nobody writing: the master must stay a standby and let the election choose
    /// again, as after a [`JournalError::is_fenced`] error.
    pub fn promote(self) -> Result<(ClaimedJournal, Tail), JournalError> {
        let storage = self.storage.clone();
        let epoch = epoch::claim(storage.as_ref(), true)?;
        // Everything read from here on was read after the claim: this is the log as every
        // later reader will see it.
        let read = read_log(
            storage.as_ref(),
            self.next,
            self.cursor.as_ref(),
            EndRule::Recovery,
        )?;
        let (claimed, tail) = match read {
            Outcome::Read(log) if !self.lost(&log) => {
                let claimed = ClaimedJournal {
                    next: log.end.max(self.next),
                    after: log.head,
                    through: self.through,
                    checkpoint: self.checkpoint,
                    storage,
                    epoch,
                    lock: None,
                };
                (claimed, Tail::Entries(log.entries))
            }
            // Read again from the checkpoint when the position is gone or was lost.
            Outcome::Read(_) | Outcome::Gap(_) | Outcome::Vanished(_) | Outcome::Diverged(_) => {
                let (claimed, entries) = ClaimedJournal::read_all(storage, epoch, None, None)?;
                (claimed, Tail::Restart(entries))
            }
        };
        tracing::info!(
            journal = %claimed.storage.location(),
            epoch,
            last_sequence = claimed.last_sequence(),
            "standby promoted to the journal's writer"
        );
        Ok((claimed, tail))
    }

    /// Whether the log now ends before log entries this standby applied.
    fn lost(&self, log: &LogRead) -> bool {
        log.end < self.next && self.last_sequence() > self.through
    }

    /// Reads from the newest checkpoint again; returns its entries and the log's after it.
    fn restart(&mut self) -> Result<Replay, JournalError> {
        let loaded = load(self.storage.as_ref(), EndRule::Tailing)?;
        self.checkpoint = loaded.checkpoint;
        self.through = loaded.through;
        self.next = loaded.through + 1;
        self.cursor = None;
        let mut log = Vec::new();
        self.take_if_certain(loaded.log, &mut log)?;
        Replay::new(loaded.snapshot, log)
    }

    /// Moves past `log`'s entries into `entries` if no newer epoch may still cut them off.
    fn take_if_certain(&mut self, log: LogRead, entries: &mut Vec<JournalEntry>) -> Result<(), JournalError> {
        if log.entries.is_empty() || self.storage.has_epoch(log.head + 1)? {
            return Ok(());
        }
        self.next = log.end;
        self.cursor = log.cursor;
        entries.extend(log.entries);
        Ok(())
    }
}
