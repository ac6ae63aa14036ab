//! Metadata sync, checkConsistency, load, free, stat's persistence state and ASYNC_THROUGH
//! persistence surviving a transient UFS failure, through the shell against a real master and
//! worker, with the UFS directory changed behind Alluxio's back.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Cluster, stderr, wait_until};

/// 2.5 blocks of 1MB, with a pattern that makes misplaced bytes visible.
fn sample() -> Vec<u8> {
    (0..(5 << 19) + 77).map(|i: u32| (i * 13 % 251) as u8).collect()
}

fn ufs(cluster: &Cluster) -> PathBuf {
    cluster.root().join("work/underFSStorage")
}

fn persistence(cluster: &Cluster, path: &str) -> String {
    let stat = cluster.ok(&["fs", "stat", path]);
    let line = stat
        .lines()
        .find(|l| l.trim_start().starts_with("Persistence state:"))
        .unwrap_or_else(|| panic!("stat prints the persistence state: {stat}"));
    line.rsplit(' ').next().unwrap_or_default().to_string()
}

#[test]
fn load_check_consistency_sync_free_and_async_persist_retry() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let ufs = ufs(&cluster);
    let data = sample();
    std::fs::create_dir_all(ufs.join("data")).unwrap();
    std::fs::write(ufs.join("data/a"), &data).unwrap();
    std::fs::write(ufs.join("data/b"), b"bee").unwrap();

    // load: every block ends up in the worker.
    assert_eq!(
        cluster.ok(&["fs", "load", "/data"]),
        "/data/a loaded\n/data/b loaded\n/data loaded\n"
    );
    let location = cluster.ok(&["fs", "location", "/data/a"]);
    let blocks: Vec<&str> = location.lines().skip(1).collect();
    assert_eq!(blocks.len(), 3, "{location}");
    assert!(
        blocks.iter().all(|l| l.ends_with(": 127.0.0.1 (MEM)")),
        "{location}"
    );
    assert_eq!(
        cluster.ok(&["fs", "load", "/data/a"]),
        "/data/a already in Alluxio fully\n"
    );
    assert_eq!(
        cluster.ok(&["fs", "load", "--local", "/data/b"]),
        "/data/b loaded\n"
    );
    assert_eq!(persistence(&cluster, "/data/a"), "PERSISTED");
    let cat = cluster.command().args(["fs", "cat", "/data/a"]).output().unwrap();
    assert!(cat.stdout == data, "the loaded file reads back unchanged");

    // free: persisted files drop their blocks; unpersisted ones are refused.
    assert_eq!(
        cluster.ok(&["fs", "free", "/data/a"]),
        "/data/a was successfully freed from memory.\n"
    );
    let local = cluster.root().join("mine.txt");
    std::fs::write(&local, b"mine").unwrap();
    cluster.ok(&["fs", "copyFromLocal", &local.display().to_string(), "/mine.txt"]);
    assert_eq!(persistence(&cluster, "/mine.txt"), "NOT_PERSISTED");
    let refused = cluster.run(&["fs", "free", "/mine.txt"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("Cannot free file /mine.txt which is not persisted"),
        "{}",
        stderr(&refused)
    );

    // checkConsistency, then -r.
    assert_eq!(
        cluster.ok(&["fs", "checkConsistency", "/data"]),
        "/data is consistent with the under storage system.\n"
    );
    std::fs::remove_file(ufs.join("data/a")).unwrap();
    std::fs::write(ufs.join("data/b"), b"bumblebee").unwrap();
    assert_eq!(
        cluster.ok(&["fs", "checkConsistency", "/data"]),
        "The following files are inconsistent:\n/data/a\n/data/b\n"
    );
    assert_eq!(
        cluster.ok(&["fs", "checkConsistency", "-r", "/data"]),
        "/data has: 2 inconsistent files.\nrepairing path: /data/a\n/data/a repaired\n\n\
         repairing path: /data/b\n/data/b repaired\n\n"
    );
    assert_eq!(
        cluster.ok(&["fs", "checkConsistency", "/data"]),
        "/data is consistent with the under storage system.\n"
    );
    assert_eq!(cluster.ok(&["fs", "stat", "-f", "%N %z", "/data/b"]), "b 9\n");
    assert!(!cluster.run(&["fs", "stat", "/data/a"]).status.success());

    // Metadata sync: -1 (the default) never looks again, 0 looks on every call.
    std::fs::write(ufs.join("data/c"), b"sea").unwrap();
    std::fs::remove_file(ufs.join("data/b")).unwrap();
    let unsynced = cluster.ok(&["fs", "ls", "/data"]);
    assert!(
        unsynced.contains("/data/b") && !unsynced.contains("/data/c"),
        "{unsynced}"
    );
    let sync = "-Dalluxio.user.file.metadata.sync.interval=0";
    let synced = cluster.ok(&[sync, "fs", "ls", "/data"]);
    assert!(
        !synced.contains("/data/b") && synced.contains("/data/c"),
        "{synced}"
    );
    std::fs::write(ufs.join("data/c"), b"the sea").unwrap();
    assert_eq!(cluster.ok(&[sync, "fs", "stat", "-f", "%z", "/data/c"]), "7\n");

    // ASYNC_THROUGH: a file in the way of the UFS directory fails the persist until removed.
    cluster.ok(&["fs", "mkdir", "/blocked"]);
    std::fs::write(ufs.join("blocked"), b"in the way").unwrap();
    let async_write = "-Dalluxio.user.file.writetype.default=ASYNC_THROUGH";
    let local = local.display().to_string();
    cluster.ok(&[async_write, "fs", "copyFromLocal", &local, "/blocked/f"]);
    assert_eq!(persistence(&cluster, "/blocked/f"), "TO_BE_PERSISTED");
    let worker_out = cluster.root().join("worker.out");
    wait_until("a failed persist attempt", Duration::from_secs(30), || {
        std::fs::read_to_string(&worker_out).is_ok_and(|log| log.contains("persisting failed; retrying"))
    });
    assert_eq!(persistence(&cluster, "/blocked/f"), "TO_BE_PERSISTED");
    std::fs::remove_file(ufs.join("blocked")).unwrap();
    wait_until("the retried persist", Duration::from_secs(60), || {
        persistence(&cluster, "/blocked/f") == "PERSISTED"
    });
    assert_eq!(std::fs::read(ufs.join("blocked/f")).unwrap(), b"mine");
    assert_eq!(persistence(&cluster, "/blocked"), "PERSISTED");
}
