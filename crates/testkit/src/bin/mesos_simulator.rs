//! `mesos-simulator`: the testkit's Mesos master simulator as a standalone process, so a user
//! can point `alluxio-mesos-start.sh 127.0.0.1:5050` at it (or `https://127.0.0.1:5050` when
//! started with `--tls-cert`/`--tls-key`). Stops on Ctrl-C / SIGTERM, killing every task it
//! started.

use std::path::PathBuf;
use std::time::Duration;

use alluxio_testkit::mesos::{MesosSimulator, TestCertificates};
use clap::Parser;

/// A Mesos master on loopback speaking the v1 scheduler HTTP API, with simulated agents on
/// 127.0.0.2, 127.0.0.3, ... that run command tasks as local processes.
///
/// With --tls-cert and --tls-key (or --tls-dir) it serves https on the same port, as a Mesos
/// master with LIBPROCESS_SSL_ENABLED=1; the framework must then trust the CA that signed the
/// certificate (alluxio.integration.mesos.ssl.ca.cert.file or SSL_CERT_FILE).
#[derive(Debug, Parser)]
#[command(name = "mesos-simulator")]
struct Args {
    /// Port of the master on 127.0.0.1.
    #[arg(long, default_value_t = 5050)]
    port: u16,
    /// Number of agents, with the default resources (ports 19998-19999, 29998-30000, 31000-32000).
    #[arg(long, default_value_t = 3)]
    agents: usize,
    /// Resources of every agent, in the agent flag syntax (overrides the default).
    #[arg(long)]
    resources: Option<String>,
    /// Where the agents' sandboxes go.
    #[arg(long)]
    work_dir: PathBuf,
    /// Heartbeat interval in seconds.
    #[arg(long, default_value_t = 15.0)]
    heartbeat_seconds: f64,
    /// PEM certificate chain to serve https with (its names must include 127.0.0.1 or the
    /// host name the framework is given).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve https with a throwaway CA and certificate for 127.0.0.1 and localhost, written to
    /// DIR/ca.pem (to trust), DIR/cert.pem and DIR/key.pem.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tls_cert", "tls_key"])]
    tls_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut builder = MesosSimulator::builder()
        .port(args.port)
        .work_dir(&args.work_dir)
        .heartbeat_interval(Duration::from_secs_f64(args.heartbeat_seconds.max(0.1)));
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        builder = builder.tls(cert, key);
    }
    if let Some(dir) = &args.tls_dir {
        std::fs::create_dir_all(dir)?;
        let certs = TestCertificates::generate(dir, &["127.0.0.1", "localhost"])?;
        tracing::info!(
            "serving https; clients must trust the CA in {}",
            certs.ca.display()
        );
        builder = builder.tls(&certs.cert, &certs.key);
    }
    match &args.resources {
        Some(spec) => {
            for i in 0..args.agents {
                builder = builder.agent(&format!("127.0.0.{}", i + 2), spec);
            }
        }
        None => builder = builder.default_agents(args.agents),
    }
    let simulator = builder.start().await?;
    tracing::info!(
        "Mesos simulator listening on {} with {} agents; sandboxes under {}",
        simulator.url(),
        args.agents,
        args.work_dir.display()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping: killing every task");
    simulator.shutdown().await;
    Ok(())
}
