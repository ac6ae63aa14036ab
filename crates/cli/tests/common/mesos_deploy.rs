//! An Alluxio deployment on the Mesos simulator for the end-to-end tests: a temp install of the
//! distribution (scripts from this repository, `lib/alluxio` = the binary under test), a site
//! file with ports of its own (or Alluxio's defaults), agents on distinct loopback addresses
//! (127.0.0.2-4 unless told otherwise), and the framework started and stopped with the real
//! `integration/mesos/bin` scripts from an environment without `USER` or `LOGNAME`, as a
//! service manager starts it. With several masters it also runs a real ZooKeeper they are
//! elected through. Dropping it kills every process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use alluxio_testkit::mesos::{MesosSimulator, TaskSnapshot, TestCertificates};
use alluxio_testkit::zookeeper::ZooKeeper;

use crate::common::{ALLUXIO, alluxio_command, free_ports, poll, stderr, stdout};

/// Agents of a deployment unless [`Options::agents`] says otherwise; each is a loopback
/// address tasks bind to.
pub const AGENTS: [&str; 3] = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
/// Alluxio's default master (rpc, web) and worker (rpc, data, web) ports.
const DEFAULT_PORTS: [u16; 5] = [19998, 19999, 29998, 29999, 30000];
/// Bound on a cluster coming up (debug binaries, two shared cores, tests in parallel).
pub const CLUSTER_TIMEOUT: Duration = Duration::from_secs(90);
/// Task states after which a task holds no process.
const TERMINAL: &[&str] = &[
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_DROPPED",
    "TASK_GONE",
    "TASK_GONE_BY_OPERATOR",
    "TASK_UNREACHABLE",
];

/// Where the tasks get the distribution from.
pub enum Route {
    /// `alluxio.integration.mesos.alluxio.jar.url=LOCAL`: installed at `alluxio.home`.
    Local,
    /// A tarball URL (`file:///...tar.gz`) the fetcher extracts into each sandbox.
    Tarball(String),
}

/// A complete cluster as the simulator reports it.
#[derive(Debug)]
pub struct Launched {
    /// The framework that owns the tasks.
    pub framework_id: String,
    /// The master tasks, by task id; one unless the deployment asked for more.
    pub masters: Vec<TaskSnapshot>,
    /// The worker tasks, one per agent.
    pub workers: Vec<TaskSnapshot>,
}

/// How a deployment differs from the default one.
#[derive(Default)]
pub struct Options {
    /// The simulator serves https with a test CA's certificate.
    pub tls: bool,
    /// Agent addresses instead of [`AGENTS`].
    pub agents: Option<Vec<&'static str>>,
    /// Alluxio's default ports instead of free ones (only one test in a binary may use them).
    pub default_ports: bool,
    /// Agents reserve all their resources for this role statically, and the framework runs in it.
    pub reserved_role: Option<&'static str>,
    /// More `key=value` lines for the site file.
    pub site: Vec<(&'static str, String)>,
    /// This many masters (`alluxio.integration.mesos.master.node.count`), elected through a
    /// ZooKeeper the deployment starts; `None` is one master without ZooKeeper.
    pub masters: Option<u64>,
}

/// The ZooKeeper session timeout of the masters of a deployment with several.
pub const SESSION_TIMEOUT: &str = "3s";

/// A simulator with its agents and a temp Alluxio install pointed at it.
pub struct Deployment {
    // An Option so Drop can stop the simulator (killing tasks) before cleaning their dirs.
    sim: Option<MesosSimulator>,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    /// `alluxio.master.port`, distinct from every other test's.
    pub master_port: u16,
    /// `alluxio.worker.port`, distinct from every other test's.
    pub worker_port: u16,
    /// The CA and certificate of a simulator serving https.
    pub tls: Option<TestCertificates>,
    /// The agents' addresses.
    pub agents: Vec<&'static str>,
    /// How many masters run once the cluster is complete.
    pub masters: usize,
    /// The ZooKeeper several masters are elected through, running until the deployment drops.
    _zookeeper: Option<ZooKeeper>,
}

impl Deployment {
    /// Installs, configures and starts the simulator; the framework is not started yet.
    pub fn new(route: Route) -> Self {
        Self::with(route, Options::default())
    }

    /// As [`Deployment::new`], with the simulator serving https with a test CA's certificate.
    pub fn with_tls(route: Route) -> Self {
        Self::with(
            route,
            Options {
                tls: true,
                ..Options::default()
            },
        )
    }

    /// Installs, configures and starts the simulator as `options` say.
    pub fn with(route: Route, options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        install(&root.join("home"));
        let ports = match options.default_ports {
            true => DEFAULT_PORTS,
            false => free_ports::<5>(),
        };
        let [master, master_web, worker, worker_data, worker_web] = ports;
        let jar_url = match route {
            Route::Local => "LOCAL".to_string(),
            Route::Tarball(url) => url,
        };
        let port_keys = [
            ("alluxio.master.port", master),
            ("alluxio.master.web.port", master_web),
            ("alluxio.worker.port", worker),
            ("alluxio.worker.data.port", worker_data),
            ("alluxio.worker.web.port", worker_web),
        ];
        let explicit_ports = port_keys
            .iter()
            .filter(|_| !options.default_ports)
            .map(|(key, port)| (*key, port.to_string()));
        let role = options
            .reserved_role
            .map(|role| ("alluxio.integration.mesos.role", role.to_string()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let zookeeper = options.masters.map(|_| rt.block_on(ZooKeeper::start()));
        let election = options
            .masters
            .zip(zookeeper.as_ref())
            .map(|(count, zookeeper)| {
                [
                    ("alluxio.integration.mesos.master.node.count", count.to_string()),
                    ("alluxio.zookeeper.enabled", "true".to_string()),
                    ("alluxio.zookeeper.address", zookeeper.address()),
                    ("alluxio.zookeeper.session.timeout", SESSION_TIMEOUT.to_string()),
                ]
            })
            .into_iter()
            .flatten();
        let site = [
            ("alluxio.integration.mesos.alluxio.jar.url", jar_url),
            ("alluxio.work.dir", root.join("work").display().to_string()),
            ("alluxio.worker.memory.size", "32MB".into()),
            ("alluxio.integration.master.resource.mem", "256MB".into()),
            ("alluxio.integration.worker.resource.mem", "256MB".into()),
            ("alluxio.user.block.size.bytes.default", "1MB".into()),
            ("alluxio.worker.block.heartbeat.interval", "100ms".into()),
            ("alluxio.user.rpc.retry.max.duration", "10sec".into()),
        ]
        .into_iter()
        .chain(explicit_ports)
        .chain(role)
        .chain(election)
        .chain(options.site)
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect::<String>();
        std::fs::create_dir_all(root.join("conf")).expect("conf dir");
        std::fs::write(root.join("conf/alluxio-site.properties"), site).expect("site file");

        let reserved = options
            .reserved_role
            .map(|role| format!("({role})"))
            .unwrap_or_default();
        let spec = format!(
            "cpus{r}:4;mem{r}:4096;ports{r}:[{m}-{m},{mw}-{mw},{w}-{w},{wd}-{wd},{ww}-{ww}]",
            r = reserved,
            m = master,
            mw = master_web,
            w = worker,
            wd = worker_data,
            ww = worker_web
        );
        let mut builder = MesosSimulator::builder()
            .work_dir(root.join("mesos"))
            .heartbeat_interval(Duration::from_secs(2))
            .kill_grace_period(Duration::from_secs(2));
        let agents = options.agents.unwrap_or_else(|| AGENTS.to_vec());
        for agent in &agents {
            builder = builder.agent(agent, &spec);
        }
        let tls = options.tls.then(|| {
            std::fs::create_dir_all(root.join("tls")).expect("tls dir");
            TestCertificates::generate(&root.join("tls"), &["127.0.0.1"]).expect("test certificates")
        });
        if let Some(certs) = &tls {
            builder = builder.tls(&certs.cert, &certs.key);
        }
        let sim = rt.block_on(builder.start()).expect("start the Mesos simulator");
        Self {
            sim: Some(sim),
            rt,
            dir,
            master_port: master,
            worker_port: worker,
            tls,
            agents,
            masters: options.masters.unwrap_or(1) as usize,
            _zookeeper: zookeeper,
        }
    }

    /// The simulator.
    pub fn sim(&self) -> &MesosSimulator {
        self.sim.as_ref().expect("the simulator runs until drop")
    }

    /// The temp dir holding the install, conf, logs, work dir and sandboxes.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `host:port` of the simulated Mesos master, or `https://host:port` when it serves TLS.
    pub fn mesos_address(&self) -> String {
        match self.tls {
            Some(_) => self.sim().url(),
            None => self.sim().addr().to_string(),
        }
    }

    /// Runs `integration/mesos/bin/<name>` of the install with this deployment's conf and logs.
    pub fn script(&self, name: &str, args: &[&str]) -> Output {
        self.script_command(name, args)
            .output()
            .expect("run a Mesos script")
    }

    /// The command running `integration/mesos/bin/<name>` with this deployment's conf and logs.
    pub fn script_command(&self, name: &str, args: &[&str]) -> Command {
        let root = self.root();
        let mut cmd = Command::new("bash");
        cmd.arg(root.join("home/integration/mesos/bin").join(name))
            .args(args);
        for (var, _) in std::env::vars() {
            if var.starts_with("ALLUXIO_") {
                cmd.env_remove(var);
            }
        }
        cmd.env("HOME", root)
            .env("ALLUXIO_CONF_DIR", root.join("conf"))
            .env("ALLUXIO_LOGS_DIR", root.join("logs"))
            .env("ALLUXIO_MESOS_STOP_TIMEOUT", "30")
            .env_remove("USER")
            .env_remove("LOGNAME")
            .env_remove("RUST_LOG");
        cmd
    }

    /// `alluxio-mesos-start.sh <simulator>`, asserting it succeeded.
    pub fn start_framework(&self) {
        let out = self.script("alluxio-mesos-start.sh", &[&self.mesos_address()]);
        assert!(
            out.status.success(),
            "alluxio-mesos-start.sh failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }

    /// The framework's pid, from the start script's pid file.
    pub fn framework_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.root().join("logs/framework.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    /// The framework's output so far.
    pub fn framework_out(&self) -> String {
        std::fs::read_to_string(self.root().join("logs/framework.out")).unwrap_or_default()
    }

    /// Tasks that still hold (or will hold) a process.
    pub fn live_tasks(&self) -> Vec<TaskSnapshot> {
        self.sim()
            .tasks()
            .into_iter()
            .filter(|t| !TERMINAL.contains(&t.state.as_str()))
            .collect()
    }

    /// Waits until the masters and a worker on every agent run and pass their health checks,
    /// and the (leading) master counts them all live.
    pub fn wait_for_cluster(&self) -> Launched {
        let mut launched = None;
        let complete = poll(CLUSTER_TIMEOUT, || {
            launched = self.launched();
            launched.is_some()
        });
        let launched = match (complete, launched) {
            (true, Some(launched)) => launched,
            _ => self.fail(&format!(
                "{} healthy master(s) and a healthy worker per agent",
                self.masters
            )),
        };
        let host = launched.masters[0].hostname.clone();
        let live = format!("Live Workers: {}\n", self.agents.len());
        let workers_live = poll(CLUSTER_TIMEOUT, || {
            let out = self.alluxio(&host, &["fsadmin", "report"]);
            out.status.success() && stdout(&out).contains(&live)
        });
        if !workers_live {
            self.fail(&format!("the master to count {live}"));
        }
        launched
    }

    fn launched(&self) -> Option<Launched> {
        let healthy: Vec<TaskSnapshot> = self
            .live_tasks()
            .into_iter()
            .filter(|t| t.state == "TASK_RUNNING" && t.healthy == Some(true))
            .collect();
        let (mut masters, workers): (Vec<_>, Vec<_>) =
            healthy.into_iter().partition(|t| t.name == "AlluxioMaster");
        let mut hosts: Vec<&str> = workers.iter().map(|t| t.hostname.as_str()).collect();
        hosts.sort_unstable();
        if masters.len() != self.masters || hosts != self.agents {
            return None;
        }
        masters.sort_by_key(|t| t.task_id.parse::<u64>().unwrap_or(u64::MAX));
        Some(Launched {
            framework_id: masters[0].framework_id.clone(),
            masters,
            workers,
        })
    }

    /// Runs `alluxio <args>` as a client of the master on `master_host` (of the leader, found
    /// through ZooKeeper, when there are several masters).
    pub fn alluxio(&self, master_host: &str, args: &[&str]) -> Output {
        alluxio_command(self.root())
            .env("ALLUXIO_CONF_DIR", self.root().join("conf"))
            .arg(format!("-Dalluxio.master.hostname={master_host}"))
            .arg(format!("-Dalluxio.master.port={}", self.master_port))
            .arg("-Dalluxio.user.rpc.retry.max.duration=10sec")
            .args(args)
            .output()
            .expect("run alluxio")
    }

    /// Panics with what the framework and the tasks wrote.
    pub fn fail(&self, waiting_for: &str) -> ! {
        panic!("timed out waiting for {waiting_for}\n{}", self.diagnostics())
    }

    /// The framework's output, the tasks' states and the tail of every task's output and logs.
    pub fn diagnostics(&self) -> String {
        let mut text = format!("--- framework.out\n{}\n", self.framework_out());
        for task in self.sim().tasks() {
            text.push_str(&format!(
                "--- task {} {} on {}: {} healthy={:?}\n",
                task.task_id, task.name, task.hostname, task.state, task.healthy
            ));
            for file in ["stdout", "stderr", "logs/master.log", "logs/worker.log"] {
                let content = std::fs::read_to_string(task.sandbox.join(file)).unwrap_or_default();
                let tail: Vec<&str> = content.lines().rev().take(15).collect();
                if !tail.is_empty() {
                    text.push_str(&format!("  [{file}]\n"));
                    for line in tail.into_iter().rev() {
                        text.push_str(&format!("    {line}\n"));
                    }
                }
            }
        }
        text
    }

    /// The MEM tier directory the worker script picks on `host` (`/dev/shm/...`).
    pub fn ram_dir(&self, host: &str) -> PathBuf {
        PathBuf::from(format!("/dev/shm/alluxio-mesos-{host}-{}", self.worker_port))
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        // Only a process that still is our framework: a stale pid may have been reused.
        let framework = self.framework_pid().filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.split(|&b| b == 0).any(|arg| arg == b"mesos"))
        });
        if let Some(pid) = framework.and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        if let Some(sim) = self.sim.take() {
            self.rt.block_on(sim.shutdown());
        }
        for host in &self.agents {
            let _ = std::fs::remove_dir_all(self.ram_dir(host));
        }
    }
}

/// A LOCAL install at `home`: this repository's scripts and the binary under test as
/// `lib/alluxio`, which `bin/alluxio` prefers to any build in the repository.
fn install(home: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::create_dir_all(home.join("lib")).expect("install dir");
    for dir in ["bin", "libexec", "integration"] {
        std::os::unix::fs::symlink(repo.join(dir), home.join(dir)).expect("link the scripts");
    }
    std::os::unix::fs::symlink(ALLUXIO, home.join("lib/alluxio")).expect("link the binary");
}

/// `dev/package.sh --binary <binary under test> --client-jar <jar of this build> <out>`: the
/// tarball's path.
pub fn package(out: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dev/package.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("--binary")
        .arg(ALLUXIO)
        .arg("--client-jar")
        .arg(alluxio_testkit::java::client_jar())
        .arg(out)
        .output()
        .expect("run dev/package.sh");
    assert!(
        output.status.success(),
        "dev/package.sh failed: {}{}",
        stdout(&output),
        stderr(&output)
    );
    PathBuf::from(stdout(&output).lines().last().unwrap_or_default())
}
