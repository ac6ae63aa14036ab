//! The shell against a real master and worker running as child processes: every fs command on a
//! multi-block file, the admin report, runTests, and a SIGKILLed master recovering its journal.

mod common;

use std::time::Duration;

use common::{Cluster, assert_quiet_into_closed_pipe, stderr, stdout, wait_until};
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

    // Into a pipe its reader closed (`| head`): the command ends quietly, as SIGPIPE ends it.
    for args in [&["fs", "cat", "/dir/sample.bin"], &["fs", "ls", "/dir"]] {
        let mut command = cluster.command();
        command.args(args);
        assert_quiet_into_closed_pipe(command);
    }

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
    let checkpoint = cluster.ok(&["fsadmin", "journal", "checkpoint"]);
    assert!(
        checkpoint.starts_with("Successfully took a checkpoint on master 127.0.0.1:"),
        "{checkpoint}"
    );

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

/// Runs `alluxio fs ARGS` as `user` (`alluxio.security.login.username`).
fn fs_as(cluster: &Cluster, user: &str, args: &[&str]) -> std::process::Output {
    cluster
        .command()
        .arg(format!("-Dalluxio.security.login.username={user}"))
        .arg("fs")
        .args(args)
        .output()
        .expect("run alluxio")
}

/// `fs_as`, asserting success; stdout.
fn ok_as(cluster: &Cluster, user: &str, args: &[&str]) -> String {
    let out = fs_as(cluster, user, args);
    assert!(
        out.status.success(),
        "{user}: fs {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// `fs_as`, asserting failure; stderr.
fn refused_as(cluster: &Cluster, user: &str, args: &[&str]) -> String {
    let out = fs_as(cluster, user, args);
    assert!(
        !out.status.success(),
        "{user}: fs {args:?} succeeded: {}",
        stdout(&out)
    );
    stderr(&out)
}

#[test]
fn two_users_keep_their_private_files_apart_and_the_supergroup_may_do_anything() {
    let mut cluster = Cluster::new();
    // The master's user is `admin`; members of the OS group `root` are superusers too.
    cluster.props.extend([
        "-Dalluxio.security.login.username=admin".to_string(),
        "-Dalluxio.security.authorization.permission.supergroup=root".to_string(),
    ]);
    cluster.start_master();
    cluster.start_worker();
    ok_as(&cluster, "admin", &["mkdir", "/home"]);
    assert_eq!(
        ok_as(&cluster, "admin", &["chmod", "777", "/home"]),
        "Changed permission of /home to 777\n"
    );

    let secret = cluster.root().join("secret.txt");
    std::fs::write(&secret, "alice's secret\n").unwrap();
    ok_as(&cluster, "alice", &["mkdir", "/home/alice"]);
    ok_as(
        &cluster,
        "alice",
        &["copyFromLocal", secret.to_str().unwrap(), "/home/alice/secret"],
    );
    ok_as(&cluster, "alice", &["chmod", "600", "/home/alice/secret"]);
    let listed = ok_as(&cluster, "alice", &["ls", "/home/alice"]);
    assert!(
        listed.contains("-rw-------") && listed.contains("alice"),
        "{listed}"
    );

    let err = refused_as(&cluster, "bob", &["cat", "/home/alice/secret"]);
    assert!(
        err.contains("permission denied: user=bob needs r-- on /home/alice/secret"),
        "{err}"
    );
    let err = refused_as(&cluster, "bob", &["rm", "/home/alice/secret"]);
    assert!(err.contains("permission denied: user=bob"), "{err}");
    // A file bob may read he still may not delete from alice's folder.
    ok_as(&cluster, "alice", &["touch", "/home/alice/shared"]);
    ok_as(&cluster, "bob", &["cat", "/home/alice/shared"]);
    let err = refused_as(&cluster, "bob", &["rm", "/home/alice/shared"]);
    assert!(err.contains("user=bob needs -w- on /home/alice "), "{err}");
    let err = refused_as(&cluster, "bob", &["chmod", "666", "/home/alice/secret"]);
    assert!(err.contains("user=bob is not the owner (alice)"), "{err}");
    let err = refused_as(&cluster, "alice", &["chown", "bob", "/home/alice/secret"]);
    assert!(err.contains("only a superuser changes owners"), "{err}");

    // Bob's own files are his to delete.
    ok_as(&cluster, "bob", &["mkdir", "/home/bob"]);
    ok_as(&cluster, "bob", &["touch", "/home/bob/mine"]);
    ok_as(&cluster, "bob", &["rm", "/home/bob/mine"]);

    // root is in the supergroup: it reads and deletes alice's file, and gives folders away.
    assert_eq!(
        ok_as(&cluster, "root", &["cat", "/home/alice/secret"]),
        "alice's secret\n"
    );
    assert_eq!(
        ok_as(&cluster, "root", &["chown", "-R", "alice:root", "/home/bob"]),
        "Changed owner:group of /home/bob to alice:root.\n"
    );
    ok_as(&cluster, "root", &["rm", "/home/alice/secret"]);
    assert_eq!(
        ok_as(&cluster, "admin", &["chgrp", "root", "/home"]),
        "Changed group of /home to root\n"
    );
    let listed = ok_as(&cluster, "admin", &["ls", "/home"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("alice") && l.contains("root") && l.ends_with("/home/bob")),
        "{listed}"
    );

    // A client of the other authentication type is refused at once, told what to set.
    let started = std::time::Instant::now();
    let out = cluster
        .command()
        .args(["-Dalluxio.security.authentication.type=NOSASL", "fs", "ls", "/"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("NOSASL")
            && err.contains("SIMPLE")
            && err.contains("alluxio.security.authentication.type"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused after {:?}",
        started.elapsed()
    );
}
