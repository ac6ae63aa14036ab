//! Helpers of the CLI tests: run the real `alluxio` binary with properties pointing at a temp dir,
//! start servers as child processes that are always killed, and poll for readiness.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const ALLUXIO: &str = env!("CARGO_BIN_EXE_alluxio");

/// A port that was free a moment ago (bound on loopback, then released).
/// `EOPNOTSUPP` on Linux: what the FUSE mount answers for what Alluxio's model refuses.
pub const EOPNOTSUPP: i32 = 95;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

/// `N` distinct ports that were free a moment ago (all bound at once, so none repeats).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("local address").port())
}

/// A command for the binary with a clean environment: no `ALLUXIO_*` from the caller and a home
/// directory inside `home`, so no stray site file is read.
pub fn alluxio_command(home: &Path) -> Command {
    let mut cmd = Command::new(ALLUXIO);
    for (name, _) in std::env::vars() {
        if name.starts_with("ALLUXIO_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home).env_remove("RUST_LOG");
    cmd.stdin(Stdio::null());
    cmd
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `command` with stdout a pipe whose reader is already closed (`| head` after it stopped
/// reading) and checks that it ends quietly with the status a shell reports for SIGPIPE.
pub fn assert_quiet_into_closed_pipe(mut command: Command) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = command.stdout(writer).output().expect("run alluxio");
    assert_eq!(out.status.code(), Some(141), "{command:?}: {}", stderr(&out));
    assert_eq!(stderr(&out), "", "{command:?}");
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub fn wait_until(what: &str, limit: Duration, check: impl FnMut() -> bool) {
    if !poll(limit, check) {
        panic!("timed out after {limit:?} waiting for {what}");
    }
}

/// Whether `check` held within `limit`, polled every 50 ms.
pub fn poll(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !check() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A master and a worker as child processes on loopback, with every directory in a temp dir.
pub struct Cluster {
    /// Holds the work dir, tier dir, home and logs.
    pub dir: tempfile::TempDir,
    /// `-D` arguments every invocation gets.
    pub props: Vec<String>,
    /// Master RPC port.
    pub master_port: u16,
    /// Master web port.
    pub master_web_port: u16,
    /// Worker web port.
    pub worker_web_port: u16,
    /// Proxy web port (REST and S3 API).
    pub proxy_port: u16,
    master: Option<Child>,
    worker: Option<Child>,
}

impl Cluster {
    /// Configuration only; nothing started yet.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let [master_port, web, worker, data, worker_web, proxy_port] = free_ports::<6>();
        let props = [
            ("alluxio.work.dir", root.join("work").display().to_string()),
            ("alluxio.master.hostname", "127.0.0.1".into()),
            ("alluxio.master.bind.host", "127.0.0.1".into()),
            ("alluxio.master.web.bind.host", "127.0.0.1".into()),
            ("alluxio.worker.hostname", "127.0.0.1".into()),
            ("alluxio.worker.bind.host", "127.0.0.1".into()),
            ("alluxio.master.port", master_port.to_string()),
            ("alluxio.master.web.port", web.to_string()),
            ("alluxio.worker.port", worker.to_string()),
            ("alluxio.worker.data.port", data.to_string()),
            ("alluxio.worker.web.port", worker_web.to_string()),
            ("alluxio.proxy.web.bind.host", "127.0.0.1".into()),
            ("alluxio.proxy.web.port", proxy_port.to_string()),
            ("alluxio.worker.memory.size", "64MB".into()),
            (
                "alluxio.worker.tieredstore.level0.dirs.path",
                root.join("mem").display().to_string(),
            ),
            ("alluxio.user.block.size.bytes.default", "1MB".into()),
            ("alluxio.worker.block.heartbeat.interval", "100ms".into()),
            ("alluxio.user.rpc.retry.max.duration", "10sec".into()),
        ]
        .iter()
        .map(|(k, v)| format!("-D{k}={v}"))
        .collect();
        Self {
            dir,
            props,
            master_port,
            master_web_port: web,
            worker_web_port: worker_web,
            proxy_port,
            master: None,
            worker: None,
        }
    }

    /// The temp dir.
    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A command with this cluster's properties, ready for more arguments.
    pub fn command(&self) -> Command {
        let mut cmd = alluxio_command(self.dir.path());
        cmd.args(&self.props);
        cmd
    }

    /// Runs `alluxio <props> <args>` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run alluxio")
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "alluxio {args:?} failed with {:?}: {}{}",
            out.status,
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    fn spawn(&self, role: &str) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{role}.out"))).expect("create .out");
        let err = log.try_clone().expect("clone .out");
        self.command()
            .arg(role)
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn alluxio")
    }

    /// Starts the master and waits until its RPC port accepts connections.
    pub fn start_master(&mut self) {
        self.master = Some(self.spawn("master"));
        let port = self.master_port;
        let up = poll(Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        self.assert_ready(up, "the master's RPC port");
    }

    /// Starts a worker and waits until the master counts its capacity.
    pub fn start_worker(&mut self) {
        self.worker = Some(self.spawn("worker"));
        let registered = poll(Duration::from_secs(30), || {
            let out = self.run(&["fs", "getCapacityBytes"]);
            out.status.success() && stdout(&out).trim() != "Capacity Bytes: 0"
        });
        self.assert_ready(registered, "the worker to register");
    }

    /// Panics with the servers' output if `ready` is false.
    fn assert_ready(&self, ready: bool, what: &str) {
        if ready {
            return;
        }
        let out = |role: &str| {
            std::fs::read_to_string(self.dir.path().join(format!("{role}.out"))).unwrap_or_default()
        };
        panic!(
            "timed out waiting for {what}\n--- master.out\n{}\n--- worker.out\n{}",
            out("master"),
            out("worker")
        );
    }

    /// SIGKILLs the master and reaps it.
    pub fn kill_master(&mut self) {
        if let Some(mut child) = self.master.take() {
            child.kill().expect("kill master");
            child.wait().expect("reap master");
        }
    }

    /// Sends SIGTERM to a child and waits (bounded) for its exit status.
    pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_child(child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "process did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Takes the worker process out, for a test that stops it itself.
    pub fn take_worker(&mut self) -> Option<Child> {
        self.worker.take()
    }

    /// Takes the master process out.
    pub fn take_master(&mut self) -> Option<Child> {
        self.master.take()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in [self.worker.take(), self.master.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A FUSE mount of a cluster's root (`alluxio fuse mount`), unmounted on drop, even when the test
/// fails; the background FUSE process is then waited for (and killed if it stays).
pub struct Mounted {
    /// The mount point.
    pub point: PathBuf,
    /// The background FUSE process, as the mount command named it.
    pid: Option<i32>,
}

impl Cluster {
    /// `alluxio fuse mount [-o OPTIONS] <temp dir>/mnt /`, asserting that it mounted.
    pub fn mount_fuse(&self, options: &[&str]) -> Mounted {
        let point = self.root().join("mnt");
        std::fs::create_dir_all(&point).expect("create the mount point");
        let options = options.join(",");
        let mut args = vec!["fuse", "mount"];
        if !options.is_empty() {
            args.extend(["-o", &options]);
        }
        args.extend([point.to_str().expect("UTF-8 path"), "/"]);
        let out = self.run(&args);
        // "Mounted at P (process N, output in F)"
        let pid = stdout(&out)
            .split("(process ")
            .nth(1)
            .and_then(|rest| rest.split(',').next()?.parse().ok());
        let mounted = Mounted { point, pid };
        assert!(
            out.status.success(),
            "mount failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        mounted
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // Quiet: the test may have unmounted already; lazily when still busy.
        let unmount = |args: &[&str]| {
            Command::new("fusermount3")
                .args(args)
                .arg(&self.point)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if !unmount(&["-u"]) {
            unmount(&["-u", "-z"]);
        }
        let Some(pid) = self.pid else { return };
        let stat = format!("/proc/{pid}/stat");
        let exited = || {
            std::fs::read_to_string(&stat)
                .map(|s| s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
                .unwrap_or(true)
        };
        if !poll(Duration::from_secs(10), exited)
            && let Some(pid) = rustix::process::Pid::from_raw(pid)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}

/// POSTs an empty body to `path` on 127.0.0.1:`port` (HTTP/1.0, so the server closes the
/// connection after answering) and returns the whole response, status line and headers included.
pub fn http_post(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the HTTP port");
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the HTTP response");
    response
}
