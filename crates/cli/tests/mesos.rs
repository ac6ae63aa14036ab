//! The Alluxio framework end to end on the Mesos simulator, which runs every task as a real
//! process in its own sandbox: `alluxio-mesos-start.sh` brings up a master and a worker per
//! agent through a LOCAL install and through a tarball made by `dev/package.sh`; a file written
//! through that cluster reads back byte-identical; a killed worker comes back with its cache; a
//! killed and restarted framework re-attaches to its cluster; `alluxio-mesos-stop.sh` tears it
//! all down. Also the command-line contracts of the scripts and of `alluxio mesos`.

mod common;
#[path = "common/mesos_deploy.rs"]
mod deploy;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{alluxio_command, free_port, poll, stderr, stdout, wait_until};
use deploy::{CLUSTER_TIMEOUT, Deployment, Launched, Options, Route};
use rustix::process::{Pid, Signal, kill_process, test_kill_process};

/// `len` bytes of a fixed pseudo-random sequence (no two blocks alike).
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Copies `data` into Alluxio as `path` through the master on `host`.
fn write_file(d: &Deployment, host: &str, path: &str, data: &[u8]) {
    let local = d.root().join(path.trim_start_matches('/'));
    std::fs::write(&local, data).expect("write the local file");
    let local = local.display().to_string();
    let out = d.alluxio(host, &["fs", "copyFromLocal", &local, path]);
    assert!(
        out.status.success(),
        "copyFromLocal failed: {}{}\n{}",
        stdout(&out),
        stderr(&out),
        d.diagnostics()
    );
}

/// `fs cat path` through the master on `host`, or why it failed.
fn read_file(d: &Deployment, host: &str, path: &str) -> Result<Vec<u8>, String> {
    let out = d.alluxio(host, &["fs", "cat", path]);
    match out.status.success() {
        true => Ok(out.stdout),
        false => Err(stderr(&out)),
    }
}

/// Asserts the file reads back exactly as written.
fn assert_reads_back(d: &Deployment, host: &str, path: &str, data: &[u8]) {
    match read_file(d, host, path) {
        Ok(bytes) => assert!(
            bytes == data,
            "{path} read back {} bytes that differ from the {} written",
            bytes.len(),
            data.len()
        ),
        Err(why) => panic!("cat {path} failed: {why}\n{}", d.diagnostics()),
    }
}

fn pid_alive(pid: i32) -> bool {
    Pid::from_raw(pid).is_some_and(|pid| test_kill_process(pid).is_ok())
}

#[test]
fn local_route_serves_files_heals_a_killed_worker_and_stops_cleanly() {
    let d = Deployment::new(Route::Local);
    d.start_framework();
    let cluster = d.wait_for_cluster();
    let host = cluster.masters[0].hostname.clone();
    // The master comes first: it gets the first task id, workers follow once it is healthy.
    assert_eq!(cluster.masters[0].task_id, "0", "{}", d.diagnostics());
    let log = d.framework_out();
    let master_at = log.find("master task 0");
    let first_worker_at = log.find("worker task");
    assert!(
        master_at.is_some() && master_at < first_worker_at,
        "framework.out should show the master launched before the workers:\n{log}"
    );
    // Each task's sandbox got the site file with its own host, and logs in the sandbox.
    let site = std::fs::read_to_string(cluster.masters[0].sandbox.join("conf/alluxio-site.properties"))
        .expect("the master's site file");
    assert!(
        site.contains(&format!("alluxio.master.hostname={host}\n")),
        "{site}"
    );
    assert!(cluster.masters[0].sandbox.join("logs/master.log").is_file());
    for worker in &cluster.workers {
        let site = std::fs::read_to_string(worker.sandbox.join("conf/alluxio-site.properties"))
            .expect("a worker's site file");
        assert!(
            site.contains(&format!("alluxio.worker.hostname={}\n", worker.hostname)),
            "{site}"
        );
        assert!(worker.sandbox.join("logs/worker.log").is_file());
    }
    // Every worker got the configured memory size (ALLUXIO_WORKER_MEMORY_SIZE) as its MEM tier.
    let report = stdout(&d.alluxio(&host, &["fsadmin", "report"]));
    assert!(report.contains("Total Capacity: 96.00MB"), "{report}");

    let data = pattern(3 << 20);
    write_file(&d, &host, "/mesos-local", &data);
    assert_reads_back(&d, &host, "/mesos-local", &data);

    // SIGKILL the worker holding the file's first block: the framework launches a new task on
    // that agent, whose worker finds the blocks in the same /dev/shm dir and serves them again.
    let location = stdout(&d.alluxio(&host, &["fs", "location", "/mesos-local"]));
    let victim = cluster
        .workers
        .iter()
        .find(|w| location.contains(&format!("{} (MEM)", w.hostname)))
        .unwrap_or_else(|| panic!("no worker holds /mesos-local: {location}"))
        .clone();
    assert!(d.ram_dir(&victim.hostname).is_dir(), "{}", d.diagnostics());
    assert!(d.sim().kill_task_process(&victim.task_id));
    let replaced = poll(CLUSTER_TIMEOUT, || {
        let tasks = d.sim().tasks();
        let victim_ended = tasks
            .iter()
            .any(|t| t.task_id == victim.task_id && t.state == "TASK_FAILED");
        let replacement = tasks.iter().any(|t| {
            t.name == "AlluxioWorker"
                && t.hostname == victim.hostname
                && t.task_id != victim.task_id
                && t.state == "TASK_RUNNING"
                && t.healthy == Some(true)
        });
        victim_ended && replacement
    });
    if !replaced {
        d.fail("a new worker task on the killed worker's agent");
    }
    let healed = d.wait_for_cluster();
    assert_eq!(
        healed.masters[0].task_id, "0",
        "the master must not be relaunched"
    );
    let back = poll(CLUSTER_TIMEOUT, || read_file(&d, &host, "/mesos-local").is_ok());
    assert!(
        back,
        "/mesos-local unreadable after the relaunch\n{}",
        d.diagnostics()
    );
    assert_reads_back(&d, &host, "/mesos-local", &data);

    // The stop script tears the framework down: Mesos kills every task, the framework exits.
    let pid = d.framework_pid().expect("framework.pid");
    let stopped = d.script("alluxio-mesos-stop.sh", &[]);
    assert!(
        stopped.status.success(),
        "{}{}",
        stdout(&stopped),
        stderr(&stopped)
    );
    assert!(!pid_alive(pid), "the framework (pid {pid}) still runs");
    wait_until("every task to end", Duration::from_secs(30), || {
        d.live_tasks().is_empty()
    });
    assert!(
        d.sim().frameworks().iter().all(|f| f.id != cluster.framework_id),
        "the framework was not torn down: {:?}",
        d.sim().frameworks()
    );
    assert!(!d.root().join("logs/framework.pid").exists());
}

#[test]
fn tarball_route_brings_up_a_working_cluster() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let tarball = deploy::package(out_dir.path());
    let name = tarball.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let version = name
        .strip_prefix("alluxio-")
        .and_then(|rest| rest.strip_suffix("-bin.tar.gz"))
        .unwrap_or_else(|| panic!("unexpected tarball name {name}"));
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&tarball)
        .output()
        .expect("run tar");
    let listing = stdout(&listing);
    for entry in [
        "bin/alluxio",
        "bin/alluxio-start.sh",
        "conf/alluxio-site.properties.template",
        "conf/workers",
        "libexec/alluxio-config.sh",
        "integration/mesos/bin/alluxio-mesos-start.sh",
        "integration/mesos/bin/alluxio-worker-mesos.sh",
        "lib/alluxio",
        "README.md",
        &format!("client/alluxio-{version}-client.jar"),
    ] {
        let path = format!("alluxio-{version}/{entry}");
        assert!(
            listing.lines().any(|l| l == path),
            "{path} missing from {name}:\n{listing}"
        );
    }

    let d = Deployment::new(Route::Tarball(format!("file://{}", tarball.display())));
    d.start_framework();
    let cluster = d.wait_for_cluster();
    // The fetcher extracted alluxio-<version>/ and the task command renamed it.
    for task in cluster.masters.iter().chain(&cluster.workers) {
        assert!(
            task.sandbox.join("alluxio/lib/alluxio").is_file(),
            "no extracted distribution in {}",
            task.sandbox.display()
        );
    }
    let host = cluster.masters[0].hostname.clone();
    let data = pattern(2 << 20);
    write_file(&d, &host, "/mesos-tarball", &data);
    assert_reads_back(&d, &host, "/mesos-tarball", &data);
}

#[test]
fn agents_off_127_0_0_1_with_default_ports_come_up_from_an_environment_without_user() {
    // As on a multi-host cluster: no agent (and no task) listens on 127.0.0.1, where Mesos
    // sends HTTP and TCP health checks; Alluxio's own ports on every agent; and the framework
    // started with neither USER nor LOGNAME, so the user must come from its uid.
    let d = Deployment::with(
        Route::Local,
        Options {
            agents: Some(vec!["127.0.1.2", "127.0.1.3"]),
            default_ports: true,
            ..Options::default()
        },
    );
    d.start_framework();
    let cluster = d.wait_for_cluster();
    assert_eq!(cluster.workers.len(), 2);
    let host = cluster.masters[0].hostname.clone();
    let data = pattern(2 << 20);
    write_file(&d, &host, "/mesos-multi-agent", &data);
    assert_reads_back(&d, &host, "/mesos-multi-agent", &data);
    let log = d.framework_out();
    assert!(!log.contains("keeps failing"), "{log}");
}

#[test]
fn a_role_with_statically_reserved_resources_gets_its_cluster() {
    let d = Deployment::with(
        Route::Local,
        Options {
            reserved_role: Some("alluxio"),
            ..Options::default()
        },
    );
    d.start_framework();
    d.wait_for_cluster();
    // Every agent offered only resources reserved for `alluxio`; the tasks hold them.
    for agent in d.sim().agents() {
        assert!(agent.used.scalar("cpus") > 0.0, "{agent:?}");
        assert_eq!(agent.used.usable_by("*").scalar("cpus"), 0.0, "{agent:?}");
    }
}

#[test]
fn a_task_that_cannot_start_is_relaunched_with_backoff_and_explained_once() {
    let d = Deployment::with(
        Route::Local,
        Options {
            site: vec![(
                "alluxio.integration.mesos.user",
                "no-such-user-alluxio-test".to_string(),
            )],
            ..Options::default()
        },
    );
    d.start_framework();
    // Relaunched at once, the master would be lost on every offer (one a second); backing off
    // from 1 s, it is launched at about 0, 1, 3 and 7 s.
    std::thread::sleep(Duration::from_secs(12));
    let tasks = d.sim().tasks();
    assert!(
        (3..=5).contains(&tasks.len()),
        "{} launches in 12 s\n{}",
        tasks.len(),
        d.diagnostics()
    );
    assert!(
        tasks.iter().all(|t| t.state == "TASK_LOST"),
        "{}",
        d.diagnostics()
    );
    let log = d.framework_out();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("keeps failing")).collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(
        warnings[0].contains("WARN")
            && warnings[0].contains("REASON_EXECUTOR_TERMINATED")
            && warnings[0].contains("No such user 'no-such-user-alluxio-test'"),
        "{log}"
    );
    let stopped = d.script("alluxio-mesos-stop.sh", &[]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
}

#[test]
fn three_masters_elected_through_zookeeper_keep_serving_when_the_leaders_task_is_killed() {
    let d = Deployment::with(
        Route::Local,
        Options {
            masters: Some(3),
            ..Options::default()
        },
    );
    d.start_framework();
    let cluster = d.wait_for_cluster();
    let mut master_hosts: Vec<&str> = cluster.masters.iter().map(|t| t.hostname.as_str()).collect();
    master_hosts.sort_unstable();
    assert_eq!(master_hosts, d.agents, "one master per agent");
    // Workers join no master host: they find the leader through ZooKeeper, as every task does.
    for worker in &cluster.workers {
        let site = std::fs::read_to_string(worker.sandbox.join("conf/alluxio-site.properties"))
            .expect("a worker's site file");
        assert!(site.contains("alluxio.zookeeper.enabled=true\n"), "{site}");
        assert!(!site.contains("alluxio.master.hostname="), "{site}");
    }
    let any = d.agents[0];
    let leader = stdout(&d.alluxio(any, &["fs", "leader"])).trim().to_string();
    assert!(master_hosts.contains(&leader.as_str()), "leader {leader:?}");
    let leader_task = cluster
        .masters
        .iter()
        .find(|t| t.hostname == leader)
        .expect("the leader's task")
        .clone();

    // A user copies files in a loop; the leader's task is killed while a copy is under way.
    let local = d.root().join("copied.bin");
    // Four blocks a copy: the kill most likely finds a worker committing one to the leader.
    let data = pattern(4 << 20);
    std::fs::write(&local, &data).expect("write the local file");
    let local = local.to_str().expect("utf-8 path");
    let copies = std::sync::Mutex::new((Vec::new(), Vec::new()));
    let killed = std::sync::OnceLock::new();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut after_kill = 0;
            for n in 0..200 {
                let path = format!("/copies/{n}");
                let out = d.alluxio(any, &["fs", "copyFromLocal", local, &path]);
                let mut copies = copies.lock().unwrap();
                match out.status.success() {
                    true => copies.0.push(path),
                    false => copies.1.push(format!("{path}: {}", stderr(&out).trim())),
                }
                after_kill += usize::from(killed.get().is_some() && out.status.success());
                if after_kill == 5 {
                    return;
                }
            }
        });
        let copied = || copies.lock().unwrap().0.len();
        assert!(poll(Duration::from_secs(60), || copied() >= 5), "no copies");
        assert!(d.sim().kill_task_process(&leader_task.task_id));
        killed.set(std::time::Instant::now()).unwrap();
    });
    let (acknowledged, failed) = copies.into_inner().unwrap();
    let killed_at = killed.get().copied();
    let pause = killed_at.expect("killed").elapsed();
    println!(
        "leader task {} on {leader} killed: 5 more copies done {:.1} s later; {} copied, {} failed",
        leader_task.task_id,
        pause.as_secs_f64(),
        acknowledged.len(),
        failed.len()
    );
    // A copy in flight at the kill is retried at the new leader, which answers each of its
    // changes the old one applied instead of applying it again: no copy fails.
    assert!(failed.is_empty(), "{failed:#?}");
    let new_leader = stdout(&d.alluxio(any, &["fs", "leader"])).trim().to_string();
    assert!(
        new_leader != leader && master_hosts.contains(&new_leader.as_str()),
        "{new_leader}"
    );
    for path in &acknowledged {
        assert_reads_back(&d, any, path, &data);
    }

    // The framework relaunches a master on the killed one's agent, where it joins as a standby;
    // no worker is replaced.
    let relaunched = poll(deploy::CLUSTER_TIMEOUT, || {
        d.sim().tasks().iter().any(|t| {
            t.name == "AlluxioMaster"
                && t.hostname == leader
                && t.task_id != leader_task.task_id
                && t.state == "TASK_RUNNING"
                && t.healthy == Some(true)
        })
    });
    if !relaunched {
        d.fail("a new master task on the killed leader's agent");
    }
    let healed = d.wait_for_cluster();
    let worker_ids = |launched: &Launched| {
        let mut ids: Vec<String> = launched.workers.iter().map(|t| t.task_id.clone()).collect();
        ids.sort();
        ids
    };
    assert_eq!(worker_ids(&healed), worker_ids(&cluster));
    let report = stdout(&d.alluxio(any, &["fsadmin", "report"]));
    let masters = format!("{new_leader}:{} (leader)", d.master_port);
    assert!(report.contains(&masters), "{report}");
    assert_eq!(report.matches("(standby)").count(), 2, "{report}");
    let log = d.framework_out();
    assert!(log.contains("joins the election as a standby"), "{log}");
}

#[test]
fn restarted_framework_reattaches_without_duplicate_tasks() {
    let d = Deployment::new(Route::Local);
    d.start_framework();
    let first = d.wait_for_cluster();
    let task_ids = |launched: &Launched| {
        let mut ids: Vec<String> = launched
            .masters
            .iter()
            .chain(&launched.workers)
            .map(|t| t.task_id.clone())
            .collect();
        ids.sort();
        ids
    };

    let pid = d.framework_pid().expect("framework.pid");
    kill_process(Pid::from_raw(pid).expect("a pid"), Signal::KILL).expect("SIGKILL the framework");
    wait_until("the framework to die", Duration::from_secs(10), || {
        !pid_alive(pid)
    });
    // Mesos keeps the tasks through the failover timeout.
    assert_eq!(d.live_tasks().len(), 4, "{}", d.diagnostics());

    d.start_framework();
    // Suppressing again means the new process re-attached and found its cluster complete.
    let settled = poll(CLUSTER_TIMEOUT, || {
        d.sim()
            .frameworks()
            .iter()
            .any(|f| f.id == first.framework_id && f.connected && f.suppressed)
    });
    if !settled {
        d.fail("the restarted framework to re-attach and suppress offers");
    }
    let again = d.wait_for_cluster();
    assert_eq!(again.framework_id, first.framework_id);
    assert_eq!(task_ids(&again), task_ids(&first), "{}", d.diagnostics());
    assert_eq!(d.sim().frameworks().len(), 1, "{:?}", d.sim().frameworks());
    assert_eq!(
        d.sim().tasks().len(),
        4,
        "no task may be launched twice\n{}",
        d.diagnostics()
    );
}

#[test]
fn start_script_needs_an_address_and_stop_script_tolerates_nothing_running() {
    let d = Deployment::new(Route::Local);
    let missing = d.script("alluxio-mesos-start.sh", &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("MESOS_MASTER_ADDRESS is missing"));
    assert!(stderr(&missing).contains("Usage: alluxio-mesos-start.sh [-hw] MESOS_MASTER_ADDRESS"));
    assert!(stdout(&missing).is_empty());

    let help = d.script("alluxio-mesos-start.sh", &["-h"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).starts_with("Usage: alluxio-mesos-start.sh"));

    let bad_flag = d.script("alluxio-mesos-start.sh", &["-x", "127.0.0.1:5050"]);
    assert_eq!(bad_flag.status.code(), Some(1));

    let stop = d.script("alluxio-mesos-stop.sh", &[]);
    assert_eq!(stop.status.code(), Some(0), "{}", stderr(&stop));
    assert_eq!(stdout(&stop), "No Alluxio framework is running\n");
    let stop_with_args = d.script("alluxio-mesos-stop.sh", &["now"]);
    assert_eq!(stop_with_args.status.code(), Some(1));
    assert!(d.sim().frameworks().is_empty());
}

#[test]
fn start_script_with_w_waits_and_passes_sigterm_on_to_the_framework() {
    let d = Deployment::new(Route::Local);
    // Nothing listens there, so the framework keeps retrying until it is told to stop.
    let address = format!("127.0.0.1:{}", free_port());
    let mut script = d
        .script_command("alluxio-mesos-start.sh", &["-w", &address])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn alluxio-mesos-start.sh -w");
    let started = poll(Duration::from_secs(20), || {
        d.framework_out()
            .contains(&format!("against Mesos master {address}"))
    });
    let framework = d.framework_pid();
    kill_process(Pid::from_child(&script), Signal::TERM).expect("SIGTERM the script");
    let exited = poll(Duration::from_secs(20), || {
        matches!(script.try_wait(), Ok(Some(_)))
    });
    if !(started && exited) {
        let _ = script.kill();
        let _ = script.wait();
        panic!(
            "the script did not start the framework or did not exit:\n{}",
            d.framework_out()
        );
    }
    let status = script.wait().expect("exit status");
    assert!(status.success(), "{status:?}\n{}", d.framework_out());
    let framework = framework.expect("framework.pid while it ran");
    assert!(
        !pid_alive(framework),
        "the framework (pid {framework}) outlived the script"
    );
    assert!(
        d.framework_out().contains("SIGTERM received"),
        "{}",
        d.framework_out()
    );
    assert!(!d.root().join("logs/framework.pid").exists());
}

#[test]
fn https_master_is_refused_until_its_ca_is_trusted_through_ssl_cert_file() {
    let d = Deployment::with_tls(Route::Local);
    let address = d.mesos_address();
    assert!(address.starts_with("https://127.0.0.1:"), "{address}");
    let stop = |d: &Deployment| {
        let out = d.script("alluxio-mesos-stop.sh", &[]);
        assert!(out.status.success(), "stop: {}{}", stdout(&out), stderr(&out));
    };

    // Untrusted: the framework keeps retrying, and its log says which master and why.
    d.start_framework();
    let refused = |out: &str| {
        out.lines()
            .find(|line| line.contains("certificate is not trusted"))
            .map(str::to_string)
    };
    if !poll(Duration::from_secs(20), || refused(&d.framework_out()).is_some()) {
        d.fail("the framework to log the untrusted certificate");
    }
    let line = refused(&d.framework_out()).unwrap_or_default();
    assert!(line.contains(&address), "{line}");
    assert!(
        line.contains("alluxio.integration.mesos.ssl.ca.cert.file"),
        "{line}"
    );
    assert!(d.sim().frameworks().is_empty());
    stop(&d);

    // SSL_CERT_FILE names the CA: the framework registers over TLS and launches the master.
    let ca = &d.tls.as_ref().expect("a TLS deployment has certificates").ca;
    let out = d
        .script_command("alluxio-mesos-start.sh", &[&address])
        .env("SSL_CERT_FILE", ca)
        .output()
        .expect("run alluxio-mesos-start.sh");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let launched = poll(Duration::from_secs(30), || {
        d.sim().tasks().iter().any(|t| t.name == "AlluxioMaster")
    });
    if !launched {
        d.fail("the master task over an https master");
    }
    assert!(d.sim().frameworks().iter().any(|f| f.connected));
    stop(&d);
    // TEARDOWN went over TLS too: Mesos forgot the framework and killed its tasks.
    assert!(d.sim().frameworks().is_empty(), "{}", d.diagnostics());
    assert!(d.live_tasks().is_empty(), "{}", d.diagnostics());
}

#[test]
fn mesos_command_rejects_bad_flags_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    for args in [
        &["mesos"][..],
        &["mesos", "--mesos"],
        &["mesos", "-m", "127.0.0.1:5050", "--bogus"],
    ] {
        let out = alluxio_command(dir.path())
            .args(args)
            .output()
            .expect("run alluxio");
        assert_eq!(out.status.code(), Some(1), "alluxio {args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error:"), "{}", stderr(&out));
    }

    // Nothing listens there: the framework keeps retrying until SIGTERM, then exits 0 since
    // Mesos never registered it (nothing to tear down).
    let address = format!("127.0.0.1:{}", free_port());
    let log_path = dir.path().join("framework.out");
    let log = std::fs::File::create(&log_path).expect("create framework.out");
    let mut child = alluxio_command(dir.path())
        .arg(format!("-Dalluxio.work.dir={}", dir.path().display()))
        .args(["mesos", "-m", &address])
        .stdout(log.try_clone().expect("clone framework.out"))
        .stderr(log)
        .spawn()
        .expect("spawn alluxio mesos");
    let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    // The first line comes after the signal handlers are installed.
    let started = poll(Duration::from_secs(20), || {
        read_log().contains(&format!("against Mesos master {address}"))
    });
    kill_process(Pid::from_child(&child), Signal::TERM).expect("SIGTERM");
    let exited = poll(Duration::from_secs(20), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !(started && exited) {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "alluxio mesos did not start or did not exit after SIGTERM:\n{}",
            read_log()
        );
    }
    let status = child.wait().expect("exit status");
    assert!(status.success(), "{status:?}\n{}", read_log());
    assert!(read_log().contains("SIGTERM received"), "{}", read_log());
}

#[test]
fn sandbox_environment_writes_the_site_file_and_binds_to_the_agent_address() {
    let sandbox = tempfile::tempdir().expect("temp dir");
    let env_script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../integration/mesos/bin/alluxio-env-mesos.sh");
    let run = |with_sandbox: bool| {
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(r#". "$1" && cat "$ALLUXIO_CONF_DIR/alluxio-site.properties" && echo "logs=$ALLUXIO_LOGS_DIR" && echo "bind=${ALLUXIO_MESOS_BIND_OPTS[*]}""#)
            .arg("sh")
            .arg(&env_script)
            .env("ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT", "alluxio.master.port=1234\nalluxio.worker.hostname=127.0.0.9")
            .env("LIBPROCESS_IP", "127.0.0.9");
        match with_sandbox {
            true => cmd.env("MESOS_SANDBOX", sandbox.path()),
            false => cmd.env_remove("MESOS_SANDBOX"),
        };
        cmd.output().expect("run bash")
    };
    let out = run(true);
    assert!(out.status.success(), "{}", stderr(&out));
    let root = sandbox.path().display();
    assert_eq!(
        stdout(&out),
        format!(
            "alluxio.master.port=1234\nalluxio.worker.hostname=127.0.0.9\nlogs={root}/logs\n\
             bind=-Dalluxio.master.bind.host=127.0.0.9 -Dalluxio.master.web.bind.host=127.0.0.9 \
             -Dalluxio.worker.bind.host=127.0.0.9\n"
        )
    );
    assert!(sandbox.path().join("logs").is_dir());

    let outside = run(false);
    assert_eq!(outside.status.code(), Some(1));
    assert!(stderr(&outside).contains("MESOS_SANDBOX is not set"));
}
