//! Block id -> length and the (worker, tier) locations holding it.

use std::collections::{BTreeMap, HashMap};

/// What the master knows of one cached block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockEntry {
    /// Length in bytes, as committed.
    pub length: u64,
    /// Worker id -> tier alias.
    pub locations: BTreeMap<u64, String>,
}

/// Locations of every block held by some worker.
#[derive(Debug, Default)]
pub struct BlockMap {
    blocks: HashMap<u64, BlockEntry>,
}

impl BlockMap {
    /// Records that `worker` holds `block_id` in `tier`.
    pub fn add(&mut self, block_id: u64, length: u64, worker: u64, tier: &str) {
        let entry = self.blocks.entry(block_id).or_default();
        entry.length = length;
        entry.locations.insert(worker, tier.to_string());
    }

    /// Forgets that `worker` holds `block_id`.
    pub fn remove_location(&mut self, block_id: u64, worker: u64) {
        if let Some(entry) = self.blocks.get_mut(&block_id) {
            entry.locations.remove(&worker);
            if entry.locations.is_empty() {
                self.blocks.remove(&block_id);
            }
        }
    }

    /// Forgets a block; returns the workers that held it.
    pub fn remove(&mut self, block_id: u64) -> Vec<u64> {
        self.blocks
            .remove(&block_id)
            .map(|entry| entry.locations.into_keys().collect())
            .unwrap_or_default()
    }

    /// Every block some worker holds.
    pub fn block_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.blocks.keys().copied()
    }

    /// The block, if some worker holds it.
    pub fn get(&self, block_id: u64) -> Option<&BlockEntry> {
        self.blocks.get(&block_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_come_and_go() {
        let mut map = BlockMap::default();
        map.add(7, 100, 1, "MEM");
        map.add(7, 100, 2, "SSD");
        assert_eq!(map.get(7).map(|e| e.locations.len()), Some(2));
        map.remove_location(7, 1);
        assert_eq!(
            map.get(7).map(|e| e.locations.clone()),
            Some(BTreeMap::from([(2, "SSD".into())]))
        );
        map.remove_location(7, 2);
        assert!(map.get(7).is_none());
        map.add(8, 5, 3, "MEM");
        assert_eq!(map.remove(8), vec![3]);
        assert!(map.get(8).is_none());
    }
}
