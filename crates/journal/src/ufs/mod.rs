//! A journal in an under file system (S3, HDFS, GCS, Azure ...), for masters that may be
//! relaunched on another host. Objects can be neither appended to nor synced, so every
//! group-commit batch is published whole as `logs/<first>-<last>` before its appenders are
//! answered, and a checkpoint as `checkpoints/<through>`. Nothing locks the folder: a `LOCK`
//! object only records who opened it last, and only one master may run per journal folder.

mod objects;
mod recovery;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use alluxio_conf::Configuration;
use alluxio_ufs::{UfsManager, UnderFileSystem};
use bytes::Bytes;
use tokio::runtime::{Handle, Runtime};

use crate::writer::{Failure, Sink};
use crate::{JournalEntry, JournalError, checkpoint};
use objects::{Layout, publish, read_object};
pub(crate) use recovery::Recovered;

/// The UFS side of an open journal: where it lives and the runtime its I/O runs on.
pub(crate) struct UfsStore {
    layout: Layout,
    ufs: Arc<dyn UnderFileSystem>,
    /// Owned so the journal works whatever runtime (or none) its caller has; `None` once dropped.
    runtime: Option<Runtime>,
    /// What this process wrote to `LOCK`.
    lock: String,
}

impl UfsStore {
    /// Opens the journal at `uri`: records this process in `LOCK` and recovers the entries.
    pub(crate) fn open(uri: &str, conf: &Configuration) -> Result<(UfsStore, Recovered), JournalError> {
        let runtime = journal_runtime(uri)?;
        let layout = Layout::new(uri);
        let ufs = block_on(runtime.handle(), async { UfsManager::new(conf).get(uri) })
            .map_err(|source| JournalError::ufs(uri, source))?;
        let lock = lock_content();
        let recovered = block_on(runtime.handle(), async {
            take_over(ufs.as_ref(), &layout, &lock).await?;
            recovery::recover(ufs.as_ref(), &layout).await
        })?;
        let store = UfsStore {
            layout,
            ufs,
            runtime: Some(runtime),
            lock,
        };
        Ok((store, recovered))
    }

    /// The sink publishing each batch as one log object.
    pub(crate) fn sink(&self) -> Result<ObjectSink, JournalError> {
        Ok(ObjectSink {
            handle: self.handle()?,
            ufs: self.ufs.clone(),
            layout: self.layout.clone(),
        })
    }

    /// The journal's URI.
    pub(crate) fn uri(&self) -> &str {
        self.layout.root()
    }

    /// Publishes a checkpoint through `through_sequence`, then deletes the log objects and
    /// older checkpoints it makes unnecessary.
    pub(crate) async fn checkpoint(
        &self,
        through_sequence: u64,
        snapshot: Vec<JournalEntry>,
    ) -> Result<(), JournalError> {
        let (ufs, layout) = (self.ufs.clone(), self.layout.clone());
        let task = self.handle()?.spawn(async move {
            let uri = layout.checkpoint(through_sequence);
            let mut bytes = Vec::new();
            checkpoint::write_to(&mut bytes, through_sequence, &snapshot, &PathBuf::from(&uri))?;
            publish(ufs.as_ref(), &uri, Bytes::from(bytes)).await?;
            recovery::delete_covered(ufs.as_ref(), &layout, through_sequence).await
        });
        match task.await {
            Ok(result) => result,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => Err(JournalError::Closed),
        }
    }

    fn handle(&self) -> Result<Handle, JournalError> {
        self.runtime
            .as_ref()
            .map(|runtime| runtime.handle().clone())
            .ok_or(JournalError::Closed)
    }

    /// Deletes every journal object under `uri` (for `alluxio format`).
    pub(crate) fn format(uri: &str, conf: &Configuration) -> Result<(), JournalError> {
        with_ufs(uri, conf, |ufs, layout| async move {
            if let Some(owner) = read_lock(ufs.as_ref(), &layout).await? {
                tracing::warn!(journal = %layout.root(), %owner, "formatting a journal another master opened last; make sure it is stopped");
            }
            for dir in [layout.logs_dir(), layout.checkpoints_dir()] {
                ufs.delete_directory(&dir, true)
                    .await
                    .map_err(|source| JournalError::ufs(&dir, source))?;
            }
            let lock = layout.lock();
            ufs.delete_file(&lock)
                .await
                .map_err(|source| JournalError::ufs(&lock, source))?;
            tracing::info!(journal = %layout.root(), "journal formatted");
            Ok(())
        })
    }

    /// Whether anything exists at `uri`.
    pub(crate) fn exists(uri: &str, conf: &Configuration) -> Result<bool, JournalError> {
        with_ufs(uri, conf, |ufs, layout| async move {
            let root = layout.root().to_string();
            let listed = ufs
                .list(&root)
                .await
                .map_err(|source| JournalError::ufs(&root, source))?;
            if listed.is_some_and(|children| !children.is_empty()) {
                return Ok(true);
            }
            let status = ufs
                .status(&root)
                .await
                .map_err(|source| JournalError::ufs(&root, source))?;
            Ok(status.is_some())
        })
    }
}

impl Drop for UfsStore {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // A clean shutdown leaves no LOCK, so the next master's warning means a crash or a
        // master still running; a LOCK another master has taken over since is left alone.
        let result = block_on(runtime.handle(), async {
            if read_lock(self.ufs.as_ref(), &self.layout).await?.as_deref() == Some(self.lock.as_str()) {
                let lock = self.layout.lock();
                self.ufs
                    .delete_file(&lock)
                    .await
                    .map_err(|source| JournalError::ufs(&lock, source))?;
            }
            Ok::<_, JournalError>(())
        });
        if let Err(err) = result {
            tracing::warn!(journal = %self.layout.root(), error = %err, "could not remove the journal LOCK object");
        }
        // Dropping a runtime blocks, which is not allowed inside another runtime.
        runtime.shutdown_background();
    }
}

/// Publishes every group-commit batch as one complete object.
pub(crate) struct ObjectSink {
    handle: Handle,
    ufs: Arc<dyn UnderFileSystem>,
    layout: Layout,
}

impl Sink for ObjectSink {
    fn write(&mut self, batch: &[u8], first: u64, next: u64) -> Result<(), Failure> {
        let uri = self.layout.log(first, next - 1);
        // The writer thread is not a runtime thread, so it may block on the journal's runtime.
        self.handle
            .block_on(publish(self.ufs.as_ref(), &uri, Bytes::copy_from_slice(batch)))
            .map_err(|err| match err {
                JournalError::Ufs { source, .. } => Failure::ufs(&uri, &source),
                other => Failure::from(other),
            })
    }

    fn rotate_if_due(&mut self, _requested: bool) -> Result<(), Failure> {
        // Every batch is already an object of its own.
        Ok(())
    }
}

/// Records this process as the journal's writer, warning when someone else was.
async fn take_over(ufs: &dyn UnderFileSystem, layout: &Layout, lock: &str) -> Result<(), JournalError> {
    if let Some(owner) = read_lock(ufs, layout).await? {
        tracing::warn!(
            journal = %layout.root(),
            previous = %owner.trim(),
            "the journal's LOCK shows another master that did not shut down cleanly; taking over. \
             Only one master may run per journal folder: stop the other one if it is still running"
        );
    }
    publish(ufs, &layout.lock(), Bytes::from(lock.to_string())).await
}

async fn read_lock(ufs: &dyn UnderFileSystem, layout: &Layout) -> Result<Option<String>, JournalError> {
    match read_object(ufs, &layout.lock()).await {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(JournalError::Ufs {
            source: alluxio_ufs::UfsError::NotFound { .. },
            ..
        }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// What `LOCK` holds: who opened the journal and when.
fn lock_content() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into());
    let since_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("host={host} pid={} since_ms={since_ms}\n", std::process::id())
}

fn journal_runtime(uri: &str) -> Result<Runtime, JournalError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("journal-ufs")
        .enable_all()
        .build()
        .map_err(|source| JournalError::Io {
            path: PathBuf::from(uri),
            source,
        })
}

/// Runs `fut` to completion on `handle` from any thread, inside a runtime or not: a scoped
/// thread is never a runtime thread, so blocking there is allowed.
fn block_on<F>(handle: &Handle, fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| match scope.spawn(|| handle.block_on(fut)).join() {
        Ok(output) => output,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Runs one operation against the journal at `uri` on a runtime of its own.
fn with_ufs<T, F, Fut>(uri: &str, conf: &Configuration, op: F) -> Result<T, JournalError>
where
    T: Send,
    F: FnOnce(Arc<dyn UnderFileSystem>, Layout) -> Fut + Send,
    Fut: Future<Output = Result<T, JournalError>> + Send,
{
    let runtime = journal_runtime(uri)?;
    let layout = Layout::new(uri);
    let result = block_on(runtime.handle(), async {
        let ufs = UfsManager::new(conf)
            .get(uri)
            .map_err(|source| JournalError::ufs(uri, source))?;
        op(ufs, layout).await
    });
    runtime.shutdown_background();
    result
}
