//! The master's journal: every namespace change as a framed, checksummed entry, appended and made
//! durable with group commit; periodic checkpoints; recovery = latest checkpoint + replay.
//! The journal lives in a local folder or, so a master relaunched elsewhere recovers, in an under
//! file system (see [`JournalLocation`]).
//!
//! Several masters may share one journal folder: standbys follow it with a [`JournalTailer`],
//! and the one elected leader calls [`JournalTailer::promote`]. Every writer claims an epoch of
//! its own; a writer whose epoch was superseded gets no append acknowledged any more and deletes
//! nothing, and what it wrote late is never read (docs/high-availability.md, "Fencing").

mod chain;
mod checkpoint;
mod cleanup;
mod epoch;
mod error;
mod journal;
mod local;
mod record;
mod replay;
mod storage;
mod tailer;
mod ufs;
mod writer;

use std::path::PathBuf;

use alluxio_conf::Configuration;
pub use alluxio_proto::grpc::JournalEntry;
pub use error::JournalError;
pub use journal::{ClaimedJournal, Journal};
pub use record::{MAX_RECORD_LEN as MAX_ENTRY_LEN, entry_record_len};
pub use replay::Replay;
pub use tailer::{JournalTailer, Tail};

use crate::ufs::UfsStorage;

/// Where a journal lives: the value of `alluxio.master.journal.folder`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalLocation {
    /// A local folder, or a directory every master mounts; a master running alone holds its
    /// `flock` while open.
    Local(PathBuf),
    /// An under file system URI (`s3://bucket/journal`, `hdfs://nn:8020/journal` ...). Nothing
    /// locks it: one master runs per journal folder, or masters sharing it fence each other
    /// with epochs, which needs an atomic create.
    Ufs(String),
}

impl std::fmt::Display for JournalLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalLocation::Local(folder) => write!(f, "{}", folder.display()),
            JournalLocation::Ufs(uri) => f.write_str(uri),
        }
    }
}

impl JournalLocation {
    /// Whether the journal folder exists already (for `alluxio format -s`).
    pub fn exists(&self, conf: &Configuration) -> Result<bool, JournalError> {
        match self {
            JournalLocation::Local(folder) => Ok(folder.exists()),
            JournalLocation::Ufs(uri) => UfsStorage::exists(uri, conf),
        }
    }
}

#[cfg(test)]
mod tests;
