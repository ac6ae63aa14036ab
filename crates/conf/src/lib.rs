//! Alluxio configuration: the known property keys with their defaults, loading with Alluxio's
//! precedence (`-Dkey=value` > environment > `alluxio-site.properties` > defaults), `${key}`
//! substitution, and typed getters whose errors name the key, the value and what is expected.
//!
//! There is no global configuration: a [`Configuration`] is built once and passed in, so two
//! differently configured servers can live in one process (as they do in tests).

pub mod keys;
mod kinds;
mod machine;
pub mod properties;
mod site_file;
mod typed;
mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use kinds::ValueKind;
pub use properties::{PROPERTIES, PropertyDef, describe};
pub use values::{format_bytes, parse_bytes, parse_duration};

/// Name of the site properties file.
pub const SITE_PROPERTIES: &str = "alluxio-site.properties";

/// Where a value came from, highest precedence last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// A line of this site properties file.
    SiteFile(PathBuf),
    /// This environment variable.
    Environment(String),
    /// A `-Dkey=value` argument.
    CommandLine,
    /// Set by the program itself (e.g. `alluxio local` choosing its data directory).
    Runtime,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("DEFAULT"),
            Source::SiteFile(path) => write!(f, "SITE_PROPERTY ({})", path.display()),
            Source::Environment(var) => write!(f, "ENVIRONMENT ({var})"),
            Source::CommandLine => f.write_str("SYSTEM_PROPERTY (-D)"),
            Source::Runtime => f.write_str("RUNTIME"),
        }
    }
}

/// Why configuration could not be loaded or a value not read.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// A property without default that the program needs.
    #[error("property {key} is not set; set it in alluxio-site.properties or with -D{key}=...")]
    Missing {
        /// The key.
        key: String,
    },
    /// A value that does not parse as its type.
    #[error("invalid value '{value}' for {key} (from {origin}): expected {expected}")]
    Invalid {
        /// The key.
        key: String,
        /// The value as written (after substitution).
        value: String,
        /// What would have been accepted.
        expected: String,
        /// Where the value came from.
        origin: Source,
    },
    /// A `${...}` reference that cannot be resolved.
    #[error("cannot resolve '${{{reference}}}' in the value of {key}: {reason}")]
    Substitution {
        /// The key whose value holds the reference.
        key: String,
        /// The referenced key.
        reference: String,
        /// Unset, or a cycle.
        reason: String,
    },
    /// A malformed `-D` argument or site file line.
    #[error("{origin}: '{text}' is not of the form key=value")]
    Syntax {
        /// The file and line, or "command line".
        origin: String,
        /// The offending text.
        text: String,
    },
    /// A site file that exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Whether `key` holds a credential (an access key pair, a password, a token, a Mesos secret)
/// that output and logs must never show; Alluxio masks access key ids with their secrets.
/// Unknown keys (per-mount UFS options) are judged by name too. Paths to credential files
/// (`fs.gcs.credential.path`) are not secrets.
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "account.key",
        "accesskeyid",
        "access.key",
        "token",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// Storage tiers in Alluxio's order (MEM, SSD, HDD), other aliases after them by name: how
/// reports and pages list tiers.
pub fn compare_tiers(a: &str, b: &str) -> std::cmp::Ordering {
    let rank = |alias: &str| {
        ["MEM", "SSD", "HDD"]
            .iter()
            .position(|t| *t == alias)
            .unwrap_or(3)
    };
    rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
}

/// `value` as output may show it: a secret's value is replaced by `******`.
pub fn displayed_value(key: &str, value: String) -> String {
    if is_secret(key) && !value.is_empty() {
        "******".to_string()
    } else {
        value
    }
}

/// What [`Configuration::load_with`] reads besides the defaults.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-Dkey=value` arguments, already split.
    pub command_line: Vec<(String, String)>,
    /// Environment variables (only the `ALLUXIO_*` ones of [`properties::ENV_VARS`] matter).
    pub env: Vec<(String, String)>,
    /// The user's home directory, for `${user.home}`.
    pub home_dir: Option<PathBuf>,
}

/// A resolved set of properties.
#[derive(Debug, Clone)]
pub struct Configuration {
    values: BTreeMap<String, (String, Source)>,
    home_dir: Option<PathBuf>,
    /// Defaults that depend on this machine (e.g. worker memory), computed once at load.
    computed_defaults: Vec<(&'static str, String)>,
}

impl Configuration {
    /// Only the built-in defaults.
    pub fn defaults() -> Self {
        Self {
            values: BTreeMap::new(),
            home_dir: std::env::var_os("HOME").map(PathBuf::from),
            computed_defaults: machine::computed_defaults(),
        }
    }

    /// Loads with the process environment and the given `-D` arguments.
    pub fn load(command_line: Vec<(String, String)>) -> Result<Self, ConfError> {
        Self::load_with(LoadOptions {
            command_line,
            env: std::env::vars().collect(),
            home_dir: std::env::var_os("HOME").map(PathBuf::from),
        })
    }

    /// Loads with Alluxio's precedence: command line > environment > first site file > defaults.
    pub fn load_with(options: LoadOptions) -> Result<Self, ConfError> {
        let mut conf = Self {
            values: BTreeMap::new(),
            home_dir: options.home_dir,
            computed_defaults: machine::computed_defaults(),
        };
        // As in alluxio-config.sh, an empty variable counts as unset.
        let env = |var: &str| {
            options
                .env
                .iter()
                .find(|(name, value)| name == var && !value.trim().is_empty())
                .map(|(_, value)| value)
        };
        for (var, key) in properties::ENV_VARS {
            if let Some(value) = env(var) {
                if *var == "ALLUXIO_MASTER_ADDRESS" {
                    tracing::warn!("ALLUXIO_MASTER_ADDRESS is deprecated; use ALLUXIO_MASTER_HOSTNAME");
                }
                conf.insert(key, value, Source::Environment(var.to_string()));
            }
        }
        for (var, key, value) in properties::ENV_IMPLIED {
            if env(var).is_some() {
                conf.insert(key, value, Source::Environment(var.to_string()));
            }
        }
        for (key, value) in &options.command_line {
            conf.insert(key, value, Source::CommandLine);
        }
        // The search path itself may depend on the environment (ALLUXIO_CONF_DIR) or -D.
        if let Some(file) = conf.find_site_file()? {
            for (key, value) in site_file::read(&file)? {
                let key = properties::canonical(&key).to_string();
                if let std::collections::btree_map::Entry::Vacant(slot) = conf.values.entry(key) {
                    if properties::find(slot.key()).is_none() {
                        tracing::warn!(key = %slot.key(), file = %file.display(), "unknown property in site file; kept as is");
                    }
                    slot.insert((value, Source::SiteFile(file.clone())));
                }
            }
        }
        Ok(conf)
    }

    /// Sets a value at runtime, above every other source.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, &value.into(), Source::Runtime);
    }

    /// Removes an explicitly set value, so the next source (or default) shows through.
    pub fn unset(&mut self, key: &str) {
        self.values.remove(properties::canonical(key));
    }

    fn insert(&mut self, key: &str, value: &str, source: Source) {
        self.values.insert(
            properties::canonical(key).to_string(),
            (value.trim().to_string(), source),
        );
    }

    /// Parses `key=value` from a `-Dkey=value` argument (the `-D` already stripped).
    pub fn parse_assignment(text: &str) -> Result<(String, String), ConfError> {
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
            _ => Err(ConfError::Syntax {
                origin: "command line".into(),
                text: format!("-D{text}"),
            }),
        }
    }

    fn find_site_file(&self) -> Result<Option<PathBuf>, ConfError> {
        for dir in self.get_list(keys::SITE_CONF_DIR)? {
            let candidate = Path::new(&dir).join(SITE_PROPERTIES);
            if candidate.is_file() {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    fn raw(&self, key: &str) -> Option<(&str, Source)> {
        let key = properties::canonical(key);
        match self.values.get(key) {
            Some((value, source)) => Some((value.as_str(), source.clone())),
            None if let Some((_, value)) = self.computed_defaults.iter().find(|(k, _)| *k == key) => {
                Some((value.as_str(), Source::Default))
            }
            None => properties::find(key)
                .and_then(|p| p.default)
                .map(|d| (d, Source::Default)),
        }
    }

    /// Where the value of `key` comes from.
    pub fn source(&self, key: &str) -> Source {
        self.raw(key).map(|(_, source)| source).unwrap_or(Source::Default)
    }

    /// Whether `key` has a value (set or defaulted).
    pub fn is_set(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// The value of `key` with `${...}` resolved, or `None` if it has none.
    pub fn get_opt(&self, key: &str) -> Result<Option<String>, ConfError> {
        match self.raw(key) {
            None => Ok(None),
            Some((value, _)) => self.substitute(key, value, 0).map(Some),
        }
    }

    /// The value of `key` with `${...}` resolved; an error if it has none.
    pub fn get(&self, key: &str) -> Result<String, ConfError> {
        self.get_opt(key)?
            .ok_or_else(|| ConfError::Missing { key: key.to_string() })
    }

    fn substitute(&self, key: &str, value: &str, depth: usize) -> Result<String, ConfError> {
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(len) = rest[start + 2..].find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let reference = &rest[start + 2..start + 2 + len];
            if depth > 32 {
                return Err(ConfError::Substitution {
                    key: key.into(),
                    reference: reference.into(),
                    reason: "the references form a cycle".into(),
                });
            }
            let resolved = if reference == "user.home" {
                self.home_dir
                    .as_ref()
                    .map(|h| h.display().to_string())
                    .unwrap_or_default()
            } else {
                let Some((inner, _)) = self.raw(reference) else {
                    return Err(ConfError::Substitution {
                        key: key.into(),
                        reference: reference.into(),
                        reason: "that property is not set".into(),
                    });
                };
                self.substitute(key, inner, depth + 1)?
            };
            out.push_str(&resolved);
            rest = &rest[start + 3 + len..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Every known or set key, sorted, with its resolved value (`None` if unset) and source: what
    /// `alluxio getConf [--source]` prints. A value whose references cannot be resolved is raw.
    pub fn entries(&self) -> Vec<(String, Option<String>, Source)> {
        let mut keys: Vec<&str> = PROPERTIES.iter().map(|p| p.name).collect();
        keys.extend(self.values.keys().map(String::as_str));
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let value = self
                    .get_opt(key)
                    .unwrap_or_else(|_| self.raw(key).map(|(v, _)| v.to_string()));
                (key.to_string(), value, self.source(key))
            })
            .collect()
    }

    /// Values set by any source other than the defaults, as `(key, raw value)` with current key
    /// names and `${}` references kept: what to ship to another process (as `-D` arguments or a
    /// site file) so it resolves every key as this one does.
    pub fn explicit_entries(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }
}

impl Default for Configuration {
    fn default() -> Self {
        Self::defaults()
    }
}

#[cfg(test)]
mod tests;
