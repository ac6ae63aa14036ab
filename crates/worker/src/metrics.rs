//! The worker's metrics: bytes in and out of its storage and the UFS, block counts, capacity,
//! and RPC latency. Counters are reported to the master in every heartbeat.

use alluxio_metrics::names;
use alluxio_metrics::{Counter, Metrics, RpcMethod, RpcMetricsLayer, RpcTimers};
use alluxio_proto::grpc::Metric;

use crate::store::BlockStore;

/// Meters the worker's metrics page draws as throughput charts.
pub(crate) const CHARTED: &[&str] = &[
    names::WORKER_BYTES_READ_ALLUXIO,
    names::WORKER_BYTES_WRITTEN_ALLUXIO,
    names::WORKER_BYTES_READ_UFS,
];

/// What the worker counts, with the registry serving them.
pub(crate) struct WorkerMetrics {
    pub registry: Metrics,
    /// Bytes sent from this worker's storage over its data port.
    pub bytes_read_alluxio: Counter,
    /// Bytes of blocks committed into this worker's storage (written, local or cached from the UFS).
    pub bytes_written_alluxio: Counter,
    /// Bytes read from under storage.
    pub bytes_read_ufs: Counter,
    /// Bytes written to under storage by persistence.
    pub bytes_written_ufs: Counter,
    /// Blocks read (over the data port or opened for short-circuit reads).
    pub blocks_accessed: Counter,
    timers: RpcTimers,
}

impl WorkerMetrics {
    /// Registers every worker metric; gauges read `store` when scraped (0 once it is closed).
    pub(crate) fn new(store: &BlockStore) -> Self {
        let registry = Metrics::new();
        let meter = |name: &str, help: &str| registry.meter(name, help);
        let metrics = Self {
            bytes_read_alluxio: meter(
                names::WORKER_BYTES_READ_ALLUXIO,
                "Bytes read from this worker's storage.",
            ),
            bytes_written_alluxio: meter(
                names::WORKER_BYTES_WRITTEN_ALLUXIO,
                "Bytes written into this worker's storage.",
            ),
            bytes_read_ufs: meter(names::WORKER_BYTES_READ_UFS, "Bytes read from under storage."),
            bytes_written_ufs: meter(names::WORKER_BYTES_WRITTEN_UFS, "Bytes written to under storage."),
            blocks_accessed: registry.counter(names::WORKER_BLOCKS_ACCESSED, "Blocks read."),
            timers: registry.rpc_timers(
                names::WORKER_RPC_LATENCY,
                "Latency of the worker's RPCs.",
                vec![RpcMethod::timed("GetStatus"), RpcMethod::timed("RemoveBlock")],
            ),
            registry,
        };
        // Weak handles: a worker that stops must not wait for its metrics to let the store go.
        let evictions = store.downgrade();
        metrics.registry.counter_fn(
            names::WORKER_BLOCKS_EVICTED,
            "Blocks evicted from a tier.",
            move || evictions.upgrade().map_or(0, |store| store.blocks_evicted()),
        );
        let gauge = |name: &str, help: &str, read: fn(&BlockStore) -> u64| {
            let store = store.downgrade();
            metrics.registry.gauge(name, help, move || {
                store.upgrade().map_or(0, |store| read(&store)) as f64
            });
        };
        gauge(
            names::WORKER_BLOCKS_CACHED,
            "Blocks held.",
            BlockStore::block_count,
        );
        gauge(names::WORKER_CAPACITY_TOTAL, "Capacity of all tiers.", |store| {
            store.usage().iter().map(|t| t.capacity).sum()
        });
        gauge(names::WORKER_CAPACITY_USED, "Bytes used on all tiers.", |store| {
            store.usage().iter().map(|t| t.used).sum()
        });
        gauge(names::WORKER_CAPACITY_FREE, "Bytes free on all tiers.", |store| {
            store
                .usage()
                .iter()
                .map(|t| t.capacity.saturating_sub(t.used))
                .sum()
        });
        metrics
    }

    /// The layer that times the RPC server's calls.
    pub(crate) fn rpc_layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer::new(self.timers.clone())
    }

    /// Every counter and gauge, for the heartbeat.
    pub(crate) fn report(&self) -> Vec<Metric> {
        self.registry.readings().into_iter().map(Metric::from).collect()
    }
}
