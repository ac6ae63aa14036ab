//! Choosing the directory of a tier that receives new bytes, without evicting anything.

use super::options::AllocatorKind;
use super::shared::{DirId, State};

/// A directory of `tier` with at least `bytes` free, chosen by `kind`; `None` if none has room.
pub(super) fn pick(state: &mut State, kind: AllocatorKind, tier: usize, bytes: u64) -> Option<DirId> {
    let dirs = state.usage[tier].len();
    let fits = |state: &State, dir: usize| state.usage[tier][dir].free() >= bytes;
    let chosen = match kind {
        AllocatorKind::MaxFree => (0..dirs)
            .filter(|&d| fits(state, d))
            // max_by_key keeps the last maximum; reversing keeps the first, so ties go to the
            // directory listed first.
            .rev()
            .max_by_key(|&d| state.usage[tier][d].free()),
        AllocatorKind::Greedy => (0..dirs).find(|&d| fits(state, d)),
        AllocatorKind::RoundRobin => {
            let start = state.round_robin[tier];
            let found = (0..dirs).map(|i| (start + i) % dirs).find(|&d| fits(state, d));
            if let Some(d) = found {
                state.round_robin[tier] = (d + 1) % dirs;
            }
            found
        }
    }?;
    Some(DirId { tier, dir: chosen })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::shared::DirUsage;

    fn state(free: &[u64]) -> State {
        let dirs = free
            .iter()
            .map(|&f| DirUsage {
                quota: 100,
                committed: 100 - f,
                reserved: 0,
            })
            .collect();
        State::new(vec![dirs])
    }

    #[test]
    fn max_free_picks_the_emptiest_directory_that_fits() {
        let mut s = state(&[10, 60, 40]);
        assert_eq!(
            pick(&mut s, AllocatorKind::MaxFree, 0, 5),
            Some(DirId { tier: 0, dir: 1 })
        );
        assert_eq!(pick(&mut s, AllocatorKind::MaxFree, 0, 61), None);
        let mut tie = state(&[50, 50]);
        assert_eq!(
            pick(&mut tie, AllocatorKind::MaxFree, 0, 5),
            Some(DirId { tier: 0, dir: 0 })
        );
    }

    #[test]
    fn greedy_picks_the_first_directory_that_fits() {
        let mut s = state(&[10, 60, 40]);
        assert_eq!(
            pick(&mut s, AllocatorKind::Greedy, 0, 5),
            Some(DirId { tier: 0, dir: 0 })
        );
        assert_eq!(
            pick(&mut s, AllocatorKind::Greedy, 0, 30),
            Some(DirId { tier: 0, dir: 1 })
        );
    }

    #[test]
    fn round_robin_cycles_over_directories_that_fit() {
        let mut s = state(&[50, 5, 50]);
        let picks: Vec<usize> = (0..4)
            .filter_map(|_| pick(&mut s, AllocatorKind::RoundRobin, 0, 10))
            .map(|d| d.dir)
            .collect();
        assert_eq!(picks, vec![0, 2, 0, 2]);
    }
}
