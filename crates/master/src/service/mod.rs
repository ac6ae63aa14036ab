//! gRPC adapters: each parses its request, calls the master logic and maps errors once (via
//! `From<MasterError> for Status`).

mod auth;
mod block_client;
mod block_worker;
mod fs;
mod impersonation;
mod metrics;

pub(crate) use auth::AuthLayer;
pub use block_client::BlockClientService;
pub use block_worker::BlockWorkerService;
pub use fs::FsClientService;
pub(crate) use impersonation::Impersonation;
pub use metrics::MetricsService;

use alluxio_proto::AlluxioPath;
use tonic::Status;

use crate::MasterError;

/// Parses a request path; a bad one is InvalidArgument with the parser's message.
fn parse(raw: &str) -> Result<AlluxioPath, Status> {
    AlluxioPath::new(raw).map_err(|err| Status::from(MasterError::from(err)))
}
