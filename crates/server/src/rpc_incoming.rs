//! The connections a gRPC port serves, with limits: at most [`RpcLimits::max_connections`] at
//! once (more wait in the listen backlog), and a peer that sends nothing within
//! [`RpcLimits::silent_timeout`] of connecting is dropped, so silent peers cannot hold every
//! slot; established connections are pinged and closed when the peer stops answering, may have
//! a bounded number of calls under way, and are closed when their protocol errors keep making
//! the server reset streams. [`RpcLimits::serve`] serves the connections [`limited_incoming`]
//! yields.

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
/// Calls one connection may have under way at once (tonic leaves it unbounded, a task and
/// buffers per call): a client with more waits for one to end.
pub(crate) const MAX_CALLS_PER_CONNECTION: u32 = 1024;
/// Streams a peer's protocol errors may make the server reset before its connection is closed
/// (hyper's default): bounds the work one hostile peer can cause.
pub(crate) const MAX_PEER_ERROR_RESETS: usize = 1024;

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

    /// The client preface of HTTP/2 and an empty SETTINGS frame: a peer that connected properly.
    const HTTP2_HELLO: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

    /// A server with no service on a loopback port, serving one connection at a time and
    /// pinging it every `keepalive`; it stops when the returned sender is used.
    async fn serve_one_connection(
        keepalive: Duration,
    ) -> (
        std::net::SocketAddr,
        crate::ShutdownSender,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = RpcLimits {
            max_connections: 1,
            silent_timeout: Duration::from_secs(30),
            keepalive_time: keepalive,
            keepalive_timeout: keepalive,
        };
        let (stop, stopped) = crate::Shutdown::channel();
        let server = tokio::spawn(limits.serve(listener, tonic::service::Routes::default(), stopped));
        (addr, stop, server)
    }

    /// An HTTP/2 frame: its 9-byte header (length, type, flags, stream) and `payload`.
    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut frame = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        frame.extend([kind, flags]);
        frame.extend(stream.to_be_bytes());
        frame.extend(payload);
        frame
    }

    /// Reads the next frame: its type and payload.
    async fn next_frame(stream: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
        let mut head = [0; 9];
        stream.read_exact(&mut head).await?;
        let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; length];
        stream.read_exact(&mut payload).await?;
        Ok((head[3], payload))
    }

    const SETTINGS: u8 = 0x4;
    const GOAWAY: u8 = 0x7;
    const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
    const ENHANCE_YOUR_CALM: u32 = 0xb;

    #[tokio::test]
    async fn a_connection_may_open_bounded_calls_and_is_closed_when_it_keeps_breaking_streams() {
        let (addr, stop, server) = serve_one_connection(Duration::from_secs(30)).await;
        let mut peer = TcpStream::connect(addr).await.unwrap();
        peer.write_all(HTTP2_HELLO).await.unwrap();
        let (kind, settings) = next_frame(&mut peer).await.unwrap();
        assert_eq!(kind, SETTINGS);
        let max_calls = settings
            .chunks(6)
            .find(|setting| u16::from_be_bytes([setting[0], setting[1]]) == SETTINGS_MAX_CONCURRENT_STREAMS)
            .map(|setting| u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]));
        assert_eq!(max_calls, Some(MAX_CALLS_PER_CONNECTION));
        // Every call it opens (POST, http, path /) it breaks at once with a window update that
        // overflows the stream's window: the server resets each, then gives up on the peer.
        let mut abuse = Vec::new();
        for n in 0..MAX_PEER_ERROR_RESETS as u32 + 100 {
            let stream = 2 * n + 1;
            abuse.extend(frame(0x1, 0x4, stream, &[0x83, 0x86, 0x84]));
            abuse.extend(frame(0x8, 0, stream, &0x7fff_ffffu32.to_be_bytes()));
        }
        peer.write_all(&abuse).await.unwrap();
        let goaway = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match next_frame(&mut peer).await {
                    Ok((GOAWAY, payload)) => {
                        break Some(u32::from_be_bytes([
                            payload[4], payload[5], payload[6], payload[7],
                        ]));
                    }
                    Ok(_) => {}
                    Err(_) => break None,
                }
            }
        })
        .await
        .expect("the server kept a peer that breaks every stream it opens");
        assert_eq!(goaway, Some(ENHANCE_YOUR_CALM));
        stop.stop();
        drop(peer);
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_peer_that_stops_answering_pings_loses_its_connection() {
        let (addr, stop, server) = serve_one_connection(Duration::from_millis(200)).await;
        let mut frozen = TcpStream::connect(addr).await.unwrap();
        frozen.write_all(HTTP2_HELLO).await.unwrap();
        // It reads what the server sends (settings, pings) but never answers: closed within
        // about a ping interval and a timeout.
        let mut sink = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), frozen.read_to_end(&mut sink)).await;
        assert!(read.is_ok(), "a peer not answering pings kept its connection");
        // Its slot is free: the next peer is served.
        let mut next = TcpStream::connect(addr).await.unwrap();
        next.write_all(HTTP2_HELLO).await.unwrap();
        let mut settings = [0; 9];
        next.read_exact(&mut settings).await.unwrap();
        assert_eq!(settings[3], 4, "the server answers with its SETTINGS frame");
        stop.stop();
        drop(next);
        server.await.unwrap();
    }
}
