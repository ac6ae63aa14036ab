//! `alluxio bench`: data-path figures next to the physical limits measured in the same run, S3
//! GET and PUT through the proxy, metadata operations per second, many small files, and reads,
//! writes and `ls -l` through a FUSE mount, against an embedded cluster and proxy (default) or a
//! running one (`--target`, `--proxy`).

mod cluster;
mod fuse;
mod hadoop;
mod limits;
mod metadata;
mod report;
mod s3;
mod scale;
mod small_files;
mod throughput;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alluxio_client::AlluxioPath;
use alluxio_conf::{Configuration, keys};
use anyhow::Context;

use crate::exit;
use report::Reporter;

/// Options of `alluxio bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Print one JSON object per line instead of aligned text.
    #[arg(long)]
    json: bool,
    /// Size of the sequential read and write files (e.g. 1GiB, 512MB).
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    size: u64,
    /// A running cluster (alluxio://host:port) instead of an embedded one.
    #[arg(long)]
    target: Option<String>,
    /// With --target, the cluster's proxy (host:port, S3 bucket root `/`) for the S3 cases;
    /// without it they are left out.
    #[arg(long, requires = "target")]
    proxy: Option<String>,
    /// The Hadoop client jar (alluxio-<version>-client.jar): adds the Hadoop cases, run in a
    /// JVM (java from JAVA_HOME or PATH).
    #[arg(long = "client-jar", requires = "hadoop_class_path")]
    client_jar: Option<PathBuf>,
    /// The class path of the Hadoop client for the Hadoop cases (e.g. '$SPARK_HOME/jars/*' or
    /// the output of `hadoop classpath`).
    #[arg(long = "hadoop-classpath", requires = "client_jar")]
    hadoop_class_path: Option<String>,
    /// Measured time of each metadata operation at each concurrency (e.g. 5s, 200ms).
    #[arg(long, default_value = "5s", value_parser = parse_time)]
    duration: Duration,
    /// Number of 64 KiB files written and read back.
    #[arg(long = "small-files", default_value_t = 10_000)]
    small_files: usize,
    /// Entries of the directory listed by the listStatus case.
    #[arg(long = "list-entries", default_value_t = 10_000)]
    list_entries: usize,
    /// Times every sequential case and its limit is measured; the median is printed.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100))]
    rounds: usize,
    /// Empty files of the UFS tree the scale cases load (in folders of 1,000).
    #[arg(long = "scale-files", default_value_t = 1_000_000)]
    scale_files: usize,
    /// Run only these groups of cases (repeatable or comma-separated); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<CaseGroup>,
}

/// Groups of cases `--only` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CaseGroup {
    /// Sequential writes and reads against tmpfs, loopback TCP and the UFS, and S3 GET and PUT
    /// through the proxy against the data port.
    Data,
    /// Metadata operations per second at 1, 4 and 16 clients.
    Metadata,
    /// Many 64 KiB files written and read back.
    SmallFiles,
    /// Sequential reads and writes and `ls -l` through a FUSE mount the bench makes, against
    /// the client's short-circuit read and write (left out of a run without `--only` when the
    /// host has no /dev/fuse).
    Fuse,
    /// Loading a UFS tree of `--scale-files` files, the resident memory it takes, and getStatus
    /// of random files in it (embedded cluster only; run only when named).
    Scale,
}

/// What every case needs: where the cluster is, the sizes, and scratch space.
pub struct Setup {
    /// Client configuration pointing at the master.
    pub conf: Configuration,
    /// Bytes per read and write call, the client's `alluxio.user.file.buffer.bytes`.
    pub buffer: usize,
    /// Size of the sequential files.
    pub size: u64,
    /// Alluxio directory every case works under (removed at the end).
    pub base: String,
    /// A tmpfs directory for the limit measurements.
    pub scratch: PathBuf,
    /// The root mount's local directory, when the cluster is embedded.
    pub ufs_root: Option<PathBuf>,
    /// The master's web port (`host:port`), for the web UI case.
    pub master_web: String,
    /// The proxy's S3 API, for the S3 cases.
    pub s3: Option<s3::S3Endpoint>,
    /// A JVM with the Hadoop client, for the Hadoop cases.
    pub hadoop: Option<hadoop::HadoopBench>,
    /// Restarts of the master, when the cluster is embedded.
    pub master_restart: Option<cluster::MasterRestart>,
    /// Options of the metadata and small-file cases.
    pub args: BenchArgs,
}

impl Setup {
    /// `name` under the base directory.
    pub fn path(&self, name: &str) -> anyhow::Result<AlluxioPath> {
        Ok(AlluxioPath::new(&format!("{}/{name}", self.base))?)
    }
}

/// Runs every case and prints its line; exits non-zero if any case failed.
pub async fn run(conf: Configuration, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::Builder::new()
        .prefix("alluxio-bench-")
        .tempdir_in(tmpfs_dir())
        .context("cannot create a scratch directory under /dev/shm")?;
    let base = format!("/alluxio-bench-{}", std::process::id());
    let buffer = conf.get_bytes(keys::USER_FILE_BUFFER_BYTES)?.max(4096) as usize;
    let mut reporter = Reporter::new(args.json);
    let result = match args.target.clone() {
        Some(target) => {
            let conf = cluster::target_conf(conf, &target)?;
            let s3 = args.proxy.as_deref().map(s3::S3Endpoint::new).transpose()?;
            let hadoop = hadoop_bench(&args, &conf)?;
            let master_web = format!(
                "{}:{}",
                conf.get(keys::MASTER_HOSTNAME)?,
                conf.get_port(keys::MASTER_WEB_PORT)?
            );
            let setup = Setup {
                master_web,
                conf,
                buffer,
                size: args.size,
                base,
                scratch: scratch.path().to_path_buf(),
                ufs_root: None,
                s3,
                hadoop,
                master_restart: None,
                args,
            };
            run_cases(&setup, &mut reporter).await
        }
        None => {
            let embedded = cluster::Embedded::start(conf, &args, scratch.path()).await?;
            let master_web = embedded
                .master_web_addr()
                .context("the embedded master is not running")?
                .to_string();
            let setup = Setup {
                master_web,
                conf: embedded.client_conf(),
                buffer,
                size: args.size,
                base,
                scratch: scratch.path().to_path_buf(),
                ufs_root: Some(embedded.ufs_root()),
                s3: Some(s3::S3Endpoint::new(&embedded.proxy_addr().to_string())?),
                hadoop: hadoop_bench(&args, &embedded.client_conf())?,
                master_restart: Some(embedded.master_restart()),
                args,
            };
            let result = run_cases(&setup, &mut reporter).await;
            embedded.shutdown().await;
            result
        }
    };
    result?;
    Ok(if reporter.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

async fn run_cases(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    out.header();
    let selected = |group| setup.args.only.is_empty() || setup.args.only.contains(&group);
    if selected(CaseGroup::Data) {
        throughput::run(setup, out).await?;
    }
    if selected(CaseGroup::Metadata) {
        metadata::run(setup, out).await?;
    }
    if selected(CaseGroup::SmallFiles) {
        small_files::run(setup, out).await?;
    }
    if setup.args.only.contains(&CaseGroup::Fuse) || (setup.args.only.is_empty() && has_fuse()) {
        fuse::run(setup, out).await?;
    }
    if setup.args.only.contains(&CaseGroup::Scale) {
        scale::run(setup, out).await?;
    }
    let fs = alluxio_client::FileSystem::connect(setup.conf.clone()).await?;
    let options = alluxio_client::DeleteOptions {
        recursive: true,
        ..Default::default()
    };
    match fs.delete(&AlluxioPath::new(&setup.base)?, options).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == alluxio_client::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot delete {}", setup.base)),
    }
}

/// The JVM of the Hadoop cases, if `--client-jar` asks for them.
fn hadoop_bench(args: &BenchArgs, conf: &Configuration) -> anyhow::Result<Option<hadoop::HadoopBench>> {
    match (&args.client_jar, &args.hadoop_class_path) {
        (Some(jar), Some(class_path)) => Ok(Some(hadoop::HadoopBench::new(jar, class_path, conf)?)),
        _ => Ok(None),
    }
}

/// Whether this host can mount FUSE file systems.
fn has_fuse() -> bool {
    let present = std::path::Path::new("/dev/fuse").exists();
    if !present {
        tracing::info!("no /dev/fuse: the FUSE cases are left out");
    }
    present
}

/// /dev/shm where it exists, so the limits are those of memory, else the temp dir.
fn tmpfs_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() { shm } else { std::env::temp_dir() }
}

/// A byte size; `KiB`/`MiB`/`GiB` are accepted as the binary units they are in Alluxio.
fn parse_size(text: &str) -> Result<u64, String> {
    let normalized = text.replace("iB", "B").replace("ib", "b");
    match alluxio_conf::parse_bytes(&normalized)? {
        0 => Err("the size must be at least 1 byte".to_string()),
        bytes => Ok(bytes),
    }
}

fn parse_time(text: &str) -> Result<Duration, String> {
    match alluxio_conf::parse_duration(text)? {
        d if d.is_zero() => Err("the duration must be positive".to_string()),
        d => Ok(d),
    }
}

/// Creates the folder `dir` of a case (and its parents) in Alluxio only, unless it exists.
async fn create_bench_dir(fs: &alluxio_client::FileSystem, dir: &AlluxioPath) -> anyhow::Result<()> {
    let options = alluxio_client::CreateDirectoryOptions {
        recursive: true,
        allow_exists: true,
        write_type: Some(alluxio_client::WriteType::MustCache),
    };
    fs.create_directory(dir, options)
        .await
        .with_context(|| format!("cannot create {dir}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes_and_durations_take_units() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert!(parse_size("0").is_err() && parse_size("lots").is_err());
        assert_eq!(parse_time("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_time("5s"), Ok(Duration::from_secs(5)));
        assert!(parse_time("0s").is_err());
    }

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn only_takes_every_group_comma_separated_or_repeated() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["bench", "--only", "data,fuse", "--only", "small-files"]).unwrap();
        assert_eq!(
            cli.bench.only,
            [CaseGroup::Data, CaseGroup::Fuse, CaseGroup::SmallFiles]
        );
        assert!(Cli::try_parse_from(["bench"]).unwrap().bench.only.is_empty());
        assert!(Cli::try_parse_from(["bench", "--only", "fusion"]).is_err());
    }
}
