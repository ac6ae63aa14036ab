//! The HTTP server of every web port (master and worker web UIs, the proxy's REST and S3
//! ports): axum's router behind hyper, with the limits a port open to a network needs. At most
//! `alluxio.web.connections.max` connections are served at once (more wait in the listen
//! backlog), and a request whose head has not fully arrived within
//! `alluxio.web.header.read.timeout` closes its connection, so a slow-header (slowloris) client,
//! or one that connects and sends nothing, cannot hold one for ever; an idle keep-alive
//! connection is closed after the same time. HTTP/1 only: browsers, the S3 tools and the REST
//! client speak it over plain TCP, and a connection waiting to be told which protocol it speaks
//! would have no timeout.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::{ConfError, Configuration, keys, parse_duration};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Longest pause between failed accepts (the process out of descriptors).
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// What one web port allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest a request head may take to arrive, and a connection may sit idle between requests.
    pub header_read_timeout: Duration,
}

impl HttpLimits {
    /// `alluxio.web.connections.max` and `alluxio.web.header.read.timeout`.
    pub fn from_conf(conf: &Configuration) -> Result<Self, ConfError> {
        let max_connections = conf.get_positive_usize(keys::WEB_CONNECTIONS_MAX)?;
        let header_read_timeout = conf.get_parsed(keys::WEB_HEADER_READ_TIMEOUT, |text| {
            parse_duration(text)
                .ok()
                .filter(|timeout| !timeout.is_zero())
                .ok_or("a duration above 0, such as 10sec")
        })?;
        Ok(Self {
            max_connections,
            header_read_timeout,
        })
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut pause = Duration::from_millis(10);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "web server accept failed");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                    continue;
                }
            },
        };
        pause = Duration::from_millis(10);
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let served = graceful.watch(connection);
        tokio::spawn(async move {
            // A peer that breaks the protocol or times out just loses its connection.
            if let Err(e) = served.await {
                tracing::trace!(error = %e, "web connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn server(limits: HttpLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    async fn get_root(addr: std::net::SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn a_head_that_never_ends_loses_its_connection() {
        let limits = HttpLimits {
            max_connections: 16,
            header_read_timeout: Duration::from_millis(300),
        };
        let (addr, _stop) = server(limits).await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let started = std::time::Instant::now();
        let mut rest = Vec::new();
        // A header line now and then does not keep it open.
        let trickle = async {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = trickle => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => panic!("the slow client is still connected"),
        }
        let _ = slow.read_to_end(&mut rest).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "closed after {:?}",
            started.elapsed()
        );
        assert!(get_root(addr).await.ends_with("ok"));
        // Nor does sending nothing at all.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(3), silent.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "a connection that sent nothing is still open");
    }

    #[tokio::test]
    async fn connections_beyond_the_limit_wait_for_a_free_one() {
        let limits = HttpLimits {
            max_connections: 2,
            header_read_timeout: Duration::from_secs(30),
        };
        let (addr, _stop) = server(limits).await;
        let held: Vec<TcpStream> = held_connections(addr, 2).await;
        let waiting = tokio::spawn(get_root(addr));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "a third connection was served while two were held"
        );
        drop(held);
        let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert!(answer.ends_with("ok"), "{answer}");
    }

    /// `count` connections, each with a request head begun, so the server holds them.
    async fn held_connections(addr: std::net::SocketAddr, count: usize) -> Vec<TcpStream> {
        let mut held = Vec::new();
        for _ in 0..count {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            held.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        held
    }

    #[test]
    fn limits_come_from_the_configuration_and_refuse_zero() {
        let conf = Configuration::defaults();
        let limits = HttpLimits::from_conf(&conf).unwrap();
        assert_eq!(limits.max_connections, 4096);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
        let mut zero = Configuration::defaults();
        zero.set(keys::WEB_CONNECTIONS_MAX, "0");
        let err = HttpLimits::from_conf(&zero).unwrap_err().to_string();
        assert!(err.contains(keys::WEB_CONNECTIONS_MAX), "{err}");
        let mut zero = Configuration::defaults();
        zero.set(keys::WEB_HEADER_READ_TIMEOUT, "0");
        let err = HttpLimits::from_conf(&zero).unwrap_err().to_string();
        assert!(err.contains(keys::WEB_HEADER_READ_TIMEOUT), "{err}");
    }
}
