//! The worker's web port (`alluxio.worker.web.port`): its web UI (overview, blocks, metrics,
//! logs), Alluxio's worker REST API (`/api/v1/worker/...`) and a health check. Read-only.

mod api;
mod pages;

use std::path::PathBuf;
use std::sync::Arc;

use alluxio_conf::{Configuration, keys};
use alluxio_server::Shutdown;
use alluxio_web::{Common, HttpLimits, Nav};
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::WorkerError;
use crate::context::WorkerContext;
use crate::metrics::CHARTED;

/// The worker UI's pages, in top-bar order.
const LINKS: &[(&str, &str)] = &[
    ("/home", "Overview"),
    ("/blockInfo", "Block Info"),
    ("/metricsui", "Metrics"),
    ("/browseLogs", "Logs"),
];

/// What the worker's pages read.
pub(crate) struct WebState {
    ctx: Arc<WorkerContext>,
    conf: Configuration,
    nav: Nav,
}

type State = axum::extract::State<Arc<WebState>>;

/// Serves the web port on `listener` within `limits` until shutdown.
pub(crate) async fn serve(
    ctx: Arc<WorkerContext>,
    conf: Configuration,
    listener: TcpListener,
    limits: HttpLimits,
    mut shutdown: Shutdown,
) -> Result<(), WorkerError> {
    alluxio_web::serve(listener, router(ctx, conf), limits, async move {
        shutdown.wait().await
    })
    .await
    .map_err(|e| WorkerError::Task {
        task: "web server",
        reason: e.to_string(),
    })
}

fn router(ctx: Arc<WorkerContext>, conf: Configuration) -> Router {
    let nav = Nav {
        title: format!("Alluxio Worker {}:{}", ctx.address.host, ctx.address.rpc_port),
        links: LINKS,
    };
    let common = Common {
        metrics: ctx.metrics.registry.clone(),
        logs_dir: conf.get(keys::LOGS_DIR).map(PathBuf::from).unwrap_or_default(),
        nav: nav.clone(),
        charted: CHARTED,
        process: "worker",
    };
    let state = Arc::new(WebState { ctx, conf, nav });
    Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/health", get(|| async { "OK" }))
        .route("/home", get(pages::overview))
        .route("/blockInfo", get(pages::block_info))
        .merge(api::routes())
        .with_state(state)
        .merge(alluxio_web::common_routes(common))
}
