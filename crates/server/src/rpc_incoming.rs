//! The connections a gRPC port serves, with limits: at most [`RpcLimits::max_connections`] at
//! once (more wait in the listen backlog), and a peer that sends nothing within
//! [`RpcLimits::silent_timeout`] of connecting is dropped, so silent peers cannot hold every
//! slot. [`RpcLimits::serve`] serves the connections [`limited_incoming`] yields (pings, calls
//! and resets per connection are its part).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// Longest pause between failed accepts (out of file descriptors, ...).
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// What a gRPC port allows its peers.
#[derive(Debug, Clone, Copy)]
pub struct RpcLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest a new connection may stay silent (no HTTP/2 preface) before it is closed.
    pub silent_timeout: Duration,
    /// How often an established connection is pinged (HTTP/2 keep-alive).
    pub keepalive_time: Duration,
    /// How long a ping may go unanswered before its connection is closed: a peer gone or
    /// frozen after connecting frees its slot.
    pub keepalive_timeout: Duration,
}

/// Accepted connections of `listener`, each holding one of `limits.max_connections` slots until
/// it closes; accept failures are logged and retried after a pause.
pub(crate) fn limited_incoming(
    listener: TcpListener,
    limits: RpcLimits,
) -> impl Stream<Item = LimitedStream> + Send + 'static {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    futures::stream::unfold((listener, slots), move |(listener, slots)| async move {
        let permit = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut pause = Duration::from_millis(10);
        let stream = loop {
            match listener.accept().await {
                Ok((stream, _)) => break stream,
                Err(e) => {
                    tracing::warn!(error = %e, "gRPC accept failed");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                }
            }
        };
        // Small answers must not wait for the client's delayed ACK (Nagle): ~45 ms per call.
        let _ = stream.set_nodelay(true);
        let connection = LimitedStream {
            stream,
            _slot: permit,
            silent: Some(Box::pin(tokio::time::sleep(limits.silent_timeout))),
        };
        Some((connection, (listener, slots)))
    })
}

/// One accepted connection, holding its slot until dropped.
pub(crate) struct LimitedStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    /// Fires if no byte arrived yet; `None` once one did.
    silent: Option<Pin<Box<Sleep>>>,
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.silent = None;
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                let silenced = this
                    .silent
                    .as_mut()
                    .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
                if silenced {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the peer sent nothing after connecting",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn one_slot_serves_the_next_peer_once_a_silent_one_is_dropped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = RpcLimits {
            max_connections: 1,
            silent_timeout: Duration::from_millis(300),
            keepalive_time: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(30),
        };
        let incoming = limited_incoming(listener, limits);
        tokio::pin!(incoming);
        let _silent = TcpStream::connect(addr).await.unwrap();
        let mut first = incoming.next().await.unwrap();
        let mut talker = TcpStream::connect(addr).await.unwrap();
        talker.write_all(b"hello").await.unwrap();
        // The only slot is taken: the talker waits.
        let waiting = tokio::time::timeout(Duration::from_millis(100), incoming.next()).await;
        assert!(waiting.is_err(), "a second connection was served with one slot");
        // The silent peer is cut off, its slot freed, and the talker served.
        let mut byte = [0; 1];
        let err = first.read(&mut byte).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(first);
        let mut second = incoming.next().await.unwrap();
        let mut hello = [0; 5];
        second.read_exact(&mut hello).await.unwrap();
        assert_eq!(&hello, b"hello");
        // Having spoken, it is not cut off however long it then waits.
        tokio::time::sleep(Duration::from_millis(400)).await;
        talker.write_all(b"!").await.unwrap();
        second.read_exact(&mut byte).await.unwrap();
        assert_eq!(&byte, b"!");
    }
}
