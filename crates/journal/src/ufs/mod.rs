//! A journal in an under file system (S3, HDFS, GCS, Azure ...), for masters that may be
//! relaunched on another host or share the journal. Objects can be neither appended to nor
//! synced, so every group-commit batch is published whole as a log object before its appenders
//! are answered, and a checkpoint as one object (see `objects.rs` for the names). Nothing locks
//! the folder: a `LOCK` object only records who opened it for writing last; masters sharing it
//! are kept apart by epochs, which need an atomic create this module only has for local paths.

mod objects;
mod sink;
mod store;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use alluxio_conf::Configuration;
use alluxio_ufs::{UfsManager, UnderFileSystem};
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::runtime::{Handle, Runtime};

use crate::JournalError;
use crate::epoch::owner;
use objects::{Layout, publish, read_object};

/// A journal folder in an under file system, with the runtime its I/O runs on.
pub(crate) struct UfsStorage {
    layout: Layout,
    ufs: Arc<dyn UnderFileSystem>,
    /// Owned so the journal works whatever runtime (or none) its caller has; `None` once dropped.
    runtime: Option<Runtime>,
    /// What this process wrote to `LOCK`, once it became the writer.
    lock: Mutex<Option<String>>,
}

impl UfsStorage {
    /// Connects to the journal at `uri`; `conf` gives the credentials and endpoint.
    pub(crate) fn connect(uri: &str, conf: &Configuration) -> Result<UfsStorage, JournalError> {
        let runtime = journal_runtime(uri)?;
        let ufs = block_on(runtime.handle(), async { UfsManager::new(conf).get(uri) })
            .map_err(|source| JournalError::ufs(uri, source))?;
        Ok(UfsStorage {
            layout: Layout::new(uri),
            ufs,
            runtime: Some(runtime),
            lock: Mutex::new(None),
        })
    }

    /// The journal's URI.
    pub(crate) fn uri(&self) -> &str {
        self.layout.root()
    }

    fn handle(&self) -> Result<Handle, JournalError> {
        self.runtime
            .as_ref()
            .map(|runtime| runtime.handle().clone())
            .ok_or(JournalError::Closed)
    }

    /// Runs `fut` on the journal's runtime from any thread.
    fn run<T: Send>(
        &self,
        fut: impl Future<Output = Result<T, JournalError>> + Send,
    ) -> Result<T, JournalError> {
        block_on(&self.handle()?, fut)
    }

    /// Records this process as the journal's writer in `LOCK`, warning when someone else was.
    fn take_over(&self) -> Result<(), JournalError> {
        let content = owner();
        self.run(async {
            if let Some(previous) = read_lock(self.ufs.as_ref(), &self.layout).await? {
                tracing::warn!(
                    journal = %self.layout.root(),
                    previous = %previous.trim(),
                    "the journal's LOCK shows a master that did not shut down cleanly; taking \
                     over. The epoch claimed by this master fences that one out if it still runs"
                );
            }
            publish(
                self.ufs.as_ref(),
                &self.layout.lock(),
                Bytes::from(content.clone()),
            )
            .await
        })?;
        *self.lock.lock() = Some(content);
        Ok(())
    }

    /// Deletes every journal object under `uri` (for `alluxio format`).
    pub(crate) fn format(uri: &str, conf: &Configuration) -> Result<(), JournalError> {
        let storage = UfsStorage::connect(uri, conf)?;
        let (ufs, layout) = (&storage.ufs, &storage.layout);
        storage.run(async {
            if let Some(owner) = read_lock(ufs.as_ref(), layout).await? {
                tracing::warn!(journal = %layout.root(), %owner, "formatting a journal another master opened last; make sure it is stopped");
            }
            for dir in [layout.logs_dir(), layout.checkpoints_dir(), layout.epochs_dir()] {
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
        let storage = UfsStorage::connect(uri, conf)?;
        let root = storage.uri().to_string();
        let ufs = &storage.ufs;
        storage.run(async {
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

impl Drop for UfsStorage {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // A clean shutdown leaves no LOCK, so the next writer's warning means a crash or a
        // master still running; a LOCK another master has taken over since is left alone.
        if let Some(mine) = self.lock.lock().take() {
            let result = block_on(runtime.handle(), async {
                if read_lock(self.ufs.as_ref(), &self.layout).await?.as_deref() == Some(mine.as_str()) {
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
        }
        // Dropping a runtime blocks, which is not allowed inside another runtime.
        runtime.shutdown_background();
    }
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
