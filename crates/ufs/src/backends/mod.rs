//! One file per kind of under storage; [`create`] picks it by the URI's scheme.

mod azure;
mod gcs;
mod hdfs;
mod local;
mod s3;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::Configuration;
use opendal::layers::RetryLayer;

use crate::opendal_ufs::{Kind, OpendalUfs};
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// URI forms this build can serve, for error messages.
pub const SUPPORTED: &str = "absolute paths (/data), file://, s3:// and s3a:// (S3 and compatible \
                             stores), hdfs://, gs:// (Google Cloud Storage), wasb:// and wasbs:// \
                             (Azure Blob Storage) URIs";

/// What one under file system is configured from: a mount's options over the configuration
/// (site file, `-D`, defaults), with the same keys in both.
pub(crate) struct Settings<'a> {
    conf: &'a Configuration,
    options: &'a BTreeMap<String, String>,
    /// The URI being opened, for error messages.
    uri: &'a str,
}

impl<'a> Settings<'a> {
    /// Settings for opening `uri`.
    pub(crate) fn new(conf: &'a Configuration, options: &'a BTreeMap<String, String>, uri: &'a str) -> Self {
        Self { conf, options, uri }
    }

    /// The value of `key`; an empty value counts as unset.
    fn get(&self, key: &str) -> Result<Option<String>, UfsError> {
        let value = match self.options.get(key) {
            Some(value) => Some(value.clone()),
            None => self
                .conf
                .get_opt(key)
                .map_err(|err| self.invalid(err.to_string()))?,
        };
        Ok(value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()))
    }

    /// A boolean `key`, `false` when unset.
    fn get_bool(&self, key: &str) -> Result<bool, UfsError> {
        match self.get(key)? {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(self.invalid(format!("{key} must be true or false, not '{value}'"))),
        }
    }

    /// The first of `keys` that is set, with its name (for error messages naming the source).
    fn first_of(&self, keys: &[&'static str]) -> Result<Option<(&'static str, String)>, UfsError> {
        for key in keys {
            if let Some(value) = self.get(key)? {
                return Ok(Some((key, value)));
            }
        }
        Ok(None)
    }

    fn invalid(&self, reason: String) -> UfsError {
        UfsError::Configuration {
            uri: self.uri.to_string(),
            reason,
        }
    }

    fn bad_uri(&self, reason: impl Into<String>) -> UfsError {
        UfsError::BadUri {
            uri: self.uri.to_string(),
            reason: reason.into(),
        }
    }
}

/// Retries for backends reached over the network: transient failures (connection reset, 5xx,
/// throttling) are retried with exponential backoff; what still fails is reported as permanent.
fn retry_layer() -> RetryLayer {
    RetryLayer::new()
        .with_max_times(3)
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
}

/// An under file system reached over the network: `config`'s service with retries, rooted at
/// `uri`'s path.
fn network_ufs(
    config: impl opendal::Configurator,
    uri: &UfsUri,
    settings: &Settings,
    kind: Kind,
) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    let op = opendal::Operator::from_config(config)
        .map_err(|err| build_failed(settings.uri, err))?
        .layer(retry_layer())
        .finish();
    Ok(Arc::new(OpendalUfs::new(op, uri.root(), kind)))
}

/// Turns an OpenDAL error at build time (no network involved) into a configuration error.
fn build_failed(uri: &str, err: opendal::Error) -> UfsError {
    UfsError::Configuration {
        uri: uri.to_string(),
        reason: err.to_string(),
    }
}

/// A new under file system serving `uri`'s scheme and authority, configured from `settings`.
pub(crate) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    match uri.scheme.as_str() {
        "file" => local::create(uri, settings),
        "s3" | "s3a" => s3::create(uri, settings),
        "hdfs" => hdfs::create(uri, settings),
        "gs" => gcs::create(uri, settings),
        "wasb" | "wasbs" => azure::create(uri, settings),
        other => Err(settings.bad_uri(format!(
            "scheme '{other}' is not supported by this build; it supports {SUPPORTED}"
        ))),
    }
}
