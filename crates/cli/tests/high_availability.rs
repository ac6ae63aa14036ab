//! Three masters sharing one journal folder, elected through a real ZooKeeper (Debian's, started
//! by the test on a loopback port), a worker and CLI clients that find the leader through
//! ZooKeeper. The leader is killed (-9) or frozen (SIGSTOP) while a client keeps creating
//! folders; every creation that was acknowledged must be in the namespace afterwards, and a
//! frozen leader woken up again must not serve.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alluxio_client::FileSystem;
use alluxio_conf::Configuration;
use alluxio_proto::AlluxioPath;
use alluxio_testkit::s3::S3Server;
use alluxio_testkit::zookeeper::ZooKeeper;
use common::{alluxio_command, free_ports, poll, stderr, stdout};

/// The ZooKeeper session timeout of every master: how long a dead leader's session outlives it.
const SESSION_TIMEOUT: &str = "3s";
/// Longest a failover may take in these tests (the target is 10 s).
const FAILOVER_LIMIT: Duration = Duration::from_secs(10);

/// One master process and its ports.
struct Master {
    rpc_port: u16,
    web_port: u16,
    child: Option<Child>,
}

/// The masters, a worker and the properties every process shares.
struct HaCluster {
    dir: tempfile::TempDir,
    zookeeper: ZooKeeper,
    masters: Vec<Master>,
    worker: Option<Child>,
    /// Where the journal is: `alluxio.master.journal.folder` and what reaching it takes.
    journal: Vec<(String, String)>,
    /// The S3 server holding the journal, when it is in S3.
    _s3: Option<S3Server>,
}

impl HaCluster {
    /// Masters sharing a journal folder on this machine's disk.
    async fn start(masters: usize) -> Self {
        Self::start_with(masters, None).await
    }

    /// Masters sharing a journal in a bucket of a loopback S3 server.
    async fn start_with_journal_in_s3(masters: usize) -> Self {
        let s3 = S3Server::start(&["journal"]).await.unwrap();
        Self::start_with(masters, Some(s3)).await
    }

    async fn start_with(masters: usize, s3: Option<S3Server>) -> Self {
        let zookeeper = ZooKeeper::start().await;
        let dir = tempfile::tempdir().unwrap();
        let journal = match &s3 {
            Some(s3) => s3
                .properties()
                .into_iter()
                .chain([(
                    "alluxio.master.journal.folder".to_string(),
                    "s3://journal/alluxio/journal".to_string(),
                )])
                .collect(),
            None => vec![(
                "alluxio.master.journal.folder".to_string(),
                dir.path().join("journal").display().to_string(),
            )],
        };
        let mut cluster = Self {
            dir,
            zookeeper,
            masters: Vec::new(),
            worker: None,
            journal,
            _s3: s3,
        };
        for _ in 0..masters {
            let [rpc_port, web_port] = free_ports::<2>();
            cluster.masters.push(Master {
                rpc_port,
                web_port,
                child: None,
            });
        }
        for index in 0..masters {
            cluster.start_master(index);
        }
        cluster.start_worker();
        cluster
    }

    /// Properties of every process: the shared journal and ZooKeeper.
    fn props(&self) -> Vec<(String, String)> {
        let root = self.dir.path();
        [
            ("alluxio.work.dir", root.join("work").display().to_string()),
            ("alluxio.master.hostname", "127.0.0.1".into()),
            ("alluxio.master.bind.host", "127.0.0.1".into()),
            ("alluxio.master.web.bind.host", "127.0.0.1".into()),
            ("alluxio.zookeeper.enabled", "true".into()),
            ("alluxio.zookeeper.address", self.zookeeper.address()),
            ("alluxio.zookeeper.session.timeout", SESSION_TIMEOUT.into()),
            ("alluxio.user.rpc.retry.max.duration", "30sec".into()),
            ("alluxio.user.block.size.bytes.default", "1MB".into()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain(self.journal.iter().cloned())
        .collect()
    }

    /// The configuration of a client in this process, as the CLI's.
    fn client_conf(&self) -> Configuration {
        let mut conf = Configuration::defaults();
        for (key, value) in self.props() {
            conf.set(&key, value);
        }
        conf
    }

    fn command(&self) -> Command {
        let mut command = alluxio_command(self.dir.path());
        command.args(self.props().into_iter().map(|(k, v)| format!("-D{k}={v}")));
        command
    }

    fn spawn(&self, name: &str, args: &[String]) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.out"))).unwrap();
        let err = log.try_clone().unwrap();
        self.command().args(args).stdout(log).stderr(err).spawn().unwrap()
    }

    fn start_master(&mut self, index: usize) {
        let (rpc, web) = (self.masters[index].rpc_port, self.masters[index].web_port);
        let args = [
            format!("-Dalluxio.master.port={rpc}"),
            format!("-Dalluxio.master.web.port={web}"),
            "master".to_string(),
        ];
        let child = self.spawn(&format!("master{index}"), &args);
        self.masters[index].child = Some(child);
        let up = poll(Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", rpc)).is_ok()
        });
        assert!(up, "master {index} did not open its port\n{}", self.logs());
    }

    fn start_worker(&mut self) {
        let [rpc, data, web] = free_ports::<3>();
        let root = self.dir.path();
        let args = [
            "-Dalluxio.worker.hostname=127.0.0.1".to_string(),
            "-Dalluxio.worker.bind.host=127.0.0.1".to_string(),
            format!("-Dalluxio.worker.port={rpc}"),
            format!("-Dalluxio.worker.data.port={data}"),
            format!("-Dalluxio.worker.web.port={web}"),
            "-Dalluxio.worker.memory.size=64MB".to_string(),
            format!(
                "-Dalluxio.worker.tieredstore.level0.dirs.path={}",
                root.join("mem").display()
            ),
            "-Dalluxio.worker.block.heartbeat.interval=100ms".to_string(),
            "worker".to_string(),
        ];
        self.worker = Some(self.spawn("worker", &args));
        let registered = poll(Duration::from_secs(60), || {
            let out = self.run(&["fs", "getCapacityBytes"]);
            out.status.success() && stdout(&out).trim() != "Capacity Bytes: 0"
        });
        assert!(registered, "the worker did not register\n{}", self.logs());
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// The index of the master that serves (a standby's web port answers 503).
    fn leader(&self) -> Option<usize> {
        self.masters
            .iter()
            .position(|m| m.child.is_some() && serves(m.web_port))
    }

    /// Waits for a master to lead; returns it and how long it took.
    fn wait_for_leader(&self, limit: Duration) -> (usize, Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(leader) = self.leader() {
                return (leader, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no master leads after {limit:?}\n{}", self.logs());
    }

    fn signal(&self, index: usize, signal: &str) {
        let pid = self.masters[index].child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    fn kill_master(&mut self, index: usize) {
        let mut child = self.masters[index].child.take().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "out"))
            .collect();
        names.sort();
        for name in names {
            let text = std::fs::read_to_string(&name).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            out += &format!("--- {}\n", display_name(&name));
            for line in tail.into_iter().rev() {
                out += line;
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for HaCluster {
    fn drop(&mut self) {
        for master in &mut self.masters {
            if let Some(mut child) = master.child.take() {
                let _ = Command::new("kill")
                    .args(["-CONT", &child.id().to_string()])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some(mut worker) = self.worker.take() {
            let _ = worker.kill();
            let _ = worker.wait();
        }
        self.zookeeper.stop();
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Whether the web server on a loopback port answers as a leading master's does (not 503).
fn serves(port: u16) -> bool {
    http_status(port, "/").is_some_and(|status| status != 503)
}

/// The status code of `GET <path>` on a loopback port, `None` when nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Creates folders `/load/<n>` one after another until `stop` says so; returns those whose
/// creation was acknowledged and the errors of those that were not.
fn create_until(
    cluster: &HaCluster,
    first: usize,
    stop: impl Fn(usize) -> bool,
) -> (BTreeSet<String>, Vec<String>) {
    let (mut acknowledged, mut failed) = (BTreeSet::new(), Vec::new());
    let mut n = first;
    while !stop(n) {
        let path = format!("/load/{n}");
        let out = cluster.run(&["fs", "mkdir", &path]);
        if out.status.success() {
            acknowledged.insert(path);
        } else {
            failed.push(format!("{path}: {}", stderr(&out).trim()));
        }
        n += 1;
    }
    (acknowledged, failed)
}

/// Every acknowledged folder is in the namespace.
fn assert_present(cluster: &HaCluster, acknowledged: &BTreeSet<String>) {
    let out = cluster.run(&["fs", "ls", "/load"]);
    assert!(out.status.success(), "ls failed: {}", stderr(&out));
    let listed = stdout(&out);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|path| {
            !listed
                .lines()
                .any(|line| line.trim_end().ends_with(path.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but missing: {missing:?}\n{listed}"
    );
}

/// What a load of concurrent clients saw.
#[derive(Default)]
struct Load {
    acknowledged: BTreeSet<String>,
    failed: Vec<String>,
    /// When each acknowledged creation was started and acknowledged.
    times: Vec<(Instant, Instant)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_killed_leader_with_every_acknowledged_write() {
    const CLIENTS: usize = 16;
    let mut cluster = HaCluster::start(3).await;
    let (leader, _) = cluster.wait_for_leader(Duration::from_secs(30));
    assert_eq!(
        (0..3).filter(|&i| serves(cluster.masters[i].web_port)).count(),
        1,
        "exactly one master serves"
    );
    // Standbys are healthy processes: a health check (Mesos') must not have them killed.
    for master in &cluster.masters {
        assert_eq!(http_status(master.web_port, "/health"), Some(200));
    }
    cluster.run(&["fs", "mkdir", "/load"]);

    // 16 clients create folders one after another while the leader is killed.
    let load = std::sync::Mutex::new(Load::default());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut killed = None;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (cluster, load, stop) = (&cluster, &load, &stop);
            scope.spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Acquire) {
                    let path = format!("/load/{client}-{n}");
                    let started = Instant::now();
                    let out = cluster.run(&["fs", "mkdir", &path]);
                    let mut load = load.lock().unwrap();
                    if out.status.success() {
                        load.acknowledged.insert(path);
                        load.times.push((started, Instant::now()));
                    } else {
                        load.failed.push(format!("{path}: {}", stderr(&out).trim()));
                    }
                    n += 1;
                }
            });
        }
        let acknowledged = || load.lock().unwrap().acknowledged.len();
        assert!(
            poll(Duration::from_secs(60), || acknowledged() >= 3 * CLIENTS),
            "no load"
        );
        cluster.signal(leader, "-KILL");
        let at = Instant::now();
        killed = Some(at);
        let after_kill = || {
            load.lock()
                .unwrap()
                .times
                .iter()
                .filter(|(started, _)| *started > at)
                .count()
        };
        let resumed = poll(Duration::from_secs(60), || after_kill() >= 3 * CLIENTS);
        stop.store(true, std::sync::atomic::Ordering::Release);
        assert!(
            resumed,
            "the load did not resume after the kill\n{}",
            cluster.logs()
        );
    });
    let killed = killed.unwrap();
    let load = load.into_inner().unwrap();
    // From the kill to the first acknowledgement of a creation started after it.
    let first_after = load
        .times
        .iter()
        .filter(|(started, _)| *started > killed)
        .map(|(_, acknowledged)| *acknowledged)
        .min()
        .unwrap();
    let failover = first_after.duration_since(killed);
    let (new_leader, _) = cluster.wait_for_leader(FAILOVER_LIMIT);
    assert_ne!(new_leader, leader);
    let info = stdout(&cluster.run(&["fs", "masterInfo"]));
    let serving = format!(
        "Leading master: 127.0.0.1:{}",
        cluster.masters[new_leader].rpc_port
    );
    assert!(info.contains(&serving) && info.contains("ZooKeeper"), "{info}");
    assert_eq!(stdout(&cluster.run(&["fs", "leader"])).trim(), "127.0.0.1");
    // The killed master's session has expired: the report lists the two left, with their roles.
    let report = stdout(&cluster.run(&["fsadmin", "report"]));
    let standby = (0..3).find(|&i| i != leader && i != new_leader).unwrap();
    let masters = format!(
        "Masters: 127.0.0.1:{} (leader), 127.0.0.1:{} (standby)",
        cluster.masters[new_leader].rpc_port, cluster.masters[standby].rpc_port
    );
    assert!(report.contains(&masters), "{report}");
    println!(
        "kill -9 of the leader under {CLIENTS} clients creating folders: the first creation after it \
         was acknowledged {:.1} s later (session timeout {SESSION_TIMEOUT}); {} acknowledged, {} failed",
        failover.as_secs_f64(),
        load.acknowledged.len(),
        load.failed.len()
    );
    assert!(failover < FAILOVER_LIMIT, "failover took {failover:?}");
    // A creation in flight at the kill is retried at the new leader, which answers it if the
    // old one applied it: none fails.
    assert!(load.failed.is_empty(), "{:#?}", load.failed);
    assert_present(&cluster, &load.acknowledged);

    // Data is written and read through the new leader.
    let file = cluster.dir.path().join("data.bin");
    std::fs::write(&file, vec![7u8; 3 << 20]).unwrap();
    let copied = cluster.run(&["fs", "copyFromLocal", file.to_str().unwrap(), "/data.bin"]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert_eq!(cluster.run(&["fs", "cat", "/data.bin"]).stdout.len(), 3 << 20);

    // Every master restarted: the namespace is the journal's.
    for index in 0..3 {
        if cluster.masters[index].child.is_some() {
            cluster.kill_master(index);
        }
    }
    for index in 0..3 {
        cluster.start_master(index);
    }
    cluster.wait_for_leader(Duration::from_secs(30));
    assert_present(&cluster, &load.acknowledged);
    // Once the worker has registered with the new leader, its cached blocks are found again.
    let read = poll(Duration::from_secs(30), || {
        cluster.run(&["fs", "cat", "/data.bin"]).stdout.len() == 3 << 20
    });
    assert!(
        read,
        "the cached file is not read after the masters restarted\n{}",
        cluster.logs()
    );
}

/// A file opened before the leader dies reads on from the worker's cache while no master leads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_file_of_cached_blocks_reads_on_while_the_masters_elect() {
    let cluster = HaCluster::start(2).await;
    let (leader, _) = cluster.wait_for_leader(Duration::from_secs(30));
    let data: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
    let local = cluster.dir.path().join("cached.bin");
    std::fs::write(&local, &data).unwrap();
    let copied = cluster.run(&["fs", "copyFromLocal", local.to_str().unwrap(), "/cached.bin"]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let path = AlluxioPath::new("/cached.bin").unwrap();
    let mut input = fs.open_file(&path, Default::default()).await.unwrap();
    let mut read = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    while read.len() < 1 << 20 {
        let n = input.read(&mut buf).await.unwrap();
        assert!(n > 0, "the file ended early");
        read.extend_from_slice(&buf[..n]);
    }

    cluster.signal(leader, "-KILL");
    let killed = Instant::now();
    let rest = input.read_to_end().await.unwrap();
    let took = killed.elapsed();
    read.extend(rest);
    assert!(read == data, "the bytes read differ from the file's");
    // The dead leader's session outlives it by the session timeout: nobody leads yet.
    assert_eq!(cluster.leader(), None, "the read outlasted the election");
    println!(
        "the last 2 MiB of an open file read in {} ms after the leader was killed, while no master led",
        took.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_serves_again_after_zookeeper_restarts() {
    let mut cluster = HaCluster::start(2).await;
    cluster.wait_for_leader(Duration::from_secs(30));
    cluster.run(&["fs", "mkdir", "/load"]);
    let (mut acknowledged, failed) = create_until(&cluster, 0, |n| n == 5);
    assert!(failed.is_empty(), "{failed:?}");
    cluster.zookeeper.restart().await;
    let (leader, after) = cluster.wait_for_leader(Duration::from_secs(30));
    let (more, failed) = create_until(&cluster, 5, |n| n == 10);
    assert!(failed.is_empty(), "{failed:?}\n{}", cluster.logs());
    acknowledged.extend(more);
    println!(
        "ZooKeeper restarted: master {leader} serves {:.1} s later",
        after.as_secs_f64()
    );
    assert_present(&cluster, &acknowledged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_woken_after_a_failover_does_not_serve() {
    freeze_the_leader_until_the_other_leads(&HaCluster::start(2).await);
}

/// The same with the journal in S3: the new leader claims its epoch with a conditional create
/// (`If-None-Match: *`), which is what keeps the woken leader from appending.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_leader_of_a_journal_in_s3_woken_after_a_failover_does_not_serve() {
    freeze_the_leader_until_the_other_leads(&HaCluster::start_with_journal_in_s3(2).await);
}

/// SIGSTOPs the leader of two masters, creates folders while the other takes over, wakes the
/// old leader and checks that it steps down and that every acknowledged folder is there.
fn freeze_the_leader_until_the_other_leads(cluster: &HaCluster) {
    let (leader, _) = cluster.wait_for_leader(Duration::from_secs(30));
    cluster.run(&["fs", "mkdir", "/load"]);
    let (mut acknowledged, _) = create_until(cluster, 0, |n| n == 5);

    cluster.signal(leader, "-STOP");
    let (more, _) = create_until(cluster, 5, |n| n == 10);
    acknowledged.extend(more);
    let other = 1 - leader;
    assert!(serves(cluster.masters[other].web_port), "the other master leads");

    cluster.signal(leader, "-CONT");
    // Woken up, the old leader finds its session expired and its journal fenced: it must step
    // down rather than serve, and the namespace stays the new leader's.
    let stepped_down = poll(Duration::from_secs(10), || {
        !serves(cluster.masters[leader].web_port)
    });
    assert!(stepped_down, "the woken leader still serves\n{}", cluster.logs());
    let (more, failed) = create_until(cluster, 10, |n| n == 15);
    assert!(failed.is_empty(), "{failed:?}");
    acknowledged.extend(more);
    assert_eq!(cluster.leader(), Some(other));
    assert_present(cluster, &acknowledged);
}
