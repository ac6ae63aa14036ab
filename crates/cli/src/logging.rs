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
    init_server_debugging(conf, role, &[])
}

/// [`init_server`] with `loggers` at DEBUG from the start (as `alluxio logLevel` would set
/// them), for a property that asks for a component's debug log.
pub fn init_server_debugging(conf: &Configuration, role: &str, loggers: &[&str]) -> anyhow::Result<PathBuf> {
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
    let mut levels = LogLevels::from_env();
    for logger in loggers {
        levels.set.insert(logger.to_string(), "DEBUG".to_string());
    }
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

/// The file log's levels: `RUST_LOG` (default info) overlaid by what `alluxio logLevel` set.
/// Logger names are tracing targets (`alluxio_master`, `alluxio_worker::data_server`); `root`
/// is the default level.
struct LogLevels {
    /// `RUST_LOG`'s bare level, if it has one (upper case).
    env_default: Option<String>,
    /// `RUST_LOG`'s `target=level` directives (level in upper case).
    env_loggers: BTreeMap<String, String>,
    /// `RUST_LOG`'s other directives (spans, fields), passed on as given.
    env_other: Vec<String>,
    /// Whether `RUST_LOG` was unset (then noisy libraries are quietened).
    env_unset: bool,
    /// Levels set at run time, by logger (upper case); `root` replaces the default.
    set: BTreeMap<String, String>,
}

impl LogLevels {
    fn from_env() -> Self {
        Self::from_env_value(std::env::var(EnvFilter::DEFAULT_ENV).ok())
    }

    /// The levels given `RUST_LOG`'s value.
    fn from_env_value(env: Option<String>) -> Self {
        let mut levels = Self {
            env_default: None,
            env_loggers: BTreeMap::new(),
            env_other: Vec::new(),
            env_unset: env.is_none(),
            set: BTreeMap::new(),
        };
        for directive in env
            .iter()
            .flat_map(|e| e.split(','))
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            match directive.split_once('=') {
                None if directive.parse::<LevelFilter>().is_ok() => {
                    levels.env_default = Some(directive.to_ascii_uppercase());
                }
                Some((target, level))
                    if logger_name(target).is_ok() && level.parse::<LevelFilter>().is_ok() =>
                {
                    levels
                        .env_loggers
                        .insert(target.to_string(), level.to_ascii_uppercase());
                }
                _ => levels.env_other.push(directive.to_string()),
            }
        }
        levels
    }

    /// The level of loggers with none of their own: `root` if set, else `RUST_LOG`'s, else INFO.
    fn default_level(&self) -> String {
        self.set
            .get(ROOT_LOGGER)
            .or(self.env_default.as_ref())
            .cloned()
            .unwrap_or_else(|| "INFO".to_string())
    }

    /// Every logger with a level of its own: `RUST_LOG`'s, overridden by those set at run time.
    fn loggers(&self) -> BTreeMap<&str, &str> {
        self.env_loggers
            .iter()
            .chain(self.set.iter().filter(|(logger, _)| *logger != ROOT_LOGGER))
            .map(|(logger, level)| (logger.as_str(), level.as_str()))
            .collect()
    }

    fn filter(&self) -> EnvFilter {
        let mut directives = vec![self.default_level().to_ascii_lowercase()];
        if self.env_unset {
            directives.push(QUIET_LIBRARIES.to_string());
        }
        directives.extend(self.env_other.iter().cloned());
        for (logger, level) in self.loggers() {
            directives.push(format!("{logger}={}", level.to_ascii_lowercase()));
        }
        EnvFilter::builder().parse_lossy(directives.join(","))
    }

    /// The level of the most specific logger with one at or above `name`, else the default.
    fn level(&self, name: &str) -> String {
        if name == ROOT_LOGGER {
            return self.default_level();
        }
        let loggers = self.loggers();
        let mut logger = name;
        loop {
            if let Some(level) = loggers.get(logger) {
                return level.to_string();
            }
            match logger.rsplit_once("::") {
                Some((parent, _)) => logger = parent,
                None => return self.default_level(),
            }
        }
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

/// Silences s3s unless `RUST_LOG` says otherwise: it logs every S3 error it answers (each
/// NoSuchKey) at ERROR, while the proxy already logs each failed request once, with its cause.
const QUIET_LIBRARIES: &str = "s3s=off";

fn quiet_libraries(filter: EnvFilter) -> EnvFilter {
    if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
        return filter;
    }
    filter.add_directive(QUIET_LIBRARIES.parse().expect("a valid directive"))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(env: Option<&str>) -> LogLevels {
        LogLevels::from_env_value(env.map(str::to_string))
    }

    #[test]
    fn a_logger_reports_its_own_level_or_the_default() {
        let mut levels = levels(None);
        levels.set.insert("alluxio_worker".into(), "DEBUG".into());
        assert_eq!(levels.level("alluxio_worker::data_server"), "DEBUG");
        assert_eq!(
            levels.level("alluxio_master"),
            "INFO",
            "a sibling keeps the default"
        );
        assert_eq!(levels.level(ROOT_LOGGER), "INFO");
        assert_eq!(levels.filter().to_string(), "alluxio_worker=debug,s3s=off,info");
    }

    #[test]
    fn root_replaces_the_environment_default_and_run_time_levels_override_it() {
        let mut levels = levels(Some("warn,alluxio_master=trace,h2[conn]=off"));
        assert_eq!(levels.level("alluxio_proxy"), "WARN");
        assert_eq!(levels.level("alluxio_master::web"), "TRACE");
        levels.set.insert(ROOT_LOGGER.into(), "DEBUG".into());
        levels.set.insert("alluxio_master".into(), "ERROR".into());
        assert_eq!(levels.level("alluxio_proxy"), "DEBUG");
        assert_eq!(levels.level("alluxio_master"), "ERROR");
        let filter = levels.filter().to_string();
        assert!(
            filter.contains("alluxio_master=error") && filter.contains("debug"),
            "{filter}"
        );
        assert!(!filter.contains("warn") && !filter.contains("s3s"), "{filter}");
    }
}
