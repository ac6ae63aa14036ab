//! The `alluxio` binary: runs the servers (`master`, `worker`, `proxy`, `local`), the file system shell
//! (`fs`), cluster administration (`fsadmin`, `format`, `logLevel`), configuration inspection (`getConf`), the
//! end-to-end check (`runTests`), the Mesos framework (`mesos`) and `version`.

// First, so that every module may print with its macros.
#[macro_use]
mod output;

mod args;
mod bench;
mod exit;
mod format;
mod fs;
mod fsadmin;
mod fuse;
mod get_conf;
mod log_level;
mod logging;
mod mesos;
mod run_tests;
mod server;

use std::process::ExitCode;

use alluxio_conf::Configuration;
use clap::{Parser, Subcommand};

/// Command line of `alluxio` (the `-Dkey=value` arguments are taken out before clap sees it).
#[derive(Debug, Parser)]
#[command(
    name = "alluxio",
    about = "Alluxio: a memory-speed virtual distributed file system",
    override_usage = "alluxio [-Dkey=value ...] <COMMAND> [-Dkey=value ...] [ARGS]",
    arg_required_else_help = true,
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a master, one worker and the proxy in this process, on loopback.
    Local,
    /// Run the master in the foreground until SIGINT/SIGTERM.
    Master,
    /// Run a worker in the foreground until SIGINT/SIGTERM.
    Worker,
    /// Run the proxy (REST API and S3 API, port 39999) in the foreground until SIGINT/SIGTERM.
    Proxy,
    /// File system shell.
    Fs(fs::FsArgs),
    /// Cluster administration.
    Fsadmin(fsadmin::FsadminArgs),
    /// Mount Alluxio as a POSIX folder (FUSE), unmount it, list mounts.
    Fuse(fuse::FuseArgs),
    /// Wipe the journal and the workers' cached blocks.
    Format(format::FormatArgs),
    /// Print configuration values.
    #[command(name = "getConf")]
    GetConf(get_conf::GetConfArgs),
    /// Read or set the log level of running servers.
    #[command(name = "logLevel")]
    LogLevel(log_level::LogLevelArgs),
    /// Write and read back a file with every write type and read type.
    #[command(name = "runTests")]
    RunTests,
    /// Run the Alluxio framework on Apache Mesos until SIGINT/SIGTERM.
    Mesos(mesos::MesosArgs),
    /// Measure the data path against the machine's limits, metadata ops/s and small files.
    Bench(bench::BenchArgs),
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => exit::report(&err),
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let argv = args::os_args()?;
    let split = args::extract_properties(argv);
    let cli = match Cli::try_parse_from(&split.rest) {
        Ok(cli) => cli,
        Err(err) => return Ok(exit::usage(&err)),
    };
    if !matches!(
        cli.command,
        Command::Local
            | Command::Master
            | Command::Worker
            | Command::Proxy
            | Command::Mesos(_)
            | Command::Fuse(_)
    ) {
        // Before loading, so warnings about the site file reach the user.
        logging::init_client();
    }
    let mut assignments = Vec::with_capacity(split.properties.len());
    for text in &split.properties {
        assignments.push(Configuration::parse_assignment(text)?);
    }
    let conf = Configuration::load(assignments)?;
    validate(&conf)?;
    dispatch(cli.command, conf)
}

fn dispatch(command: Command, conf: Configuration) -> anyhow::Result<ExitCode> {
    match command {
        Command::Version => {
            outln!("Alluxio version: {}", alluxio_proto::VERSION);
            Ok(ExitCode::SUCCESS)
        }
        Command::GetConf(args) => get_conf::run(&conf, &args),
        Command::Format(args) => format::run(&conf, &args),
        Command::Master => server::run_master(conf),
        Command::Worker => server::run_worker(conf),
        Command::Proxy => server::run_proxy(conf),
        Command::Local => server::run_local(conf),
        Command::Fs(args) => runtime()?.block_on(fs::run(conf, args)),
        Command::Fsadmin(args) => runtime()?.block_on(fsadmin::run(conf, args)),
        Command::Fuse(args) => fuse::run(conf, args),
        Command::RunTests => runtime()?.block_on(run_tests::run(conf)),
        Command::LogLevel(args) => runtime()?.block_on(log_level::run(conf, args)),
        Command::Mesos(args) => mesos::run(conf, args),
        Command::Bench(args) => runtime()?.block_on(bench::run(conf, args)),
    }
}

/// Fails on an invalid property, naming the first one (and how many others there are).
fn validate(conf: &Configuration) -> anyhow::Result<()> {
    let Err(errors) = conf.validate() else {
        return Ok(());
    };
    let count = errors.len();
    match errors.into_iter().next() {
        None => Ok(()),
        Some(first) if count == 1 => Err(first.into()),
        Some(first) => {
            Err(anyhow::Error::new(first).context(format!("{count} properties are invalid; the first")))
        }
    }
}

/// The async runtime of the client commands and servers.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}
