//! What the journal needs from where it is kept, a local folder or an under file system folder:
//! epoch markers, log pieces and checkpoints. Recovery, tailing, fencing and clean-up are
//! written once against this trait.

use std::io::Read;
use std::path::PathBuf;

use crate::chain::Piece;
use crate::checkpoint::CheckpointReader;
use crate::writer::Sink;
use crate::{JournalEntry, JournalError, JournalLocation};

/// A checkpoint as its name describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckpointId {
    /// The last log sequence it covers; `None` for the local `checkpoint` file written before
    /// epochs existed, which names no sequence and is older than any other.
    pub(crate) through: Option<u64>,
    /// The epoch of the leader that wrote it.
    pub(crate) epoch: u64,
    /// The file, or the object's URI.
    pub(crate) path: PathBuf,
}

impl CheckpointId {
    /// Newer checkpoints sort higher: by sequence covered, then by epoch.
    pub(crate) fn order(&self) -> (u64, u64) {
        (self.through.unwrap_or(0), self.epoch)
    }
}

/// A piece opened for reading.
pub(crate) enum Opened {
    /// Its records from byte `offset` on.
    Records {
        /// Reads from `offset`.
        reader: Box<dyn Read + Send>,
        /// Where in the piece `reader` starts.
        offset: u64,
    },
    /// A segment whose header is not (yet) complete: it holds no entries.
    NoHeader,
    /// Deleted since it was listed.
    Gone,
}

/// A journal folder. Blocking: call it off async runtime threads.
pub(crate) trait Storage: Send + Sync + 'static {
    /// Where the journal is.
    fn location(&self) -> JournalLocation;

    /// The newest epoch claimed (0 if none).
    fn highest_epoch(&self) -> Result<u64, JournalError>;
    /// Creates the marker of `epoch` holding `owner`; `Ok(false)` if it exists already. With
    /// `atomic`, two masters creating it at once must never both succeed, or this must fail
    /// with [`JournalError::NoAtomicCreate`].
    fn create_epoch(&self, epoch: u64, owner: &str, atomic: bool) -> Result<bool, JournalError>;
    /// Whether the marker of `epoch` exists.
    fn has_epoch(&self, epoch: u64) -> Result<bool, JournalError>;

    /// Every log piece (in no particular order).
    fn pieces(&self) -> Result<Vec<Piece>, JournalError>;
    /// Opens `piece` at byte `offset` (0: at its start, after any header).
    fn open_piece(&self, piece: &Piece, offset: u64) -> Result<Opened, JournalError>;
    /// Whether a piece can end in a torn record (a crash mid-append), rather than being
    /// published whole.
    fn torn_tails(&self) -> bool;
    /// Creates the (empty) first piece of `epoch` for sequences from `first` on and returns
    /// where that epoch's batches go.
    fn start_epoch(&self, first: u64, epoch: u64, after: u64) -> Result<Box<dyn Sink>, JournalError>;
    /// Deletes a piece (nothing if it is gone).
    fn delete_piece(&self, piece: &Piece) -> Result<(), JournalError>;

    /// Every checkpoint (in no particular order).
    fn checkpoints(&self) -> Result<Vec<CheckpointId>, JournalError>;
    /// Opens a checkpoint for reading (its header read); `None` if it was deleted since it was
    /// listed. What is opened stays readable if the checkpoint is deleted afterwards.
    fn open_checkpoint(&self, id: &CheckpointId) -> Result<Option<CheckpointReader>, JournalError>;
    /// Durably writes a checkpoint of `entries` (taken as they come) of `epoch` through
    /// `through`, never replacing another epoch's, and returns it.
    fn write_checkpoint(
        &self,
        through: u64,
        epoch: u64,
        entries: &mut dyn Iterator<Item = JournalEntry>,
    ) -> Result<CheckpointId, JournalError>;
    /// Deletes a checkpoint (nothing if it is gone).
    fn delete_checkpoint(&self, id: &CheckpointId) -> Result<(), JournalError>;
    /// Deletes what interrupted checkpoint writes left.
    fn remove_leftovers(&self) -> Result<(), JournalError>;

    /// Records this process as the journal's writer where nothing else shows it (a UFS
    /// journal's `LOCK` object), warning when the previous writer did not close cleanly.
    fn record_writer(&self) -> Result<(), JournalError>;
}
