//! The shell against a real master and worker running as child processes: every fs command on a
//! multi-block file, the admin report, runTests, and a SIGKILLed master recovering its journal.

mod common;

use std::time::Duration;

use common::{Cluster, stderr, stdout, wait_until};
use md5::{Digest, Md5};

/// 2.5 blocks of 1MB, with a pattern that makes misplaced bytes visible.
fn sample() -> Vec<u8> {
    (0..(5 << 19) + 123).map(|i: u32| (i * 7 % 253) as u8).collect()
}

#[test]
fn fs_commands_admin_report_run_tests_and_master_recovery() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let data = sample();
    let local = cluster.root().join("sample.bin");
    std::fs::write(&local, &data).unwrap();
    let local_str = local.display().to_string();

    assert_eq!(
        cluster.ok(&["fs", "mkdir", "/dir"]),
        "Successfully created directory /dir\n"
    );
    let copied = cluster.ok(&["fs", "copyFromLocal", &local_str, "/dir"]);
    assert_eq!(copied, format!("Copied {local_str} to /dir/sample.bin\n"));

    let cat = cluster
        .command()
        .args(["fs", "cat", "/dir/sample.bin"])
        .output()
        .unwrap();
    assert!(cat.status.success(), "{}", stderr(&cat));
    assert!(
        cat.stdout == data,
        "cat returned {} bytes that differ from the {} written",
        cat.stdout.len(),
        data.len()
    );

    let ls = cluster.ok(&["fs", "ls", "/dir"]);
    let row = ls
        .lines()
        .find(|l| l.ends_with("/dir/sample.bin"))
        .expect("ls lists the file");
    assert!(row.starts_with("-rw-r--r--"), "{row}");
    assert!(
        row.contains(&data.len().to_string()) && row.contains("NOT_PERSISTED") && row.contains("100%"),
        "{row}"
    );

    let stat = cluster.ok(&["fs", "stat", "-f", "%N %z %b", "/dir/sample.bin"]);
    assert_eq!(stat, format!("sample.bin {} 3\n", data.len()));

    let md5 = format!("{:x}", Md5::digest(&data));
    assert_eq!(
        cluster.ok(&["fs", "checksum", "/dir/sample.bin"]),
        format!("md5sum: {md5}\n")
    );

    let count = cluster.ok(&["fs", "count", "/dir"]);
    let values: Vec<&str> = count.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(values, ["1", "1", &data.len().to_string()]);
    let du = cluster.ok(&["fs", "du", "-s", "/dir"]);
    assert!(
        du.lines().nth(1).unwrap().starts_with(&data.len().to_string()),
        "{du}"
    );

    let code = |args: &[&str]| cluster.run(args).status.code();
    assert_eq!(code(&["fs", "test", "-d", "/dir"]), Some(0));
    assert_eq!(code(&["fs", "test", "-f", "/dir"]), Some(1));
    assert_eq!(code(&["fs", "test", "-e", "/dir/sample.bin"]), Some(0));
    assert_eq!(code(&["fs", "test", "-e", "/nowhere"]), Some(1));
    assert!(cluster.run(&["fs", "test", "-e", "/nowhere"]).stdout.is_empty());

    assert_eq!(
        cluster.ok(&["fs", "pin", "/dir/sample.bin"]),
        "File '/dir/sample.bin' was successfully pinned.\n"
    );
    assert!(
        cluster
            .ok(&["fs", "ls", "-p", "/dir"])
            .contains("/dir/sample.bin")
    );
    cluster.ok(&["fs", "unpin", "/dir/sample.bin"]);
    assert!(
        !cluster
            .ok(&["fs", "ls", "-p", "/dir"])
            .contains("/dir/sample.bin")
    );

    let free = cluster.run(&["fs", "free", "/dir/sample.bin"]);
    assert!(!free.status.success());
    let err = stderr(&free);
    assert!(
        err.starts_with("Error: ") && err.contains("/dir/sample.bin") && err.contains("not persisted"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    assert_eq!(
        cluster.ok(&["fs", "mv", "/dir/sample.bin", "/dir/moved.bin"]),
        "Renamed /dir/sample.bin to /dir/moved.bin\n"
    );
    cluster.ok(&["fs", "touch", "/dir/gone"]);
    assert_eq!(
        cluster.ok(&["fs", "rm", "/dir/gone"]),
        "/dir/gone has been removed\n"
    );
    assert_eq!(code(&["fs", "test", "-e", "/dir/gone"]), Some(1));

    let out_dir = cluster.root().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    cluster.ok(&[
        "fs",
        "copyToLocal",
        "/dir/moved.bin",
        &out_dir.display().to_string(),
    ]);
    assert!(std::fs::read(out_dir.join("moved.bin")).unwrap() == data);

    let report = cluster.ok(&["fsadmin", "report"]);
    assert!(report.contains("Live Workers: 1"), "{report}");
    assert!(report.contains("Tier: MEM  Size: 64.00MB"), "{report}");
    let capacity = cluster.ok(&["fsadmin", "report", "capacity"]);
    assert!(capacity.lines().any(|l| l.starts_with("127.0.0.1")), "{capacity}");

    let tests = cluster.run(&["runTests"]);
    assert!(tests.status.success(), "{}{}", stdout(&tests), stderr(&tests));
    assert_eq!(
        stdout(&tests).matches("Passed the test!").count(),
        12,
        "{}",
        stdout(&tests)
    );
    assert!(stdout(&tests).contains("12 passed, 0 failed"));

    // Everything acknowledged above must survive a master killed without warning.
    cluster.kill_master();
    cluster.start_master();
    let listed = cluster.ok(&["fs", "ls", "-R", "/"]);
    for path in ["/dir/moved.bin", "/default_tests_files/Basic_CACHE_MUST_CACHE"] {
        assert!(listed.contains(path), "{path} missing after restart:\n{listed}");
    }
    assert!(!listed.contains("/dir/gone"), "{listed}");
    // Block locations come back when the worker re-registers with the new master.
    wait_until(
        "the file to be readable after the restart",
        Duration::from_secs(30),
        || {
            let cat = cluster
                .command()
                .args(["fs", "cat", "/dir/moved.bin"])
                .output()
                .unwrap();
            cat.status.success() && cat.stdout == data
        },
    );
    let md5_after = cluster.ok(&["fs", "checksum", "/dir/moved.bin"]);
    assert_eq!(md5_after, format!("md5sum: {md5}\n"));
    // The runTests files too, whatever their write type: same names, same bytes.
    let pattern: Vec<u8> = (0..256 * 1024 + 17).map(|i: usize| (i % 251) as u8).collect();
    let test_files: Vec<String> = cluster
        .ok(&["fs", "ls", "/default_tests_files"])
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .collect();
    assert_eq!(test_files.len(), 12, "{test_files:?}");
    for file in &test_files {
        let cat = cluster.command().args(["fs", "cat", file]).output().unwrap();
        assert!(cat.status.success(), "{file}: {}", stderr(&cat));
        assert!(cat.stdout == pattern, "{file} differs after the restart");
    }
}

#[test]
fn servers_stop_cleanly_on_sigterm() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let mut worker = cluster.take_worker().unwrap();
    assert!(Cluster::terminate(&mut worker).success());
    let mut master = cluster.take_master().unwrap();
    assert!(Cluster::terminate(&mut master).success());
    let log = std::fs::read_to_string(cluster.root().join("work/logs/master.log")).unwrap();
    assert!(log.contains("SIGTERM"), "{log}");
}
