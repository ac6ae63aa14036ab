//! Cluster totals of the counters workers and clients report (`Cluster.BytesReadAlluxio` is the
//! sum of every worker's `Worker.BytesReadAlluxio`).
//!
//! Each source (a worker, a client process) reports its counters since it started. A source
//! that restarts reports smaller values, and one that stops reporting is forgotten after a
//! while; in both cases what it had counted is kept in `retired`, so totals never go back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// A source silent this long is forgotten (its counts are retired).
const SOURCE_EXPIRY: Duration = Duration::from_secs(600);

#[derive(Default)]
struct Reports {
    by_source: HashMap<String, Source>,
    retired: HashMap<&'static str, f64>,
}

struct Source {
    values: HashMap<&'static str, f64>,
    last: Instant,
}

/// The latest counters of every source, for the names in `aggregated` only.
pub(crate) struct ClusterReports {
    aggregated: &'static [&'static str],
    reports: Mutex<Reports>,
}

impl ClusterReports {
    pub(crate) fn new(aggregated: &'static [&'static str]) -> Self {
        Self {
            aggregated,
            reports: Mutex::new(Reports::default()),
        }
    }

    /// Records what `source` counts now; names not aggregated and values that are not numbers
    /// are ignored (the previous value stands). A value lower than the previous one means the
    /// source restarted.
    pub(crate) fn report<'a>(&self, source: &str, readings: impl IntoIterator<Item = (&'a str, f64)>) {
        let values: HashMap<&'static str, f64> = readings
            .into_iter()
            .filter_map(|(name, value)| {
                let known = self.aggregated.iter().find(|known| **known == name)?;
                value.is_finite().then_some((*known, value.max(0.0)))
            })
            .collect();
        let mut reports = self.reports.lock();
        let Reports { by_source, retired } = &mut *reports;
        let mut merged = match by_source.remove(source) {
            Some(old)
                if values
                    .iter()
                    .any(|(name, v)| old.values.get(name).is_some_and(|o| v < o)) =>
            {
                retire(retired, old);
                HashMap::new()
            }
            Some(old) => old.values,
            None => HashMap::new(),
        };
        merged.extend(values);
        by_source.insert(
            source.to_string(),
            Source {
                values: merged,
                last: Instant::now(),
            },
        );
        let expired: Vec<String> = by_source
            .iter()
            .filter(|(_, s)| s.last.elapsed() > SOURCE_EXPIRY)
            .map(|(name, _)| name.clone())
            .collect();
        for name in expired {
            if let Some(old) = by_source.remove(&name) {
                retire(retired, old);
            }
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

fn retire(retired: &mut HashMap<&'static str, f64>, source: Source) {
    for (name, value) in source.values {
        *retired.entry(name).or_default() += value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["Worker.BytesReadAlluxio"];

    #[test]
    fn totals_sum_sources_and_survive_restarts() {
        let reports = ClusterReports::new(NAMES);
        reports.report("w1", [("Worker.BytesReadAlluxio", 100.0), ("Worker.Other", 5.0)]);
        reports.report("w2", [("Worker.BytesReadAlluxio", 50.0)]);
        assert_eq!(reports.total("Worker.BytesReadAlluxio"), 150.0);
        assert_eq!(
            reports.total("Worker.Other"),
            0.0,
            "only aggregated names are kept"
        );
        reports.report("w1", [("Worker.BytesReadAlluxio", 120.0)]);
        assert_eq!(reports.total("Worker.BytesReadAlluxio"), 170.0);
        // w1 restarted: its 120 bytes stay counted.
        reports.report("w1", [("Worker.BytesReadAlluxio", 10.0)]);
        assert_eq!(reports.total("Worker.BytesReadAlluxio"), 180.0);
        reports.report("w2", [("Worker.BytesReadAlluxio", f64::NAN)]);
        assert_eq!(
            reports.total("Worker.BytesReadAlluxio"),
            180.0,
            "a NaN changes nothing"
        );
    }
}
