//! The Alluxio worker: a tiered block store (memory first), a data server that moves block bytes,
//! UFS read-through caching and persistence, and heartbeats to the master.

// Proto messages are built with `..Default::default()` even when every field is set today, so
// fields others add to alluxio.proto don't break this crate.
#![allow(clippy::needless_update)]

mod context;
mod data_server;
mod error;
mod master_client;
mod master_sync;
mod metrics;
mod persist;
mod process;
mod rpc;
/// Public for the worker's own integration tests (`tests/store.rs`); other crates use
/// [`tier_dirs`] and the running worker.
pub mod store;
mod web;

pub use error::WorkerError;
pub use process::{RunningWorker, format, start, tier_dirs};
