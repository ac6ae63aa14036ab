//! The inode tree: inodes keyed by id, children by name, and path resolution.
//!
//! Memory is what bounds a namespace held in RAM, so an inode is kept compact: it sits in its
//! own allocation (the id table holds pointers, not inodes), its name is one shared allocation
//! used both by the inode and by its parent's child map, and owners and groups are interned.

use std::collections::BTreeSet;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{PersistenceState, TtlAction, WriteType};
use alluxio_proto::ids;
use hashbrown::HashTable;

use crate::MasterError;
use crate::mount_table::MountTable;
use crate::operations::AppliedOperations;

use super::metastore::{InodeRef, Metastore};

/// Id of the root directory (container 0).
pub fn root_id() -> u64 {
    ids::file_id(0)
}

/// What an inode is, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq)]
pub enum InodeKind {
    /// A directory.
    Dir {
        /// Whether the UFS children were loaded once.
        children_loaded: bool,
    },
    /// A file.
    File {
        /// Block size chosen at creation.
        block_size: u64,
        /// Length once complete.
        length: u64,
        /// Whether the writer completed it.
        completed: bool,
        /// Blocks in file order (a boxed slice: a file gains blocks a few times in its life, and
        /// a `Vec`'s capacity would cost every inode 8 bytes).
        block_ids: Box<[u64]>,
        /// How the client writes it.
        write_type: WriteType,
        /// Whether its blocks may be cached.
        cacheable: bool,
        /// Whether `length` and the inode's modification time are still what the UFS file had
        /// when it was loaded: they are then its UFS fingerprint, which metadata sync compares
        /// with the UFS. Journaled through the entries that set them, so it survives restarts.
        ufs_fingerprint: bool,
    },
}

/// A file or directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Inode {
    /// File id (container id with all-ones sequence).
    pub id: u64,
    /// Parent directory id (the root is its own parent).
    pub parent: u64,
    /// Last path component ("" for the root).
    pub name: Arc<str>,
    /// Directory or file fields.
    pub kind: InodeKind,
    /// Creation, ms since the epoch.
    pub creation_ms: i64,
    /// Last modification, ms since the epoch.
    pub modification_ms: i64,
    /// Pinned in worker storage.
    pub pinned: bool,
    /// Time to live after creation in ms, -1 for none.
    pub ttl: i64,
    /// What happens when the TTL expires.
    pub ttl_action: InByte<TtlAction>,
    /// Whether the UFS has it.
    pub persistence: InByte<PersistenceState>,
    /// Permission bits.
    pub mode: u32,
    /// Owner user and group, shared with the inodes that have the same.
    pub ownership: Arc<Ownership>,
}

/// A protobuf enum (an `i32`, all of whose values are small) kept in one byte: two of these
/// instead of two `i32`s keep an inode at 112 bytes, in the 128-byte allocation class with the
/// count of its shared pointer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InByte<E> {
    value: u8,
    kind: PhantomData<E>,
}

impl<E: Copy + Into<i32> + TryFrom<i32> + Default> InByte<E> {
    /// The enum value.
    pub fn get(self) -> E {
        E::try_from(i32::from(self.value)).unwrap_or_default()
    }
}

impl<E: Into<i32>> From<E> for InByte<E> {
    fn from(value: E) -> Self {
        let value = u8::try_from(value.into()).expect("the enum's values fit in a byte");
        Self {
            value,
            kind: PhantomData,
        }
    }
}

impl<E> From<InByte<E>> for i32 {
    fn from(value: InByte<E>) -> i32 {
        i32::from(value.value)
    }
}

impl<E: Copy + Into<i32> + TryFrom<i32> + Default + PartialEq> PartialEq<E> for InByte<E> {
    fn eq(&self, other: &E) -> bool {
        self.get() == *other
    }
}

impl<E: Copy + Into<i32> + TryFrom<i32> + Default + std::fmt::Debug> std::fmt::Debug for InByte<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// An owner and group, interned per tree: most inodes share one of a few pairs.
#[derive(Debug, PartialEq, Eq)]
pub struct Ownership {
    /// Owner user ("" when recorded without one).
    pub owner: Box<str>,
    /// Owner group ("" when recorded without one).
    pub group: Box<str>,
}

impl Inode {
    /// Owner user.
    pub fn owner(&self) -> &str {
        &self.ownership.owner
    }

    /// Owner group.
    pub fn group(&self) -> &str {
        &self.ownership.group
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, InodeKind::Dir { .. })
    }

    /// Whether a UFS copy exists.
    pub fn is_persisted(&self) -> bool {
        self.persistence == PersistenceState::Persisted
    }
}

/// The whole namespace in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub(crate) inodes: Metastore,
    /// The container id the next new inode takes.
    pub(crate) next_container: u64,
    /// Pinned files, kept apart because every worker heartbeat asks for them.
    pub(crate) pinned_files: BTreeSet<u64>,
    /// Inodes with a TTL, which the TTL checker reads instead of every inode.
    pub(crate) with_ttl: BTreeSet<u64>,
    /// Files waiting for persistence (TO_BE_PERSISTED), which a restarted master queues
    /// without reading every inode.
    pub(crate) to_be_persisted: BTreeSet<u64>,
    /// The mounts below the root.
    pub(crate) mounts: MountTable,
    /// The latest changes clients named, as applied through the journal.
    pub(crate) applied: AppliedOperations,
    /// The owner and group pairs inodes share.
    pub(crate) ownerships: Interner,
}

impl Tree {
    /// A namespace holding only `/`, in memory.
    pub fn new() -> Self {
        Self::with_metastore(Metastore::Heap(Default::default()))
    }

    /// The namespace in `inodes` as a disk metastore kept it, before what it holds beside the
    /// inodes is restored ([`Tree::beside_inodes`]).
    pub(crate) fn over_kept(inodes: Metastore) -> Self {
        Self {
            inodes,
            next_container: 1,
            pinned_files: BTreeSet::new(),
            with_ttl: BTreeSet::new(),
            to_be_persisted: BTreeSet::new(),
            mounts: MountTable::default(),
            applied: AppliedOperations::default(),
            ownerships: Interner::default(),
        }
    }

    /// A namespace holding only `/`, in `inodes` (empty).
    pub(crate) fn with_metastore(inodes: Metastore) -> Self {
        let mut tree = Self::over_kept(inodes);
        let root = Inode {
            id: root_id(),
            parent: root_id(),
            name: Arc::from(""),
            kind: InodeKind::Dir {
                children_loaded: false,
            },
            creation_ms: 0,
            modification_ms: 0,
            pinned: false,
            ttl: -1,
            ttl_action: TtlAction::Delete.into(),
            persistence: PersistenceState::Persisted.into(),
            mode: 0o755,
            ownership: tree.ownerships.intern("", ""),
        };
        tree.inodes.insert(root);
        tree
    }

    /// The inode with this id.
    pub fn get(&self, id: u64) -> Option<InodeRef<'_>> {
        self.inodes.get(id)
    }

    /// Number of inodes, root included.
    pub fn len(&self) -> usize {
        self.inodes.len()
    }

    /// The id of the child `name` of directory `dir`.
    pub fn child(&self, dir: u64, name: &str) -> Option<u64> {
        self.inodes.child(dir, name)
    }

    /// Up to `limit` children of directory `dir` whose names come after `start_after` (all
    /// when `None`), in name order.
    pub fn children_after(&self, dir: u64, start_after: Option<&str>, limit: usize) -> Vec<(Arc<str>, u64)> {
        self.inodes.children_after(dir, start_after, limit)
    }

    /// Number of children of `dir` (0 for a file).
    pub fn child_count(&self, dir: u64) -> usize {
        self.inodes.child_count(dir)
    }

    /// Whether `dir` has any child.
    pub fn has_children(&self, dir: u64) -> bool {
        !self.inodes.children_after(dir, None, 1).is_empty()
    }

    /// The inode at `path`, if every component exists.
    pub fn lookup(&self, path: &AlluxioPath) -> Option<InodeRef<'_>> {
        let mut id = root_id();
        for name in path.components() {
            id = self.inodes.child(id, name)?;
        }
        self.inodes.get(id)
    }

    /// Like [`Tree::lookup`] but a missing path is a `NotFound` error and a file in the middle
    /// a `NotADirectory` error.
    pub fn resolve(&self, path: &AlluxioPath) -> Result<InodeRef<'_>, MasterError> {
        let mut inode = self.root();
        for (depth, name) in path.components().enumerate() {
            if !inode.is_dir() {
                let walked: Vec<&str> = path.components().take(depth).collect();
                return Err(MasterError::NotADirectory(format!("/{}", walked.join("/"))));
            }
            inode = self
                .inodes
                .child(inode.id, name)
                .and_then(|id| self.inodes.get(id))
                .ok_or_else(|| MasterError::NotFound(path.to_string()))?;
        }
        Ok(inode)
    }

    /// The root directory.
    pub fn root(&self) -> InodeRef<'_> {
        // The root is created in `new` and never removed: Delete of the root is rejected.
        self.inodes.get(root_id()).expect("the root is never removed")
    }

    /// The path of an inode, rebuilt from its parents.
    pub fn path_of(&self, id: u64) -> Option<AlluxioPath> {
        let mut names = Vec::new();
        let mut current = self.inodes.get(id)?;
        while current.id != root_id() {
            names.push(current.name.clone());
            current = self.inodes.get(current.parent)?;
        }
        let mut path = AlluxioPath::root();
        for name in names.iter().rev() {
            path = path.join(name).ok()?;
        }
        Some(path)
    }

    /// Ids of `id` and everything below it, parents before children.
    pub fn subtree(&self, id: u64) -> Vec<u64> {
        self.subtree_within(id, usize::MAX)
            .expect("no subtree holds more than usize::MAX inodes")
    }

    /// Like [`Tree::subtree`] when it holds at most `limit` inodes, else `None` (having read
    /// little more than `limit` of them).
    pub fn subtree_within(&self, id: u64, limit: usize) -> Option<Vec<u64>> {
        let mut out = vec![id];
        let mut next = 0;
        while next < out.len() && out.len() <= limit {
            // One more than fits is enough to tell.
            let room = limit - out.len() + 1;
            let children = self.inodes.children_after(out[next], None, room);
            out.extend(children.into_iter().map(|(_, child)| child));
            next += 1;
        }
        (out.len() <= limit).then_some(out)
    }
}

/// One shared copy of each owner and group pair: a million files of one user hold one. A lookup
/// allocates nothing (every inode created asks for its pair).
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    pairs: HashTable<Arc<Ownership>>,
    hasher: RandomState,
    /// The two pairs asked for last, the latest first: inodes created or read one after another
    /// mostly share them (a new inode has none, then its creator's), and comparing two short
    /// names is far cheaper than hashing them (a replay of 10M inodes asks 20M times).
    recent: [Option<Arc<Ownership>>; 2],
}

impl Interner {
    /// The shared copy of `owner` and `group`.
    pub(crate) fn intern(&mut self, owner: &str, group: &str) -> Arc<Ownership> {
        let same = |pair: &Arc<Ownership>| &*pair.owner == owner && &*pair.group == group;
        if let Some(recent) = self.recent.iter().flatten().find(|pair| same(pair)) {
            return recent.clone();
        }
        let hash = self.hasher.hash_one((owner, group));
        let shared = match self.pairs.find(hash, same) {
            Some(shared) => shared.clone(),
            None => {
                let shared = Arc::new(Ownership {
                    owner: owner.into(),
                    group: group.into(),
                });
                let hasher = &self.hasher;
                self.pairs.insert_unique(hash, shared.clone(), |pair| {
                    hasher.hash_one((&*pair.owner, &*pair.group))
                });
                shared
            }
        };
        self.recent = [Some(shared.clone()), self.recent[0].take()];
        shared
    }
}

/// Which names happen to be interned is not part of a tree's state: a tree replayed from a
/// checkpoint lacks the owners of inodes deleted before it, and is still the same tree.
impl PartialEq for Interner {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_owner_and_group_pair_has_one_shared_copy() {
        let mut interner = Interner::default();
        // The third shares its owner with a recent pair, which must not answer for it.
        let pairs = [
            ("", ""),
            ("alice", "staff"),
            ("alice", "wheel"),
            ("", ""),
            ("bob", "staff"),
        ];
        let first: Vec<_> = pairs.iter().map(|(o, g)| interner.intern(o, g)).collect();
        for (pair, (owner, group)) in first.iter().zip(pairs) {
            assert_eq!((&*pair.owner, &*pair.group), (owner, group));
        }
        // Asked again in another order, past the recent pairs: the same copies.
        for (index, (owner, group)) in pairs.iter().enumerate().rev() {
            let again = interner.intern(owner, group);
            assert!(Arc::ptr_eq(&again, &first[index]), "{owner}:{group}");
        }
        assert!(Arc::ptr_eq(&first[0], &first[3]));
        assert!(
            !Arc::ptr_eq(&first[1], &first[2]),
            "a pair is owner and group together"
        );
        assert_eq!(interner.pairs.len(), 4);
    }
}
