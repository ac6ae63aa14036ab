//! Spark (PyPI's pyspark 4.3.0, `local[2]`) reads and writes `alluxio://` paths of a running
//! cluster through the client jar built from this workspace: Parquet and CSV round trips and a
//! word count over a file `alluxio fs copyFromLocal` put there; what Spark wrote is what
//! `alluxio fs ls` shows, with the write type Spark's configuration asked for.

mod common;

use std::process::Command;

use alluxio_testkit::java::client_jar;
use alluxio_testkit::test_python;
use common::{Cluster, stderr, stdout};

#[test]
fn spark_reads_and_writes_alluxio_paths_through_the_client_jar() {
    let jar = client_jar();
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();

    let words = cluster.root().join("words.txt");
    std::fs::write(
        &words,
        "the cache sits under spark\nspark reads the cache\nthe end\n",
    )
    .unwrap();
    cluster.ok(&["fs", "mkdir", "/spark"]);
    cluster.ok(&[
        "fs",
        "copyFromLocal",
        &words.display().to_string(),
        "/spark/words.txt",
    ]);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/spark_job.py");
    let mut job = Command::new(test_python());
    for (name, _) in std::env::vars() {
        if name.starts_with("ALLUXIO_") || name.starts_with("SPARK_") || name == "PYSPARK_SUBMIT_ARGS" {
            job.env_remove(name);
        }
    }
    let output = job
        .arg(script)
        .env("HOME", cluster.root())
        .env(
            "ALLUXIO_URI",
            format!("alluxio://127.0.0.1:{}", cluster.master_port),
        )
        .env("CLIENT_JAR", &jar)
        .env("WORDS_FILE", &words)
        .output()
        .expect("run the Spark job");
    assert!(
        output.status.success(),
        "the Spark job failed ({}):\n{}\n{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );

    for dir in ["/spark/parquet", "/spark/csv"] {
        let listing = cluster.ok(&["fs", "ls", dir]);
        assert!(listing.contains("_SUCCESS"), "{dir}:\n{listing}");
        let parts: Vec<&str> = listing.lines().filter(|l| l.contains("part-")).collect();
        assert!(!parts.is_empty(), "no part files in {dir}:\n{listing}");
        for part in parts {
            // CACHE_THROUGH, as spark.hadoop.alluxio.user.file.writetype.default asked: cached
            // and persisted.
            assert!(part.contains(" PERSISTED "), "{part}");
            assert!(part.contains("100%"), "{part}");
        }
        assert!(!listing.contains("_temporary"), "{dir}:\n{listing}");
    }
}
