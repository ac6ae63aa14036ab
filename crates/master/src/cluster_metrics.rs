//! Cluster totals of the counters workers and clients report (`Cluster.BytesReadAlluxio` is the
//! sum of every worker's `Worker.BytesReadAlluxio`).
//!
//! Each source (a worker, a client process) reports its counters since it started. A source
//! whose values drop has restarted: what it had counted is kept in `retired`. A source silent
//! for longer than the expiry is forgotten the same way; if it comes back with values no lower
//! than before (it was only cut off), its old values are taken back out of `retired`, so nothing
//! is counted twice. Totals therefore never go back while the master runs; they start again
//! from the sources' current values when the master restarts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// A source silent this long is forgotten (its counts are retired).
pub(crate) const SOURCE_EXPIRY: Duration = Duration::from_secs(600);
/// Forgotten sources whose return is still recognised; the oldest beyond it are let go.
const EXPIRED_KEPT: usize = 10_000;

type Values = HashMap<&'static str, f64>;

#[derive(Default)]
struct Reports {
    by_source: HashMap<String, Source>,
    retired: Values,
    /// Sources forgotten after a silence, with the values they had, in expiry order.
    expired: Vec<(String, Values)>,
}

struct Source {
    values: Values,
    last: Instant,
}

/// The latest counters of every source, for the names in `aggregated` only.
pub(crate) struct ClusterReports {
    aggregated: &'static [&'static str],
    expiry: Duration,
    reports: Mutex<Reports>,
}

impl ClusterReports {
    /// Totals of the `aggregated` names; sources silent for `expiry` are forgotten.
    pub(crate) fn new(aggregated: &'static [&'static str], expiry: Duration) -> Self {
        Self {
            aggregated,
            expiry,
            reports: Mutex::new(Reports::default()),
        }
    }

    /// Records what `source` counts now; names not aggregated and values that are not numbers
    /// are ignored (the previous value stands). A value lower than the previous one means the
    /// source restarted.
    pub(crate) fn report<'a>(&self, source: &str, readings: impl IntoIterator<Item = (&'a str, f64)>) {
        let values: Values = readings
            .into_iter()
            .filter_map(|(name, value)| {
                let known = self.aggregated.iter().find(|known| **known == name)?;
                value.is_finite().then_some((*known, value.max(0.0)))
            })
            .collect();
        let mut reports = self.reports.lock();
        let Reports {
            by_source,
            retired,
            expired,
        } = &mut *reports;
        let previous = match by_source.remove(source) {
            Some(old) => Some(old.values),
            None => returned(expired, retired, source, &values),
        };
        let mut merged = match previous {
            Some(old) if restarted(&old, &values) => {
                retire(retired, old);
                Values::new()
            }
            Some(old) => old,
            None => Values::new(),
        };
        merged.extend(values);
        by_source.insert(
            source.to_string(),
            Source {
                values: merged,
                last: Instant::now(),
            },
        );
        let silent: Vec<String> = by_source
            .iter()
            .filter(|(_, s)| s.last.elapsed() > self.expiry)
            .map(|(name, _)| name.clone())
            .collect();
        for name in silent {
            if let Some(old) = by_source.remove(&name) {
                retire(retired, old.values.clone());
                expired.push((name, old.values));
            }
        }
        if expired.len() > EXPIRED_KEPT {
            let excess = expired.len() - EXPIRED_KEPT;
            expired.drain(..excess);
        }
    }

    /// The cluster total of `name`.
    pub(crate) fn total(&self, name: &str) -> f64 {
        let reports = self.reports.lock();
        let live: f64 = reports
            .by_source
            .values()
            .filter_map(|s| s.values.get(name))
            .sum();
        live + reports.retired.get(name).copied().unwrap_or(0.0)
    }
}

/// Whether any value dropped: the source started counting again.
fn restarted(old: &Values, new: &Values) -> bool {
    new.iter().any(|(name, v)| old.get(name).is_some_and(|o| v < o))
}

/// The values of a forgotten `source` that reports again, taken back out of `retired` unless
/// it restarted meanwhile (then they stay retired and it starts afresh).
fn returned(
    expired: &mut Vec<(String, Values)>,
    retired: &mut Values,
    source: &str,
    new: &Values,
) -> Option<Values> {
    let index = expired.iter().position(|(name, _)| name == source)?;
    let (_, old) = expired.remove(index);
    if restarted(&old, new) {
        return None;
    }
    for (name, value) in &old {
        if let Some(total) = retired.get_mut(name) {
            *total = (*total - value).max(0.0);
        }
    }
    Some(old)
}

fn retire(retired: &mut Values, values: Values) {
    for (name, value) in values {
        *retired.entry(name).or_default() += value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "Worker.BytesReadAlluxio";
    const NAMES: &[&str] = &[NAME];

    #[test]
    fn totals_sum_sources_and_survive_restarts() {
        let reports = ClusterReports::new(NAMES, SOURCE_EXPIRY);
        reports.report("w1", [(NAME, 100.0), ("Worker.Other", 5.0)]);
        reports.report("w2", [(NAME, 50.0)]);
        assert_eq!(reports.total(NAME), 150.0);
        assert_eq!(
            reports.total("Worker.Other"),
            0.0,
            "only aggregated names are kept"
        );
        reports.report("w1", [(NAME, 120.0)]);
        assert_eq!(reports.total(NAME), 170.0);
        // w1 restarted: its 120 bytes stay counted.
        reports.report("w1", [(NAME, 10.0)]);
        assert_eq!(reports.total(NAME), 180.0);
        reports.report("w2", [(NAME, f64::NAN)]);
        assert_eq!(reports.total(NAME), 180.0, "a NaN changes nothing");
    }

    #[test]
    fn a_source_back_from_a_silence_is_not_counted_twice() {
        let reports = ClusterReports::new(NAMES, Duration::from_millis(50));
        reports.report("w1", [(NAME, 100.0)]);
        std::thread::sleep(Duration::from_millis(80));
        reports.report("w2", [(NAME, 1.0)]);
        assert_eq!(reports.total(NAME), 101.0, "w1 is forgotten, its count kept");
        // Back without a restart: its own count replaces the retired one.
        reports.report("w1", [(NAME, 120.0)]);
        assert_eq!(reports.total(NAME), 121.0);
        std::thread::sleep(Duration::from_millis(80));
        reports.report("w2", [(NAME, 2.0)]);
        // Back after a restart: the old count stays retired and the new one adds to it.
        reports.report("w1", [(NAME, 5.0)]);
        assert_eq!(reports.total(NAME), 120.0 + 5.0 + 2.0);
    }
}
