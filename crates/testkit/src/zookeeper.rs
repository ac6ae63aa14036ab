//! A real ZooKeeper server for the high-availability tests.
//!
//! [`ZooKeeper::start`] runs the standalone server of Debian's `zookeeper` package
//! (`org.apache.zookeeper.server.ZooKeeperServerMain` from `/usr/share/java/zookeeper.jar`, whose
//! manifest names its dependencies) in a JVM on a free port of 127.0.0.1, with its data, config
//! and logs in a temp dir. The package and Java come from `dev/install-test-tools.sh`: a missing
//! one fails the test with what to run, it never skips it.
//!
//! The server ticks every [`TICK_TIME`], so it grants session timeouts from
//! [`MIN_SESSION_TIMEOUT`] (tests want failovers within seconds) up to [`MAX_SESSION_TIMEOUT`]
//! (Alluxio's default of 60 s). [`ZooKeeper::restart`] brings it back on the same port and data:
//! sessions, ephemeral nodes and watches survive a restart shorter than their timeout. Dropping a
//! [`ZooKeeper`] kills the JVM and removes the temp dir; if the test process dies first, the
//! kernel kills the JVM too (parent-death signal).

use std::fs::{File, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::java::jdk_tool;

/// The server's jar; its manifest's `Class-Path` lists the jars it needs.
const SERVER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// An SLF4J binding (Debian's libslf4j-java, a dependency of the server), so the log says why a
/// server did not start.
const LOG_BINDING_JAR: &str = "/usr/share/java/slf4j-simple.jar";
/// What to run when the server is missing.
const INSTALL: &str = "run dev/install-test-tools.sh (it installs Debian's zookeeper package)";
/// The server's clock: session expiry is checked every tick.
pub const TICK_TIME: Duration = Duration::from_millis(100);
/// The shortest session timeout the server grants (it raises shorter requests to this).
pub const MIN_SESSION_TIMEOUT: Duration = Duration::from_millis(200);
/// The longest session timeout the server grants (it lowers longer requests to this).
pub const MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a JVM to serve.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);
/// Tries of [`ZooKeeper::start`]: another process may take the probed port before the JVM binds it.
const START_ATTEMPTS: usize = 3;

/// A standalone ZooKeeper server in a child JVM, on 127.0.0.1.
pub struct ZooKeeper {
    /// `None` while stopped.
    child: Option<Child>,
    addr: SocketAddr,
    /// How many times a JVM was launched; names each launch's log.
    launches: usize,
    /// Dropped after the JVM is killed: config, data and logs.
    dir: TempDir,
}

impl ZooKeeper {
    /// Starts a server on a free loopback port and waits until it serves (a few hundred
    /// milliseconds: JVM startup dominates).
    ///
    /// # Panics
    /// When Java or Debian's zookeeper package is missing (saying what to run), or when the server
    /// does not serve within 30 s (with its log).
    pub async fn start() -> Self {
        assert!(Path::new(SERVER_JAR).is_file(), "no {SERVER_JAR}: {INSTALL}");
        let dir = tempfile::Builder::new()
            .prefix("alluxio-zookeeper-")
            .tempdir()
            .expect("create the ZooKeeper temp dir");
        std::fs::create_dir(dir.path().join("data")).expect("create the ZooKeeper data dir");
        let mut last_error = String::new();
        let mut server = Self {
            child: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            launches: 0,
            dir,
        };
        for _ in 0..START_ATTEMPTS {
            server.addr = free_addr();
            server.write_config();
            match server.launch().await {
                Ok(()) => return server,
                Err(err) => last_error = err,
            }
        }
        panic!("ZooKeeper did not start in {START_ATTEMPTS} attempts: {last_error}");
    }

    /// The connect string of the server: `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Where the server listens.
    pub fn socket_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the JVM is running (it is from [`start`](Self::start) until [`stop`](Self::stop)).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the JVM (SIGKILL: no goodbye to clients, which see their connection reset) and waits
    /// for it to exit. The data stays for [`restart`](Self::restart). Does nothing when stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server if it runs, then starts it again on the same port and data and waits
    /// until it serves. Sessions whose timeout has not passed in the meantime are still valid.
    ///
    /// # Panics
    /// When the server does not serve again within 30 s (for example, the port was taken
    /// meanwhile), with its log.
    pub async fn restart(&mut self) {
        self.stop();
        if let Err(err) = self.launch().await {
            panic!("ZooKeeper did not restart on {}: {err}", self.addr);
        }
    }

    /// The output of the current (or last) JVM: the server's log, then what it printed.
    pub fn log(&self) -> String {
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        format!(
            "{}{}",
            read(self.log_path(self.launches)),
            read(self.dir.path().join("zookeeper.out"))
        )
    }

    /// Launches a JVM on the current config and waits until it serves; on failure the JVM is
    /// killed and the error holds its log.
    async fn launch(&mut self) -> Result<(), String> {
        self.launches += 1;
        let started = Instant::now();
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("zookeeper.out"))
            .map_err(|e| format!("cannot create the ZooKeeper output file: {e}"))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot share the ZooKeeper output file: {e}"))?;
        let mut command = Command::new(jdk_tool("java"));
        command
            .args([
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto",
            ])
            .arg("-Djava.net.preferIPv4Stack=true")
            .arg(format!(
                "-Dorg.slf4j.simpleLogger.logFile={}",
                self.log_path(self.launches).display()
            ))
            .arg("-Dorg.slf4j.simpleLogger.showDateTime=true")
            .arg("-cp")
            .arg(class_path())
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(self.config_path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // SAFETY: the closure runs in the forked child before exec and only makes the prctl
        // system call, which is async-signal-safe; it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(|| {
                // The JVM dies with the thread that started it, even when the test process is
                // killed before it can drop the server.
                rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                    .map_err(std::io::Error::from)
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot run java for ZooKeeper: {e}"))?;
        self.child = Some(child);
        match self.wait_serving().await {
            Ok(()) => {
                tracing::info!(address = %self.addr, elapsed = ?started.elapsed(), "ZooKeeper serves");
                Ok(())
            }
            Err(err) => {
                self.stop();
                Err(format!("{err}; its log:\n{}", self.log()))
            }
        }
    }

    /// Polls the `srvr` four-letter command until the server says it runs standalone.
    async fn wait_serving(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let child = self.child.as_mut().ok_or("the JVM is not running")?;
            if let Some(status) = child
                .try_wait()
                .map_err(|e| format!("cannot poll the ZooKeeper JVM: {e}"))?
            {
                return Err(format!("the ZooKeeper JVM exited ({status}) before serving"));
            }
            if probe(self.addr)
                .await
                .is_some_and(|reply| reply.contains("Mode: standalone"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "ZooKeeper not serving on {} after {START_TIMEOUT:?}",
                    self.addr
                ));
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("zoo.cfg")
    }

    fn log_path(&self, launch: usize) -> PathBuf {
        self.dir.path().join(format!("zookeeper-{launch}.log"))
    }

    /// Writes `zoo.cfg` for the current port. `forceSync=no`: a killed JVM loses nothing the
    /// kernel has (what a restart needs), and tests do not wait for the disk.
    fn write_config(&self) {
        let config = format!(
            "tickTime={tick}\n\
             minSessionTimeout={min}\n\
             maxSessionTimeout={max}\n\
             dataDir={data}\n\
             clientPortAddress={host}\n\
             clientPort={port}\n\
             maxClientCnxns=0\n\
             forceSync=no\n\
             admin.enableServer=false\n\
             4lw.commands.whitelist=srvr,ruok,stat,cons,mntr\n",
            tick = TICK_TIME.as_millis(),
            min = MIN_SESSION_TIMEOUT.as_millis(),
            max = MAX_SESSION_TIMEOUT.as_millis(),
            data = self.dir.path().join("data").display(),
            host = self.addr.ip(),
            port = self.addr.port(),
        );
        let path = self.config_path();
        let mut file =
            File::create(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        std::io::Write::write_all(&mut file, config.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server jar, plus the log binding when it is there.
fn class_path() -> String {
    if Path::new(LOG_BINDING_JAR).is_file() {
        format!("{SERVER_JAR}:{LOG_BINDING_JAR}")
    } else {
        SERVER_JAR.to_string()
    }
}

/// The answer to `srvr`, or `None` when the server does not answer (yet).
async fn probe(addr: SocketAddr) -> Option<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(b"srvr").await.ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.ok()?;
        Some(reply)
    };
    tokio::time::timeout(Duration::from_secs(1), exchange)
        .await
        .ok()
        .flatten()
}

/// An address on 127.0.0.1 whose port was free a moment ago.
fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free loopback port");
    listener.local_addr().expect("the probe listener's address")
}
