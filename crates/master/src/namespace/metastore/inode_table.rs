//! Inodes by id: a hash table whose slot is one pointer to the inode, found by the inode's own
//! id. A table keyed separately would spend a second 8 bytes a slot on a copy of the id, and a
//! table holding inodes inline leaves inode-sized holes in its free slots.
//!
//! The pointers are shared (copy on write): a clone copies the slots, not the inodes, so a
//! checkpoint freezes a million-inode tree in milliseconds, and an inode changed while a
//! checkpoint still holds it is copied then. The count is `triomphe`'s 8 bytes (no weak count),
//! which keeps a 112-byte inode in the 128-byte allocation class.

use hashbrown::HashTable;
use triomphe::Arc;

use crate::namespace::tree::Inode;

/// Every inode of a tree, by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct InodeTable {
    table: HashTable<Arc<Inode>>,
}

impl InodeTable {
    pub(crate) fn get(&self, id: u64) -> Option<&Inode> {
        self.table
            .find(spread(id), |inode| inode.id == id)
            .map(|inode| &**inode)
    }

    /// The inode, copied first if a clone of the table shares it.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Inode> {
        self.table
            .find_mut(spread(id), |inode| inode.id == id)
            .map(Arc::make_mut)
    }

    /// Adds `inode`, replacing any inode of the same id.
    pub(crate) fn insert(&mut self, inode: Inode) {
        let id = inode.id;
        match self.table.find_mut(spread(id), |known| known.id == id) {
            Some(known) => *known = Arc::new(inode),
            None => {
                self.table
                    .insert_unique(spread(id), Arc::new(inode), |known| spread(known.id));
            }
        }
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<Inode> {
        self.table
            .find_entry(spread(id), |inode| inode.id == id)
            .ok()
            .map(|entry| Arc::unwrap_or_clone(entry.remove().0))
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

impl PartialEq for InodeTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .table
                .iter()
                .all(|inode| other.get(inode.id) == Some(&**inode))
    }
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
