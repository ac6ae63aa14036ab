//! The master's journal: every namespace change as a framed, checksummed entry, appended and made
//! durable with group commit; periodic checkpoints; recovery = latest checkpoint + replay.

use std::path::Path;

pub use alluxio_proto::grpc::JournalEntry;

/// Journal failures, naming the file and offset involved.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An I/O failure.
    #[error("journal I/O error on {path}: {source}")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Damage that is not a torn tail: the journal cannot be trusted.
    #[error("journal {path} is corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// Where.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// The journal was closed.
    #[error("the journal is closed")]
    Closed,
}

/// A local, folder-based journal.
pub struct Journal {}

impl Journal {
    /// Opens (creating if needed) the journal in `folder` and returns it with the entries to
    /// replay, in order: those of the latest checkpoint, then every later log entry.
    pub fn open(_folder: &Path) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        unimplemented!("being written")
    }

    /// Appends entries (their sequence numbers are assigned here, in order) and returns the last
    /// sequence once they are durable. Concurrent appends share one flush (group commit).
    pub async fn append(&self, _entries: Vec<JournalEntry>) -> Result<u64, JournalError> {
        unimplemented!("being written")
    }

    /// Sequence number of the last appended entry (0 if none).
    pub fn last_sequence(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Entries appended since the last checkpoint.
    pub fn entries_since_checkpoint(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Writes a checkpoint: `snapshot` re-expresses the whole state as of `through_sequence`.
    /// Once durable, log entries up to `through_sequence` are no longer needed and are removed.
    pub async fn checkpoint(
        &self,
        _snapshot: Vec<JournalEntry>,
        _through_sequence: u64,
    ) -> Result<(), JournalError> {
        unimplemented!("being written")
    }

    /// Deletes every journal file in `folder` (for `alluxio format`).
    pub fn format(_folder: &Path) -> Result<(), JournalError> {
        unimplemented!("being written")
    }
}
