//! Helpers shared by the journal integration tests.

use std::path::{Path, PathBuf};

use alluxio_journal::JournalEntry;
use alluxio_proto::grpc::JournalRename;
use alluxio_proto::grpc::journal_entry::Entry;

/// An entry recognisable by `n` (the journal assigns its sequence).
pub fn entry(n: u64) -> JournalEntry {
    JournalEntry {
        entry: Some(Entry::Rename(JournalRename {
            id: n,
            new_name: format!("name-{n}"),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// `entry(n)` as the journal stores it, with sequence `sequence`.
pub fn stored(n: u64, sequence: u64) -> JournalEntry {
    JournalEntry { sequence, ..entry(n) }
}

/// The log segments in `folder`, in sequence order.
pub fn segments(folder: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("log."))
        .collect();
    paths.sort();
    paths
}
