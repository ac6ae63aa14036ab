//! `alluxio bench` end to end on its embedded cluster, with sizes small enough for a debug build:
//! every case is printed once, as JSON, with numeric figures (the figures themselves are not
//! asserted: benchmarks print, tests check behaviour), and the Hadoop cases run in a JVM.

mod common;

use std::collections::BTreeSet;

use common::{alluxio_command, stderr, stdout};
use serde_json::Value;

/// Cases compared with a physical limit (or, for the S3 cases through the proxy, with the
/// data-port case of the same round), and what each is compared with.
const LIMITED: [(&str, &str); 17] = [
    ("metadata.get_status.c1", "loopback_round_trips"),
    ("metadata.get_status.c4", "loopback_round_trips"),
    ("metadata.get_status.c16", "loopback_round_trips"),
    ("write.must_cache", "tmpfs_write"),
    ("write.data_port", "loopback_tcp"),
    ("read.short_circuit", "tmpfs_read"),
    ("read.data_port", "loopback_tcp"),
    ("read.ufs_cold", "ufs_read"),
    ("s3.get", "read.data_port"),
    ("s3.put", "write.data_port"),
    ("fuse.read.1MiB", "read.short_circuit"),
    ("fuse.read.256KiB", "read.short_circuit"),
    ("fuse.read.1MiB.o_direct", "read.short_circuit"),
    ("fuse.read.256KiB.o_direct", "read.short_circuit"),
    ("fuse.read.1MiB.one_block", "read.short_circuit"),
    ("fuse.read.256KiB.one_block", "read.short_circuit"),
    ("fuse.write", "write.must_cache"),
];
const OPS: [&str; 5] = ["create_complete", "get_status", "list_status", "rename", "delete"];

/// Held by each test that runs a whole bench: two embedded clusters (and a JVM) measuring at once
/// on a small machine starve each other's timed cases.
static ONE_BENCH_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `alluxio bench --json` with `args` against an embedded cluster; its output and lines.
fn bench_json(args: &[&str]) -> (String, Vec<Value>) {
    bench_json_with(&[], args)
}

/// `alluxio <properties> bench <args> --json`, its output and its lines as JSON.
fn bench_json_with(properties: &[&str], args: &[&str]) -> (String, Vec<Value>) {
    let home = tempfile::tempdir().unwrap();
    let output = alluxio_command(home.path())
        .args(properties)
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&output)
    );
    let lines = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    (text, lines)
}

#[test]
fn bench_prints_every_case_as_json_with_numbers() {
    let _alone = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_, lines) = bench_json(&[
        "--size",
        "8MiB",
        "--duration",
        "200ms",
        "--small-files",
        "50",
        "--list-entries",
        "300",
    ]);
    let mut expected: BTreeSet<String> = LIMITED.iter().map(|(case, _)| case.to_string()).collect();
    for clients in [1, 4, 16] {
        expected.extend(OPS.iter().map(|op| format!("metadata.{op}.c{clients}")));
    }
    expected.extend(["small_files.write".to_string(), "small_files.read".to_string()]);
    expected.insert("hash.md5".to_string());
    expected.insert("web.browse_last_page.300_entries".to_string());
    // The FUSE cases run where /dev/fuse exists, as on this machine and in CI.
    assert!(
        std::path::Path::new("/dev/fuse").exists(),
        "the FUSE cases need /dev/fuse"
    );
    expected.insert("fuse.ls_l.300_entries".to_string());
    let seen: Vec<&str> = lines.iter().filter_map(|l| l["case"].as_str()).collect();
    assert_eq!(
        seen.iter().copied().collect::<BTreeSet<_>>(),
        expected.iter().map(String::as_str).collect()
    );
    assert_eq!(seen.len(), expected.len(), "a case is printed twice: {seen:?}");

    for line in &lines {
        let value = line["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("no numeric value: {line}"));
        assert!(value > 0.0, "{line}");
        let case = line["case"].as_str().unwrap();
        match LIMITED.iter().find(|(name, _)| *name == case) {
            Some((_, limit_case)) => {
                let unit = if case.starts_with("metadata.") {
                    "ops/s"
                } else {
                    "MiB/s"
                };
                assert_eq!(line["unit"], unit, "{line}");
                assert_eq!(line["limit_case"], *limit_case, "{line}");
                let limit = line["limit"].as_f64().unwrap();
                let ratio = line["ratio"].as_f64().unwrap();
                assert!((ratio - value / limit).abs() < 1e-9 * ratio.max(1.0), "{line}");
            }
            None => {
                let unit = if case.starts_with("metadata.") {
                    "ops/s"
                } else if case.starts_with("web.") || case.starts_with("fuse.ls_l.") {
                    "ms"
                } else if case.starts_with("small_files.") {
                    "files/s"
                } else {
                    "MiB/s"
                };
                assert_eq!(line["unit"], unit, "{line}");
                assert!(line.get("ratio").is_none(), "{line}");
            }
        }
    }
}

#[test]
fn bench_scale_loads_stats_lists_checkpoints_and_restarts_a_ufs_tree() {
    let _alone = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // In memory, and on the disk metastore, which the restarted master resumes from. More
    // inodes than one step of a recursive delete removes (2,048).
    for properties in [&[][..], &["-Dalluxio.master.metastore=ROCKS"][..]] {
        let (text, lines) = bench_json_with(
            properties,
            &[
                "--only",
                "scale",
                "--scale-files",
                "2500",
                "--duration",
                "200ms",
                "--size",
                "1MiB",
            ],
        );
        let cases: Vec<(&str, &str)> = lines
            .iter()
            .map(|line| {
                (
                    line["case"].as_str().unwrap(),
                    line["unit"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            cases,
            [
                ("scale.load.2500_files", "files/s"),
                ("scale.resident_per_file.2500_files", "B/file"),
                ("scale.get_status.c16.2500_files", "ops/s"),
                ("scale.list_recursive.2500_files", "entries/s"),
                ("scale.checkpoint.2500_files", "s"),
                ("scale.create_during_checkpoint.c16.2500_files", "ms"),
                ("scale.restart.2500_files", "s"),
                ("scale.delete.2500_files", "inodes/s"),
                ("scale.stat_during_delete.2500_files", "ms"),
                ("scale.load_recursive.2500_files", "entries/s"),
            ],
            "{properties:?}: {text}"
        );
        // Resident memory may even shrink over a load this small; every other figure is positive.
        for line in lines.iter().filter(|line| line["unit"] != "B/file") {
            assert!(line["value"].as_f64().unwrap() > 0.0, "{properties:?}: {line}");
        }
    }
}

#[test]
fn bench_rejects_bad_arguments_naming_them() {
    let home = tempfile::tempdir().unwrap();
    let output = alluxio_command(home.path())
        .args(["bench", "--proxy", "localhost:39999"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "--proxy names the proxy of a --target cluster"
    );
    assert!(stderr(&output).contains("--target"), "{}", stderr(&output));
    let output = alluxio_command(home.path())
        .args(["bench", "--size", "lots"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--size"), "{}", stderr(&output));
    let output = alluxio_command(home.path())
        .args(["bench", "--only", "data,everything"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("everything"), "{}", stderr(&output));
    let output = alluxio_command(home.path())
        .args(["bench", "--rounds", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--rounds"), "{}", stderr(&output));
    let output = alluxio_command(home.path())
        .args(["bench", "--target", "alluxio:///no-master"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("alluxio:///no-master"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bench_runs_the_hadoop_cases_in_a_jvm_with_the_client_jar() {
    let _alone = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().unwrap();
    let jar = alluxio_testkit::java::client_jar();
    let hadoop = format!("{}/*", alluxio_testkit::java::spark_jars_dir().display());
    let output = alluxio_command(home.path())
        .args([
            "bench", "--only", "data", "--size", "8MiB", "--rounds", "1", "--json",
        ])
        .arg("--client-jar")
        .arg(&jar)
        .args(["--hadoop-classpath", &hadoop])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&output)
    );
    for (case, unit, limit_case) in [
        ("hadoop.read", "MiB/s", "read.short_circuit"),
        ("hadoop.get_status", "ops/s", "rust.get_status"),
    ] {
        let line: Value = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .find(|line| line["case"] == case)
            .unwrap_or_else(|| panic!("no {case} line:\n{text}"));
        assert!(line["value"].as_f64().is_some_and(|v| v > 0.0), "{line}");
        assert_eq!(line["unit"], unit, "{line}");
        assert_eq!(line["limit_case"], limit_case, "{line}");
    }
}
