//! Log set-up: servers write everything to `${alluxio.logs.dir}/<role>.log` and warnings also to
//! stderr; client commands print only errors to stderr (`RUST_LOG` raises that), since a failure
//! is already reported as one `Error:` line. A server's file log level can be read and changed
//! while it runs (`alluxio logLevel`, through [`alluxio_web::LogLevelControl`]).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use alluxio_conf::{Configuration, keys};
use anyhow::Context;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt, reload};

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
    let levels = LogLevels::from_env();
    let (file_filter, handle) = reload::Layer::new(levels.filter());
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
    alluxio_web::install_log_level_control(Box::new(RuntimeLevels {
        levels: Mutex::new(levels),
        handle,
    }));
    Ok(path)
}

/// The file log's levels: `RUST_LOG` (default info) plus what `alluxio logLevel` set, per
/// logger. Logger names are tracing targets (`alluxio_master`, `alluxio_worker::data_server`);
/// `root` is the default level.
struct LogLevels {
    /// `RUST_LOG` as given, if any.
    env: Option<String>,
    /// Levels set at run time: logger -> level (upper case); `root` replaces the default.
    set: BTreeMap<String, String>,
}

impl LogLevels {
    fn from_env() -> Self {
        Self {
            env: std::env::var(EnvFilter::DEFAULT_ENV).ok(),
            set: BTreeMap::new(),
        }
    }

    fn filter(&self) -> EnvFilter {
        let default = self
            .set
            .get(ROOT_LOGGER)
            .map_or("info".to_string(), |l| l.to_ascii_lowercase());
        let mut filter = EnvFilter::builder()
            .with_default_directive(default.parse().unwrap_or(LevelFilter::INFO.into()))
            .parse_lossy(self.env.as_deref().unwrap_or(""));
        if self.env.is_none() {
            filter = quiet_libraries(filter);
        }
        for (logger, level) in self.set.iter().filter(|(logger, _)| *logger != ROOT_LOGGER) {
            if let Ok(directive) = format!("{logger}={}", level.to_ascii_lowercase()).parse() {
                filter = filter.add_directive(directive);
            }
        }
        filter
    }

    /// The level of the most specific logger set at or above `name`, else the default.
    fn level(&self, name: &str) -> String {
        let mut logger = name;
        loop {
            if let Some(level) = self.set.get(logger) {
                return level.clone();
            }
            match logger.rsplit_once("::") {
                Some((parent, _)) => logger = parent,
                None => break,
            }
        }
        let default = self.filter().max_level_hint().unwrap_or(LevelFilter::INFO);
        self.set
            .get(ROOT_LOGGER)
            .cloned()
            .unwrap_or_else(|| default.to_string().to_uppercase())
    }
}

/// The logger name that means every logger.
const ROOT_LOGGER: &str = "root";

/// Levels `alluxio logLevel` accepts, as log4j names them.
const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"];

/// Checks a logger name: `root` or a tracing target (letters, digits, `_`, `::`).
fn logger_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let valid = name == ROOT_LOGGER
        || (!name.is_empty()
            && name
                .split("::")
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')));
    if valid {
        Ok(name.to_string())
    } else {
        Err(format!(
            "'{name}' is not a logger name: use root or a module path such as alluxio_master or alluxio_worker::data_server"
        ))
    }
}

/// The file log's filter, reloadable while the server runs.
struct RuntimeLevels {
    levels: Mutex<LogLevels>,
    handle: reload::Handle<EnvFilter, tracing_subscriber::Registry>,
}

impl alluxio_web::LogLevelControl for RuntimeLevels {
    fn level(&self, name: &str) -> Result<String, String> {
        let name = logger_name(name)?;
        Ok(self
            .levels
            .lock()
            .map_err(|_| "the log levels are poisoned")?
            .level(&name))
    }

    fn set_level(&self, name: &str, level: &str) -> Result<String, String> {
        let name = logger_name(name)?;
        let level = level.trim().to_ascii_uppercase();
        if !LEVELS.contains(&level.as_str()) {
            return Err(format!(
                "'{level}' is not a log level; use one of {}",
                LEVELS.join(", ")
            ));
        }
        let mut levels = self.levels.lock().map_err(|_| "the log levels are poisoned")?;
        levels.set.insert(name.clone(), level.clone());
        self.handle
            .reload(levels.filter())
            .map_err(|e| format!("cannot change the log level: {e}"))?;
        tracing::info!(logger = %name, level = %level, "log level changed");
        Ok(levels.level(&name))
    }
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
