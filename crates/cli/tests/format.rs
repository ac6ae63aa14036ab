//! `alluxio format` against a real master and worker: refused while they run, without touching
//! the worker's blocks; `-s` reads the journal folder as the master does; done once they stop.

mod common;

use std::path::Path;

use common::{Cluster, stderr, stdout};

/// Number of block files (named by block id) under `dir`.
fn block_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => block_files(&e.path()),
            Ok(t) if t.is_file() && e.file_name().to_str().is_some_and(|n| n.parse::<u64>().is_ok()) => 1,
            _ => 0,
        })
        .sum()
}

#[test]
fn format_refuses_a_running_cluster_and_keeps_its_blocks() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let data: Vec<u8> = (0..(3 << 19) + 7).map(|i: u32| (i * 13 % 251) as u8).collect();
    let local = cluster.root().join("data.bin");
    std::fs::write(&local, &data).unwrap();
    cluster.ok(&["fs", "copyFromLocal", &local.display().to_string(), "/data.bin"]);
    let mem = cluster.root().join("mem");
    assert_eq!(block_files(&mem), 2);

    let out = cluster.run(&["format"]);
    assert!(
        !out.status.success(),
        "format of a running cluster succeeded: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("journal"), "{err}");
    assert!(!stdout(&out).contains("worker"), "{}", stdout(&out));
    assert_eq!(block_files(&mem), 2);
    let cat = cluster.run(&["fs", "cat", "/data.bin"]);
    assert!(cat.status.success() && cat.stdout == data, "{}", stderr(&cat));

    // The journal folder the master wrote, named as a file:// URI the master also accepts.
    let journal = cluster.root().join("work").join("journal");
    let uri = format!(
        "-Dalluxio.master.journal.folder=file://localhost{}",
        journal.display()
    );
    let skipped = cluster.ok(&[&uri, "format", "-s"]);
    assert!(skipped.contains("already exists; not formatting"), "{skipped}");
    assert_eq!(block_files(&mem), 2);

    let mut worker = cluster.take_worker().unwrap();
    let mut master = cluster.take_master().unwrap();
    assert!(Cluster::terminate(&mut worker).success());
    assert!(Cluster::terminate(&mut master).success());
    let done = cluster.ok(&["format"]);
    assert!(done.ends_with("Format complete.\n"), "{done}");
    assert_eq!(block_files(&mem), 0);
}
