//! The v1 scheduler HTTP client: SUBSCRIBE with its RecordIO event stream, and every other call
//! as its own request carrying `Mesos-Stream-Id`.

mod endpoint;
mod tls;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderValue, LOCATION};

use crate::error::MesosError;
use crate::wire::recordio::Decoder;
use crate::wire::{Call, CallType, Event};

pub use endpoint::{Endpoint, MesosMasters, Scheme, parse_masters, parse_mesos_masters};
pub use tls::CA_CERT_FILE_KEY;

/// Path of the scheduler endpoint on a master.
const SCHEDULER_PATH: &str = "/api/v1/scheduler";
/// Header naming the subscription on every call.
const STREAM_ID: &str = "Mesos-Stream-Id";
/// Mesos caps stream ids at 128 bytes.
const MAX_STREAM_ID: usize = 128;
/// Redirects followed from one configured master before trying the next.
const MAX_REDIRECTS: usize = 4;
/// Deadline for a call's answer, and for SUBSCRIBE's response headers.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Principal and secret for HTTP basic authentication.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The principal.
    pub principal: String,
    /// The secret.
    pub secret: String,
}

/// Client of the scheduler API of a list of masters.
#[derive(Debug, Clone)]
pub struct SchedulerClient {
    http: reqwest::Client,
    masters: MesosMasters,
    credentials: Option<Credentials>,
}

impl SchedulerClient {
    /// A client trying `masters` in order (or the leader ZooKeeper names, looked up at each
    /// subscription); redirects are followed by hand (307 only).
    /// https:// masters must present a certificate signed by a CA of the system store (or of
    /// `SSL_CERT_FILE`) or of the PEM file `ca_file`.
    pub fn new(
        masters: impl Into<MesosMasters>,
        credentials: Option<Credentials>,
        ca_file: Option<&Path>,
    ) -> Result<Self, MesosError> {
        let masters = masters.into();
        let url = masters.to_string();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10));
        if let Some(path) = ca_file {
            builder = tls::trust_ca_file(builder, path)?;
        }
        let http = builder
            .build()
            .map_err(|source| tls::transport_error(&url, source))?;
        Ok(Self {
            http,
            masters,
            credentials,
        })
    }

    /// Sends SUBSCRIBE to each master in turn (following 307s) until one opens a stream.
    pub async fn subscribe(&self, call: &Call) -> Result<Subscription, MesosError> {
        let mut last = None;
        for master in self.masters.resolve().await? {
            match self.subscribe_at(master.clone(), call).await {
                Ok(subscription) => return Ok(subscription),
                Err(e) => {
                    tracing::warn!("SUBSCRIBE via {} failed: {e}", master.url());
                    last = Some(e);
                }
            }
        }
        let masters = self.masters_text();
        Err(match last {
            Some(last) => MesosError::NoMaster {
                masters,
                last: Box::new(last),
            },
            None => MesosError::BadAddress {
                address: masters,
                reason: "no master given".into(),
            },
        })
    }

    /// The masters as `http://host:port,https://host:port` (or `zk://...`), for messages.
    pub fn masters_text(&self) -> String {
        self.masters.to_string()
    }

    async fn subscribe_at(&self, mut endpoint: Endpoint, call: &Call) -> Result<Subscription, MesosError> {
        for _ in 0..=MAX_REDIRECTS {
            let url = endpoint.url();
            let request = self
                .authorised(self.http.post(&url))
                .header(ACCEPT, "application/json")
                .json(call)
                .send();
            let response = tokio::time::timeout(CALL_TIMEOUT, request)
                .await
                .map_err(|_| timeout(&url, CallType::Subscribe))?
                .map_err(|source| tls::transport_error(&url, source))?;
            match response.status() {
                StatusCode::OK => return Subscription::open(self, endpoint, response),
                StatusCode::TEMPORARY_REDIRECT => {
                    let location = response
                        .headers()
                        .get(LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let leader = location.as_deref().and_then(|l| endpoint.redirected(l));
                    let Some(leader) = leader else {
                        return Err(MesosError::BadRedirect { url, location });
                    };
                    tracing::info!(
                        "Mesos master {url} is not the leader; following to {}",
                        leader.url()
                    );
                    endpoint = leader;
                }
                status => return Err(rejected(url, CallType::Subscribe, status, response).await),
            }
        }
        Err(MesosError::BadRedirect {
            url: endpoint.url(),
            location: None,
        })
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.credentials {
            Some(c) => request.basic_auth(&c.principal, Some(&c.secret)),
            None => request,
        }
    }
}

/// An open event stream on the leading master.
pub struct Subscription {
    url: String,
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    decoder: Decoder,
    caller: Caller,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("url", &self.url)
            .field("caller", &self.caller)
            .finish()
    }
}

impl Subscription {
    fn open(
        client: &SchedulerClient,
        endpoint: Endpoint,
        response: reqwest::Response,
    ) -> Result<Self, MesosError> {
        let url = endpoint.url();
        let stream_id = response
            .headers()
            .get(STREAM_ID)
            .filter(|v| !v.is_empty() && v.len() <= MAX_STREAM_ID)
            .cloned()
            .ok_or_else(|| MesosError::NoStreamId { url: url.clone() })?;
        let caller = Caller {
            client: client.clone(),
            url: url.clone(),
            stream_id,
        };
        Ok(Self {
            url,
            body: Box::pin(response.bytes_stream()),
            decoder: Decoder::default(),
            caller,
        })
    }

    /// The next event; `Ok(None)` when the master closed the stream on a record boundary.
    pub async fn next_event(&mut self) -> Result<Option<Event>, MesosError> {
        loop {
            let record = self
                .decoder
                .next_record()
                .map_err(|source| MesosError::RecordIo {
                    url: self.url.clone(),
                    source,
                })?;
            if let Some(record) = record {
                return serde_json::from_slice(&record)
                    .map(Some)
                    .map_err(|source| MesosError::BadEvent {
                        url: self.url.clone(),
                        source,
                        record: String::from_utf8_lossy(&record[..record.len().min(200)]).into_owned(),
                    });
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.decoder.push(&chunk),
                Some(Err(source)) => return Err(tls::transport_error(&self.url, source)),
                None => {
                    self.decoder.finish().map_err(|source| MesosError::RecordIo {
                        url: self.url.clone(),
                        source,
                    })?;
                    return Ok(None);
                }
            }
        }
    }

    /// The scheduler endpoint URL of the master streaming the events.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A handle sending calls on this subscription.
    pub fn caller(&self) -> Caller {
        self.caller.clone()
    }
}

/// Sends calls of one subscription to its master.
#[derive(Debug, Clone)]
pub struct Caller {
    client: SchedulerClient,
    url: String,
    stream_id: HeaderValue,
}

impl Caller {
    /// Sends `call`; Ok only on the status Mesos answers success with (see [`success_status`]).
    pub async fn send(&self, call: &Call) -> Result<(), MesosError> {
        let response = self
            .client
            .authorised(self.client.http.post(&self.url))
            .header(STREAM_ID, self.stream_id.clone())
            .timeout(CALL_TIMEOUT)
            .json(call)
            .send()
            .await
            .map_err(|source| match source.is_timeout() {
                true => timeout(&self.url, call.kind),
                false => tls::transport_error(&self.url, source),
            })?;
        match response.status() {
            status if status == success_status(call.kind) => Ok(()),
            status => Err(rejected(self.url.clone(), call.kind, status, response).await),
        }
    }

    /// The subscription's `Mesos-Stream-Id`.
    pub fn stream_id(&self) -> &str {
        self.stream_id.to_str().unwrap_or_default()
    }
}

/// What the master answers a successful call of `kind` with: UPDATE_FRAMEWORK is applied before
/// the answer, `200 OK`; every other call is queued, `202 Accepted` (scheduler.proto).
fn success_status(kind: CallType) -> StatusCode {
    match kind {
        CallType::UpdateFramework => StatusCode::OK,
        _ => StatusCode::ACCEPTED,
    }
}

fn call_name(kind: CallType) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{kind:?}"))
}

fn timeout(url: &str, kind: CallType) -> MesosError {
    MesosError::Timeout {
        url: url.to_string(),
        call: call_name(kind),
        seconds: CALL_TIMEOUT.as_secs(),
    }
}

async fn rejected(
    url: String,
    kind: CallType,
    status: StatusCode,
    response: reqwest::Response,
) -> MesosError {
    let body = response.text().await.unwrap_or_default();
    MesosError::Rejected {
        url,
        call: call_name(kind),
        status: status.as_u16(),
        body: body.trim().to_string(),
    }
}
