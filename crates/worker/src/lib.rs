//! The Alluxio worker: a tiered block store (memory first), a data server that moves block bytes,
//! UFS read-through caching and persistence, and heartbeats to the master.

pub mod store;
