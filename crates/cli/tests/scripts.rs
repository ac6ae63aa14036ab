//! `bin/alluxio-start.sh -w local` (master, worker, proxy), `masters` (the hosts of conf/masters) and
//! `bin/alluxio-stop.sh` with a site file in a temp
//! `ALLUXIO_CONF_DIR`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use common::{Cluster, stderr, stdout};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bin").join(name)
}

/// Runs a distribution script with the temp conf and logs directories.
fn run_script(root: &Path, name: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script(name)).args(args);
    for (var, _) in std::env::vars() {
        if var.starts_with("ALLUXIO_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("HOME", root)
        .env("ALLUXIO_CONF_DIR", root.join("conf"))
        .env("ALLUXIO_LOGS_DIR", root.join("logs"))
        .env("ALLUXIO_START_WAIT_TIMEOUT", "30")
        .output()
        .unwrap()
}

/// Held by each test that starts servers: a start first stops the role's processes it finds on
/// this host (by pid file, else by command line), which would be the other test's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Stops whatever the scripts started, even when an assertion fails half-way.
struct StopGuard(PathBuf);

impl Drop for StopGuard {
    fn drop(&mut self) {
        run_script(&self.0, "alluxio-stop.sh", &["local"]);
    }
}

/// The cluster's temp dir, with its properties in `conf/alluxio-site.properties`.
fn configured(cluster: &Cluster) -> PathBuf {
    let root = cluster.root();
    std::fs::create_dir(root.join("conf")).unwrap();
    let site: String = cluster
        .props
        .iter()
        .map(|p| format!("{}\n", p.trim_start_matches("-D")))
        .collect();
    std::fs::write(root.join("conf/alluxio-site.properties"), site).unwrap();
    root
}

#[test]
fn start_and_stop_scripts_manage_a_local_cluster() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cluster = Cluster::new();
    let root = configured(&cluster);
    let _guard = StopGuard(root.clone());

    let started = run_script(&root, "alluxio-start.sh", &["-w", "local"]);
    assert!(
        started.status.success(),
        "{}{}",
        stdout(&started),
        stderr(&started)
    );
    let text = stdout(&started);
    assert!(
        text.contains("The master serves on")
            && text.contains("The worker serves on")
            && text.contains("The proxy serves on"),
        "{text}"
    );
    let pids: Vec<i32> = ["master", "worker", "proxy"]
        .iter()
        .map(|role| {
            std::fs::read_to_string(root.join(format!("logs/{role}.pid")))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();

    let mkdir = run_script(&root, "alluxio", &["fs", "mkdir", "/from-script"]);
    assert_eq!(
        stdout(&mkdir),
        "Successfully created directory /from-script\n",
        "{}",
        stderr(&mkdir)
    );

    let answer = common::http_post(cluster.proxy_port, "/api/v1/paths//from-script/exists");
    assert!(answer.ends_with("true"), "{answer}");

    let stopped = run_script(&root, "alluxio-stop.sh", &["local"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    for pid in pids {
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        assert!(
            rustix::process::test_kill_process(pid).is_err(),
            "process {pid:?} still runs"
        );
    }
    assert!(!root.join("logs/master.pid").exists());
    assert!(!root.join("logs/proxy.pid").exists());
}

#[test]
fn start_script_rejects_a_bad_action() {
    let root = tempfile::tempdir().unwrap();
    let out = run_script(root.path(), "alluxio-start.sh", &["everything"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid ACTION 'everything'"));
}

#[test]
fn masters_start_on_the_hosts_of_conf_masters_and_need_zookeeper_for_more_than_one() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cluster = Cluster::new();
    let root = configured(&cluster);
    std::fs::write(root.join("conf/masters"), "# the masters\nlocalhost\n\n").unwrap();
    let _guard = StopGuard(root.clone());

    let started = run_script(&root, "alluxio-start.sh", &["-w", "masters"]);
    assert!(
        started.status.success(),
        "{}{}",
        stdout(&started),
        stderr(&started)
    );
    assert!(
        stdout(&started).contains("The master serves on"),
        "{}",
        stdout(&started)
    );
    let pid: i32 = std::fs::read_to_string(root.join("logs/master.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let stopped = run_script(&root, "alluxio-stop.sh", &["masters"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    assert!(
        rustix::process::test_kill_process(pid).is_err(),
        "the master still runs"
    );

    // Two masters without ZooKeeper would each think it leads: refused before any ssh.
    std::fs::write(root.join("conf/masters"), "localhost\nmaster2.example\n").unwrap();
    let refused = run_script(&root, "alluxio-start.sh", &["-N", "masters"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("alluxio.zookeeper.enabled"),
        "{}",
        stderr(&refused)
    );
    assert!(!root.join("logs/master.pid").exists());
}
