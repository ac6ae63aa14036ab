//! The Alluxio framework for Apache Mesos, over the v1 scheduler HTTP API (no libmesos).
//!
//! `policy` decides (a pure state machine: event in, actions out); `wire` holds the v1 JSON
//! messages and RecordIO framing; `http` talks to the Mesos master; `tasks` shapes the
//! TaskInfos; `framework` drives them all.

mod error;
pub mod framework;
pub mod http;
pub mod policy;
pub mod tasks;
pub mod wire;

pub use error::MesosError;
pub use framework::run;
