//! The plumbing every Alluxio server shares, written once: binding a listener with an error that
//! says what and where ([`bind`]), the stop signal all of one server's tasks listen to
//! ([`Shutdown`]), a periodic task that ends with it ([`every`]), making a rename or creation in
//! a directory durable ([`sync_dir`]), the exponential backoff of every retry loop
//! ([`Backoff`]), and the gRPC server of every port, with its limits ([`RpcLimits::serve`]) and
//! the routing of its calls to its services ([`GrpcRoutes`]).
//!
//! It depends on no other Alluxio crate, so any of them can use it; callers map its errors into
//! their own error types.

mod backoff;
mod rpc_incoming;
mod rpc_routes;
mod rpc_server;

pub use backoff::{Backoff, Pauses};
pub use rpc_incoming::RpcLimits;
pub use rpc_routes::GrpcRoutes;
pub use rpc_server::{GrpcService, RecvBody, keep_alive};

use std::path::Path;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A listener could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot bind {what} to {address}: {source}")]
pub struct BindError {
    /// Which server, e.g. "master RPC".
    pub what: &'static str,
    /// The address asked for, as `host:port`.
    pub address: String,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// Binds a TCP listener on `host:port` (port 0 picks a free one); the error names `what` and the
/// address so a port in use is easy to find.
pub async fn bind(what: &'static str, host: &str, port: u16) -> Result<TcpListener, BindError> {
    TcpListener::bind((host, port)).await.map_err(|source| BindError {
        what,
        address: format!("{host}:{port}"),
        source,
    })
}

/// Requests the stop of every task holding a [`Shutdown`] made from it. Dropping it also counts
/// as a stop, so tasks never outlive the handle that owns them.
#[derive(Debug)]
pub struct ShutdownSender(watch::Sender<bool>);

impl ShutdownSender {
    /// Asks every task to stop; waiters wake even if none is listening yet or any more.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Another receiver of this signal.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

/// The stop signal one server's tasks listen to; clone it for each task.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A new signal: the sender that requests the stop and a first receiver.
    pub fn channel() -> (ShutdownSender, Shutdown) {
        let (sender, receiver) = watch::channel(false);
        (ShutdownSender(sender), Shutdown(receiver))
    }

    /// Resolves once the stop was requested or the [`ShutdownSender`] is gone; at once if that
    /// already happened. Cancel-safe, so it can stand in a `select!` loop.
    pub async fn wait(&mut self) {
        // An error means the sender was dropped, which also means stop.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Whether the stop was requested (or the sender dropped) by now.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }
}

/// Spawns a task that runs `tick` every `period` (at least 1 ms; the first tick at once) until
/// `shutdown` fires. A tick that runs long delays the next ones instead of bunching them up, and
/// a tick under way finishes before the task ends. Blocking work belongs in
/// [`tokio::task::spawn_blocking`] inside `tick`.
pub fn every<F, Fut>(period: Duration, mut shutdown: Shutdown, mut tick: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period.max(Duration::from_millis(1)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                _ = interval.tick() => tick().await,
            }
        }
    })
}

/// Makes renames, creations and deletions of entries in the directory `path` durable (fsyncs the
/// directory itself). Blocking.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    /// Awaits `future`, failing the test if it takes longer than a few seconds.
    async fn soon<T>(future: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(5), future)
            .await
            .expect("did not finish in time")
    }

    /// A task waiting for `shutdown`.
    fn waiter(shutdown: &Shutdown) -> JoinHandle<()> {
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move { shutdown.wait().await })
    }

    /// Starts [`every`] with a tick that counts itself.
    fn counting(period: Duration, shutdown: Shutdown) -> (JoinHandle<()>, Arc<AtomicUsize>) {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let task = every(period, shutdown, move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        (task, ticks)
    }

    #[tokio::test]
    async fn bind_error_names_what_and_the_address() {
        let taken = bind("first", "127.0.0.1", 0).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        assert_ne!(port, 0);
        let err = bind("test server", "127.0.0.1", port).await.unwrap_err();
        assert_eq!(err.what, "test server");
        assert_eq!(err.address, format!("127.0.0.1:{port}"));
        assert_eq!(err.source.kind(), std::io::ErrorKind::AddrInUse);
        let text = err.to_string();
        let names_both = text.contains("test server") && text.contains(&format!("127.0.0.1:{port}"));
        assert!(names_both, "{text}");
    }

    #[tokio::test]
    async fn stop_wakes_every_waiter_even_late_ones() {
        let (sender, shutdown) = Shutdown::channel();
        let waiters: Vec<_> = (0..3).map(|_| waiter(&shutdown)).collect();
        let mut subscribed = sender.subscribe();
        assert!(!shutdown.is_stopped());
        tokio::task::yield_now().await;
        sender.stop();
        for waiting in waiters {
            soon(waiting).await.unwrap();
        }
        soon(subscribed.wait()).await;
        assert!(shutdown.is_stopped());
        // A waiter that starts after the stop returns at once, and again.
        let mut late = shutdown.clone();
        soon(late.wait()).await;
        soon(late.wait()).await;
    }

    #[tokio::test]
    async fn stop_without_receivers_still_reaches_later_subscribers() {
        let (sender, shutdown) = Shutdown::channel();
        drop(shutdown);
        sender.stop();
        soon(sender.subscribe().wait()).await;
    }

    #[tokio::test]
    async fn a_dropped_sender_counts_as_stop() {
        let (sender, shutdown) = Shutdown::channel();
        let waiting = waiter(&shutdown);
        tokio::task::yield_now().await;
        drop(sender);
        soon(waiting).await.unwrap();
        assert!(shutdown.is_stopped());
        soon(shutdown.clone().wait()).await;
    }

    #[tokio::test]
    async fn every_ticks_until_shutdown() {
        let (sender, shutdown) = Shutdown::channel();
        let (task, ticks) = counting(Duration::from_millis(5), shutdown);
        soon(async {
            while ticks.load(Ordering::SeqCst) < 3 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        sender.stop();
        soon(task).await.unwrap();
        let after_stop = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            after_stop,
            "ticked after the task ended"
        );
    }

    #[tokio::test]
    async fn every_with_a_zero_period_waits_a_millisecond_between_ticks_and_stops_on_drop() {
        let started = Instant::now();
        let (sender, shutdown) = Shutdown::channel();
        let (task, ticks) = counting(Duration::ZERO, shutdown);
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(sender);
        soon(task).await.unwrap();
        let ticks = ticks.load(Ordering::SeqCst) as u128;
        let elapsed_ms = started.elapsed().as_millis();
        assert!(ticks >= 1, "never ticked");
        assert!(ticks <= elapsed_ms + 1, "{ticks} ticks in {elapsed_ms} ms");
    }

    #[test]
    fn sync_dir_syncs_a_directory_and_fails_on_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        sync_dir(dir.path()).unwrap();
        let err = sync_dir(&dir.path().join("missing")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
