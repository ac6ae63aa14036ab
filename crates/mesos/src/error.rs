//! Errors of the Mesos framework: each names the master URL, file or key involved.

use std::path::PathBuf;

use crate::wire::recordio::RecordIoError;

/// Anything that stops a call, the event stream or the framework.
#[derive(Debug, thiserror::Error)]
pub enum MesosError {
    /// The `--mesos` argument cannot be parsed.
    #[error(
        "invalid Mesos master address {address:?}: {reason}; use host:port, http://host:port, https://host:port or a comma-separated list of them"
    )]
    BadAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP request could not be made or its answer not read.
    #[error("cannot talk to the Mesos master at {url}: {cause}; check the address and that the master runs")]
    Transport {
        /// Endpoint URL.
        url: String,
        /// The client error and its causes, as one line.
        cause: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake with an https:// master failed.
    #[error("TLS with the Mesos master at {url} failed: {cause}")]
    Tls {
        /// Endpoint URL.
        url: String,
        /// What was wrong (untrusted or wrong-host certificate, ...) and what to do.
        cause: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// The extra CA certificates cannot be loaded.
    #[error(
        "cannot load the CA certificates of {path} (alluxio.integration.mesos.ssl.ca.cert.file): {reason}; give a PEM file of CA certificates"
    )]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No answer within the deadline.
    #[error("the Mesos master at {url} did not answer {call} within {seconds} s")]
    Timeout {
        /// Endpoint URL.
        url: String,
        /// The call type.
        call: String,
        /// The deadline.
        seconds: u64,
    },
    /// The master answered with an unexpected status.
    #[error("the Mesos master at {url} answered {status} to {call}: {body}")]
    Rejected {
        /// Endpoint URL.
        url: String,
        /// The call type.
        call: String,
        /// HTTP status code.
        status: u16,
        /// Response body (Mesos explains the refusal there).
        body: String,
    },
    /// A 307 whose `Location` is missing or unusable, or a redirect loop.
    #[error("the Mesos master at {url} redirected to {location:?}, which cannot be followed")]
    BadRedirect {
        /// Endpoint URL.
        url: String,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// A SUBSCRIBE answer without `Mesos-Stream-Id`.
    #[error("the Mesos master at {url} answered SUBSCRIBE without a valid Mesos-Stream-Id header")]
    NoStreamId {
        /// Endpoint URL.
        url: String,
    },
    /// The event stream is not valid RecordIO.
    #[error("event stream from {url}: {source}")]
    RecordIo {
        /// Endpoint URL.
        url: String,
        /// The framing error.
        #[source]
        source: RecordIoError,
    },
    /// An event is not the JSON the v1 API defines.
    #[error("event from {url} is not a valid v1 Event ({source}): {record}")]
    BadEvent {
        /// Endpoint URL.
        url: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
        /// The record (shortened).
        record: String,
    },
    /// The event stream ended or the master refused the framework with an ERROR event.
    #[error("event stream from {url} ended: {reason}")]
    StreamEnded {
        /// Endpoint URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Every master in the list failed.
    #[error("no Mesos master in {masters} accepted SUBSCRIBE; last error: {last}")]
    NoMaster {
        /// The master list.
        masters: String,
        /// The last failure.
        last: Box<MesosError>,
    },
    /// A configuration value is missing or malformed.
    #[error(transparent)]
    Conf(#[from] alluxio_conf::ConfError),
    /// The framework settings are unusable.
    #[error(transparent)]
    Policy(#[from] crate::policy::ConfigError),
    /// Neither `alluxio.integration.mesos.user` nor the passwd entry of the effective uid names
    /// the user Mesos should run the tasks as.
    #[error(
        "cannot tell which user Mesos should run the Alluxio tasks as: {reason}; set alluxio.integration.mesos.user to a user that exists on every agent"
    )]
    NoTaskUser {
        /// Why no user was found.
        reason: String,
    },
    /// The framework state file cannot be read or written.
    #[error(
        "framework state file {path}: {source}; fix its permissions or remove it to start a new framework"
    )]
    StateIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The framework state file does not hold valid state.
    #[error("framework state file {path} is corrupt ({source}); remove it to start a new framework")]
    StateCorrupt {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}
