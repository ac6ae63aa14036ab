//! What each property's value must look like, so a wrong value fails when the configuration is
//! validated at start rather than when some code path first reads it.

use crate::values;

/// The syntax a property's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Any text (paths, host names, class names).
    String,
    /// A byte size such as `512MB`.
    Bytes,
    /// A duration such as `5min` (a bare number is milliseconds).
    Duration,
    /// A TCP port, 0 to 65535.
    Port,
    /// A non-negative integer.
    Integer,
    /// An integer that may be negative (e.g. `-1` for the lowest tier).
    SignedInteger,
    /// `true` or `false`, any case.
    Bool,
    /// A number between 0 and 1.
    Ratio,
    /// An octal number such as a umask (`022`).
    Octal,
    /// A comma-separated list of text items.
    List,
    /// A comma-separated list of byte sizes.
    BytesList,
    /// One of these names, compared ignoring case.
    OneOf(&'static [&'static str]),
}

impl ValueKind {
    /// Checks `value`; the error says what would have been accepted.
    pub fn check(self, value: &str) -> Result<(), String> {
        let ok = match self {
            ValueKind::String | ValueKind::List => true,
            ValueKind::Bytes => return values::parse_bytes(value).map(drop),
            ValueKind::Duration => return values::parse_duration(value).map(drop),
            ValueKind::Port => values::parse_port(value).is_some(),
            ValueKind::Integer => value.trim().parse::<u64>().is_ok(),
            ValueKind::SignedInteger => value.trim().parse::<i64>().is_ok(),
            ValueKind::Bool => values::parse_bool(value).is_some(),
            ValueKind::Ratio => values::parse_ratio(value).is_some(),
            ValueKind::Octal => u32::from_str_radix(value.trim(), 8).is_ok(),
            ValueKind::BytesList => {
                return values::split_list(value)
                    .try_for_each(|item| values::parse_bytes(item).map(drop))
                    .map_err(|_| "a comma-separated list of sizes such as 1GB,100GB".to_string());
            }
            ValueKind::OneOf(names) => names.iter().any(|n| n.eq_ignore_ascii_case(value.trim())),
        };
        if ok { Ok(()) } else { Err(self.expected()) }
    }

    /// What a value of this kind looks like, for error messages and `getConf`.
    pub fn expected(self) -> String {
        match self {
            ValueKind::String => "any text".into(),
            ValueKind::Bytes => "a size such as 512MB, 1.5GB or 1048576".into(),
            ValueKind::Duration => "a duration such as 5min, 300sec or 1000 (ms)".into(),
            ValueKind::Port => values::EXPECTED_PORT.into(),
            ValueKind::Integer => values::EXPECTED_INTEGER.into(),
            ValueKind::SignedInteger => "an integer".into(),
            ValueKind::Bool => values::EXPECTED_BOOL.into(),
            ValueKind::Ratio => values::EXPECTED_RATIO.into(),
            ValueKind::Octal => "an octal number such as 022".into(),
            ValueKind::List => "a comma-separated list".into(),
            ValueKind::BytesList => "a comma-separated list of sizes such as 1GB,100GB".into(),
            ValueKind::OneOf(names) => format!("one of {}", names.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_and_reject() {
        assert!(ValueKind::Port.check("19998").is_ok());
        assert_eq!(
            ValueKind::Port.check("70000"),
            Err(values::EXPECTED_PORT.to_string())
        );
        assert!(ValueKind::SignedInteger.check("-1").is_ok());
        assert!(ValueKind::Integer.check("-1").is_err());
        assert!(ValueKind::Octal.check("022").is_ok());
        assert!(ValueKind::Octal.check("089").is_err());
        assert!(ValueKind::BytesList.check("1GB, 100GB").is_ok());
        assert!(ValueKind::BytesList.check("1GB,lots").is_err());
        let write = ValueKind::OneOf(&["MUST_CACHE", "THROUGH"]);
        assert!(write.check("must_cache").is_ok());
        assert_eq!(write.check("FAST"), Err("one of MUST_CACHE, THROUGH".to_string()));
        assert!(ValueKind::Ratio.check("1.5").is_err());
        assert!(ValueKind::Bool.check("TRUE").is_ok());
        assert!(ValueKind::Duration.check("5fortnights").is_err());
    }
}
