//! Choosing which committed blocks to evict to make room.

use super::options::EvictorKind;
use super::shared::{DirId, State};

/// Blocks of the directories accepted by `in_scope` that may be evicted now (not locked, not
/// moving, not pinned), in the order `kind` evicts them, with their lengths.
pub(super) fn candidates(
    state: &State,
    kind: EvictorKind,
    in_scope: impl Fn(DirId) -> bool,
) -> Vec<(u64, u64)> {
    let mut found: Vec<(u64, u64, u64)> = state
        .blocks
        .iter()
        .filter(|(id, b)| {
            in_scope(b.dir) && b.locks == 0 && !b.moving && !b.remove_pending && !state.is_pinned(**id)
        })
        .map(|(id, b)| (*id, b.length, b.last_access))
        .collect();
    match kind {
        EvictorKind::Lru => found.sort_unstable_by_key(|&(id, _, access)| (access, id)),
        EvictorKind::Greedy => found.sort_unstable_by_key(|&(id, _, _)| id),
    }
    found.into_iter().map(|(id, length, _)| (id, length)).collect()
}

/// Picks victims among `candidates` until they add up to `needed` bytes and marks them as
/// moving, so nobody locks or picks them again. With `partial`, takes what there is even if it
/// falls short; otherwise picks nothing unless the whole amount can be freed.
pub(super) fn claim(
    state: &mut State,
    candidates: Vec<(u64, u64)>,
    needed: u64,
    partial: bool,
) -> Option<Vec<u64>> {
    let mut total = 0;
    let mut victims = Vec::new();
    for (id, length) in candidates {
        if total >= needed {
            break;
        }
        total += length;
        victims.push(id);
    }
    if total < needed && !partial {
        return None;
    }
    for id in &victims {
        if let Some(block) = state.blocks.get_mut(id) {
            block.moving = true;
        }
    }
    Some(victims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shared::{Block, DirUsage};

    const DIR: DirId = DirId { tier: 0, dir: 0 };

    fn block(last_access: u64) -> Block {
        Block {
            dir: DIR,
            length: 10,
            locks: 0,
            moving: false,
            remove_pending: false,
            last_access,
        }
    }

    #[test]
    fn lru_orders_by_last_access_and_skips_locked_and_pinned_blocks() {
        let mut s = State::new(vec![vec![DirUsage {
            quota: 100,
            committed: 40,
            reserved: 0,
        }]]);
        let pinned = alluxio_proto::ids::block_id(9, 0);
        s.blocks.insert(1, block(5));
        s.blocks.insert(2, block(3));
        s.blocks.insert(3, Block { locks: 1, ..block(1) });
        s.blocks.insert(pinned, block(0));
        s.pinned_files.insert(alluxio_proto::ids::file_id(9));
        let lru = candidates(&s, EvictorKind::Lru, |d| d == DIR);
        assert_eq!(lru, vec![(2, 10), (1, 10)]);
        let greedy = candidates(&s, EvictorKind::Greedy, |d| d == DIR);
        assert_eq!(greedy, vec![(1, 10), (2, 10)]);
        assert_eq!(claim(&mut s, lru.clone(), 25, false), None);
        assert_eq!(claim(&mut s, lru, 5, false), Some(vec![2]));
        assert!(s.blocks[&2].moving);
        assert_eq!(candidates(&s, EvictorKind::Lru, |d| d == DIR), vec![(1, 10)]);
    }
}
