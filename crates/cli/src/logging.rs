//! Log set-up: servers write everything to `${alluxio.logs.dir}/<role>.log` and warnings also to
//! stderr; client commands print only errors to stderr (`RUST_LOG` raises that), since a failure
//! is already reported as one `Error:` line.

use std::fs::{File, OpenOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use alluxio_conf::{Configuration, keys};
use anyhow::Context;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// Logs of a server role to `${alluxio.logs.dir}/<role>.log` (level from `RUST_LOG`, default
/// info) plus warnings on stderr. Returns the log file's path.
pub fn init_server(conf: &Configuration, role: &str) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(conf.get(keys::LOGS_DIR)?);
    std::fs::create_dir_all(&dir).with_context(|| {
        format!(
            "cannot create the log directory {} (set {})",
            dir.display(),
            keys::LOGS_DIR
        )
    })?;
    let path = dir.join(format!("{role}.log"));
    let file: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let file_filter = quiet_libraries(
        EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            .from_env_lossy(),
    );
    tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .with_filter(file_filter),
        )
        .with(stderr_layer(quiet_libraries(EnvFilter::new("warn"))))
        .try_init()
        .context("cannot install the log subscriber")?;
    Ok(path)
}

/// Unless `RUST_LOG` says otherwise, silences s3s: it logs every S3 error it answers (each
/// NoSuchKey) at ERROR, while the proxy already logs each failed request once, with its cause.
fn quiet_libraries(filter: EnvFilter) -> EnvFilter {
    if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
        return filter;
    }
    filter.add_directive("s3s=off".parse().expect("a valid directive"))
}

/// Errors of client commands on stderr, or what `RUST_LOG` asks for.
pub fn init_client() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::ERROR.into())
        .from_env_lossy();
    // Failing only means a subscriber is already installed, which is fine for a client.
    let _ = tracing_subscriber::registry()
        .with(stderr_layer(filter))
        .try_init();
}

fn stderr_layer<S, F>(filter: F) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    F: tracing_subscriber::layer::Filter<S> + 'static,
{
    fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .with_filter(filter)
}
