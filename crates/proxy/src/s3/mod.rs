//! The S3 API: s3s parses requests, checks signatures and writes XML; this module answers the
//! operations over the Alluxio namespace (see [`keys`] for the mapping).
//!
//! A request goes through up to two s3s services. The *operations* service answers S3 calls on
//! plain requests: no `/api/v1/s3` prefix, no signature. In front of it:
//! - with key pairs configured, a *verifying* service checks the signature against the URI the
//!   client signed and forwards the request unsigned (see [`auth`]);
//! - without, any access key is accepted and taken as the user name, as Alluxio does: the
//!   gateway itself removes the signature and decodes an `aws-chunked` body (see [`chunked`]).
//!
//! Every error response carries a [`FailureCause`] with its S3 code and message, so the
//! proxy's middleware logs one line per failed request.

mod api;
mod auth;
mod buckets;
mod chunked;
mod conditions;
mod error;
mod host;
mod keys;
mod list;
mod meta;
mod multipart;
mod objects;
mod rewrite;
mod store;

use std::sync::Arc;

use alluxio_client::{AlluxioPath, FileSystem, WriteType};
use alluxio_conf::{Configuration, keys as conf_keys};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::validation::NameValidation;

use crate::{FailureCause, ProxyError};
use auth::{Forward, KeyPairs, Prefix, User};
use host::BucketSubdomains;
use keys::Layout;
use store::AlluxioS3;

/// Where the API lives on the web port.
const PREFIX: &str = "/api/v1/s3";

/// The largest error body read back to find its message for the log.
const MAX_ERROR_BODY: usize = 64 << 10;

/// The S3 API over one client, served under `/api/v1/s3` and at the root of the S3 port.
#[derive(Clone)]
pub(crate) struct S3Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    /// Verifies signatures, then forwards to `operations`; `None` without key pairs.
    verifying: Option<S3Service>,
    /// Answers the operations on plain requests.
    operations: S3Service,
}

/// The verifying stage accepts any bucket name in the path it parses: the path still carries
/// the prefix there, and the operations stage checks the real bucket name.
struct AnyBucketName;

impl NameValidation for AnyBucketName {
    fn validate_bucket_name(&self, _name: &str) -> bool {
        true
    }
}

impl S3Gateway {
    /// Reads the S3 properties (write type, delete type, bucket root, virtual-host domain,
    /// credentials).
    pub(crate) fn new(fs: FileSystem, conf: &Configuration) -> Result<Self, ProxyError> {
        let write_type = conf.get_parsed(conf_keys::PROXY_S3_WRITETYPE, WriteType::from_alluxio_name)?;
        let alluxio_only = conf.get_parsed(conf_keys::PROXY_S3_DELETETYPE, |value| {
            match value.trim().to_ascii_uppercase().as_str() {
                "ALLUXIO_AND_UFS" => Ok(false),
                "ALLUXIO_ONLY" => Ok(true),
                _ => Err("ALLUXIO_AND_UFS or ALLUXIO_ONLY"),
            }
        })?;
        let root = conf.get_parsed(conf_keys::PROXY_S3_BUCKET_ROOT, |value| {
            AlluxioPath::new(value.trim())
        })?;
        let suffix = conf.get_parsed(
            conf_keys::PROXY_S3_MULTIPART_TEMPORARY_DIR_SUFFIX,
            keys::check_suffix,
        )?;
        let hosts = match conf.get_opt(conf_keys::PROXY_S3_VIRTUAL_HOST_DOMAIN)? {
            Some(domain) if !domain.trim().is_empty() => {
                Some(conf.get_parsed(conf_keys::PROXY_S3_VIRTUAL_HOST_DOMAIN, BucketSubdomains::new)?)
            }
            _ => None,
        };
        let store = AlluxioS3::new(fs, Layout::new(root, suffix), write_type, alluxio_only);

        let mut operations = S3ServiceBuilder::new(store);
        if let Some(hosts) = &hosts {
            operations.set_host(hosts.clone());
        }
        let operations = operations.build();

        let verifying = KeyPairs::load(conf)?.map(|key_pairs| {
            let mut verifying = S3ServiceBuilder::new(AlluxioS3Unreachable);
            verifying.set_auth(key_pairs);
            verifying.set_validation(AnyBucketName);
            verifying.set_route(Forward {
                api: operations.clone(),
            });
            if let Some(hosts) = hosts {
                verifying.set_host(hosts);
            }
            verifying.build()
        });
        Ok(Self {
            inner: Arc::new(Inner {
                verifying,
                operations,
            }),
        })
    }

    /// Routes of the API under `/api/v1/s3` of the web port.
    pub(crate) fn prefixed_router(&self) -> Router {
        Router::new()
            .route(PREFIX, any(prefixed))
            .route(&format!("{PREFIX}/"), any(prefixed))
            .route(&format!("{PREFIX}/{{*rest}}"), any(prefixed))
            .with_state(self.clone())
    }

    /// Routes of the API at the root of the S3 port.
    pub(crate) fn root_router(&self) -> Router {
        Router::new().fallback(at_root).with_state(self.clone())
    }

    /// Answers one request that arrived under `prefix`.
    async fn serve(&self, prefix: &'static str, request: Request) -> Response {
        let asked = format!("{} {}", request.method(), request.uri());
        let carries_body = carries_body(request.headers());
        let mut response = self.answer(prefix, request, &asked).await;
        let failed = response.status().is_client_error() || response.status().is_server_error();
        if failed && carries_body {
            // The body may be unread: a client that sends it anyway (after waiting for
            // `100 Continue` in vain, as boto3 does for a second) must not have it taken for
            // the start of its next request on this connection.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }

    /// The response to one request (see [`S3Gateway::serve`]).
    async fn answer(&self, prefix: &'static str, request: Request, asked: &str) -> Response {
        let answer = match &self.inner.verifying {
            Some(verifying) => {
                let mut request = request.map(s3s::Body::http_body_unsync);
                let mut prefix = prefix;
                if rewrite::is_sig_v2(request.headers(), request.uri()) {
                    match rewrite::without_prefix(request.uri(), prefix) {
                        Ok(uri) => *request.uri_mut() = uri,
                        Err(err) => return with_failure_cause(error_response(err), asked).await,
                    }
                    prefix = "";
                }
                request.extensions_mut().insert(Prefix(prefix));
                verifying.call(request).await
            }
            None => match open_request(prefix, request) {
                Ok(request) => self.inner.operations.call(request).await,
                Err(err) => Ok(error_response(err).map(s3s::Body::http_body_unsync)),
            },
        };
        match answer {
            Ok(response) => with_failure_cause(response.map(Body::new), asked).await,
            Err(err) => {
                let err: s3s::StdError = err.into();
                let message = format!("the S3 service failed: {err}");
                let mut response =
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, message.clone()).into_response();
                response.extensions_mut().insert(FailureCause(message));
                response
            }
        }
    }
}

/// Whether a request announces a body (a length above zero, or a chunked one).
fn carries_body(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(axum::http::header::TRANSFER_ENCODING)
        || headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

/// A request of the open mode (no key pairs) as the operations service takes it: the access key
/// noted as the user, the signature and prefix removed, an `aws-chunked` body decoded.
fn open_request(prefix: &str, request: Request) -> s3s::S3Result<s3s::HttpRequest> {
    let (mut parts, body) = request.into_parts();
    if let Some(user) = rewrite::access_key(&parts.headers, &parts.uri) {
        tracing::debug!(%user, "S3 request (any access key is accepted)");
        parts.extensions.insert(User(user));
    }
    let chunked = rewrite::is_aws_chunked(&parts.headers);
    let decoded_length = rewrite::decoded_length(&parts.headers)?;
    parts.uri = rewrite::unsigned_uri(&parts.uri, prefix)?;
    rewrite::strip_signature_headers(&mut parts.headers, chunked, decoded_length);
    let body = if chunked {
        let decoded = chunked::decode(body.into_data_stream(), decoded_length);
        s3s::Body::http_body_unsync(Body::from_stream(decoded))
    } else {
        s3s::Body::http_body_unsync(body)
    };
    Ok(s3s::HttpRequest::from_parts(parts, body))
}

async fn prefixed(State(gateway): State<S3Gateway>, request: Request) -> Response {
    gateway.serve(PREFIX, request).await
}

async fn at_root(State(gateway): State<S3Gateway>, request: Request) -> Response {
    gateway.serve("", request).await
}

/// The S3 XML answer of an error found before s3s saw the request.
fn error_response(err: s3s::S3Error) -> Response {
    match err.to_http_response() {
        Ok(response) => response.map(Body::new),
        Err(err) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

/// Attaches the S3 error code and message of an error response as its [`FailureCause`]. A
/// request s3s matched to no operation at all (`asked`, its method and URI) is a client error,
/// not s3s's `501 Unknown operation`: it becomes `400 InvalidRequest` naming the request.
async fn with_failure_cause(response: Response, asked: &str) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_string())
    };
    if status == axum::http::StatusCode::NOT_IMPLEMENTED
        && element("Message").as_deref() == Some("Unknown operation")
    {
        let message =
            format!("{asked} is not an S3 operation (unknown method, sub-resource or query action)");
        let mut response = error_response(s3s::S3Error::with_message(
            s3s::S3ErrorCode::InvalidRequest,
            message.clone(),
        ));
        response
            .extensions_mut()
            .insert(FailureCause(format!("InvalidRequest: {message}")));
        return response;
    }
    let cause = match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => format!("HTTP {status}"),
    };
    parts.extensions.insert(FailureCause(cause));
    Response::from_parts(parts, Body::from(bytes))
}

/// The verifying stage's own S3 implementation, which its route (matching every request) keeps
/// from ever being called; s3s needs one to build a service.
struct AlluxioS3Unreachable;

#[async_trait::async_trait]
impl s3s::S3 for AlluxioS3Unreachable {}
