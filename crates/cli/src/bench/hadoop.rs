//! Hadoop cases: the client jar's `alluxio.hadoop.ReadBenchmark` in a JVM, reading the cached
//! sequential file through `FSDataInputStream.read(byte[1 MiB])` and calling `getFileStatus`,
//! compared with the Rust client doing the same in the same round (`read.short_circuit`, and a
//! loop of `get_status` calls timed here just before the JVM's).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use alluxio_client::{AlluxioPath, FileSystem};
use alluxio_conf::{Configuration, keys};
use anyhow::{Context, bail};

use super::report::{Limit, Line};

/// Bytes per `read` call of the Java read, as Spark's Parquet reader uses.
const JAVA_READ_BUFFER: usize = 1 << 20;
/// `getFileStatus` calls timed on each side.
const STATUS_CALLS: u32 = 5_000;

/// A JVM with the client jar and the Hadoop client on its class path.
#[derive(Debug, Clone)]
pub struct HadoopBench {
    java: PathBuf,
    class_path: String,
    master: String,
}

impl HadoopBench {
    /// Checks that `java` and the jar are there; `hadoop_class_path` holds the Hadoop client
    /// (e.g. `$SPARK_HOME/jars/*` or the output of `hadoop classpath`).
    pub fn new(client_jar: &Path, hadoop_class_path: &str, conf: &Configuration) -> anyhow::Result<Self> {
        if !client_jar.is_file() {
            bail!(
                "--client-jar {} is not a file; build it with dev/build-client-jar.sh",
                client_jar.display()
            );
        }
        let java = find_java().context("the Hadoop cases need a JDK: set JAVA_HOME or put java on PATH")?;
        Ok(Self {
            java,
            class_path: format!("{}:{hadoop_class_path}", client_jar.display()),
            master: format!(
                "{}:{}",
                conf.get(keys::MASTER_HOSTNAME)?,
                conf.get_port(keys::MASTER_PORT)?
            ),
        })
    }

    /// Reads `path` whole through the Hadoop API; `limit` is `read.short_circuit` of this round.
    pub fn read(&self, path: &AlluxioPath, limit: Option<Limit>) -> Line {
        const CASE: &str = "hadoop.read";
        match self.run("read", path, &JAVA_READ_BUFFER.to_string()) {
            Ok(value) => Line::against_any(CASE, value, "MiB/s", limit),
            Err(e) => Line::error(CASE, format!("{e:#}")),
        }
    }

    /// `getFileStatus` of `path` from Java against the Rust client's `get_status`, both single
    /// threaded and warmed up.
    pub async fn get_status(&self, fs: &FileSystem, path: &AlluxioPath) -> Line {
        const CASE: &str = "hadoop.get_status";
        let rust = match rust_status_rate(fs, path).await {
            Ok(rate) => rate,
            Err(e) => return Line::error(CASE, format!("{e:#}")),
        };
        let limit = Limit {
            name: "rust.get_status",
            value: rust,
        };
        match self.run("status", path, &STATUS_CALLS.to_string()) {
            Ok(value) => Line::against(CASE, value, "ops/s", limit),
            Err(e) => Line::error(CASE, format!("{e:#}")),
        }
    }

    /// Runs `ReadBenchmark <mode> alluxio://master/path <count>` and parses its figure.
    fn run(&self, mode: &str, path: &AlluxioPath, count: &str) -> anyhow::Result<f64> {
        let uri = format!("alluxio://{}{path}", self.master);
        let output = Command::new(&self.java)
            .args([
                "-cp",
                &self.class_path,
                "alluxio.hadoop.ReadBenchmark",
                mode,
                &uri,
                count,
            ])
            .output()
            .with_context(|| format!("cannot run {}", self.java.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "ReadBenchmark {mode} {uri} failed ({}): {}{}",
                output.status,
                stdout.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        stdout
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1))
            .filter_map(|value| value.parse().ok())
            .next_back()
            .with_context(|| format!("ReadBenchmark {mode} printed no figure: {stdout}"))
    }
}

/// Calls per second of the Rust client's `get_status`, after as many warm-up calls.
async fn rust_status_rate(fs: &FileSystem, path: &AlluxioPath) -> anyhow::Result<f64> {
    for _ in 0..STATUS_CALLS {
        fs.get_status(path).await?;
    }
    let start = Instant::now();
    for _ in 0..STATUS_CALLS {
        fs.get_status(path).await?;
    }
    Ok(f64::from(STATUS_CALLS) / start.elapsed().as_secs_f64())
}

fn find_java() -> Option<PathBuf> {
    let from_home = std::env::var_os("JAVA_HOME").map(|home| PathBuf::from(home).join("bin/java"));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("java"));
    from_home.into_iter().chain(on_path).find(|java| java.is_file())
}
