//! Everything the master, workers and clients agree on: the gRPC services and messages, block and
//! file ids, Alluxio paths, and the framed binary protocol of the worker's data port.

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

/// The version every process reports (`alluxio version`, master info, worker status).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
