//! A synchronous facade over [`crate::FileSystem`], for callers without an async runtime.
