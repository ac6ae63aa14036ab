//! The S3 API: s3s parses requests, checks signatures and writes XML; this module answers the
//! operations over the Alluxio namespace.

use alluxio_client::FileSystem;
use alluxio_conf::Configuration;
use axum::Router;

use crate::ProxyError;

/// The S3 API over one client, served under `/api/v1/s3` and at the root of the S3 port.
#[derive(Clone)]
pub(crate) struct S3Gateway {
    _fs: FileSystem,
}

impl S3Gateway {
    /// Reads the S3 properties (write type, bucket root, credentials).
    pub(crate) fn new(fs: FileSystem, _conf: &Configuration) -> Result<Self, ProxyError> {
        Ok(Self { _fs: fs })
    }

    /// Routes of the API under `/api/v1/s3` of the web port.
    pub(crate) fn prefixed_router(&self) -> Router {
        Router::new()
    }

    /// Routes of the API at the root of the S3 port.
    pub(crate) fn root_router(&self) -> Router {
        Router::new()
    }
}
