//! Alluxio's metrics system.
//!
//! Each process (master, worker, client, proxy) owns one [`Metrics`] registry. Metrics carry
//! Alluxio's names (`Master.FilesCreated`, `Worker.BytesReadAlluxio`, `Cluster.CapacityUsed`)
//! and kinds (counter, meter, gauge, timer); see [`names`]. The registry is served two ways:
//! - `/metrics/json/`: the JSON of Alluxio's MetricsServlet (Dropwizard's layout: `gauges`,
//!   `counters`, `histograms`, `meters`, `timers`), see [`Metrics::json`];
//! - `/metrics/prometheus/`: the Prometheus text exposition, names in snake case
//!   (`master_files_created_total`, `master_capacity_used_bytes`), see
//!   [`Metrics::prometheus_text`].
//!
//! Recording is lock-free: counters and meters are atomics, RPC timers are histograms whose
//! handles are created once per method ([`RpcTimers`]). Gauges are read when scraped. A
//! sampler ([`Metrics::sample`], run periodically by the process) records every meter and gauge
//! into a time series, from which meter rates and the web UI's throughput charts are drawn.

mod json;
pub mod names;
mod registry;
mod rpc;
mod series;
mod wire;

pub use names::prometheus_name;
pub use registry::{Counter, Kind, Metrics, Reading};
pub use rpc::{RpcMethod, RpcMetricsLayer, RpcTimers};
pub use series::Point;
