//! The client's metrics (`Client.BytesReadLocal`, ...) and the heartbeat that reports them to the
//! master every `alluxio.user.metrics.heartbeat.interval`, where they are summed into
//! `Cluster.*`.

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alluxio_metrics::{Counter, Metrics, names};
use alluxio_proto::grpc::Metric;

use crate::context::Context;

/// Bytes this client moved, by path.
pub(crate) struct ClientMetrics {
    registry: Metrics,
    /// Read by short-circuit from a worker's files on this host.
    pub(crate) bytes_read_local: Counter,
    /// Read through a worker's data port (from its storage or the UFS).
    pub(crate) bytes_read_remote: Counter,
    /// Written by short-circuit into a worker's files on this host.
    pub(crate) bytes_written_local: Counter,
    /// Written through a worker's data port.
    pub(crate) bytes_written_remote: Counter,
}

impl ClientMetrics {
    pub(crate) fn new() -> Self {
        let registry = Metrics::new();
        let meter = |name: &str, help: &str| registry.meter(name, help);
        Self {
            bytes_read_local: meter(names::CLIENT_BYTES_READ_LOCAL, "Bytes read by short-circuit."),
            bytes_read_remote: meter(names::CLIENT_BYTES_READ_REMOTE, "Bytes read through a worker."),
            bytes_written_local: meter(
                names::CLIENT_BYTES_WRITTEN_LOCAL,
                "Bytes written by short-circuit.",
            ),
            bytes_written_remote: meter(
                names::CLIENT_BYTES_WRITTEN_REMOTE,
                "Bytes written through a worker.",
            ),
            registry,
        }
    }

    fn report(&self) -> Vec<Metric> {
        self.registry.readings().into_iter().map(Metric::from).collect()
    }
}

/// A name for this client that no other client of the cluster shares: host, process, instance.
fn client_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let host = rustix::system::uname().nodename().to_string_lossy().into_owned();
    format!(
        "{host}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Reports the metrics of `ctx` every `interval` until the client is dropped. The task holds
/// the client only while it reads the metrics, and gives each report at most one interval, so a
/// hung master never keeps a dropped client alive.
pub(crate) fn spawn_heartbeat(ctx: Weak<Context>, interval: Duration) {
    let id = client_id();
    let interval = interval.max(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let (master, report) = match ctx.upgrade() {
                Some(ctx) => (ctx.master.clone(), ctx.metrics.report()),
                None => return,
            };
            match tokio::time::timeout(interval, master.metrics_heartbeat(&id, report)).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => {
                    tracing::debug!(error = %err, "metrics heartbeat to the master failed; retrying at the next one")
                }
                Err(_) => {
                    tracing::debug!("metrics heartbeat to the master timed out; retrying at the next one")
                }
            }
        }
    });
}
