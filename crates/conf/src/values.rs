//! Parsing and printing of Alluxio's value syntaxes: byte sizes (`512MB`, `1.5GB`) and durations
//! (`5min`, `300sec`, plain milliseconds).

use std::time::Duration;

/// Parses a byte size: a number (fractions allowed) with an optional unit B, KB, MB, GB, TB, PB
/// (binary multiples, as in Alluxio; `K`, `M`, ... and any case also accepted).
pub fn parse_bytes(value: &str) -> Result<u64, String> {
    let (number, unit) = split_number_and_unit(value).ok_or("a size such as 512MB, 1.5GB or 1048576")?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" => 10,
        "M" | "MB" => 20,
        "G" | "GB" => 30,
        "T" | "TB" => 40,
        "P" | "PB" => 50,
        _ => return Err("a size with unit B, KB, MB, GB, TB or PB".to_string()),
    };
    let bytes = number * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err("a size below 16EB".to_string());
    }
    Ok(bytes.round() as u64)
}

/// Splits `1.5GB` into the number 1.5 and the trimmed unit `GB`; `None` if there is no number.
fn split_number_and_unit(value: &str) -> Option<(f64, &str)> {
    let trimmed = value.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    Some((number.parse().ok()?, unit.trim()))
}

/// Prints a byte size the way Alluxio does: two decimals and the largest fitting unit (`1.00GB`).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut unit = 0;
    let mut value = bytes as f64;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

/// Parses a duration: a number with an optional unit (ms, s/sec, m/min, h/hour, d/day and their
/// plurals); a bare number is milliseconds, as the old `.ms` keys were.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, unit) =
        split_number_and_unit(value).ok_or("a duration such as 5min, 300sec or 1000 (ms)")?;
    let millis_per_unit = match unit.to_ascii_lowercase().as_str() {
        "" | "ms" | "msec" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        _ => return Err("a duration with unit ms, sec, min, hour or day".to_string()),
    };
    let millis = number * millis_per_unit;
    if !millis.is_finite() || millis > u64::MAX as f64 {
        return Err("a shorter duration".to_string());
    }
    Ok(Duration::from_millis(millis.round() as u64))
}

/// What a port value must be.
pub(crate) const EXPECTED_PORT: &str = "a port number from 0 to 65535";
/// What a non-negative integer value must be.
pub(crate) const EXPECTED_INTEGER: &str = "a non-negative integer";
/// What a boolean value must be.
pub(crate) const EXPECTED_BOOL: &str = "true or false";
/// What a ratio value must be.
pub(crate) const EXPECTED_RATIO: &str = "a number between 0 and 1";

/// Parses a TCP port (0 lets the OS choose).
pub(crate) fn parse_port(value: &str) -> Option<u16> {
    value.trim().parse().ok()
}

/// Parses `true` or `false` in any case.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Parses a ratio between 0 and 1.
pub(crate) fn parse_ratio(value: &str) -> Option<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
}

/// The items of a comma-separated list, trimmed, empty items dropped.
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("512MB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1.5GB"), Ok(3 << 29));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("8 kb"), Ok(8 << 10));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5XB").is_err());
        assert_eq!(format_bytes(1 << 30), "1.00GB");
        assert_eq!(format_bytes(1536), "1.50KB");
        assert_eq!(format_bytes(12), "12.00B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("300sec"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1hour"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5fortnights").is_err());
    }
}
