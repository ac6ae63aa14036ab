//! The master's web port (`alluxio.master.web.port`): the web UI, the JSON REST API of Alluxio
//! (`/api/v1/master/...`), the metrics and a health check. Read-only: no page changes the
//! cluster.

mod api;
mod browse;
mod cached;
mod overview;
mod settings;
mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use alluxio_conf::keys;
use alluxio_web::{Common, Nav};
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::MasterInfoSource;
use crate::metrics::CHARTED;

/// The master UI's pages, in top-bar order.
const LINKS: &[(&str, &str)] = &[
    ("/home", "Overview"),
    ("/browse", "Browse"),
    ("/memory", "In-Alluxio Files"),
    ("/workers", "Workers"),
    ("/mounts", "Mounts"),
    ("/configuration", "Configuration"),
    ("/metricsui", "Metrics"),
    ("/browseLogs", "Logs"),
];

/// What the master's pages read.
pub(crate) struct WebState {
    pub(crate) info: Arc<MasterInfoSource>,
    pub(crate) nav: Nav,
    /// A client of this master, for file contents (connected on first use).
    reader: tokio::sync::OnceCell<alluxio_client::FileSystem>,
}

type State = axum::extract::State<Arc<WebState>>;

/// Every route of the web port; anything else is 404.
pub fn router(info: Arc<MasterInfoSource>) -> Router {
    let nav = Nav {
        title: format!("Alluxio Master {}", info.rpc_address),
        links: LINKS,
    };
    let logs_dir = info
        .conf
        .get(keys::LOGS_DIR)
        .map(PathBuf::from)
        .unwrap_or_default();
    let common = Common {
        metrics: info.metrics.registry.clone(),
        logs_dir,
        nav: nav.clone(),
        charted: CHARTED,
        process: "master",
    };
    let state = Arc::new(WebState {
        info,
        nav,
        reader: tokio::sync::OnceCell::new(),
    });
    Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/health", get(|| async { "OK" }))
        .route("/home", get(overview::show))
        .route("/browse", get(browse::show))
        .route("/download", get(browse::download))
        .route("/memory", get(cached::show))
        .route("/workers", get(workers::show))
        .route("/mounts", get(settings::mounts))
        .route("/configuration", get(settings::configuration))
        .merge(api::routes())
        .with_state(state)
        .merge(alluxio_web::common_routes(common))
}
