//! The master's journal: every namespace change as a framed, checksummed entry, appended and made
//! durable with group commit; periodic checkpoints; recovery = latest checkpoint + replay.
//! The journal lives in a local folder or, so a master relaunched elsewhere recovers, in an under
//! file system (see [`JournalLocation`]).

mod checkpoint;
mod layout;
mod local_sink;
mod record;
mod recovery;
mod ufs;
mod writer;

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use alluxio_conf::Configuration;
pub use alluxio_proto::grpc::JournalEntry;
pub use record::{MAX_RECORD_LEN as MAX_ENTRY_LEN, entry_record_len};

use crate::layout::{LOCK, delete_covered_segments, is_journal_file};
use crate::local_sink::SegmentSink;
use crate::ufs::UfsStore;
use crate::writer::Writer;

/// A segment at least this large is closed and a new one started.
const SEGMENT_LIMIT: u64 = 64 << 20;

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
    /// A failed UFS operation on `uri`.
    pub(crate) fn ufs(uri: &str, source: alluxio_ufs::UfsError) -> JournalError {
        JournalError::Ufs {
            uri: uri.to_string(),
            source,
        }
    }

    /// A function turning an I/O error on `path` into a journal error.
    pub(crate) fn io_on(path: &std::path::Path) -> impl Fn(std::io::Error) -> JournalError + Copy + '_ {
        move |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A function describing damage found in `path` at a byte offset.
    pub(crate) fn corrupt_in(path: &std::path::Path) -> impl Fn(u64, String) -> JournalError + Copy + '_ {
        move |offset, reason| JournalError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason,
        }
    }
}

/// Where a journal lives: the value of `alluxio.master.journal.folder`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalLocation {
    /// A local folder, locked with `flock` while open.
    Local(PathBuf),
    /// An under file system URI (`s3://bucket/journal`, `hdfs://nn:8020/journal` ...). Nothing
    /// locks it: only one master may run per journal folder.
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
            JournalLocation::Ufs(uri) => UfsStore::exists(uri, conf),
        }
    }
}

/// A journal. Dropping it waits until every queued entry is written.
pub struct Journal {
    writer: Writer,
    /// The sequence the latest checkpoint covers.
    checkpointed: AtomicU64,
    /// Checkpoints run one at a time, so they finish in the order of their sequences.
    checkpoint_turn: tokio::sync::Mutex<()>,
    /// Declared last so the folder lock and the UFS runtime outlive the writer.
    store: Store,
}

/// Where the journal's files or objects are.
enum Store {
    Local {
        folder: PathBuf,
        /// Holds the folder's `flock`.
        _lock: File,
    },
    Ufs(UfsStore),
}

impl Journal {
    /// Opens (creating if needed) the journal at `location`; `conf` gives a UFS journal its
    /// credentials and endpoint. Returns it with the entries to replay, as [`Journal::open`].
    /// Blocks until recovered: call it from a blocking context.
    pub fn open_at(
        location: &JournalLocation,
        conf: &Configuration,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        let uri = match location {
            JournalLocation::Local(folder) => return Self::open(folder),
            JournalLocation::Ufs(uri) => uri,
        };
        let (store, recovered) = UfsStore::open(uri, conf)?;
        tracing::info!(
            journal = %uri,
            entries = recovered.entries.len(),
            checkpoint = recovered.through_sequence,
            last_sequence = recovered.last_sequence,
            "journal recovered"
        );
        let writer = Writer::start(store.sink()?, recovered.last_sequence + 1, PathBuf::from(uri))?;
        let journal = Journal {
            writer,
            checkpointed: AtomicU64::new(recovered.through_sequence),
            checkpoint_turn: tokio::sync::Mutex::new(()),
            store: Store::Ufs(store),
        };
        Ok((journal, recovered.entries))
    }

    /// Deletes the journal at `location` (for `alluxio format`), as [`Journal::format`]. A UFS
    /// journal has no lock to tell whether a master still uses it: stop the master first.
    pub fn format_at(location: &JournalLocation, conf: &Configuration) -> Result<(), JournalError> {
        match location {
            JournalLocation::Local(folder) => Self::format(folder),
            JournalLocation::Ufs(uri) => UfsStore::format(uri, conf),
        }
    }

    /// Opens (creating if needed) the journal in `folder` and returns it with the entries to
    /// replay, in order: those of the latest checkpoint, then every later log entry.
    pub fn open(folder: &Path) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        Self::open_with_segment_limit(folder, SEGMENT_LIMIT)
    }

    fn open_with_segment_limit(
        folder: &Path,
        segment_limit: u64,
    ) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
        fs::create_dir_all(folder).map_err(|source| JournalError::Io {
            path: folder.to_path_buf(),
            source,
        })?;
        let lock = lock_folder(folder)?;
        let recovered = recovery::recover(folder)?;
        tracing::info!(
            folder = %folder.display(),
            entries = recovered.entries.len(),
            checkpoint = recovered.through_sequence,
            last_sequence = recovered.last_sequence,
            "journal recovered"
        );
        let next_sequence = recovered.last_sequence + 1;
        let sink = SegmentSink::new(
            folder.to_path_buf(),
            recovered.active,
            next_sequence,
            segment_limit,
        );
        let writer = Writer::start(sink, next_sequence, folder.to_path_buf())?;
        let journal = Journal {
            writer,
            checkpointed: AtomicU64::new(recovered.through_sequence),
            checkpoint_turn: tokio::sync::Mutex::new(()),
            store: Store::Local {
                folder: folder.to_path_buf(),
                _lock: lock,
            },
        };
        Ok((journal, recovered.entries))
    }

    /// Appends entries (their sequence numbers are assigned here, in order) and returns the last
    /// sequence once they are durable. Concurrent appends share one flush (group commit).
    ///
    /// Once called, the entries are written even if the returned future is dropped. An empty
    /// append waits until everything appended before it is durable.
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
    /// Once durable, log entries up to `through_sequence` are no longer needed and are removed.
    pub async fn checkpoint(
        &self,
        snapshot: Vec<JournalEntry>,
        through_sequence: u64,
    ) -> Result<(), JournalError> {
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
        // Makes `through_sequence` durable and closes the segment holding it, so the segments
        // the checkpoint covers can go as soon as it is written.
        self.writer.rotate()?.await.map_err(|_| JournalError::Closed)??;
        let entries = snapshot.len();
        match &self.store {
            Store::Local { folder, .. } => {
                let folder = folder.clone();
                let written = tokio::task::spawn_blocking(move || {
                    checkpoint::write(&folder, through_sequence, &snapshot)?;
                    delete_covered_segments(&folder, through_sequence)
                })
                .await;
                match written {
                    Ok(result) => result?,
                    Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                    Err(_) => return Err(JournalError::Closed),
                }
            }
            Store::Ufs(store) => store.checkpoint(through_sequence, snapshot).await?,
        }
        self.checkpointed.store(through_sequence, Ordering::Release);
        tracing::debug!(journal = %self.location(), through_sequence, entries, "journal checkpoint written");
        Ok(())
    }

    /// Where this journal lives.
    pub fn location(&self) -> JournalLocation {
        match &self.store {
            Store::Local { folder, .. } => JournalLocation::Local(folder.clone()),
            Store::Ufs(store) => JournalLocation::Ufs(store.uri().to_string()),
        }
    }

    /// Deletes every journal file in `folder` (for `alluxio format`). Other files stay; a
    /// missing folder is already formatted; a folder in use by a running journal is refused.
    pub fn format(folder: &Path) -> Result<(), JournalError> {
        if !folder.exists() {
            return Ok(());
        }
        let _lock = lock_folder(folder)?;
        let io_err = JournalError::io_on(folder);
        for dirent in fs::read_dir(folder).map_err(io_err)? {
            let dirent = dirent.map_err(io_err)?;
            if dirent.file_name().to_str().is_some_and(is_journal_file) {
                let path = dirent.path();
                fs::remove_file(&path).map_err(|source| JournalError::Io { path, source })?;
            }
        }
        let lock_path = folder.join(LOCK);
        fs::remove_file(&lock_path).map_err(|source| JournalError::Io {
            path: lock_path,
            source,
        })?;
        alluxio_server::sync_dir(folder).map_err(JournalError::io_on(folder))?;
        tracing::info!(folder = %folder.display(), "journal formatted");
        Ok(())
    }
}

/// Takes the exclusive lock on `folder`, so two masters never write one journal.
fn lock_folder(folder: &Path) -> Result<File, JournalError> {
    let path = folder.join(LOCK);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| JournalError::Io {
            path: path.clone(),
            source,
        })?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(JournalError::Locked {
            folder: folder.to_path_buf(),
        }),
        Err(errno) => Err(JournalError::Io {
            path,
            source: errno.into(),
        }),
    }
}

#[cfg(test)]
mod tests;
