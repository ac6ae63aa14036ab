//! A failed REST call as its clients read it: an HTTP status chosen by the kind of failure and a
//! body `{"statusCode": "NOT_FOUND", "message": "..."}`, whose statusCode PyPI's `alluxio` client
//! turns into its exception class.

use alluxio_client::{ClientError, ErrorKind};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::FailureCause;

/// Why a REST call failed.
#[derive(Debug)]
pub(crate) struct RestError {
    kind: ErrorKind,
    message: String,
}

impl RestError {
    /// A malformed request: a bad path, option or stream id.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidArgument,
            message: message.into(),
        }
    }

    /// Something named in the request does not exist (an unknown action or stream).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            message: message.into(),
        }
    }

    /// The request does not fit the current state (a stream busy with another request).
    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::FailedPrecondition,
            message: message.into(),
        }
    }
}

impl From<ClientError> for RestError {
    fn from(err: ClientError) -> Self {
        Self {
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

/// The HTTP status of each kind of failure.
fn http_status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::AlreadyExists => StatusCode::CONFLICT,
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        ErrorKind::ResourceExhausted => StatusCode::INSUFFICIENT_STORAGE,
        ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({ "statusCode": self.kind.status_name(), "message": self.message });
        let mut response = (http_status(self.kind), Json(body)).into_response();
        response.extensions_mut().insert(FailureCause(self.message));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_an_error_status() {
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::InvalidArgument,
            ErrorKind::FailedPrecondition,
            ErrorKind::ResourceExhausted,
            ErrorKind::PermissionDenied,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
        ] {
            let status = http_status(kind);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{kind:?}: {status}"
            );
        }
        assert_eq!(http_status(ErrorKind::NotFound), StatusCode::NOT_FOUND);
    }
}
