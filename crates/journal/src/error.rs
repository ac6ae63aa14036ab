//! Journal errors: each names the file, object or epoch involved and what to do.

use std::path::{Path, PathBuf};

/// Journal failures, naming the file and offset involved.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An I/O failure.
    #[error("journal I/O error on {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Damage that is not a torn tail: the journal cannot be trusted.
    #[error("journal {path} is corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// An under file system operation of a UFS journal failed (after the UFS layer's retries).
    #[error("journal object {uri}: {source}")]
    Ufs {
        /// The object or folder.
        uri: String,
        /// The cause.
        #[source]
        source: alluxio_ufs::UfsError,
    },
    /// The journal was closed.
    #[error("the journal is closed")]
    Closed,
    /// Another process (or another `Journal` in this one) holds the folder.
    #[error(
        "journal folder {folder} is locked by another process; stop the other master using it \
         or point alluxio.master.journal.folder elsewhere"
    )]
    Locked {
        /// The folder.
        folder: PathBuf,
    },
    /// An entry too large for one record (64 MiB); nothing of its append was written.
    #[error("journal entry {sequence} encodes to {size} bytes, above the 64 MiB record limit")]
    EntryTooLarge {
        /// The sequence it would have had.
        sequence: u64,
        /// Its encoded size.
        size: usize,
    },
    /// Another master claimed the epoch this one tried to claim, at the same time.
    #[error(
        "another master claimed epoch {epoch} of journal {location} first: it leads now, so this \
         master must stay a standby"
    )]
    ClaimLost {
        /// The journal.
        location: String,
        /// The epoch both tried to claim.
        epoch: u64,
    },
    /// A newer epoch was claimed: another master took over, and this one was deposed.
    #[error(
        "this master's epoch {epoch} of journal {location} was superseded by epoch {by}, claimed \
         by another master that took over; this master must stop serving and writing and \
         restart as a standby"
    )]
    Superseded {
        /// The journal.
        location: String,
        /// This master's epoch.
        epoch: u64,
        /// The newest epoch claimed.
        by: u64,
    },
    /// Several masters would share a journal whose storage cannot fence them.
    #[error(
        "journal {uri}: this under file system cannot create a file only if it is absent, which \
         masters sharing a journal need to fence a deposed leader; run a single master on it \
         (alluxio.zookeeper.enabled=false) or put alluxio.master.journal.folder on storage that \
         can (a shared directory, S3, GCS or Azure Blob Storage)"
    )]
    NoAtomicCreate {
        /// The journal.
        uri: String,
    },
    /// A checkpoint through a sequence not yet appended, or older than the current checkpoint.
    #[error(
        "cannot checkpoint through sequence {through_sequence}: it must lie between the current \
         checkpoint ({checkpointed}) and the last appended entry ({last_sequence})"
    )]
    CheckpointOutOfRange {
        /// The requested sequence.
        through_sequence: u64,
        /// The sequence the current checkpoint covers.
        checkpointed: u64,
        /// The last appended sequence.
        last_sequence: u64,
    },
}

impl JournalError {
    /// Whether this master lost the lead to another one (an epoch claimed before or after its
    /// own): it must stop serving and writing and go back to being a standby. Other errors are
    /// failures of the journal itself.
    pub fn is_fenced(&self) -> bool {
        matches!(
            self,
            JournalError::ClaimLost { .. } | JournalError::Superseded { .. }
        )
    }

    /// A failed UFS operation on `uri`.
    pub(crate) fn ufs(uri: &str, source: alluxio_ufs::UfsError) -> JournalError {
        JournalError::Ufs {
            uri: uri.to_string(),
            source,
        }
    }

    /// A function turning an I/O error on `path` into a journal error.
    pub(crate) fn io_on(path: &Path) -> impl Fn(std::io::Error) -> JournalError + Copy + '_ {
        move |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A function describing damage found in `path` at a byte offset.
    pub(crate) fn corrupt_in(path: &Path) -> impl Fn(u64, String) -> JournalError + Copy + '_ {
        move |offset, reason| JournalError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason,
        }
    }
}
