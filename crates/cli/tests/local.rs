//! `alluxio local` (master, worker and proxy in one process) driven through the shell and REST: globs, copies in
//! every direction, head/tail, persist then free, TTLs, and a clean stop on Ctrl-C.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::{Cluster, stderr, wait_until};

#[test]
fn local_cluster_serves_the_shell_and_stops_on_sigint() {
    let cluster = Cluster::new();
    let mut local = cluster
        .command()
        .arg("local")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = local.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("Alluxio local cluster is running"), "{first}");
    let banner: Vec<String> = lines
        .by_ref()
        .take_while(|l| !l.as_ref().is_ok_and(|l| l.starts_with("Press Ctrl-C")))
        .map(|l| l.unwrap())
        .collect();
    let banner = banner.join("\n");
    assert!(
        banner.contains(&format!("rpc 127.0.0.1:{}", cluster.master_port)),
        "{banner}"
    );
    assert!(banner.contains("MEM tier: "), "{banner}");
    assert!(
        banner.contains(&format!("REST http://127.0.0.1:{}/api/v1", cluster.proxy_port)),
        "{banner}"
    );
    assert!(banner.contains("alluxio fs copyFromLocal"), "{banner}");
    // Kill the process whatever happens below.
    struct Guard(std::process::Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut local = Guard(local);
    wait_until("the worker to register", Duration::from_secs(30), || {
        let out = cluster.run(&["fs", "getCapacityBytes"]);
        out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("Capacity Bytes: 0")
    });

    let src = cluster.root().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), b"alpha").unwrap();
    std::fs::write(src.join("b.txt"), b"bravo").unwrap();
    std::fs::write(
        src.join("sub/c.log"),
        (0..5000u32).map(|i| (i % 256) as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    cluster.ok(&["fs", "copyFromLocal", &src.display().to_string(), "/in"]);
    assert_eq!(cluster.ok(&["fs", "cat", "/in/*.txt"]), "alphabravo");
    let listed = cluster.ok(&["fs", "ls", "-R", "/in"]);
    assert!(listed.contains("/in/sub/c.log"), "{listed}");
    let head = cluster
        .command()
        .args(["fs", "head", "-c", "3", "/in/sub/c.log"])
        .output()
        .unwrap();
    assert_eq!(head.stdout, [0, 1, 2]);
    let tail = cluster
        .command()
        .args(["fs", "tail", "/in/sub/c.log"])
        .output()
        .unwrap();
    assert_eq!(tail.stdout.len(), 1024);
    assert_eq!(tail.stdout[1023], (4999 % 256) as u8);

    // The proxy serves the same namespace.
    let answer = common::http_post(cluster.proxy_port, "/api/v1/paths//in/a.txt/exists");
    assert!(
        answer.starts_with("HTTP/1.0 200") && answer.ends_with("true"),
        "{answer}"
    );

    cluster.ok(&["fs", "cp", "-R", "/in", "/copy"]);
    assert_eq!(cluster.ok(&["fs", "cat", "/copy/sub/../a.txt"]), "alpha");
    let back = cluster.root().join("back");
    cluster.ok(&["fs", "cp", "-R", "/copy", &format!("file://{}", back.display())]);
    assert_eq!(
        std::fs::read(back.join("sub/c.log")).unwrap(),
        std::fs::read(src.join("sub/c.log")).unwrap()
    );

    assert!(
        cluster
            .ok(&["fs", "persist", "/in/a.txt"])
            .contains("persisted file /in/a.txt with size 5")
    );
    assert_eq!(
        cluster.ok(&["fs", "free", "/in/a.txt"]),
        "/in/a.txt was successfully freed from memory.\n"
    );
    assert_eq!(cluster.ok(&["fs", "cat", "/in/a.txt"]), "alpha");

    let ttl = cluster.ok(&["fs", "setTtl", "/in/b.txt", "1hour", "--action", "free"]);
    assert!(
        ttl.contains("3600000 milliseconds, with expiry action set to FREE"),
        "{ttl}"
    );

    let rm = cluster.run(&["fs", "rm", "/copy"]);
    assert!(!rm.status.success() && stderr(&rm).contains("rm -R"));
    assert_eq!(
        cluster.ok(&["fs", "rm", "-R", "/co*"]),
        "/copy has been removed\n"
    );

    let pid = rustix::process::Pid::from_child(&local.0);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    wait_until("alluxio local to exit", Duration::from_secs(30), || {
        local.0.try_wait().unwrap().is_some()
    });
    assert!(local.0.wait().unwrap().success());
}
