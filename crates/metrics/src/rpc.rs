//! RPC latency timers and the tower layer that records them for a tonic server.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus::{Histogram, HistogramOpts, HistogramVec};
use tower::{Layer, Service};

use crate::Counter;
use crate::names::prometheus_name;

/// Label of the timer of methods not named at registration.
const OTHER_METHOD: &str = "other";

/// Bucket bounds in seconds: 50 µs to 10 s.
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// What one method records.
struct MethodMetrics {
    latency: Histogram,
    /// Counted at every call (`Master.CreateFileOps`).
    calls: Option<Counter>,
    /// Counted at every successful call (`Master.FilesCreated`).
    successes: Option<Counter>,
}

/// An RPC method to time, optionally with Alluxio's call and result counters.
pub struct RpcMethod {
    name: &'static str,
    counters: Option<(Counter, Counter)>,
}

impl RpcMethod {
    /// Only timed.
    pub fn timed(name: &'static str) -> Self {
        Self { name, counters: None }
    }

    /// Timed; each call is also counted in `calls` and each success in `successes` (Alluxio's
    /// `*Ops` and result counters, as `Master.CreateFileOps` and `Master.FilesCreated`).
    pub fn counted(name: &'static str, calls: Counter, successes: Counter) -> Self {
        Self {
            name,
            counters: Some((calls, successes)),
        }
    }
}

/// The latency timers of one server's RPC methods. Handles are created at registration, so
/// recording takes no lock.
#[derive(Clone)]
pub struct RpcTimers {
    name: Arc<str>,
    histograms: HistogramVec,
    methods: Arc<HashMap<&'static str, Arc<MethodMetrics>>>,
}

impl RpcTimers {
    pub(crate) fn new(name: &str, help: &str, methods: Vec<RpcMethod>) -> Self {
        let opts = HistogramOpts::new(format!("{}_seconds", prometheus_name(name)), help)
            .buckets(LATENCY_BUCKETS.to_vec());
        let histograms = HistogramVec::new(opts, &["method"]).expect("metric names are valid");
        let methods = methods
            .into_iter()
            .chain([RpcMethod::timed(OTHER_METHOD)])
            .map(|method| {
                let (calls, successes) = method.counters.unzip();
                let metrics = MethodMetrics {
                    latency: histograms.with_label_values(&[method.name]),
                    calls,
                    successes,
                };
                (method.name, Arc::new(metrics))
            })
            .collect();
        Self {
            name: name.into(),
            histograms,
            methods: Arc::new(methods),
        }
    }

    pub(crate) fn histograms(&self) -> HistogramVec {
        self.histograms.clone()
    }

    /// The timer's name (`Master.RpcLatency`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Every method with its latency histogram, by name.
    pub(crate) fn each(&self) -> impl Iterator<Item = (&'static str, &Histogram)> {
        self.methods.iter().map(|(method, m)| (*method, &m.latency))
    }

    fn method(&self, path: &str) -> &Arc<MethodMetrics> {
        let method = path.rsplit('/').next().unwrap_or_default();
        self.methods
            .get(method)
            .or_else(|| self.methods.get(OTHER_METHOD))
            .expect("the other-method timer always exists")
    }
}

impl MethodMetrics {
    fn started(&self) {
        if let Some(calls) = &self.calls {
            calls.inc();
        }
    }

    fn finished(&self, started: Instant, succeeded: bool) {
        self.latency.observe(started.elapsed().as_secs_f64());
        if succeeded && let Some(successes) = &self.successes {
            successes.inc();
        }
    }
}

/// A tower layer that times every gRPC call of a tonic server and counts its outcome.
#[derive(Clone)]
pub struct RpcMetricsLayer {
    timers: RpcTimers,
}

impl RpcMetricsLayer {
    /// Records into `timers`.
    pub fn new(timers: RpcTimers) -> Self {
        Self { timers }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            timers: self.timers.clone(),
        }
    }
}

/// The service [`RpcMetricsLayer`] wraps around a server.
#[derive(Clone)]
pub struct RpcMetricsService<S> {
    inner: S,
    timers: RpcTimers,
}

impl<S, B, R> Service<http::Request<B>> for RpcMetricsService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The method's handles are found once and carried to the end of the call: a call costs
        // one lookup and one reference count, no copy of its path.
        let method = Arc::clone(self.timers.method(request.uri().path()));
        method.started();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            let succeeded = response.as_ref().is_ok_and(|r| grpc_ok(r.headers()));
            method.finished(started, succeeded);
            response
        })
    }
}

/// Whether a gRPC response's headers say it succeeded: a failed unary call carries its
/// `grpc-status` in the headers (trailers-only); a successful one carries it in the trailers.
fn grpc_ok(headers: &http::HeaderMap) -> bool {
    headers
        .get("grpc-status")
        .is_none_or(|status| status.as_bytes() == b"0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Metrics;

    #[test]
    fn methods_are_found_by_the_last_path_segment() {
        let metrics = Metrics::new();
        let calls = metrics.counter("Master.CreateFileOps", "calls");
        let created = metrics.counter("Master.FilesCreated", "successes");
        let timers = metrics.rpc_timers(
            "Master.RpcLatency",
            "latency",
            vec![RpcMethod::counted("CreateFile", calls.clone(), created.clone())],
        );
        let create = timers.method("/alluxio.grpc.FileSystemMasterClientService/CreateFile");
        create.started();
        create.finished(Instant::now(), true);
        create.started();
        create.finished(Instant::now(), false);
        timers.method("/x.Y/Unknown").finished(Instant::now(), true);
        assert_eq!((calls.get(), created.get()), (2, 1));
        let text = metrics.prometheus_text();
        assert!(
            text.contains("master_rpc_latency_seconds_count{method=\"CreateFile\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("master_rpc_latency_seconds_count{method=\"other\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn grpc_status_in_headers_means_failure() {
        let mut headers = http::HeaderMap::new();
        assert!(grpc_ok(&headers));
        headers.insert("grpc-status", http::HeaderValue::from_static("0"));
        assert!(grpc_ok(&headers));
        headers.insert("grpc-status", http::HeaderValue::from_static("5"));
        assert!(!grpc_ok(&headers));
    }
}
