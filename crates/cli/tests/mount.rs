//! `alluxio fs mount` / `unmount` against a real master and worker: the listing, Alluxio's
//! errors, read-only mounts, and the mount table surviving a master restart.

mod common;

use std::time::Duration;

use common::{Cluster, stderr, stdout, wait_until};

fn fails_with(cluster: &Cluster, args: &[&str], message: &str) {
    let out = cluster.run(args);
    assert!(!out.status.success(), "alluxio {args:?} should fail");
    let err = stderr(&out);
    assert!(
        err.starts_with("Error: ") && err.contains(message),
        "{args:?}: {err}"
    );
}

/// The listing without the UFS space figures, which move as the disk is used.
fn without_space(listing: &str) -> String {
    listing
        .lines()
        .map(|line| match (line.find("capacity="), line.find("used=")) {
            (Some(start), Some(used)) => {
                let end = line[used..].find(", ").map_or(line.len(), |i| used + i + 2);
                format!("{}{}\n", &line[..start], &line[end..])
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn mount_list_refuse_writes_survive_restart_and_unmount() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let extra = cluster.root().join("extra");
    std::fs::create_dir_all(extra.join("sub")).unwrap();
    std::fs::write(extra.join("a.txt"), b"mounted bytes").unwrap();
    let extra_uri = extra.display().to_string();
    // Everything the servers log from here on, at the most detailed level, must keep secrets out.
    cluster.ok(&["logLevel", "--logName=root", "--level=TRACE"]);

    let out = cluster.ok(&[
        "fs",
        "mount",
        "--readonly",
        "--option",
        "aws.secretKey=hush",
        "--option",
        "custom=v",
        "/ro",
        &extra_uri,
    ]);
    assert_eq!(out, format!("Mounted {extra_uri} at /ro\n"));

    let listing = cluster.ok(&["fs", "mount"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    let root_ufs = cluster.root().join("work/underFSStorage").display().to_string();
    assert!(
        lines[0].starts_with(&format!("{root_ufs}  on  /    (local, capacity=")),
        "{listing}"
    );
    assert!(
        lines[0].ends_with("not read-only, not shared, properties={})"),
        "{listing}"
    );
    assert!(lines[1].starts_with(&format!(
        "{extra_uri:<width$}  on  /ro  (local, ",
        width = root_ufs.len()
    )));
    assert!(
        lines[1].ends_with(", read-only, not shared, properties={aws.secretKey=******, custom=v})"),
        "{listing}"
    );
    assert!(!listing.contains("hush"));

    assert_eq!(cluster.ok(&["fs", "cat", "/ro/a.txt"]), "mounted bytes");
    let ls = cluster.ok(&["fs", "ls", "/ro"]);
    assert!(ls.contains("/ro/a.txt") && ls.contains("/ro/sub"), "{ls}");

    fails_with(
        &cluster,
        &["fs", "mkdir", "/ro/new"],
        "A write operation on /ro/new is under a readonly mount point /ro",
    );
    fails_with(
        &cluster,
        &["fs", "rm", "/ro/a.txt"],
        "under a readonly mount point /ro",
    );
    fails_with(
        &cluster,
        &["fs", "mount", "/ro", &extra_uri],
        "Mount point /ro already exists",
    );
    let nested = format!("{extra_uri}/sub");
    fails_with(
        &cluster,
        &["fs", "mount", "/other", &nested],
        &format!("Mount point {extra_uri} is a prefix of {nested}"),
    );
    let missing = cluster.root().join("missing").display().to_string();
    fails_with(
        &cluster,
        &["fs", "mount", "/other", &missing],
        &format!("Ufs path {missing} does not exist"),
    );
    fails_with(
        &cluster,
        &["fs", "unmount", "/"],
        "Failed to unmount /. Please ensure the path is an existing mount point and not root.",
    );
    fails_with(
        &cluster,
        &["fs", "mount", "/only-a-path"],
        "mount takes an Alluxio path and a UFS URI",
    );
    assert!(extra.join("a.txt").exists() && !extra.join("new").exists());

    // The mount is journaled: a restarted master still has it, options included.
    cluster.kill_master();
    cluster.start_master();
    assert_eq!(
        without_space(&cluster.ok(&["fs", "mount"])),
        without_space(&listing)
    );
    wait_until("the worker to register again", Duration::from_secs(30), || {
        let out = cluster.run(&["fs", "getCapacityBytes"]);
        out.status.success() && stdout(&out).trim() != "Capacity Bytes: 0"
    });
    assert_eq!(cluster.ok(&["fs", "cat", "/ro/a.txt"]), "mounted bytes");

    assert_eq!(cluster.ok(&["fs", "unmount", "/ro"]), "Unmounted /ro\n");
    fails_with(&cluster, &["fs", "ls", "/ro"], "/ro");
    assert_eq!(cluster.ok(&["fs", "mount"]).lines().count(), 1);
    assert_eq!(std::fs::read(extra.join("a.txt")).unwrap(), b"mounted bytes");

    // No log line of either server holds the mount's secret.
    let logs = cluster.root().join("work/logs");
    let mut read = 0;
    for entry in std::fs::read_dir(&logs).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        read += text.lines().count();
        assert!(!text.contains("hush"), "{} shows the secret", path.display());
    }
    assert!(read > 100, "the servers logged only {read} lines at TRACE");
}
