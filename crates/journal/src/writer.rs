//! Group commit: appenders encode their entries into one shared buffer under a lock (which also
//! assigns sequences, so file order is call order); a single writer thread takes whatever has
//! queued, writes it, syncs once and completes every waiter of that batch.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::layout::{LOG_HEADER_LEN, create_segment, segment_path};
use crate::record::encode_record;
use crate::recovery::ActiveSegment;
use crate::{JournalEntry, JournalError};

/// Capacity a batch buffer keeps between batches.
const RETAINED_BUFFER: usize = 4 << 20;

type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

/// The handle appenders use; dropping it drains the queue and stops the writer thread.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    flushes: AtomicU64,
}

struct Queue {
    /// The sequence the next appended entry gets.
    next_sequence: u64,
    /// Encoded records not yet taken by the writer.
    records: Vec<u8>,
    /// Appenders waiting for their last sequence to be durable.
    waiters: Vec<(u64, Reply<u64>)>,
    /// Callers waiting for everything queued so far to be durable and the segment closed.
    rotations: Vec<Reply<()>>,
    /// Set by the first write failure; the journal accepts nothing after it.
    failure: Option<Failure>,
    shutdown: bool,
}

impl Queue {
    fn is_idle(&self) -> bool {
        self.waiters.is_empty() && self.rotations.is_empty() && self.records.is_empty()
    }
}

/// A write failure, kept so every later caller gets an error naming it.
#[derive(Clone)]
struct Failure {
    path: PathBuf,
    kind: std::io::ErrorKind,
    message: String,
}

impl From<JournalError> for Failure {
    fn from(err: JournalError) -> Self {
        match err {
            JournalError::Io { path, source } => Failure {
                path,
                kind: source.kind(),
                message: source.to_string(),
            },
            other => Failure {
                path: PathBuf::new(),
                kind: std::io::ErrorKind::Other,
                message: other.to_string(),
            },
        }
    }
}

impl Failure {
    fn to_error(&self) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source: std::io::Error::new(self.kind, self.message.clone()),
        }
    }
}

impl Writer {
    /// Starts the writer thread appending to `active`; the next entry gets `next_sequence`.
    pub(crate) fn start(
        folder: PathBuf,
        active: ActiveSegment,
        next_sequence: u64,
        segment_limit: u64,
    ) -> Result<Writer, JournalError> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                next_sequence,
                records: Vec::new(),
                waiters: Vec::new(),
                rotations: Vec::new(),
                failure: None,
                shutdown: false,
            }),
            wake: Condvar::new(),
            flushes: AtomicU64::new(0),
        });
        let folder_for_error = folder.clone();
        let mut thread = WriterThread {
            shared: shared.clone(),
            segment_path: segment_path(&folder, active.first),
            folder,
            file: active.file,
            segment_first: active.first,
            segment_len: active.len,
            written_next: next_sequence,
            segment_limit,
        };
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || thread.run())
            .map_err(|source| JournalError::Io {
                path: folder_for_error,
                source,
            })?;
        Ok(Writer {
            shared,
            thread: Some(handle),
        })
    }

    /// Queues `entries` with the next sequences; the receiver resolves once they are durable.
    pub(crate) fn enqueue(
        &self,
        entries: Vec<JournalEntry>,
    ) -> Result<oneshot::Receiver<Result<u64, JournalError>>, JournalError> {
        let (reply, receiver) = oneshot::channel();
        let mut queue = self.shared.queue.lock();
        if let Some(failure) = &queue.failure {
            return Err(failure.to_error());
        }
        let (start_len, start_sequence) = (queue.records.len(), queue.next_sequence);
        for mut entry in entries {
            entry.sequence = queue.next_sequence;
            if let Err(size) = encode_record(&mut queue.records, &entry) {
                // All or nothing: an append that fails leaves no trace in the log.
                queue.records.truncate(start_len);
                queue.next_sequence = start_sequence;
                return Err(JournalError::EntryTooLarge {
                    sequence: entry.sequence,
                    size,
                });
            }
            queue.next_sequence += 1;
        }
        let last = queue.next_sequence - 1;
        queue.waiters.push((last, reply));
        drop(queue);
        self.shared.wake.notify_one();
        Ok(receiver)
    }

    /// Asks the writer to make everything queued durable and then start a new segment.
    pub(crate) fn rotate(&self) -> Result<oneshot::Receiver<Result<(), JournalError>>, JournalError> {
        let (reply, receiver) = oneshot::channel();
        let mut queue = self.shared.queue.lock();
        if let Some(failure) = &queue.failure {
            return Err(failure.to_error());
        }
        queue.rotations.push(reply);
        drop(queue);
        self.shared.wake.notify_one();
        Ok(receiver)
    }

    /// Sequence of the last entry queued.
    pub(crate) fn last_sequence(&self) -> u64 {
        self.shared.queue.lock().next_sequence - 1
    }

    /// How many batches have been synced to disk.
    pub(crate) fn flush_count(&self) -> u64 {
        self.shared.flushes.load(Ordering::Relaxed)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.queue.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the journal writer thread panicked");
        }
    }
}

struct WriterThread {
    shared: Arc<Shared>,
    folder: PathBuf,
    file: File,
    segment_path: PathBuf,
    segment_first: u64,
    segment_len: u64,
    /// The sequence of the first entry not yet in the file.
    written_next: u64,
    segment_limit: u64,
}

impl WriterThread {
    fn run(&mut self) {
        // Swapped with the queue's buffer each batch so both allocations are reused.
        let mut batch = Vec::new();
        loop {
            let (waiters, rotations, batch_next) = {
                let mut queue = self.shared.queue.lock();
                while queue.is_idle() && !queue.shutdown {
                    self.shared.wake.wait(&mut queue);
                }
                if queue.is_idle() {
                    return;
                }
                std::mem::swap(&mut batch, &mut queue.records);
                (
                    std::mem::take(&mut queue.waiters),
                    std::mem::take(&mut queue.rotations),
                    queue.next_sequence,
                )
            };
            if let Err(failure) = self.write(&batch, batch_next) {
                self.fail(failure, waiters, rotations);
                return;
            }
            for (sequence, reply) in waiters {
                // An appender that stopped waiting is not an error.
                let _ = reply.send(Ok(sequence));
            }
            if let Err(failure) = self.rotate_if_due(!rotations.is_empty()) {
                self.fail(failure, Vec::new(), rotations);
                return;
            }
            for reply in rotations {
                let _ = reply.send(Ok(()));
            }
            batch.clear();
            // A burst must not pin its buffer for the life of the journal.
            if batch.capacity() > RETAINED_BUFFER {
                batch.shrink_to(RETAINED_BUFFER);
            }
        }
    }

    /// Writes and syncs one batch (if it holds anything): one sync for all its appenders.
    fn write(&mut self, batch: &[u8], batch_next: u64) -> Result<(), Failure> {
        if batch.is_empty() {
            return Ok(());
        }
        let failure = |err: std::io::Error| Failure {
            path: self.segment_path.clone(),
            kind: err.kind(),
            message: err.to_string(),
        };
        self.file.write_all(batch).map_err(failure)?;
        self.file.sync_data().map_err(failure)?;
        self.shared.flushes.fetch_add(1, Ordering::Relaxed);
        self.segment_len += batch.len() as u64;
        self.written_next = batch_next;
        Ok(())
    }

    /// Starts a new segment when asked to or when the current one is full.
    fn rotate_if_due(&mut self, requested: bool) -> Result<(), Failure> {
        // An empty segment is never rotated away: its successor would need the same name.
        let has_entries = self.written_next > self.segment_first;
        if !has_entries || !(requested || self.segment_len >= self.segment_limit) {
            return Ok(());
        }
        let first = self.written_next;
        self.file = create_segment(&self.folder, first).map_err(Failure::from)?;
        self.segment_path = segment_path(&self.folder, first);
        self.segment_first = first;
        self.segment_len = LOG_HEADER_LEN;
        tracing::debug!(path = %self.segment_path.display(), "started a new journal segment");
        Ok(())
    }

    /// Fails the given callers and everything queued after them, and refuses all later work.
    fn fail(&self, failure: Failure, waiters: Vec<(u64, Reply<u64>)>, rotations: Vec<Reply<()>>) {
        tracing::error!(
            path = %failure.path.display(),
            error = %failure.message,
            "journal write failed; the journal accepts no more entries"
        );
        let (queued, queued_rotations) = {
            let mut queue = self.shared.queue.lock();
            queue.failure = Some(failure.clone());
            queue.records.clear();
            (
                std::mem::take(&mut queue.waiters),
                std::mem::take(&mut queue.rotations),
            )
        };
        for (_, reply) in waiters.into_iter().chain(queued) {
            let _ = reply.send(Err(failure.to_error()));
        }
        for reply in rotations.into_iter().chain(queued_rotations) {
            let _ = reply.send(Err(failure.to_error()));
        }
    }
}
