//! What the master's and workers' web UIs share.
//!
//! Pages are rendered on the server with [maud]: templates are Rust, checked at compile time,
//! and every interpolated value is HTML-escaped. One small style sheet, no script. Each process
//! builds its own pages and merges [`common_routes`]: the style sheet, the metrics in JSON and
//! Prometheus form, the metrics page, the log browser and the log-level endpoint.

mod api;
mod chart;
mod layout;
mod log_level;
mod logs;
mod metrics_pages;
mod paging;
mod serve;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

use alluxio_metrics::Metrics;
use axum::Router;
use axum::http::header;
use axum::routing::get;

pub use api::{configuration_map, metrics_map};
pub use chart::throughput_chart;
pub use layout::{Nav, page};
pub use log_level::{LogLevelControl, install_log_level_control};
pub use paging::Paging;
pub use serve::{HttpLimits, serve};
pub use widgets::{TierRow, bytes, date, duration, link, percent, tier_table, usage_bar};

/// The style sheet every page links.
pub const CSS_PATH: &str = "/static/alluxio.css";
const CSS: &str = include_str!("../assets/alluxio.css");

/// What the shared routes of one process serve.
#[derive(Clone)]
pub struct Common {
    /// The process's metrics.
    pub metrics: Metrics,
    /// `alluxio.logs.dir`.
    pub logs_dir: PathBuf,
    /// The process's top bar.
    pub nav: Nav,
    /// Meters drawn as throughput charts on the metrics page.
    pub charted: &'static [&'static str],
    /// `master` or `worker`: the log-level endpoint is `/api/v1/<process>/log_level`.
    pub process: &'static str,
}

/// The routes every web port serves: the style sheet, `/metrics/json/`, `/metrics/prometheus/`,
/// `/metricsui`, `/browseLogs`, `/downloadLogFile` and `/api/v1/<process>/log_level`.
pub fn common_routes<S>(common: Common) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let log_level = format!("/api/v1/{}/log_level", common.process);
    Router::new()
        .route(
            CSS_PATH,
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }),
        )
        .route("/metrics/json/", get(metrics_pages::json))
        .route("/metrics/json", get(metrics_pages::json))
        .route("/metrics/prometheus/", get(metrics_pages::prometheus))
        .route("/metrics/prometheus", get(metrics_pages::prometheus))
        .route("/metricsui", get(metrics_pages::page))
        .route("/browseLogs", get(logs::browse))
        .route("/downloadLogFile", get(logs::download))
        .route(&log_level, axum::routing::post(log_level::handle))
        .with_state(Arc::new(common))
}
