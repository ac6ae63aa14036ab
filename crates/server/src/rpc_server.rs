//! The gRPC server of every Alluxio port: HTTP/2 served with `h2` directly, each call handed to a
//! tower service (the port's generated services, found by name by [`crate::GrpcRoutes`], under
//! its layers) on a task of its own.
//!
//! Tonic's own server runs every connection and call through hyper and its service stack
//! (connection info, load shedding, concurrency and timeout layers, error recovery, boxing),
//! none of which our ports use. Measured with the master behind it in release builds, this one
//! answers a fifth more getStatus calls a second at 1, 4 and 16 clients, and a quarter more
//! listings (docs/performance.md, "The gRPC ports served with `h2`").
//!
//! What a port promises its peers is kept: the limits of [`RpcLimits`] (connections, silent
//! peers, pings, calls per connection, streams reset for protocol errors), a call's
//! `grpc-timeout`, flow control on answers that stream, a call dropped when its client
//! cancels it, and a graceful stop (GOAWAY, calls under way finish).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use h2::server::SendResponse;
use h2::{Reason, RecvStream, SendStream};
use http::HeaderMap;
use http_body::{Body, Frame};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::Status;
use tower_service::Service;

use crate::rpc_incoming::{LimitedStream, limited_incoming};
use crate::{RpcLimits, Shutdown};

/// Calls one connection may have under way at once (each costs a task and buffers): a client
/// with more waits for one to end.
const MAX_CALLS_PER_CONNECTION: u32 = 1024;
/// Streams a peer's protocol errors may make the server reset before its connection is closed
/// (hyper's default): bounds the work one hostile peer can cause.
const MAX_PEER_ERROR_RESETS: usize = 1024;
/// Receive window of each call (as hyper's server): a large request streams in without stalls.
const STREAM_WINDOW: u32 = 1024 * 1024;
/// Receive window of a whole connection.
const CONNECTION_WINDOW: u32 = 1024 * 1024;
/// Largest header block a peer may send (as hyper's server).
const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;

/// What a gRPC port serves: the port's routes under its layers, answering each call with a
/// body of messages and trailers.
pub trait GrpcService:
    Service<
        http::Request<RecvBody>,
        Response = http::Response<Self::Answer>,
        Error: std::fmt::Display + Send,
        Future: Send,
    > + Clone
    + Send
    + 'static
{
    /// The body of an answer.
    type Answer: Body<Data = Bytes, Error: std::fmt::Display> + Send + 'static;
}

impl<S, B> GrpcService for S
where
    S: Service<http::Request<RecvBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: std::fmt::Display + Send,
    B: Body<Data = Bytes, Error: std::fmt::Display> + Send + 'static,
{
    type Answer = B;
}

impl RpcLimits {
    /// Serves `service` on the connections `listener` accepts, within these limits, until
    /// `shutdown`; then asks every connection to close, lets the calls under way finish, and
    /// returns once all connections have closed.
    pub async fn serve<S: GrpcService>(self, listener: TcpListener, service: S, mut shutdown: Shutdown) {
        let mut incoming = Box::pin(limited_incoming(listener, self));
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = incoming.next() => match accepted {
                    Some(socket) => {
                        connections.spawn(serve_connection(socket, service.clone(), self, shutdown.clone()));
                    }
                    None => break,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                () = shutdown.wait() => break,
            }
        }
        // No new connection: the listener closes with the stream.
        drop(incoming);
        while connections.join_next().await.is_some() {}
    }
}

/// Serves one connection's calls until the peer closes it, breaks the protocol, stops
/// answering pings, or the server stops.
async fn serve_connection<S: GrpcService>(
    socket: LimitedStream,
    service: S,
    limits: RpcLimits,
    mut shutdown: Shutdown,
) {
    let handshake = h2::server::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_header_list_size(MAX_HEADER_LIST_BYTES)
        .max_concurrent_streams(MAX_CALLS_PER_CONNECTION)
        .max_local_error_reset_streams(Some(MAX_PEER_ERROR_RESETS))
        .handshake::<_, Bytes>(socket);
    let mut connection = tokio::select! {
        shaken = handshake => match shaken {
            Ok(connection) => connection,
            Err(e) => {
                tracing::debug!("a gRPC peer failed the HTTP/2 handshake: {e}");
                return;
            }
        },
        () = shutdown.wait() => return,
    };
    let mut pinging = pin!(keep_alive(
        connection.ping_pong(),
        limits.keepalive_time,
        limits.keepalive_timeout,
        || true
    ));
    let mut closing = false;
    loop {
        tokio::select! {
            accepted = connection.accept() => match accepted {
                Some(Ok((request, respond))) => {
                    tokio::spawn(answer(service.clone(), request, respond));
                }
                Some(Err(e)) => {
                    tracing::debug!("closing a gRPC connection: {e}");
                    break;
                }
                None => break,
            },
            () = &mut pinging => {
                tracing::debug!(
                    "a gRPC peer did not answer a ping within {:?}; closing its connection",
                    limits.keepalive_timeout
                );
                break;
            }
            () = shutdown.wait(), if !closing => {
                // GOAWAY: no new calls; the connection ends when the last one has.
                connection.graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// Pings the peer every `interval` while `busy()` says so; returns when a ping goes unanswered
/// within `timeout` or the connection is gone. With no `pings` (taken already) it never returns.
pub async fn keep_alive(
    pings: Option<h2::PingPong>,
    interval: Duration,
    timeout: Duration,
    busy: impl Fn() -> bool,
) {
    let Some(mut pings) = pings else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(interval).await;
        if !busy() {
            continue;
        }
        let answered = tokio::time::timeout(timeout, pings.ping(h2::Ping::opaque()));
        if !matches!(answered.await, Ok(Ok(_))) {
            return;
        }
    }
}

/// Calls `service` with `request` and sends its answer; gives up when the client cancels.
async fn answer<S: GrpcService>(
    mut service: S,
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
) {
    let (head, received) = request.into_parts();
    let deadline = grpc_timeout(&head.headers);
    let call = async {
        poll_fn(|cx| service.poll_ready(cx)).await?;
        service
            .call(http::Request::from_parts(head, RecvBody::new(received)))
            .await
    };
    let answered = tokio::select! {
        answered = within(deadline, call) => answered,
        // The client cancelled the call: drop it.
        _ = poll_fn(|cx| respond.poll_reset(cx)) => return,
    };
    let response = match answered {
        Some(Ok(response)) => response,
        Some(Err(e)) => {
            return refuse(
                respond,
                Status::internal(format!("the server failed the call: {e}")),
            );
        }
        None => {
            return refuse(
                respond,
                Status::deadline_exceeded("the call's grpc-timeout expired"),
            );
        }
    };
    let (head, body) = response.into_parts();
    let ended = body.is_end_stream();
    if let Ok(sending) = respond.send_response(http::Response::from_parts(head, ()), ended)
        && !ended
    {
        send_body(body, sending).await;
    }
}

/// `call`'s output, or `None` if `deadline` passed first.
async fn within<T>(deadline: Option<Duration>, call: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(deadline) => tokio::time::timeout(deadline, call).await.ok(),
        None => Some(call.await),
    }
}

/// Answers the call with `status` alone (a trailers-only response).
fn refuse(mut respond: SendResponse<Bytes>, status: Status) {
    let (head, ()) = status.into_http::<()>().into_parts();
    // Fails only when the client is gone.
    let _ = respond.send_response(http::Response::from_parts(head, ()), true);
}

/// Sends `body`'s messages as the client's window allows, then its trailers.
async fn send_body<B>(body: B, mut sending: SendStream<Bytes>)
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let mut body = pin!(body);
    loop {
        // The next message is taken only once the window has room: one at most waits in h2.
        sending.reserve_capacity(1);
        while sending.capacity() == 0 {
            match poll_fn(|cx| sending.poll_capacity(cx)).await {
                Some(Ok(_)) => {}
                // The client reset the call or the connection is gone.
                _ => return,
            }
        }
        let frame = tokio::select! {
            frame = poll_fn(|cx| body.as_mut().poll_frame(cx)) => frame,
            _ = poll_fn(|cx| sending.poll_reset(cx)) => return,
        };
        let sent = match frame.map(|frame| frame.map(Frame::into_data)) {
            Some(Ok(Ok(data))) => sending.send_data(data, false),
            Some(Ok(Err(frame))) => match frame.into_trailers() {
                Ok(trailers) => {
                    let _ = sending.send_trailers(trailers);
                    return;
                }
                Err(_) => Ok(()),
            },
            Some(Err(e)) => {
                tracing::debug!("a gRPC answer failed while it was sent: {e}");
                sending.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
            None => {
                let _ = sending.send_data(Bytes::new(), true);
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// The `grpc-timeout` a client set on its call: 1 to 8 digits and a unit (`H`, `M`, `S`, `m`,
/// `u`, `n`). A malformed one is ignored, as if none were set.
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let split = value.len().checked_sub(1)?;
    let (digits, unit) = value.split_at(split);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// The messages and trailers of an HTTP/2 stream as they arrive, giving the window back as they
/// are read: a call's request here, an answer in the client's channel.
pub struct RecvBody {
    received: RecvStream,
    data_done: bool,
}

impl RecvBody {
    pub fn new(received: RecvStream) -> Self {
        Self {
            received,
            data_done: false,
        }
    }
}

impl Body for RecvBody {
    type Data = Bytes;
    type Error = h2::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h2::Error>>> {
        if !self.data_done {
            match self.received.poll_data(cx) {
                Poll::Ready(Some(Ok(data))) => {
                    // Fails only when the stream is gone, which the next poll reports.
                    let _ = self.received.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => self.data_done = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        match self.received.poll_trailers(cx) {
            Poll::Ready(Ok(trailers)) => Poll::Ready(trailers.map(|t| Ok(Frame::trailers(t)))),
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.received.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::io;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use h2::client::SendRequest;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::{Shutdown, ShutdownSender};

    /// Bytes of one message of the streamed answer.
    const CHUNK: usize = 16 * 1024;
    /// Chunks of the streamed answer: far more than a 64 KiB window.
    const CHUNKS: usize = 256;

    fn timeout_of(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-timeout", value.parse().unwrap());
        grpc_timeout(&headers)
    }

    #[test]
    fn grpc_timeouts_are_read_in_every_unit_and_malformed_ones_ignored() {
        assert_eq!(timeout_of("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(timeout_of("3M"), Some(Duration::from_secs(180)));
        assert_eq!(timeout_of("10S"), Some(Duration::from_secs(10)));
        assert_eq!(timeout_of("250m"), Some(Duration::from_millis(250)));
        assert_eq!(timeout_of("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(timeout_of("5n"), Some(Duration::from_nanos(5)));
        for malformed in ["", "S", "123456789S", "10s", "1.5S", "-1S", "10"] {
            assert_eq!(timeout_of(malformed), None, "{malformed:?}");
        }
        assert_eq!(grpc_timeout(&HeaderMap::new()), None);
    }

    /// What the test service saw: chunks of the streamed answer produced, and whether a slow
    /// call was dropped before it answered.
    #[derive(Clone, Default)]
    struct Seen {
        produced: Arc<AtomicUsize>,
        dropped: Arc<AtomicBool>,
    }

    /// Sets the flag when the call holding it is dropped unanswered.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// `/stream` answers [`CHUNKS`] messages; `/slow` answers after `slow`.
    #[derive(Clone)]
    struct TestService {
        seen: Seen,
        slow: Duration,
    }

    impl Service<http::Request<RecvBody>> for TestService {
        type Response = http::Response<Chunks>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<RecvBody>) -> Self::Future {
            let seen = self.seen.clone();
            let slow = self.slow;
            let path = request.uri().path().to_string();
            Box::pin(async move {
                let left = if path == "/slow" {
                    let flag = DropFlag(seen.dropped.clone());
                    tokio::time::sleep(slow).await;
                    std::mem::forget(flag);
                    0
                } else {
                    CHUNKS
                };
                Ok(http::Response::new(Chunks {
                    left,
                    produced: seen.produced,
                }))
            })
        }
    }

    /// `left` messages of [`CHUNK`] bytes, then `grpc-status: 0`.
    struct Chunks {
        left: usize,
        produced: Arc<AtomicUsize>,
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            if self.left == usize::MAX {
                return Poll::Ready(None);
            }
            if self.left == 0 {
                self.left = usize::MAX;
                let mut trailers = HeaderMap::new();
                trailers.insert("grpc-status", "0".parse().unwrap());
                return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
            }
            self.left -= 1;
            self.produced.fetch_add(1, Ordering::SeqCst);
            Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![7; CHUNK])))))
        }
    }

    fn limits() -> RpcLimits {
        RpcLimits {
            max_connections: 4,
            silent_timeout: Duration::from_secs(10),
            keepalive_time: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(30),
        }
    }

    /// A server of [`TestService`] on a loopback port and a client connected to it.
    struct Serving {
        seen: Seen,
        address: String,
        client: SendRequest<Bytes>,
        stop: ShutdownSender,
        server: tokio::task::JoinHandle<()>,
    }

    /// Serves [`TestService`], its `/slow` answering after `slow`, to a client with 64 KiB
    /// windows.
    async fn start(slow: Duration) -> Serving {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let seen = Seen::default();
        let service = TestService {
            seen: seen.clone(),
            slow,
        };
        let (stop, stopped) = Shutdown::channel();
        let server = tokio::spawn(limits().serve(listener, service, stopped));
        let socket = TcpStream::connect(&address).await.unwrap();
        let (client, connection) = h2::client::handshake(socket).await.unwrap();
        tokio::spawn(connection);
        Serving {
            seen,
            address,
            client: client.ready().await.unwrap(),
            stop,
            server,
        }
    }

    impl Serving {
        /// Stops the server and waits until it has.
        async fn stop(self) {
            self.stop.stop();
            self.server.await.unwrap();
        }
    }

    fn request(path: &str, timeout: Option<&str>) -> http::Request<()> {
        let mut request = http::Request::post(format!("http://test{path}"));
        if let Some(timeout) = timeout {
            request = request.header("grpc-timeout", timeout);
        }
        request.body(()).unwrap()
    }

    #[tokio::test]
    async fn a_streamed_answer_waits_for_the_clients_window_and_ends_with_its_trailers() {
        let mut serving = start(Duration::ZERO).await;
        let (answer, _) = serving
            .client
            .send_request(request("/stream", None), true)
            .unwrap();
        let mut answer = answer.await.unwrap().into_body();
        // Nothing is read: the server stops producing once the 64 KiB window is full.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let produced = serving.seen.produced.load(Ordering::SeqCst);
        assert!(produced <= 8, "{produced} chunks produced into a 64 KiB window");
        let mut received = 0;
        while let Some(data) = answer.data().await {
            let data = data.unwrap();
            received += data.len();
            answer.flow_control().release_capacity(data.len()).unwrap();
        }
        assert_eq!(received, CHUNK * CHUNKS);
        let trailers = answer.trailers().await.unwrap().unwrap();
        assert_eq!(trailers["grpc-status"], "0");
        serving.stop().await;
    }

    #[tokio::test]
    async fn a_call_past_its_grpc_timeout_is_dropped_and_answered_deadline_exceeded() {
        let mut serving = start(Duration::from_secs(30)).await;
        let (answer, _) = serving
            .client
            .send_request(request("/slow", Some("100m")), true)
            .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), answer)
            .await
            .expect("the deadline was not kept")
            .unwrap();
        assert_eq!(answer.headers()["grpc-status"], "4", "{answer:?}");
        assert!(serving.seen.dropped.load(Ordering::SeqCst));
        serving.stop().await;
    }

    #[tokio::test]
    async fn a_call_its_client_cancels_is_dropped() {
        let mut serving = start(Duration::from_secs(30)).await;
        let (_answer, mut call) = serving.client.send_request(request("/slow", None), true).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        call.send_reset(Reason::CANCEL);
        let dropped = tokio::time::timeout(Duration::from_secs(5), async {
            while !serving.seen.dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert!(dropped.await.is_ok(), "the cancelled call went on");
        serving.stop().await;
    }

    #[tokio::test]
    async fn a_stopping_server_finishes_the_calls_under_way_and_takes_no_new_connection() {
        let mut serving = start(Duration::from_millis(300)).await;
        let (answer, _) = serving.client.send_request(request("/slow", None), true).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        serving.stop.stop();
        // The port closes at once, while the call goes on.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            TcpStream::connect(&serving.address).await.is_err(),
            "the port still takes connections"
        );
        let answer = answer.await.unwrap();
        assert_eq!(answer.status(), http::StatusCode::OK);
        assert!(!serving.seen.dropped.load(Ordering::SeqCst));
        tokio::time::timeout(Duration::from_secs(5), serving.server)
            .await
            .expect("the server waited on a connection with no call")
            .unwrap();
    }

    /// The client preface of HTTP/2 and an empty SETTINGS frame: a peer that connected properly.
    const HTTP2_HELLO: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

    /// A server with no service on a loopback port, serving one connection at a time and
    /// pinging it every `keepalive`; it stops when the returned sender is used.
    async fn serve_one_connection(
        keepalive: Duration,
    ) -> (std::net::SocketAddr, ShutdownSender, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = RpcLimits {
            max_connections: 1,
            keepalive_time: keepalive,
            keepalive_timeout: keepalive,
            ..limits()
        };
        let (stop, stopped) = Shutdown::channel();
        let server = tokio::spawn(limits.serve(listener, crate::GrpcRoutes::default(), stopped));
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
