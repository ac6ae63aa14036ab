//! Everything the master, workers and clients agree on: the gRPC services and messages, block and
//! file ids, Alluxio paths, and the framed binary protocol of the worker's data port.

pub mod auth;
pub mod codec;
pub mod data;
pub mod ids;
pub mod names;
pub mod path;

/// Messages and services generated from `proto/alluxio.proto`.
#[allow(clippy::all, missing_docs)]
pub mod grpc {
    tonic::include_proto!("alluxio");
}

pub use path::{AlluxioPath, AlluxioUri, PathError};

/// What a master says, in a FAILED_PRECONDITION, of a worker id it does not know: a worker
/// reading it registers again (a new leader knows no worker until each registers with it).
pub const UNREGISTERED_WORKER: &str = "is not registered with this master";

/// The version every process reports (`alluxio version`, master info, worker status).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
