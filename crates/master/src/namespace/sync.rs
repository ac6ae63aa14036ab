//! Metadata sync (`alluxio.user.file.metadata.sync.interval`): a path or directory listing last
//! synced longer ago than the client's interval is compared with the UFS. New UFS entries are
//! loaded; persisted entries that vanished from the UFS leave Alluxio (unless their subtree holds
//! unpersisted data); a persisted file whose UFS length or modification time changed is loaded
//! again under a new id, so its stale cached blocks are dropped and never served.
//!
//! A file loaded from the UFS carries its fingerprint (its length and modification time as
//! loaded) in its inode until either changes. Other persisted files' fingerprints and the sync
//! times live in memory only: after a restart every path is due once, and such a file's first
//! sync takes its fingerprint (comparing lengths only).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalDelete, JournalSetChildrenLoaded, LoadMetadataType, PersistenceState};
use alluxio_ufs::UfsStatus;
use parking_lot::Mutex;

use super::FileSystemMaster;
use super::load::load_entry;
use super::modify::subtree_blocks;
use super::tree::{Inode, InodeKind, Tree};
use crate::{MasterError, now_ms};

/// Sync times above this many paths are pruned to the recent ones (a pruned path is merely
/// synced again earlier than needed).
const MAX_TRACKED_PATHS: usize = 100_000;
/// Sync times younger than this survive pruning.
const PRUNE_KEEP: Duration = Duration::from_secs(600);

/// What the UFS held for a file when Alluxio last looked: (length, modification ms).
type Fingerprint = (u64, i64);

/// Last sync times and UFS fingerprints, in memory.
#[derive(Default)]
pub(crate) struct SyncState {
    inner: Mutex<SyncInner>,
}

#[derive(Default)]
struct SyncInner {
    /// When each path's own status was last synced.
    status: HashMap<AlluxioPath, Instant>,
    /// When each directory's children were last synced.
    listing: HashMap<AlluxioPath, Instant>,
    /// UFS fingerprints of persisted files that do not carry theirs, by file id.
    fingerprints: HashMap<u64, Fingerprint>,
}

/// Which sync time a check concerns.
#[derive(Clone, Copy)]
enum Scope {
    Status,
    Listing,
}

impl SyncInner {
    fn times(&mut self, scope: Scope) -> &mut HashMap<AlluxioPath, Instant> {
        match scope {
            Scope::Status => &mut self.status,
            Scope::Listing => &mut self.listing,
        }
    }
}

impl SyncState {
    /// Whether `path` is due for a sync under `interval` (`None`: never sync).
    fn due(&self, scope: Scope, path: &AlluxioPath, interval: Option<Duration>) -> bool {
        let Some(interval) = interval else { return false };
        match self.inner.lock().times(scope).get(path) {
            Some(at) => at.elapsed() >= interval,
            None => true,
        }
    }

    fn mark(&self, scope: Scope, path: &AlluxioPath, at: Instant) {
        let mut inner = self.inner.lock();
        let times = inner.times(scope);
        if times.len() >= MAX_TRACKED_PATHS {
            times.retain(|_, synced| synced.elapsed() < PRUNE_KEEP);
        }
        times.insert(path.clone(), at);
    }
}

/// The interval a request asks for: absent or negative means never.
pub fn sync_interval(ms: Option<i64>) -> Option<Duration> {
    ms.and_then(|ms| u64::try_from(ms).ok())
        .map(Duration::from_millis)
}

/// The outcome of comparing one directory's children with the UFS.
#[derive(Default)]
struct Reconciled {
    /// Blocks of the files removed or reloaded, to drop from workers.
    dropped_blocks: Vec<u64>,
    /// Ids removed from Alluxio.
    removed: Vec<u64>,
    /// Fingerprints of files seen for the first time (those loaded carry theirs).
    fingerprints: Vec<(u64, Fingerprint)>,
}

impl FileSystemMaster {
    /// Syncs the status of `path` with the UFS if it was last synced longer ago than `interval`.
    pub async fn sync_status(
        &self,
        path: &AlluxioPath,
        interval: Option<Duration>,
    ) -> Result<(), MasterError> {
        if path.is_root() || !self.sync.due(Scope::Status, path, interval) {
            return Ok(());
        }
        let started = Instant::now();
        let resolved = self.resolve_ufs(path)?;
        let status = resolved.ufs.status(&resolved.uri).await?;
        let parent = path.parent().unwrap_or_else(AlluxioPath::root);
        let parent_known = self
            .tree
            .read()
            .lookup(&parent)
            .is_some_and(|inode| inode.is_dir());
        if parent_known {
            self.reconcile(&parent, vec![(path.name().to_string(), status)], false)
                .await?;
        } else if status.is_some() {
            // Missing ancestors are loaded with the path itself.
            self.load_path(path, LoadMetadataType::Once).await?;
        }
        self.sync.mark(Scope::Status, path, started);
        Ok(())
    }

    /// Syncs the children of directory `dir` with the UFS listing if due under `interval`.
    pub(super) async fn sync_listing(
        &self,
        dir: &AlluxioPath,
        interval: Option<Duration>,
    ) -> Result<(), MasterError> {
        if !self.sync.due(Scope::Listing, dir, interval) {
            return Ok(());
        }
        if !self.tree.read().lookup(dir).is_some_and(|inode| inode.is_dir()) {
            return Ok(());
        }
        let started = Instant::now();
        // A directory missing from the UFS lists as empty: its persisted children vanished too.
        let resolved = self.resolve_ufs(dir)?;
        let listing = resolved.ufs.list(&resolved.uri).await?.unwrap_or_default();
        let children = listing.into_iter().map(|s| (s.name.clone(), Some(s))).collect();
        self.reconcile(dir, children, true).await?;
        self.sync.mark(Scope::Listing, dir, started);
        Ok(())
    }

    /// Brings the children `ufs` names of `dir` in line with what the UFS holds for them; with
    /// `complete`, `ufs` is the whole listing and children it lacks vanished from the UFS.
    async fn reconcile(
        &self,
        dir: &AlluxioPath,
        ufs: Vec<(String, Option<UfsStatus>)>,
        complete: bool,
    ) -> Result<(), MasterError> {
        let block_size = self.settings.default_block_size;
        let outcome = self
            .commit(|tree, alloc| {
                let mut out = Reconciled::default();
                let Some(inode) = tree.lookup(dir) else {
                    return Ok((Vec::new(), out));
                };
                let InodeKind::Dir { children_loaded } = inode.kind else {
                    return Ok((Vec::new(), out));
                };
                let mut entries = Vec::new();
                // Lock order: the tree, then the sync state (never the other way round).
                let mut sync = self.sync.inner.lock();
                if sync.fingerprints.len() > tree.len() {
                    // Files deleted by other operations left theirs behind.
                    sync.fingerprints.retain(|id, _| tree.get(*id).is_some());
                }
                let remove = |id: u64, entries: &mut Vec<Entry>, out: &mut Reconciled| {
                    entries.push(Entry::Delete(JournalDelete {
                        id,
                        op_time_ms: now_ms(),
                    }));
                    out.dropped_blocks.extend(subtree_blocks(tree, id));
                    out.removed.extend(tree.subtree(id));
                };
                let mut named = HashSet::new();
                for (name, status) in &ufs {
                    named.insert(name.as_str());
                    let Ok(child_path) = dir.join(name) else { continue };
                    if tree.mounts.is_mount_point(&child_path) {
                        continue;
                    }
                    let child = tree.child(inode.id, name).and_then(|id| tree.get(id));
                    match (child, status) {
                        (None, Some(status)) => {
                            entries.push(load_entry(alloc.next(), inode.id, status, block_size));
                        }
                        (None, None) => {}
                        (Some(child), None) => {
                            if only_persisted(tree, child.id, &child_path) {
                                remove(child.id, &mut entries, &mut out);
                            }
                        }
                        (Some(child), Some(status)) => match compare(&child, status, &sync.fingerprints) {
                            verdict @ (Verdict::Same | Verdict::FirstSeen) => {
                                if verdict == Verdict::FirstSeen {
                                    out.fingerprints.push((child.id, fingerprint(status)));
                                }
                                if child.is_persisted() {
                                    entries.extend(self.access_from_ufs(
                                        &child,
                                        status.access.as_ref(),
                                        now_ms(),
                                    ));
                                }
                            }
                            Verdict::Changed if only_persisted(tree, child.id, &child_path) => {
                                remove(child.id, &mut entries, &mut out);
                                entries.push(load_entry(alloc.next(), inode.id, status, block_size));
                            }
                            Verdict::Changed => {}
                        },
                    }
                }
                drop(sync);
                if complete {
                    for (name, id) in tree.children_after(inode.id, None, usize::MAX) {
                        let Ok(child_path) = dir.join(&name) else { continue };
                        if !named.contains(&*name) && only_persisted(tree, id, &child_path) {
                            remove(id, &mut entries, &mut out);
                        }
                    }
                    if !children_loaded {
                        entries.push(Entry::SetChildrenLoaded(JournalSetChildrenLoaded {
                            id: inode.id,
                        }));
                    }
                }
                Ok((entries, out))
            })
            .await?;
        if !outcome.dropped_blocks.is_empty() {
            tracing::info!(%dir, inodes = outcome.removed.len(), "metadata sync removed entries changed or gone in the UFS");
        }
        self.blocks.forget_blocks(&outcome.dropped_blocks);
        let mut inner = self.sync.inner.lock();
        for id in &outcome.removed {
            inner.fingerprints.remove(id);
        }
        inner.fingerprints.extend(outcome.fingerprints);
        Ok(())
    }
}

/// How an Alluxio inode compares with the UFS entry of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Same,
    /// The same as far as can be told, and its UFS fingerprint was not known yet.
    FirstSeen,
    Changed,
}

fn fingerprint(status: &UfsStatus) -> Fingerprint {
    (status.length, status.last_modified_ms)
}

fn compare(inode: &Inode, status: &UfsStatus, known: &HashMap<u64, Fingerprint>) -> Verdict {
    match &inode.kind {
        InodeKind::Dir { .. } if status.is_dir => Verdict::Same,
        InodeKind::File { .. } if !inode.is_persisted() => Verdict::Same,
        InodeKind::File { .. } if status.is_dir => Verdict::Changed,
        InodeKind::Dir { .. } => Verdict::Changed,
        InodeKind::File { completed: false, .. } => Verdict::Same,
        InodeKind::File { length, .. } if *length != status.length => Verdict::Changed,
        InodeKind::File {
            length,
            ufs_fingerprint,
            ..
        } => {
            let loaded = ufs_fingerprint.then_some((*length, inode.modification_ms));
            match known.get(&inode.id).copied().or(loaded) {
                Some(seen) if seen != fingerprint(status) => Verdict::Changed,
                Some(_) => Verdict::Same,
                None => Verdict::FirstSeen,
            }
        }
    }
}

/// Whether everything at or below `id` (at `path`) is persisted and complete and no other UFS is
/// mounted there, so Alluxio holds nothing this UFS lacks and the subtree may follow it.
fn only_persisted(tree: &Tree, id: u64, path: &AlluxioPath) -> bool {
    if tree.mounts.points_under(path).next().is_some() {
        return false;
    }
    tree.subtree(id).into_iter().all(|id| {
        tree.get(id).is_some_and(|inode| {
            inode.persistence == PersistenceState::Persisted
                && !matches!(inode.kind, InodeKind::File { completed: false, .. })
        })
    })
}
