//! Reserving space in a tier or directory, evicting when there is not enough, and the watermark
//! pass of the space reserver.
//!
//! Space freed by eviction is reserved for the requester before the victims are gone (the
//! directory is briefly over its quota in the books), so concurrent writers cannot take it.

use std::time::{Duration, Instant};

use super::StoreError;
use super::allocator;
use super::evictor;
use super::shared::{DirId, Shared, State};

/// How much a growing temp block reserves at a time, so small writes don't take the lock each.
const GROWTH_STEP: u64 = 8 << 20;
/// How long a reservation waits for blocks moving out of its way (each move is one file copy).
const MOVE_WAIT: Duration = Duration::from_secs(30);

impl Shared {
    /// Reserves `bytes` in a directory of `tier`, evicting there if needed. A `patient` caller
    /// waits for blocks moving out of the tier when only they stand in the way.
    pub(super) fn reserve_in_tier(
        &self,
        tier: usize,
        bytes: u64,
        block_id: u64,
        patient: bool,
    ) -> Result<DirId, StoreError> {
        let planned = self.retry_while_moving(
            patient,
            |d| d.tier == tier,
            |state| self.plan_in_tier(state, tier, bytes),
        );
        match planned {
            Ok((dir, victims)) => {
                self.evict(victims);
                Ok(dir)
            }
            Err(reason) => Err(self.no_space(tier, bytes, block_id, reason)),
        }
    }

    /// Reserves `bytes` in one given directory, evicting there if needed (waiting for blocks
    /// moving out of it when only they stand in the way).
    pub(super) fn reserve_in_dir(&self, dir: DirId, bytes: u64, block_id: u64) -> Result<(), StoreError> {
        let planned = self.retry_while_moving(true, |d| d == dir, |state| {
            if state.dir(dir).free() >= bytes {
                state.dir_mut(dir).reserved += bytes;
                return Ok(Vec::new());
            }
            self.claim_in_dir(state, dir, bytes).ok_or_else(|| {
                let usage = *state.dir(dir);
                format!(
                    "its directory {} holds {} of {} bytes and not enough of it can be evicted (locked, pinned or in-progress blocks)",
                    self.layout(dir).blocks.display(),
                    usage.used(),
                    usage.quota
                )
            })
        });
        match planned {
            Ok(victims) => {
                self.evict(victims);
                Ok(())
            }
            Err(reason) => Err(self.no_space(dir.tier, bytes, block_id, reason)),
        }
    }

    /// What a new block announced as `expected_length` bytes reserves up front when written to
    /// `top` or below. The length steers placement (a block too big for the top tier goes to a
    /// lower one that holds it), but it is only a hint: a client announces the block size when it
    /// does not know the file's length yet. One larger than every directory at or below `top`
    /// reserves nothing up front and grows as bytes arrive, so a small file with a large block
    /// size still fits, and only a block whose bytes really exceed the directory fails.
    pub(super) fn initial_reservation(&self, top: usize, expected_length: u64) -> u64 {
        let state = self.state.lock();
        let largest = state.usage[top..]
            .iter()
            .flatten()
            .map(|u| u.quota)
            .max()
            .unwrap_or(0);
        if expected_length > largest {
            0
        } else {
            expected_length
        }
    }

    /// Finds room for `bytes` in `tier`: a directory that has it, or the one that would have the
    /// most once its evictable blocks are gone (whose victims are claimed). Reserves the bytes.
    fn plan_in_tier(&self, state: &mut State, tier: usize, bytes: u64) -> Result<(DirId, Vec<u64>), String> {
        if let Some(dir) = allocator::pick(state, self.allocator, tier, bytes) {
            state.dir_mut(dir).reserved += bytes;
            return Ok((dir, Vec::new()));
        }
        let best = (0..state.usage[tier].len())
            .map(|d| DirId { tier, dir: d })
            .filter(|&d| state.dir(d).quota >= bytes)
            .map(|d| (d, self.room_after_eviction(state, d)))
            .max_by_key(|&(_, room)| room);
        match best {
            None => {
                let largest = state.usage[tier].iter().map(|u| u.quota).max().unwrap_or(0);
                Err(format!(
                    "the block is larger than every directory of the tier (the largest holds {largest} bytes)"
                ))
            }
            Some((_, room)) if room < bytes => Err(format!(
                "at most {room} bytes can be made free; the rest is held by locked, pinned or in-progress blocks"
            )),
            Some((dir, _)) => match self.claim_in_dir(state, dir, bytes) {
                Some(victims) => Ok((dir, victims)),
                // The room above counts exactly these candidates, so this does not happen.
                None => Err("its evictable blocks changed".into()),
            },
        }
    }

    /// Runs `attempt` under the state lock. A failure while blocks of the directories in
    /// `in_scope` are moving out may be temporary (their space is about to free up), so a
    /// `patient` caller waits for a move to end and tries again, for a bounded time.
    fn retry_while_moving<T>(
        &self,
        patient: bool,
        in_scope: impl Fn(DirId) -> bool,
        mut attempt: impl FnMut(&mut State) -> Result<T, String>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + MOVE_WAIT;
        let mut state = self.state.lock();
        loop {
            let reason = match attempt(&mut state) {
                Ok(done) => return Ok(done),
                Err(reason) => reason,
            };
            let moving = state.blocks.values().any(|b| b.moving && in_scope(b.dir));
            if !patient || !moving || self.moved.wait_until(&mut state, deadline).timed_out() {
                return Err(reason);
            }
        }
    }

    /// Grows the reservation of a block being written by at least `min` bytes (a whole step when
    /// there is room); returns the bytes added.
    pub(super) fn grow(&self, dir: DirId, min: u64, block_id: u64) -> Result<u64, StoreError> {
        {
            let mut state = self.state.lock();
            let free = state.dir(dir).free();
            // Small quotas (tests, tiny tiers) must not let one writer grab everything.
            let step = GROWTH_STEP.min(state.dir(dir).quota / 16).max(min);
            if free >= min {
                let take = step.min(free);
                state.dir_mut(dir).reserved += take;
                return Ok(take);
            }
        }
        self.reserve_in_dir(dir, min, block_id)?;
        Ok(min)
    }

    /// Gives back reserved bytes.
    pub(super) fn release(&self, state: &mut State, dir: DirId, bytes: u64) {
        let usage = state.dir_mut(dir);
        usage.reserved = usage.reserved.saturating_sub(bytes);
    }

    /// One watermark pass: every tier above its high watermark is evicted down to its low one.
    pub(super) fn reserve_space(&self) -> u64 {
        let mut freed = 0;
        for (tier, layout) in self.tiers.iter().enumerate() {
            let victims = {
                let mut state = self.state.lock();
                let capacity: u64 = state.usage[tier].iter().map(|u| u.quota).sum();
                let used: u64 = state.usage[tier].iter().map(|u| u.used()).sum();
                if capacity == 0 || (used as f64) <= layout.high_watermark * capacity as f64 {
                    continue;
                }
                let target = used.saturating_sub((layout.low_watermark * capacity as f64) as u64);
                let candidates = evictor::candidates(&state, self.evictor, |d| d.tier == tier);
                let victims = evictor::claim(&mut state, candidates, target, true).unwrap_or_default();
                tracing::debug!(
                    "tier {} holds {used} of {capacity} bytes, above its high watermark; evicting {} blocks",
                    layout.alias,
                    victims.len()
                );
                victims
            };
            freed += self.evict(victims);
        }
        freed
    }

    /// Bytes a directory could offer if all its evictable blocks left.
    fn room_after_eviction(&self, state: &State, dir: DirId) -> u64 {
        let evictable: u64 = evictor::candidates(state, self.evictor, |d| d == dir)
            .iter()
            .map(|(_, length)| length)
            .sum();
        (state.dir(dir).quota + evictable).saturating_sub(state.dir(dir).used())
    }

    /// Claims victims freeing room for `bytes` in `dir` and reserves the bytes; `None` if the
    /// evictable blocks are not enough.
    fn claim_in_dir(&self, state: &mut State, dir: DirId, bytes: u64) -> Option<Vec<u64>> {
        let needed = (state.dir(dir).used() + bytes).saturating_sub(state.dir(dir).quota);
        let candidates = evictor::candidates(state, self.evictor, |d| d == dir);
        let victims = evictor::claim(state, candidates, needed, false)?;
        state.dir_mut(dir).reserved += bytes;
        Some(victims)
    }

    fn no_space(&self, tier: usize, needed: u64, block_id: u64, reason: String) -> StoreError {
        StoreError::NoSpace {
            block_id,
            tier: self.tiers[tier].alias.clone(),
            needed,
            reason,
        }
    }
}
