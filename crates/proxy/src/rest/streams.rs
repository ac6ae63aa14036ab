//! The open streams of the REST API: `open-file` and `create-file` register a stream and answer
//! its id; `/api/v1/streams/<id>/read|write|close` use it.
//!
//! Ids are never reused, so a closed stream's id can never reach someone else's stream. A request
//! leases its stream for as long as it runs (a second request on the same id meanwhile is
//! refused as busy); a stream left idle for `alluxio.proxy.stream.cache.timeout` is closed by the
//! sweeper: a reader simply closes, a writer is cancelled, so a file its client abandoned never
//! appears half-written.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_client::{FileInStream, FileOutStream};
use alluxio_server::Shutdown;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::{Json, http::header};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use super::RestState;
use super::error::RestError;

/// Bytes read from Alluxio per chunk of a `read` response.
const READ_CHUNK: usize = 1 << 20;

/// A stream opened by `open-file` or `create-file`.
pub(crate) enum OpenStream {
    /// A file being read.
    Read(Box<FileInStream>),
    /// A file being written; it exists once closed.
    Write(Box<FileOutStream>),
}

impl OpenStream {
    /// Ends the stream: a reader closes, an abandoned writer is cancelled (its file never appears).
    async fn abandon(self, id: u64) {
        let outcome = match self {
            OpenStream::Read(reader) => reader.close().await,
            OpenStream::Write(writer) => writer.cancel().await,
        };
        if let Err(err) = outcome {
            tracing::warn!(stream = id, error = %err, "closing an idle stream failed");
        }
    }
}

/// One registered stream: `None` while a request holds it.
struct Slot {
    stream: Option<OpenStream>,
    last_used: Instant,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    open: HashMap<u64, Slot>,
    /// Set once the proxy stops: no stream is registered or handed back any more.
    closed: bool,
}

/// The proxy's open streams. Clones share them.
#[derive(Clone)]
pub(crate) struct Streams {
    registry: Arc<Mutex<Registry>>,
    idle_timeout: Duration,
}

impl Streams {
    /// No stream open yet; idle ones close after `idle_timeout`.
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            registry: Arc::new(Mutex::new(Registry {
                next_id: 1,
                ..Registry::default()
            })),
            idle_timeout,
        }
    }

    /// Registers `stream` and returns its id.
    pub(crate) fn register(&self, stream: OpenStream) -> Result<u64, RestError> {
        let mut registry = self.registry.lock();
        if registry.closed {
            return Err(RestError::precondition("the proxy is shutting down"));
        }
        let id = registry.next_id;
        registry.next_id += 1;
        registry.open.insert(
            id,
            Slot {
                stream: Some(stream),
                last_used: Instant::now(),
            },
        );
        Ok(id)
    }

    /// Takes stream `id` for one request; it returns to the registry when the lease drops.
    fn lease(&self, id: u64) -> Result<Lease, RestError> {
        let mut registry = self.registry.lock();
        let slot = registry.open.get_mut(&id).ok_or_else(|| unknown_stream(id))?;
        let stream = slot
            .stream
            .take()
            .ok_or_else(|| RestError::precondition(format!("stream {id} is busy with another request")))?;
        Ok(Lease {
            streams: self.clone(),
            id,
            stream: Some(stream),
        })
    }

    /// Removes stream `id` for good (to close it).
    fn remove(&self, id: u64) -> Result<OpenStream, RestError> {
        let mut registry = self.registry.lock();
        let slot = registry.open.get_mut(&id).ok_or_else(|| unknown_stream(id))?;
        if slot.stream.is_none() {
            return Err(RestError::precondition(format!(
                "stream {id} is busy with another request; close it when that request ends"
            )));
        }
        let slot = registry.open.remove(&id).expect("the slot was just found");
        Ok(slot.stream.expect("the slot was checked to hold its stream"))
    }

    /// Streams idle for longer than the timeout, removed from the registry.
    fn take_idle(&self, now: Instant) -> Vec<(u64, OpenStream)> {
        let mut registry = self.registry.lock();
        let idle: Vec<u64> = registry
            .open
            .iter()
            .filter(|(_, slot)| {
                slot.stream.is_some() && now.duration_since(slot.last_used) >= self.idle_timeout
            })
            .map(|(id, _)| *id)
            .collect();
        idle.into_iter()
            .filter_map(|id| {
                registry
                    .open
                    .remove(&id)
                    .and_then(|slot| slot.stream)
                    .map(|s| (id, s))
            })
            .collect()
    }

    /// Every stream not in use, and no more registrations: the proxy is stopping.
    fn close_all(&self) -> Vec<(u64, OpenStream)> {
        let mut registry = self.registry.lock();
        registry.closed = true;
        registry
            .open
            .drain()
            .filter_map(|(id, slot)| slot.stream.map(|s| (id, s)))
            .collect()
    }

    /// Closes idle streams periodically until `shutdown`, then every stream left open.
    pub(crate) fn spawn_sweeper(&self, shutdown: Shutdown) -> JoinHandle<()> {
        let period = (self.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(60));
        let streams = self.clone();
        let sweeping = alluxio_server::every(period, shutdown, move || {
            let idle = streams.take_idle(Instant::now());
            async move {
                for (id, stream) in idle {
                    tracing::info!(
                        stream = id,
                        "closing a stream idle for longer than alluxio.proxy.stream.cache.timeout"
                    );
                    stream.abandon(id).await;
                }
            }
        });
        let streams = self.clone();
        tokio::spawn(async move {
            // `every` ends after the tick under way, so no sweep races the final close.
            let _ = sweeping.await;
            for (id, stream) in streams.close_all() {
                stream.abandon(id).await;
            }
        })
    }
}

fn unknown_stream(id: u64) -> RestError {
    RestError::not_found(format!(
        "stream {id} is not open (it was closed, timed out or never opened)"
    ))
}

/// A stream held by one request.
struct Lease {
    streams: Streams,
    id: u64,
    stream: Option<OpenStream>,
}

impl Lease {
    fn stream(&mut self) -> &mut OpenStream {
        self.stream
            .as_mut()
            .expect("a lease holds its stream until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut registry = self.streams.registry.lock();
        if registry.closed {
            return;
        }
        if let Some(slot) = registry.open.get_mut(&self.id) {
            slot.stream = self.stream.take();
            slot.last_used = Instant::now();
        }
    }
}

/// Parses the `<id>` of `/api/v1/streams/<id>/<action>`.
fn stream_id(raw: &str) -> Result<u64, RestError> {
    raw.parse().map_err(|_| {
        RestError::invalid(format!(
            "invalid stream id '{raw}': expected the number open-file or create-file answered"
        ))
    })
}

/// `POST /api/v1/streams/<id>/<action>`.
pub(crate) async fn stream_action(
    State(state): State<RestState>,
    Path((id, action)): Path<(String, String)>,
    request: Request,
) -> Result<Response, RestError> {
    let id = stream_id(&id)?;
    match action.as_str() {
        "read" => read(&state.streams, id),
        "write" => write(&state.streams, id, request.into_body()).await,
        "close" => close(&state.streams, id).await,
        other => Err(RestError::not_found(format!(
            "unknown stream action '{other}': expected read, write or close"
        ))),
    }
}

/// Sends the rest of the file, read chunk by chunk as the client takes it.
fn read(streams: &Streams, id: u64) -> Result<Response, RestError> {
    let mut lease = streams.lease(id)?;
    if !matches!(lease.stream(), OpenStream::Read(_)) {
        return Err(RestError::invalid(format!(
            "stream {id} was opened for writing, not reading"
        )));
    }
    let chunks = futures::stream::unfold(lease, move |mut lease| async move {
        let OpenStream::Read(reader) = lease.stream() else {
            return None;
        };
        let mut buf = vec![0; READ_CHUNK];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), lease))
            }
            Err(err) => {
                tracing::warn!(stream = id, error = %err, "reading a stream failed; the response is cut short");
                Some((Err(std::io::Error::from(err)), lease))
            }
        }
    });
    // An error ends the body early; the client sees a truncated response, as with any broken
    // HTTP transfer, and the stream stays open for a retry or a close.
    let chunks = chunks.scan(false, |failed, item| {
        let stop = *failed;
        *failed |= item.is_err();
        futures::future::ready((!stop).then_some(item))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// Appends the request body to the file and answers how many bytes it wrote.
async fn write(streams: &Streams, id: u64, body: Body) -> Result<Response, RestError> {
    let mut lease = streams.lease(id)?;
    let OpenStream::Write(writer) = lease.stream() else {
        return Err(RestError::invalid(format!(
            "stream {id} was opened for reading, not writing"
        )));
    };
    let mut written: u64 = 0;
    let mut body = body.into_data_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| RestError::invalid(format!("the request body of stream {id} broke off: {e}")))?;
        writer.write(&chunk).await?;
        written += chunk.len() as u64;
    }
    Ok(Json(written).into_response())
}

/// Closes the stream: a written file becomes complete and visible.
async fn close(streams: &Streams, id: u64) -> Result<Response, RestError> {
    match streams.remove(id)? {
        OpenStream::Read(reader) => reader.close().await?,
        OpenStream::Write(writer) => {
            writer.close().await?;
        }
    }
    Ok(().into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_numbers() {
        assert_eq!(stream_id("17").unwrap(), 17);
        assert!(stream_id("x").is_err());
        assert!(stream_id("-1").is_err());
    }
}
