//! `liballuxio_jni`: the native half of `alluxio.hadoop.FileSystem`, the `alluxio://` Hadoop
//! FileSystem that Spark, Hive and Presto load. The Java half (crates/hadoop-jni/java) is a thin
//! layer over the static native methods of `alluxio.jni.NativeClient` implemented here, so the
//! data path is the Rust client's own: short-circuit reads on a worker's host, the data port
//! elsewhere, the same configuration.
//!
//! Every native method runs its body under [`failure::call`], which turns a Rust error into the
//! Java exception a Hadoop caller expects (`FileNotFoundException`,
//! `FileAlreadyExistsException`, ...) and a panic into an `IOException`, so nothing unwinds into
//! the JVM. Clients and streams cross into Java as opaque handles ([`handle`]) that the Java side
//! frees exactly once.

mod client_calls;
mod failure;
mod handle;
mod java_types;
mod streams;
