//! The one exponential backoff every retry loop uses: a first pause, doubled after each failure
//! up to a cap. Callers build it from their properties (e.g. `alluxio.user.rpc.retry.base.sleep`
//! and `.max.sleep`) or constants, and either walk its pauses with [`Backoff::pauses`] or ask
//! for the pause after `n` failures with [`Backoff::after`].

use std::time::Duration;

/// Pauses of `initial`, `2 × initial`, `4 × initial`, ... never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
}

impl Backoff {
    /// A backoff starting at `initial` (at least 1 ms) and capped at `max` (at least `initial`).
    pub fn new(initial: Duration, max: Duration) -> Self {
        let initial = initial.max(Duration::from_millis(1));
        Self {
            initial,
            max: max.max(initial),
        }
    }

    /// The pause after `failures` failures in a row (none after zero).
    pub fn after(&self, failures: u32) -> Duration {
        match failures {
            0 => Duration::ZERO,
            n => self
                .initial
                .checked_mul(1u32.checked_shl(n - 1).unwrap_or(u32::MAX))
                .map_or(self.max, |pause| pause.min(self.max)),
        }
    }

    /// The pauses of one retry loop, from the first; [`Pauses::reset`] starts over after a
    /// success.
    pub fn pauses(&self) -> Pauses {
        Pauses {
            backoff: *self,
            failures: 0,
        }
    }

    /// The longest pause.
    pub fn max(&self) -> Duration {
        self.max
    }
}

/// The state of one retry loop over a [`Backoff`].
#[derive(Debug, Clone)]
pub struct Pauses {
    backoff: Backoff,
    failures: u32,
}

impl Pauses {
    /// The pause to take after another failure.
    pub fn next_pause(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.backoff.after(self.failures)
    }

    /// The pause the next failure would take, without counting one.
    pub fn peek(&self) -> Duration {
        self.backoff.after(self.failures.saturating_add(1))
    }

    /// Forgets the failures: the next pause is the first again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pauses_double_up_to_the_cap_and_start_over_after_a_reset() {
        let backoff = Backoff::new(10 * MS, 45 * MS);
        let mut pauses = backoff.pauses();
        assert_eq!(pauses.peek(), 10 * MS);
        let taken: Vec<Duration> = (0..5).map(|_| pauses.next_pause()).collect();
        assert_eq!(taken, [10 * MS, 20 * MS, 40 * MS, 45 * MS, 45 * MS]);
        pauses.reset();
        assert_eq!(pauses.next_pause(), 10 * MS);
    }

    #[test]
    fn after_counts_failures_and_never_overflows() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(backoff.after(0), Duration::ZERO);
        assert_eq!(backoff.after(1), Duration::from_secs(1));
        assert_eq!(backoff.after(4), Duration::from_secs(8));
        assert_eq!(backoff.after(40), Duration::from_secs(300));
        assert_eq!(backoff.after(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn a_cap_below_the_start_and_a_zero_start_are_made_sane() {
        assert_eq!(Backoff::new(Duration::ZERO, Duration::ZERO).after(1), MS);
        assert_eq!(Backoff::new(5 * MS, MS).max(), 5 * MS);
    }
}
