//! `alluxio logLevel --logName=NAME --target=master|workers|host:port[,...] [--level=LEVEL]`:
//! reads or sets a log level of running servers through their web ports, as Alluxio's command.

use std::process::ExitCode;

use alluxio_client::FileSystem;
use alluxio_conf::{Configuration, keys};
use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;

/// Arguments of `alluxio logLevel`.
#[derive(Debug, Args)]
pub struct LogLevelArgs {
    /// Logger: `root` or a module path such as alluxio_master or alluxio_worker::data_server.
    #[arg(long = "logName")]
    log_name: String,
    /// Where: master, workers, or host:webPort, comma separated.
    #[arg(long, default_value = "master,workers")]
    target: String,
    /// New level (TRACE, DEBUG, INFO, WARN, ERROR, OFF); without it the level is only read.
    #[arg(long)]
    level: Option<String>,
}

/// One process to ask: its web address and its kind (`master` or `worker`).
struct Target {
    address: String,
    process: &'static str,
}

/// Runs the command; fails when any target did not answer as asked.
pub async fn run(conf: Configuration, args: LogLevelArgs) -> anyhow::Result<ExitCode> {
    let targets = targets(&conf, &args.target).await?;
    let http = reqwest::Client::new();
    let mut failed = 0;
    for target in targets {
        match ask(&http, &target, &args).await {
            Ok(level) => outln!("{}[{}]: {level}", target.address, args.log_name),
            Err(err) => {
                failed += 1;
                eprintln!("{}[{}]: {err:#}", target.address, args.log_name);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The processes `--target` names.
async fn targets(conf: &Configuration, spec: &str) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "master" => out.push(Target {
                address: format!(
                    "{}:{}",
                    conf.get(keys::MASTER_HOSTNAME)?,
                    conf.get_port(keys::MASTER_WEB_PORT)?
                ),
                process: "master",
            }),
            "workers" => {
                let fs = FileSystem::connect(conf.clone()).await?;
                let (live, _) = fs.worker_info_list().await.context("cannot list the workers")?;
                out.extend(live.into_iter().filter_map(|w| w.address).map(|a| Target {
                    address: format!("{}:{}", a.host, a.web_port),
                    process: "worker",
                }));
            }
            address => {
                let port = address.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
                let Some(port) = port else {
                    bail!("--target '{address}' is not master, workers or host:webPort");
                };
                // As Alluxio: the role is inferred from the port.
                let process = if port == conf.get_port(keys::MASTER_WEB_PORT)? {
                    "master"
                } else {
                    "worker"
                };
                out.push(Target {
                    address: address.to_string(),
                    process,
                });
            }
        }
    }
    if out.is_empty() {
        bail!("--target '{spec}' names no process");
    }
    Ok(out)
}

/// Asks one process; returns the level it reports.
async fn ask(http: &reqwest::Client, target: &Target, args: &LogLevelArgs) -> anyhow::Result<String> {
    let url = format!("http://{}/api/v1/{}/log_level", target.address, target.process);
    let mut query = vec![("logName", args.log_name.as_str())];
    if let Some(level) = &args.level {
        query.push(("level", level));
    }
    let response = http
        .post(&url)
        .query(&query)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("{url} did not answer with JSON ({status})"))?;
    match body["level"].as_str() {
        Some(level) if status.is_success() => Ok(level.to_string()),
        _ => bail!("{}", body["message"].as_str().unwrap_or("no level in the answer")),
    }
}
