//! `alluxio mesos --mesos ADDR [--alluxio-master HOST]`: runs the Alluxio Mesos framework in the
//! foreground, logging to stdout (the start script sends it to `framework.out`), until SIGINT or
//! SIGTERM; then the framework is torn down, so Mesos kills every Alluxio task.

use std::process::ExitCode;

use alluxio_conf::Configuration;
use anyhow::Context;
use clap::Args;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Arguments of `mesos`.
#[derive(Debug, Args)]
pub struct MesosArgs {
    /// Mesos master: host:port, http(s)://host:port, or a comma-separated list of them.
    #[arg(short = 'm', long = "mesos", value_name = "ADDRESS")]
    mesos: String,
    /// Launch the Alluxio master only on the Mesos agent with this hostname.
    #[arg(short = 'a', long = "alluxio-master", value_name = "HOST")]
    alluxio_master: Option<String>,
}

/// Runs the framework until a signal, then tears it down.
pub fn run(conf: Configuration, args: MesosArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let MesosArgs {
        mesos,
        alluxio_master,
    } = args;
    let alluxio_master = alluxio_master.filter(|host| !host.trim().is_empty());
    crate::runtime()?.block_on(async {
        // Installed before subscribing so an early SIGTERM still tears the framework down.
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        let shutdown = async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!("{name} received: tearing the framework down");
        };
        tracing::info!(
            "starting the Alluxio framework against Mesos master {mesos}{}",
            alluxio_master
                .as_deref()
                .map(|host| format!(", Alluxio master pinned to agent {host}"))
                .unwrap_or_default()
        );
        alluxio_mesos::run(conf, &mesos, alluxio_master, shutdown)
            .await
            .with_context(|| format!("the Alluxio framework on Mesos master {mesos} failed"))?;
        tracing::info!("framework stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Framework logs on stdout at info (or what `RUST_LOG` asks for): one line per decision.
fn init_logging() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    // Failing only means a subscriber is already installed, which leaves logging working.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .try_init();
}
