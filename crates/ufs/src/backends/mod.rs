//! One file per kind of under storage; [`create`] picks it by the URI's scheme.

mod local;

use std::sync::Arc;

use alluxio_conf::Configuration;

use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// URI forms this build can serve, for error messages.
pub const SUPPORTED: &str = "absolute paths (/data) and file:// URIs";

/// A new under file system serving `uri`'s scheme and authority, configured from `conf`.
pub(crate) fn create(
    uri: &UfsUri,
    original: &str,
    conf: &Configuration,
) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    match uri.scheme.as_str() {
        "file" => local::create(uri, original, conf),
        other => Err(UfsError::BadUri {
            uri: original.to_string(),
            reason: format!("scheme '{other}' is not supported by this build; it supports {SUPPORTED}"),
        }),
    }
}
