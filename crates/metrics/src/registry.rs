//! The registry of one process's metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use prometheus::{Encoder, IntCounter, Opts, TextEncoder};
use serde::{Deserialize, Serialize};

use crate::names::{prometheus_gauge_name, prometheus_name};
use crate::rpc::{RpcMethod, RpcTimers};
use crate::series::{Point, Series};

/// What a metric measures, as Alluxio (Dropwizard) classifies it (timers are read through
/// [`Metrics::json`] and [`Metrics::prometheus_text`] only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A count that only grows.
    Counter,
    /// A count whose rate matters (bytes read).
    Meter,
    /// A value read when asked (capacity, paths, cluster totals).
    Gauge,
}

/// A counter or meter; cloning shares it. Incrementing is one atomic add.
#[derive(Clone)]
pub struct Counter(IntCounter);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.inc();
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.inc_by(n);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

/// One metric's current value, as reported to the master or printed by `fsadmin report metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Alluxio's name (`Worker.BytesReadAlluxio`).
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its value.
    pub value: f64,
}

type ReadFn = Box<dyn Fn() -> f64 + Send + Sync>;

/// A registered metric.
pub(crate) enum Entry {
    Count {
        name: String,
        kind: Kind,
        counter: Counter,
    },
    Gauge {
        name: String,
        /// What Prometheus is shown; set from `read` at each scrape.
        exported: prometheus::Gauge,
        read: ReadFn,
    },
    /// A counter kept elsewhere (by the block store, say) and read when scraped.
    CountFn {
        name: String,
        /// What Prometheus is shown; brought up to `read` at each scrape.
        exported: IntCounter,
        read: ReadFn,
    },
    Timers(RpcTimers),
}

struct Inner {
    registry: prometheus::Registry,
    entries: RwLock<Vec<Entry>>,
    /// One scrape at a time: bringing a [`Entry::CountFn`] up to date is a read then an add.
    scrape: Mutex<()>,
    series: Series,
    started: Instant,
}

/// The metrics of one process. Cloning shares the registry.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// How long time series keep their samples.
const SERIES_KEPT: Duration = Duration::from_secs(3600);

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                registry: prometheus::Registry::new(),
                entries: RwLock::new(Vec::new()),
                scrape: Mutex::new(()),
                series: Series::new(SERIES_KEPT),
                started: Instant::now(),
            }),
        }
    }

    /// Registers a counter called `name` (`Master.FilesCreated`).
    ///
    /// # Panics
    /// When `name` is registered twice: names are constants, so that is a programming error.
    pub fn counter(&self, name: &str, help: &str) -> Counter {
        self.count(name, help, Kind::Counter)
    }

    /// Registers a meter: a counter whose rate is sampled for charts and `m1_rate` etc.
    pub fn meter(&self, name: &str, help: &str) -> Counter {
        self.count(name, help, Kind::Meter)
    }

    fn count(&self, name: &str, help: &str, kind: Kind) -> Counter {
        let counter = IntCounter::with_opts(Opts::new(format!("{}_total", prometheus_name(name)), help))
            .expect("metric names are valid");
        self.register(Box::new(counter.clone()), name);
        let counter = Counter(counter);
        self.inner.entries.write().push(Entry::Count {
            name: name.to_string(),
            kind,
            counter: counter.clone(),
        });
        counter
    }

    /// Registers a gauge whose value `read` returns when the metrics are scraped.
    pub fn gauge(&self, name: &str, help: &str, read: impl Fn() -> f64 + Send + Sync + 'static) {
        let exported = prometheus::Gauge::with_opts(Opts::new(prometheus_gauge_name(name), help))
            .expect("metric names are valid");
        self.register(Box::new(exported.clone()), name);
        self.inner.entries.write().push(Entry::Gauge {
            name: name.to_string(),
            exported,
            read: Box::new(read),
        });
    }

    /// Registers a counter kept by someone else, whose count `read` returns when scraped.
    pub fn counter_fn(&self, name: &str, help: &str, read: impl Fn() -> u64 + Send + Sync + 'static) {
        let exported = IntCounter::with_opts(Opts::new(format!("{}_total", prometheus_name(name)), help))
            .expect("metric names are valid");
        self.register(Box::new(exported.clone()), name);
        self.inner.entries.write().push(Entry::CountFn {
            name: name.to_string(),
            exported,
            read: Box::new(move || read() as f64),
        });
    }

    /// Registers latency timers called `name`, one per RPC method in `methods` (and one for
    /// any other method), exported as a Prometheus histogram labelled by method.
    pub fn rpc_timers(&self, name: &str, help: &str, methods: Vec<RpcMethod>) -> RpcTimers {
        let timers = RpcTimers::new(name, help, methods);
        self.register(Box::new(timers.histograms()), name);
        self.inner.entries.write().push(Entry::Timers(timers.clone()));
        timers
    }

    fn register(&self, collector: Box<dyn prometheus::core::Collector>, name: &str) {
        if let Err(err) = self.inner.registry.register(collector) {
            panic!("metric {name} cannot be registered: {err}");
        }
    }

    /// Every counter, meter and gauge with its current value, in registration order.
    pub fn readings(&self) -> Vec<Reading> {
        self.inner
            .entries
            .read()
            .iter()
            .filter_map(|entry| match entry {
                Entry::Count { name, kind, counter } => Some(Reading {
                    name: name.clone(),
                    kind: *kind,
                    value: counter.get() as f64,
                }),
                Entry::Gauge { name, read, .. } => Some(Reading {
                    name: name.clone(),
                    kind: Kind::Gauge,
                    value: read(),
                }),
                Entry::CountFn { name, read, .. } => Some(Reading {
                    name: name.clone(),
                    kind: Kind::Counter,
                    value: read(),
                }),
                Entry::Timers(_) => None,
            })
            .collect()
    }

    /// The Prometheus text exposition of every metric.
    pub fn prometheus_text(&self) -> String {
        let _one_scrape = self.inner.scrape.lock();
        for entry in self.inner.entries.read().iter() {
            match entry {
                Entry::Gauge { exported, read, .. } => exported.set(read()),
                Entry::CountFn { exported, read, .. } => {
                    let (now, shown) = (read() as u64, exported.get());
                    if now > shown {
                        exported.inc_by(now - shown);
                    }
                }
                Entry::Count { .. } | Entry::Timers(_) => {}
            }
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.inner.registry.gather(), &mut out)
            .expect("the text encoder writes to memory");
        String::from_utf8(out).expect("the text encoder writes UTF-8")
    }

    /// The MetricsServlet JSON of every metric.
    pub fn json(&self) -> serde_json::Value {
        crate::json::render(&self.inner.entries.read(), self)
    }

    /// Records the current value of every meter and gauge in its time series; the process
    /// calls this every sampling interval.
    pub fn sample(&self) {
        for entry in self.inner.entries.read().iter() {
            match entry {
                Entry::Count {
                    name,
                    kind: Kind::Meter,
                    counter,
                } => self.inner.series.record(name, counter.get() as f64),
                Entry::Gauge { name, read, .. } => self.inner.series.record(name, read()),
                Entry::Count { .. } | Entry::CountFn { .. } | Entry::Timers(_) => {}
            }
        }
    }

    /// The sampled values of meter or gauge `name`, oldest first.
    pub fn series(&self, name: &str) -> Vec<Point> {
        self.inner.series.points(name)
    }

    /// Events per second of meter `name` over the last `window`, from its samples.
    pub(crate) fn rate(&self, name: &str, current: f64, window: Duration) -> f64 {
        self.inner.series.rate(name, current, window)
    }

    /// How long this registry has existed.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_follow_counters_and_gauges() {
        let metrics = Metrics::new();
        let created = metrics.counter("Master.FilesCreated", "Files created.");
        metrics.gauge("Master.TotalPaths", "Paths.", || 7.0);
        created.add(3);
        let readings = metrics.readings();
        assert_eq!(readings.len(), 2);
        assert_eq!(readings[0].name, "Master.FilesCreated");
        assert_eq!(readings[0].value, 3.0);
        assert_eq!(readings[1].kind, Kind::Gauge);
        assert_eq!(readings[1].value, 7.0);
    }

    #[test]
    fn prometheus_text_has_snake_case_names_help_and_types() {
        let metrics = Metrics::new();
        metrics.counter("Master.FilesCreated", "Files created.").add(2);
        metrics.gauge("Master.CapacityUsed", "Bytes used.", || 42.0);
        let text = metrics.prometheus_text();
        assert!(
            text.contains("# HELP master_files_created_total Files created.\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE master_files_created_total counter\n"),
            "{text}"
        );
        assert!(text.contains("master_files_created_total 2\n"), "{text}");
        assert!(
            text.contains("# TYPE master_capacity_used_bytes gauge\nmaster_capacity_used_bytes 42\n"),
            "{text}"
        );
    }

    #[test]
    fn counters_kept_elsewhere_are_read_when_scraped() {
        let metrics = Metrics::new();
        let kept = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(5));
        let source = kept.clone();
        metrics.counter_fn("Worker.BlocksEvicted", "Evicted.", move || {
            source.load(std::sync::atomic::Ordering::Relaxed)
        });
        assert!(
            metrics
                .prometheus_text()
                .contains("worker_blocks_evicted_total 5\n")
        );
        kept.store(9, std::sync::atomic::Ordering::Relaxed);
        assert!(
            metrics
                .prometheus_text()
                .contains("worker_blocks_evicted_total 9\n")
        );
        assert_eq!(metrics.readings()[0].kind, Kind::Counter);
        assert_eq!(metrics.json()["counters"]["Worker.BlocksEvicted"]["count"], 9.0);
    }

    #[test]
    fn concurrent_scrapes_export_a_kept_counter_once() {
        let metrics = Metrics::new();
        metrics.counter_fn("Worker.BlocksEvicted", "Evicted.", || 1000);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        metrics.prometheus_text();
                    }
                });
            }
        });
        assert!(
            metrics
                .prometheus_text()
                .contains("worker_blocks_evicted_total 1000\n")
        );
    }

    #[test]
    #[should_panic(expected = "cannot be registered")]
    fn a_name_registered_twice_is_a_programming_error() {
        let metrics = Metrics::new();
        metrics.counter("Worker.BlocksEvicted", "a");
        metrics.counter("Worker.BlocksEvicted", "b");
    }
}
