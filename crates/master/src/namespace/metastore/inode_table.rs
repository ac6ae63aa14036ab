//! Inodes by id: hash tables whose slot is one pointer to the inode, found by the inode's own
//! id. A table keyed separately would spend a second 8 bytes a slot on a copy of the id, and a
//! table holding inodes inline leaves inode-sized holes in its free slots.
//!
//! Everything is shared (copy on write) so that a checkpoint freezes the tree without copying
//! it: the ids are spread over [`SHARDS`] tables behind a shared pointer each, so a clone copies
//! those pointers alone (not one per inode, which took half a second at 10M inodes), a table a
//! clone still shares is copied at its first change (its slots, not its inodes), and an inode a
//! clone still shares is copied when it changes. The inode's count is `triomphe`'s 8 bytes (no
//! weak count), which keeps a 112-byte inode in the 128-byte allocation class.

use hashbrown::HashTable;
use triomphe::Arc;

use crate::namespace::tree::Inode;

/// Tables the ids are spread over: a clone copies this many pointers, and a change while a clone
/// shares a table copies about len / SHARDS slots.
const SHARDS: usize = 4096;

type Shard = std::sync::Arc<HashTable<Arc<Inode>>>;

/// Every inode of a tree, by id.
#[derive(Debug, Clone)]
pub(crate) struct InodeTable {
    shards: Box<[Shard]>,
    len: usize,
}

impl Default for InodeTable {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            len: 0,
        }
    }
}

impl InodeTable {
    pub(crate) fn get(&self, id: u64) -> Option<&Inode> {
        let hash = spread(id);
        self.shards[shard_of(hash)]
            .find(hash, |inode| inode.id == id)
            .map(|inode| &**inode)
    }

    /// The inode, copied first if a clone of the table shares it.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Inode> {
        let hash = spread(id);
        self.shard_mut(hash)
            .find_mut(hash, |inode| inode.id == id)
            .map(Arc::make_mut)
    }

    /// Adds `inode`, replacing any inode of the same id.
    pub(crate) fn insert(&mut self, inode: Inode) {
        let (id, hash) = (inode.id, spread(inode.id));
        let shard = self.shard_mut(hash);
        match shard.find_mut(hash, |known| known.id == id) {
            Some(known) => *known = Arc::new(inode),
            None => {
                shard.insert_unique(hash, Arc::new(inode), |known| spread(known.id));
                self.len += 1;
            }
        }
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<Inode> {
        let hash = spread(id);
        let removed = self
            .shard_mut(hash)
            .find_entry(hash, |inode| inode.id == id)
            .ok()
            .map(|entry| Arc::unwrap_or_clone(entry.remove().0));
        self.len -= usize::from(removed.is_some());
        removed
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The table holding `hash`, copied first if a clone shares it.
    fn shard_mut(&mut self, hash: u64) -> &mut HashTable<Arc<Inode>> {
        std::sync::Arc::make_mut(&mut self.shards[shard_of(hash)])
    }
}

impl PartialEq for InodeTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .shards
                .iter()
                .flat_map(|shard| shard.iter())
                .all(|inode| other.get(inode.id) == Some(&**inode))
    }
}

/// The table of a hash: bits the tables' own slot index (low bits) and tags (top 7 bits) leave
/// alone.
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

/// The table's hash of an inode id: ids differ only in their container bits, so they are mixed
/// (SplitMix64's finalizer) to spread over the slot bits and the tag bits alike.
fn spread(id: u64) -> u64 {
    let mut z = id;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::tree::Tree;

    fn inode(id: u64, name: &str) -> Inode {
        let mut inode = Inode::clone(&Tree::new().root());
        inode.id = id;
        inode.name = name.into();
        inode
    }

    #[test]
    fn an_inode_and_its_shared_count_fit_the_128_byte_allocation_class() {
        // The allocator's 8-byte chunk header comes on top.
        assert!(
            std::mem::size_of::<Inode>() + 8 + 8 <= 128,
            "{}",
            std::mem::size_of::<Inode>()
        );
    }

    #[test]
    fn a_clone_shares_inodes_until_one_changes() {
        let mut table = InodeTable::default();
        table.insert(inode(alluxio_proto::ids::file_id(1), "a"));
        let frozen = table.clone();
        table.get_mut(alluxio_proto::ids::file_id(1)).unwrap().mode = 0o700;
        assert_eq!(frozen.get(alluxio_proto::ids::file_id(1)).unwrap().mode, 0o755);
        assert_eq!(table.get(alluxio_proto::ids::file_id(1)).unwrap().mode, 0o700);
        let shared = (table.shards.iter().zip(frozen.shards.iter()))
            .filter(|(mine, theirs)| std::sync::Arc::ptr_eq(mine, theirs))
            .count();
        assert_eq!(shared, SHARDS - 1, "only the changed inode's table was copied");
    }

    #[test]
    fn finds_replaces_and_removes_by_id() {
        let mut table = InodeTable::default();
        let ids: Vec<u64> = (1..5_000).map(alluxio_proto::ids::file_id).collect();
        for id in &ids {
            table.insert(inode(*id, "first"));
        }
        table.insert(inode(ids[7], "second"));
        assert_eq!(table.len(), ids.len());
        assert_eq!(&*table.get(ids[7]).unwrap().name, "second");
        table.get_mut(ids[8]).unwrap().mode = 0o700;
        assert_eq!(table.get(ids[8]).unwrap().mode, 0o700);
        assert_eq!(table.remove(ids[9]).map(|i| i.id), Some(ids[9]));
        assert!(table.get(ids[9]).is_none() && table.remove(ids[9]).is_none());
        assert!(
            ids.iter()
                .filter(|id| **id != ids[9])
                .all(|id| table.get(*id).is_some())
        );

        let mut other = table.clone();
        assert_eq!(other, table);
        other.get_mut(ids[10]).unwrap().mode = 0o777;
        assert_ne!(other, table);
        other.remove(ids[10]);
        assert_ne!(other, table, "one inode fewer");
    }
}
