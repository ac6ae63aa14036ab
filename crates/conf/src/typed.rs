//! Typed getters and start-up validation: every error names the key, the value as resolved,
//! where it came from and what would have been accepted.

use std::time::Duration;

use crate::values::{self, parse_bytes, parse_duration};
use crate::{ConfError, Configuration, PROPERTIES, properties};

impl Configuration {
    fn invalid(&self, key: &str, value: String, expected: impl Into<String>) -> ConfError {
        ConfError::Invalid {
            key: key.to_string(),
            value,
            expected: expected.into(),
            origin: self.source(key),
        }
    }

    fn parse<T>(&self, key: &str, expected: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, ConfError> {
        let value = self.get(key)?;
        match parse(&value) {
            Some(parsed) => Ok(parsed),
            None => Err(self.invalid(key, value, expected)),
        }
    }

    /// A byte size (`512MB`, `1.5GB`, `1048576`).
    pub fn get_bytes(&self, key: &str) -> Result<u64, ConfError> {
        self.get_parsed(key, parse_bytes)
    }

    /// A duration (`5min`, `300sec`, plain milliseconds).
    pub fn get_duration(&self, key: &str) -> Result<Duration, ConfError> {
        self.get_parsed(key, parse_duration)
    }

    /// A TCP port (0 lets the OS choose).
    pub fn get_port(&self, key: &str) -> Result<u16, ConfError> {
        self.parse(key, values::EXPECTED_PORT, values::parse_port)
    }

    /// A non-negative integer.
    pub fn get_u64(&self, key: &str) -> Result<u64, ConfError> {
        self.parse(key, values::EXPECTED_INTEGER, |v| v.trim().parse().ok())
    }

    /// A non-negative integer that fits in memory sizes and counts.
    pub fn get_usize(&self, key: &str) -> Result<usize, ConfError> {
        self.parse(key, values::EXPECTED_INTEGER, |v| v.trim().parse().ok())
    }

    /// A count that must be at least 1 (a limit of 0 would serve nothing).
    pub fn get_positive_usize(&self, key: &str) -> Result<usize, ConfError> {
        self.parse(key, "an integer of at least 1", |v| {
            v.trim().parse().ok().filter(|count| *count > 0)
        })
    }

    /// An integer that may be negative (e.g. the write tier, where -1 is the lowest tier).
    pub fn get_i64(&self, key: &str) -> Result<i64, ConfError> {
        self.parse(key, "an integer", |v| v.trim().parse().ok())
    }

    /// `true` or `false`, any case.
    pub fn get_bool(&self, key: &str) -> Result<bool, ConfError> {
        self.parse(key, values::EXPECTED_BOOL, values::parse_bool)
    }

    /// A ratio between 0 and 1.
    pub fn get_ratio(&self, key: &str) -> Result<f64, ConfError> {
        self.parse(key, values::EXPECTED_RATIO, values::parse_ratio)
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    pub fn get_list(&self, key: &str) -> Result<Vec<String>, ConfError> {
        Ok(values::split_list(&self.get(key)?).map(str::to_string).collect())
    }

    /// A value checked by `parse`, whose error text says what is expected.
    pub fn get_parsed<T, E: std::fmt::Display>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ConfError> {
        let value = self.get(key)?;
        parse(&value).map_err(|e| self.invalid(key, value.clone(), e.to_string()))
    }

    /// Checks that every known key with a value (set or defaulted), including per-tier keys of
    /// any level, resolves its `${}` references and parses as its kind. Servers and the CLI call
    /// this at start so a wrong value fails before anything runs; all problems are reported.
    pub fn validate(&self) -> Result<(), Vec<ConfError>> {
        let mut keys: Vec<&str> = PROPERTIES.iter().map(|p| p.name).collect();
        keys.extend(self.values.keys().map(String::as_str));
        keys.sort_unstable();
        keys.dedup();
        let errors: Vec<ConfError> = keys
            .into_iter()
            .filter_map(|key| {
                let kind = properties::find(key)?.kind;
                match self.get_opt(key) {
                    Err(err) => Some(err),
                    Ok(None) => None,
                    Ok(Some(value)) => kind
                        .check(&value)
                        .err()
                        .map(|expected| self.invalid(key, value, expected)),
                }
            })
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
