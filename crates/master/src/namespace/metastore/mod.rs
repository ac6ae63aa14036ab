//! Where the namespace's inodes and directory children live (`alluxio.master.metastore`):
//! HEAP keeps them all in memory; ROCKS keeps them on disk with the recently used inodes in a
//! cache of `alluxio.master.metastore.inode.cache.max.size`, so a namespace larger than memory
//! fits. Every read and change of the tree goes through [`Metastore`], whichever it is.

mod codec;
mod disk;
mod heap;
mod inode_table;
#[cfg(test)]
mod tests;

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use alluxio_conf::{Configuration, keys};

use crate::MasterError;
use crate::namespace::tree::{Inode, root_id};
use disk::DiskStore;
use heap::HeapStore;

/// Which metastore, where and how much of it is cached, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetastoreSettings {
    /// Everything in memory.
    Heap,
    /// On disk in a file created in `dir`, with up to `inode_cache` inodes in memory.
    Disk {
        /// `alluxio.master.metastore.dir`.
        dir: PathBuf,
        /// `alluxio.master.metastore.inode.cache.max.size`.
        inode_cache: usize,
    },
}

impl MetastoreSettings {
    /// The settings of `alluxio.master.metastore*`.
    pub fn from_conf(conf: &Configuration) -> Result<Self, MasterError> {
        match conf.get(keys::MASTER_METASTORE)?.as_str() {
            "HEAP" => Ok(Self::Heap),
            "ROCKS" => Ok(Self::Disk {
                dir: PathBuf::from(conf.get(keys::MASTER_METASTORE_DIR)?),
                inode_cache: conf.get_usize(keys::MASTER_METASTORE_INODE_CACHE_MAX_SIZE)?,
            }),
            other => Err(MasterError::InvalidArgument(format!(
                "{}={other} is not a metastore: use HEAP (in memory) or ROCKS (on disk)",
                keys::MASTER_METASTORE
            ))),
        }
    }

    /// A new, empty metastore (on disk, in a file gone with the process).
    pub(crate) fn open(&self) -> Result<Metastore, MasterError> {
        match self {
            Self::Heap => Ok(Metastore::Heap(HeapStore::default())),
            Self::Disk { dir, inode_cache } => DiskStore::create(dir, *inode_cache, disk::FLUSH_AT)
                .map(Metastore::Disk)
                .map_err(|reason| dir_error(dir, reason)),
        }
    }

    /// The file a disk metastore is kept in between runs of the master.
    fn kept_file(&self) -> Option<PathBuf> {
        match self {
            Self::Heap => None,
            Self::Disk { dir, .. } => Some(dir.join(KEPT_FILE)),
        }
    }

    /// The metastore kept from the master's last run, with the state its last commit recorded
    /// (`None`: nothing kept, as in memory or in a new file).
    pub(crate) fn open_kept(&self) -> Result<(Metastore, Option<Vec<u8>>), MasterError> {
        match self {
            Self::Heap => Ok((Metastore::Heap(HeapStore::default()), None)),
            Self::Disk { dir, inode_cache } => {
                DiskStore::open_kept(&dir.join(KEPT_FILE), *inode_cache, disk::FLUSH_AT)
                    .map(|(store, state)| (Metastore::Disk(store), state))
                    .map_err(|reason| dir_error(dir, reason))
            }
        }
    }

    /// Deletes the kept file, if any (`alluxio format`, or a file that does not continue the
    /// journal).
    pub fn discard_kept(&self) -> Result<(), MasterError> {
        let Some(file) = self.kept_file() else {
            return Ok(());
        };
        match std::fs::remove_file(&file) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(MasterError::InvalidArgument(
                format!("cannot delete the metastore {}: {err}", file.display()),
            )),
            _ => Ok(()),
        }
    }
}

/// The file a disk metastore is kept in, in `alluxio.master.metastore.dir`.
const KEPT_FILE: &str = "inodes.redb";

fn dir_error(dir: &std::path::Path, reason: String) -> MasterError {
    MasterError::InvalidArgument(format!(
        "{}={}: {reason}",
        keys::MASTER_METASTORE_DIR,
        dir.display()
    ))
}

/// The metastore tests build trees in: `ALLUXIO_TEST_METASTORE=ROCKS` runs them on a disk store
/// that caches 4 inodes and writes every change to disk at once, to reach its disk paths.
#[cfg(test)]
pub(crate) fn test_metastore() -> Metastore {
    match std::env::var("ALLUXIO_TEST_METASTORE").as_deref() {
        Ok("ROCKS") => {
            Metastore::Disk(DiskStore::create(&std::env::temp_dir(), 4, 1).expect("a disk metastore"))
        }
        Ok("HEAP") | Err(_) => Metastore::Heap(HeapStore::default()),
        Ok(other) => panic!("ALLUXIO_TEST_METASTORE={other}: use HEAP or ROCKS"),
    }
}

/// An inode read from a metastore: borrowed from memory, or shared with its cache.
#[derive(Debug, Clone)]
pub enum InodeRef<'a> {
    /// Held by the metastore itself.
    Borrowed(&'a Inode),
    /// Read from disk or its cache.
    Shared(Arc<Inode>),
}

impl Deref for InodeRef<'_> {
    type Target = Inode;

    fn deref(&self) -> &Inode {
        match self {
            Self::Borrowed(inode) => inode,
            Self::Shared(inode) => inode,
        }
    }
}

/// Inodes by id and children by directory and name.
#[derive(Debug, Clone)]
pub(crate) enum Metastore {
    Heap(HeapStore),
    Disk(DiskStore),
}

macro_rules! each {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            Metastore::Heap($s) => $body,
            Metastore::Disk($s) => $body,
        }
    };
}

impl Metastore {
    pub(crate) fn get(&self, id: u64) -> Option<InodeRef<'_>> {
        match self {
            Metastore::Heap(store) => store.get(id).map(InodeRef::Borrowed),
            Metastore::Disk(store) => store.get(id),
        }
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Inode> {
        each!(self, store => store.get_mut(id))
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// Adds a new inode, as a child of its parent unless it is the root.
    pub(crate) fn insert(&mut self, inode: Inode) {
        each!(self, store => store.insert(inode))
    }

    /// Removes an inode and its parent's edge to it (not its children: remove those first or
    /// after).
    pub(crate) fn remove(&mut self, id: u64) -> Option<Inode> {
        each!(self, store => store.remove(id))
    }

    pub(crate) fn add_child(&mut self, dir: u64, name: Arc<str>, id: u64) {
        each!(self, store => store.add_child(dir, name, id))
    }

    pub(crate) fn remove_child(&mut self, dir: u64, name: &str) {
        each!(self, store => store.remove_child(dir, name))
    }

    /// What a new, empty store like this one is opened with.
    pub(crate) fn settings(&self) -> MetastoreSettings {
        match self {
            Metastore::Heap(_) => MetastoreSettings::Heap,
            Metastore::Disk(store) => store.settings(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        each!(self, store => store.len())
    }

    pub(crate) fn child(&self, dir: u64, name: &str) -> Option<u64> {
        each!(self, store => store.child(dir, name))
    }

    /// Up to `limit` children of `dir` whose names come after `start_after` (all when `None`),
    /// in name order.
    pub(crate) fn children_after(
        &self,
        dir: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> Vec<(Arc<str>, u64)> {
        each!(self, store => store.children_after(dir, start_after, limit))
    }

    pub(crate) fn child_count(&self, dir: u64) -> usize {
        each!(self, store => store.child_count(dir))
    }

    /// Whether this is kept across restarts: [`Metastore::commit`] then matters.
    pub(crate) fn is_kept(&self) -> bool {
        matches!(self, Metastore::Disk(store) if store.is_kept())
    }

    /// Makes a kept store durable as it is, with `state`; nothing for other stores.
    pub(crate) fn commit(&mut self, state: &[u8]) {
        if let Metastore::Disk(store) = self {
            store.commit(state);
        }
    }

    /// Lets a disk store write its batched changes once enough are held; call after applying
    /// an entry.
    pub(crate) fn settle(&mut self) {
        if let Metastore::Disk(store) = self {
            store.flush_if_full();
        }
    }
}

/// Two stores are equal when they hold the same inodes under the same names: compared by
/// walking one from the root, whichever kinds they are.
impl PartialEq for Metastore {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let mut pending = vec![root_id()];
        while let Some(id) = pending.pop() {
            let (Some(mine), Some(theirs)) = (self.get(id), other.get(id)) else {
                return false;
            };
            if *mine != *theirs {
                return false;
            }
            let children = self.children_after(id, None, usize::MAX);
            if children != other.children_after(id, None, usize::MAX) {
                return false;
            }
            pending.extend(children.into_iter().map(|(_, child)| child));
        }
        true
    }
}
