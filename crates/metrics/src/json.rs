//! The JSON of Alluxio's MetricsServlet (`/metrics/json/`): Dropwizard's registry layout.

use std::time::Duration;

use prometheus::core::Metric;
use serde_json::{Map, Value, json};

use crate::registry::{Entry, Kind};
use crate::{Metrics, RpcTimers};

/// Dropwizard's quantiles of a timer, with their JSON keys.
const QUANTILES: [(&str, f64); 6] = [
    ("p50", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
    ("p98", 0.98),
    ("p99", 0.99),
    ("p999", 0.999),
];

pub(crate) fn render(entries: &[Entry], metrics: &Metrics) -> Value {
    let (mut gauges, mut counters, mut meters, mut timers) = (Map::new(), Map::new(), Map::new(), Map::new());
    let uptime = metrics.uptime().as_secs_f64().max(f64::EPSILON);
    for entry in entries {
        match entry {
            Entry::Count {
                name,
                kind: Kind::Meter,
                counter,
            } => {
                let count = counter.get() as f64;
                let rate = |minutes: u64| metrics.rate(name, count, Duration::from_secs(60 * minutes));
                meters.insert(
                    name.clone(),
                    json!({
                        "count": counter.get(),
                        "m1_rate": rate(1),
                        "m5_rate": rate(5),
                        "m15_rate": rate(15),
                        "mean_rate": count / uptime,
                        "units": "events/second",
                    }),
                );
            }
            Entry::Count { name, counter, .. } => {
                counters.insert(name.clone(), json!({ "count": counter.get() }));
            }
            Entry::Gauge { name, read, .. } => {
                gauges.insert(name.clone(), json!({ "value": read() }));
            }
            Entry::CountFn { name, read, .. } => {
                counters.insert(name.clone(), json!({ "count": read() }));
            }
            Entry::Timers(rpc) => timer_entries(rpc, uptime, &mut timers),
        }
    }
    json!({
        "version": "4.0.0",
        "gauges": gauges,
        "counters": counters,
        "histograms": {},
        "meters": meters,
        "timers": timers,
    })
}

/// One timer per method that was called (`Master.RpcLatency.GetStatus`), in milliseconds.
fn timer_entries(rpc: &RpcTimers, uptime: f64, out: &mut Map<String, Value>) {
    for (method, histogram) in rpc.each() {
        let snapshot = histogram.metric();
        let h = snapshot.get_histogram();
        let count = h.get_sample_count();
        if count == 0 {
            continue;
        }
        let bounds: Vec<(f64, u64)> = h
            .get_bucket()
            .iter()
            .map(|b| (b.upper_bound(), b.cumulative_count()))
            .collect();
        let mut timer = Map::new();
        timer.insert("count".into(), json!(count));
        timer.insert("mean".into(), json!(h.get_sample_sum() / count as f64 * 1000.0));
        for (key, q) in QUANTILES {
            timer.insert(key.into(), json!(quantile(&bounds, count, q) * 1000.0));
        }
        timer.insert("mean_rate".into(), json!(count as f64 / uptime));
        timer.insert("duration_units".into(), json!("milliseconds"));
        timer.insert("rate_units".into(), json!("calls/second"));
        out.insert(format!("{}.{method}", rpc.name()), Value::Object(timer));
    }
}

/// The `q` quantile of a histogram given as (upper bound, cumulative count) buckets,
/// interpolated linearly inside the bucket it falls in.
fn quantile(buckets: &[(f64, u64)], count: u64, q: f64) -> f64 {
    let rank = q * count as f64;
    let mut lower = (0.0, 0u64);
    for &(bound, cumulative) in buckets {
        if cumulative as f64 >= rank {
            let in_bucket = (cumulative - lower.1) as f64;
            let fraction = if in_bucket > 0.0 {
                (rank - lower.1 as f64) / in_bucket
            } else {
                1.0
            };
            return lower.0 + (bound - lower.0) * fraction;
        }
        lower = (bound, cumulative);
    }
    // Above the last finite bound: that bound is the best estimate.
    lower.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_buckets() {
        let buckets = [(1.0, 0), (2.0, 10), (4.0, 20)];
        assert_eq!(quantile(&buckets, 20, 0.25), 1.5);
        assert_eq!(quantile(&buckets, 20, 0.5), 2.0);
        assert_eq!(quantile(&buckets, 20, 1.0), 4.0);
        assert_eq!(quantile(&buckets, 25, 1.0), 4.0, "past the last bucket");
    }

    #[test]
    fn json_has_the_servlet_layout() {
        let metrics = Metrics::new();
        metrics.counter("Master.FilesCreated", "c").add(2);
        metrics.meter("Worker.BytesReadAlluxio", "m").add(10);
        metrics.gauge("Master.TotalPaths", "g", || 3.0);
        let timers = metrics.rpc_timers(
            "Master.RpcLatency",
            "t",
            vec![crate::RpcMethod::timed("GetStatus")],
        );
        timers.each().for_each(|(method, h)| {
            if method == "GetStatus" {
                h.observe(0.002);
            }
        });
        let json = metrics.json();
        assert_eq!(json["version"], "4.0.0");
        assert_eq!(json["counters"]["Master.FilesCreated"]["count"], 2);
        assert_eq!(json["meters"]["Worker.BytesReadAlluxio"]["count"], 10);
        assert_eq!(
            json["meters"]["Worker.BytesReadAlluxio"]["units"],
            "events/second"
        );
        assert_eq!(json["gauges"]["Master.TotalPaths"]["value"], 3.0);
        let timer = &json["timers"]["Master.RpcLatency.GetStatus"];
        assert_eq!(timer["count"], 1);
        assert_eq!(timer["duration_units"], "milliseconds");
        let p50 = timer["p50"].as_f64().unwrap();
        assert!(p50 > 1.0 && p50 <= 2.5, "{p50}");
        assert!(
            json["timers"].get("Master.RpcLatency.other").is_none(),
            "uncalled timers are left out"
        );
        assert!(json["histograms"].as_object().unwrap().is_empty());
    }
}
