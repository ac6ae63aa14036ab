//! The Alluxio proxy (`alluxio proxy`, port 39999): Alluxio's REST API v1 (`/api/v1/paths`,
//! `/api/v1/streams`) and an S3 API (`/api/v1/s3/`, and optionally at the root of a port of its
//! own), both served over the ordinary client, so a proxy on a worker's host reads and writes
//! short-circuit like any other client there.
//!
//! Files stream through in both directions: a request body is written to Alluxio as it arrives
//! and a file is sent as it is read, so memory use does not grow with file size.

mod rest;
mod s3;

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use alluxio_client::{ClientError, FileSystem};
use alluxio_conf::{ConfError, Configuration, keys};
use alluxio_server::{BindError, Shutdown, ShutdownSender};
use alluxio_web::HttpLimits;
use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Why the proxy could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A property is missing or malformed.
    #[error(transparent)]
    Conf(#[from] ConfError),
    /// A port could not be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// The client underneath could not be set up.
    #[error("cannot set up the proxy's Alluxio client: {0}")]
    Client(#[from] ClientError),
    /// The S3 credentials could not be loaded.
    #[error("{0}")]
    Credentials(String),
    /// A server task ended abnormally.
    #[error("the proxy's {what} failed: {message}")]
    Server {
        /// Which server.
        what: &'static str,
        /// What happened.
        message: String,
    },
}

/// Why a request failed, attached to its response so that one log line names the cause.
#[derive(Debug, Clone)]
pub(crate) struct FailureCause(pub(crate) String);

/// When the proxy started, for `/api/v1/proxy/info`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started {
    pub(crate) at: Instant,
    pub(crate) epoch_ms: i64,
}

/// A running proxy; [`RunningProxy::shutdown`] stops it.
pub struct RunningProxy {
    web_addr: SocketAddr,
    s3_addr: Option<SocketAddr>,
    stop: ShutdownSender,
    tasks: Vec<(&'static str, JoinHandle<Result<(), std::io::Error>>)>,
    sweeper: JoinHandle<()>,
}

impl RunningProxy {
    /// The address the web port (REST API and `/api/v1/s3`) bound.
    pub fn web_addr(&self) -> SocketAddr {
        self.web_addr
    }

    /// The address of the S3-only port, when `alluxio.proxy.s3.port` is set.
    pub fn s3_addr(&self) -> Option<SocketAddr> {
        self.s3_addr
    }

    /// Stops accepting requests, lets those under way finish, closes the open streams and ends.
    pub async fn shutdown(self) -> Result<(), ProxyError> {
        self.stop.stop();
        let mut first_error = None;
        for (what, task) in self.tasks {
            let outcome = match task.await {
                Ok(Ok(())) => continue,
                Ok(Err(err)) => err.to_string(),
                Err(err) => err.to_string(),
            };
            first_error.get_or_insert(ProxyError::Server {
                what,
                message: outcome,
            });
        }
        // The sweeper ends with the stop signal; it closed the streams left open on its way out.
        let _ = self.sweeper.await;
        first_error.map_or(Ok(()), Err)
    }
}

/// Starts the proxy: connects the client, binds the web port (and the S3 port if set) and
/// serves until [`RunningProxy::shutdown`].
pub async fn start(conf: Configuration) -> Result<RunningProxy, ProxyError> {
    let fs = FileSystem::connect(conf.clone()).await?;
    let started = Started {
        at: Instant::now(),
        epoch_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    };
    let (stop, shutdown) = Shutdown::channel();
    let streams = rest::Streams::new(conf.get_duration(keys::PROXY_STREAM_CACHE_TIMEOUT)?);
    let sweeper = streams.spawn_sweeper(shutdown.clone());
    let gateway = s3::S3Gateway::new(fs.clone(), &conf)?;
    let limits = HttpLimits::from_conf(&conf)?;

    let host = conf.get(keys::PROXY_WEB_BIND_HOST)?;
    let web = alluxio_server::bind("proxy web", &host, conf.get_port(keys::PROXY_WEB_PORT)?).await?;
    let web_addr = web.local_addr().map_err(|source| BindError {
        what: "proxy web",
        address: host.clone(),
        source,
    })?;
    let web_app = Router::new()
        .route("/health", get(|| async { "OK" }))
        .merge(rest::router(rest::RestState::new(
            fs,
            conf.clone(),
            streams,
            started,
        )))
        .merge(gateway.prefixed_router());
    let mut tasks = vec![("web server", serve(web, web_app, limits, shutdown.clone()))];

    let mut s3_addr = None;
    if conf.is_set(keys::PROXY_S3_PORT) {
        let listener = alluxio_server::bind("proxy S3", &host, conf.get_port(keys::PROXY_S3_PORT)?).await?;
        s3_addr = Some(listener.local_addr().map_err(|source| BindError {
            what: "proxy S3",
            address: host.clone(),
            source,
        })?);
        tasks.push((
            "S3 server",
            serve(listener, gateway.root_router(), limits, shutdown.clone()),
        ));
    }
    tracing::info!(%web_addr, ?s3_addr, "proxy serving");
    Ok(RunningProxy {
        web_addr,
        s3_addr,
        stop,
        tasks,
        sweeper,
    })
}

/// Serves `app` on `listener` within `limits` until `shutdown`, logging each failed request once.
fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    mut shutdown: Shutdown,
) -> JoinHandle<Result<(), std::io::Error>> {
    let app = app.layer(axum::middleware::from_fn(log_failure));
    tokio::spawn(alluxio_web::serve(listener, app, limits, async move {
        shutdown.wait().await
    }))
}

/// One WARN line per request answered with an error status, naming its cause.
async fn log_failure(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let cause = response
            .extensions()
            .get::<FailureCause>()
            .map_or("", |cause| cause.0.as_str());
        tracing::warn!(%method, %uri, status = status.as_u16(), cause, "proxy request failed");
    }
    response
}
