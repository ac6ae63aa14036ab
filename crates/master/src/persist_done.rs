//! Files a worker reports persisted: marked PERSISTED once their UFS file is where the namespace
//! has them now. A rename while the worker wrote moves the UFS file to the new path; a delete
//! removes the orphan it left behind.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalSetAttribute, PersistenceState};

use crate::namespace::{FileSystemMaster, persist_ancestors};
use crate::{MasterError, now_ms};

/// Rounds of "move the UFS file, then mark" before a file renamed again and again is rescheduled.
const SETTLE_ROUNDS: usize = 3;

impl FileSystemMaster {
    /// Handles the files a worker reports persisted.
    pub(crate) async fn persisted(&self, files: &[u64]) -> Result<(), MasterError> {
        if files.is_empty() {
            return Ok(());
        }
        let mut pending: Vec<(u64, Option<AlluxioPath>)> = {
            let mut queue = self.persist.lock();
            files.iter().map(|file| (*file, queue.finish(*file))).collect()
        };
        for _ in 0..SETTLE_ROUNDS {
            let mut settled = Vec::new();
            for (file, written) in pending {
                match self.settle(file, written.as_ref()).await {
                    Ok(Some(path)) => settled.push((file, path)),
                    Ok(None) => {}
                    Err(err) => {
                        tracing::warn!(file, error = %err, "persisted file cannot be moved to its path; persisting again");
                        self.persist.lock().schedule(file);
                    }
                }
            }
            // Files renamed since `settle`: their UFS file is at the path checked there.
            pending = self.mark_persisted(&settled).await?;
            if pending.is_empty() {
                return Ok(());
            }
        }
        let mut queue = self.persist.lock();
        for (file, _) in pending {
            queue.schedule(file);
        }
        Ok(())
    }

    /// Makes the UFS file of `file`, written for `written`, sit at the file's current path.
    /// Returns that path, or `None` when there is nothing left to mark.
    async fn settle(
        &self,
        file: u64,
        written: Option<&AlluxioPath>,
    ) -> Result<Option<AlluxioPath>, MasterError> {
        let (exists, current, taken) = {
            let tree = self.tree.read();
            let inode = tree.get(file);
            let current = inode
                .as_ref()
                .filter(|i| !i.is_dir() && !i.is_persisted())
                .and_then(|_| tree.path_of(file));
            let taken = written.is_some_and(|path| tree.lookup(path).is_some());
            (inode.is_some(), current, taken)
        };
        let Some(written) = written else {
            // Handed out before this master started: it was written for the current path.
            return Ok(current);
        };
        // Renames never cross mounts, so the file's UFS is the one it was written to.
        let source = self.resolve_ufs(written)?;
        let (ufs, from) = (source.ufs, source.uri);
        let Some(current) = current else {
            if !exists && !taken && ufs.status(&from).await?.is_some() {
                tracing::info!(file, ufs = %from, "file deleted while being persisted; removing its UFS copy");
                ufs.delete_file(&from).await?;
            }
            return Ok(None);
        };
        if &current == written {
            return Ok(Some(current));
        }
        let to = self.resolve_ufs(&current)?.uri;
        if ufs.status(&from).await?.is_some() {
            if let Some(parent) = current.parent() {
                ufs.mkdirs(&self.resolve_ufs(&parent)?.uri).await?;
            }
            tracing::info!(file, from = %from, to = %to, "file renamed while being persisted; moving its UFS copy");
            ufs.rename(&from, &to).await?;
        } else if ufs.status(&to).await?.is_none() {
            // Neither path holds it (a persisted ancestor was renamed or deleted in the UFS).
            return Err(alluxio_ufs::UfsError::NotFound { uri: from }.into());
        }
        Ok(Some(current))
    }

    /// Marks files PERSISTED that are still at the path their UFS file has; returns the others.
    async fn mark_persisted(
        &self,
        files: &[(u64, AlluxioPath)],
    ) -> Result<Vec<(u64, Option<AlluxioPath>)>, MasterError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        self.commit(|tree, _| {
            let now = now_ms();
            let mut entries = Vec::new();
            let mut moved = Vec::new();
            for (file, path) in files {
                let Some(inode) = tree.get(*file).filter(|i| !i.is_dir() && !i.is_persisted()) else {
                    continue;
                };
                if tree.path_of(*file).as_ref() != Some(path) {
                    moved.push((*file, Some(path.clone())));
                    continue;
                }
                entries.push(Entry::SetAttribute(JournalSetAttribute {
                    id: *file,
                    persistence_state: Some(PersistenceState::Persisted.into()),
                    op_time_ms: now,
                    ..Default::default()
                }));
                entries.extend(persist_ancestors(tree, inode.parent, now));
            }
            Ok((entries, moved))
        })
        .await
    }
}
