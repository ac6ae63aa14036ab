//! The HEAP metastore: every inode and every directory's children in memory.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use super::inode_table::InodeTable;
use crate::namespace::tree::Inode;

/// Inodes by id and children by directory, all in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HeapStore {
    inodes: InodeTable,
    /// Children by name of each directory that has any (each key shares its allocation with the
    /// child's `name`); shared with clones like the inodes, and copied on the first change.
    children: HashMap<u64, Arc<BTreeMap<Arc<str>, u64>>>,
}

impl HeapStore {
    pub(super) fn get(&self, id: u64) -> Option<&Inode> {
        self.inodes.get(id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Inode> {
        self.inodes.get_mut(id)
    }

    pub(super) fn insert(&mut self, inode: Inode) {
        if inode.id != inode.parent {
            self.add_child(inode.parent, inode.name.clone(), inode.id);
        }
        self.inodes.insert(inode);
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<Inode> {
        let inode = self.inodes.remove(id)?;
        self.remove_child(inode.parent, &inode.name);
        self.children.remove(&id);
        Some(inode)
    }

    pub(super) fn add_child(&mut self, dir: u64, name: Arc<str>, id: u64) {
        Arc::make_mut(self.children.entry(dir).or_default()).insert(name, id);
    }

    pub(super) fn remove_child(&mut self, dir: u64, name: &str) {
        if let Some(children) = self.children.get_mut(&dir) {
            Arc::make_mut(children).remove(name);
            if children.is_empty() {
                self.children.remove(&dir);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.inodes.len()
    }

    pub(super) fn child(&self, dir: u64, name: &str) -> Option<u64> {
        self.children.get(&dir)?.get(name).copied()
    }

    pub(super) fn children_after(
        &self,
        dir: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> Vec<(Arc<str>, u64)> {
        let Some(children) = self.children.get(&dir) else {
            return Vec::new();
        };
        let from = match start_after {
            Some(name) => Bound::Excluded(name),
            None => Bound::Unbounded,
        };
        children
            .range::<str, _>((from, Bound::Unbounded))
            .take(limit)
            .map(|(name, id)| (name.clone(), *id))
            .collect()
    }

    pub(super) fn child_count(&self, dir: u64) -> usize {
        self.children.get(&dir).map_or(0, |children| children.len())
    }
}
