//! Group commit: appenders encode their entries into one shared buffer under a lock (which also
//! assigns sequences, so file order is call order); a single writer thread takes whatever has
//! queued, hands it to its [`Sink`] (one sync or one published object per batch), checks that
//! its epoch was not superseded, and only then completes every waiter of that batch.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::record::encode_record;
use crate::storage::Storage;
use crate::{JournalEntry, JournalError, epoch};

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

/// Where the writer thread makes batches durable: local segments or UFS objects.
pub(crate) trait Sink: Send + 'static {
    /// Makes `batch`, the records of sequences `first..next`, durable before returning.
    fn write(&mut self, batch: &[u8], first: u64, next: u64) -> Result<(), Failure>;
    /// Runs after every batch; `requested` when a checkpoint wants the log cut at this point.
    fn rotate_if_due(&mut self, requested: bool) -> Result<(), Failure>;
}

/// What the writer thread checks after a batch is durable and before answering its appenders:
/// that no epoch after `epoch` was claimed in `storage`.
pub(crate) struct Fence {
    /// Where the epoch markers are.
    pub(crate) storage: Arc<dyn Storage>,
    /// The writer's epoch.
    pub(crate) epoch: u64,
}

/// A write failure, kept so every later caller gets an error naming it.
#[derive(Clone)]
pub(crate) enum Failure {
    /// Writing `path` (a file, or a UFS object's URI) failed.
    Io {
        path: PathBuf,
        kind: std::io::ErrorKind,
        message: String,
    },
    /// Another master claimed a later epoch: this writer must never write again.
    Superseded { location: String, epoch: u64, by: u64 },
}

impl From<JournalError> for Failure {
    fn from(err: JournalError) -> Self {
        match err {
            JournalError::Io { path, source } => Failure::Io {
                path,
                kind: source.kind(),
                message: source.to_string(),
            },
            JournalError::Superseded { location, epoch, by } => Failure::Superseded { location, epoch, by },
            other => Failure::Io {
                path: PathBuf::new(),
                kind: std::io::ErrorKind::Other,
                message: other.to_string(),
            },
        }
    }
}

impl Failure {
    /// A failure of the I/O on `path` (a file, or a UFS object's URI).
    pub(crate) fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Failure {
        Failure::Io {
            path: path.into(),
            kind: err.kind(),
            message: err.to_string(),
        }
    }

    /// A failure of publishing the UFS object `uri`.
    pub(crate) fn ufs(uri: &str, err: &alluxio_ufs::UfsError) -> Failure {
        Failure::Io {
            path: PathBuf::from(uri),
            kind: std::io::ErrorKind::Other,
            message: err.to_string(),
        }
    }

    fn to_error(&self) -> JournalError {
        match self {
            Failure::Io { path, kind, message } => JournalError::Io {
                path: path.clone(),
                source: std::io::Error::new(*kind, message.clone()),
            },
            Failure::Superseded { location, epoch, by } => JournalError::Superseded {
                location: location.clone(),
                epoch: *epoch,
                by: *by,
            },
        }
    }
}

impl Writer {
    /// Starts the writer thread writing to `sink` under `fence`; the next entry gets
    /// `next_sequence`. `location` names the journal in an error starting the thread.
    pub(crate) fn start(
        sink: Box<dyn Sink>,
        fence: Fence,
        next_sequence: u64,
        location: PathBuf,
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
        let mut thread = WriterThread {
            shared: shared.clone(),
            sink,
            fence,
            written_next: next_sequence,
        };
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || thread.run())
            .map_err(|source| JournalError::Io {
                path: location,
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
    sink: Box<dyn Sink>,
    fence: Fence,
    /// The sequence of the first entry not yet written.
    written_next: u64,
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
            if let Err(failure) = self.sink.rotate_if_due(!rotations.is_empty()) {
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

    /// Writes one batch (if it holds anything): one sync or object for all its appenders, then
    /// the fence check. A batch written but superseded stays in the log unacknowledged, and
    /// the pieces of a newer epoch tell every reader to ignore it.
    fn write(&mut self, batch: &[u8], batch_next: u64) -> Result<(), Failure> {
        if batch.is_empty() {
            return Ok(());
        }
        self.sink.write(batch, self.written_next, batch_next)?;
        self.shared.flushes.fetch_add(1, Ordering::Relaxed);
        self.written_next = batch_next;
        epoch::check(self.fence.storage.as_ref(), self.fence.epoch)?;
        Ok(())
    }

    /// Fails the given callers and everything queued after them, and refuses all later work.
    fn fail(&self, failure: Failure, waiters: Vec<(u64, Reply<u64>)>, rotations: Vec<Reply<()>>) {
        tracing::error!(
            error = %failure.to_error(),
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
