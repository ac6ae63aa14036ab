//! `alluxio getConf [--source] [--unit U] [key]`: the resolved configuration.

use std::process::ExitCode;

use alluxio_conf::{Configuration, parse_bytes, parse_duration, properties};
use anyhow::bail;
use clap::Args;

/// Arguments of `getConf`.
#[derive(Debug, Args)]
pub struct GetConfArgs {
    /// Also print where each value comes from.
    #[arg(long)]
    source: bool,
    /// Convert the value of `key`: B, KB, MB, GB, TB, PB for sizes; MS, S, MIN, HOUR, DAY for durations.
    #[arg(long, requires = "key")]
    unit: Option<String>,
    /// Only this property's value.
    key: Option<String>,
}

/// Prints one value, or every `key=value` sorted by key.
pub fn run(conf: &Configuration, args: &GetConfArgs) -> anyhow::Result<ExitCode> {
    let Some(key) = &args.key else {
        for (key, value, source) in conf.entries() {
            let value = alluxio_conf::displayed_value(&key, value.unwrap_or_default());
            if args.source {
                outln!("{key}={value} ({source})");
            } else {
                outln!("{key}={value}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let value = match conf.get_opt(key)? {
        Some(value) => value,
        None if properties::find(properties::canonical(key)).is_some() => String::new(),
        None => bail!("{key} is not a known property and is not set"),
    };
    let value = match &args.unit {
        Some(unit) => convert(key, &value, unit)?,
        None => alluxio_conf::displayed_value(key, value),
    };
    if args.source {
        outln!("{value} ({})", conf.source(key));
    } else {
        outln!("{value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Expresses a size or duration in `unit` (integer division, as Alluxio does).
fn convert(key: &str, value: &str, unit: &str) -> anyhow::Result<String> {
    let upper = unit.to_ascii_uppercase();
    let byte_shift = match upper.as_str() {
        "B" => Some(0),
        "KB" => Some(10),
        "MB" => Some(20),
        "GB" => Some(30),
        "TB" => Some(40),
        "PB" => Some(50),
        _ => None,
    };
    if let Some(shift) = byte_shift {
        let bytes = parse_bytes(value).map_err(|expected| {
            anyhow::anyhow!("cannot convert {key}={value} to {unit}: expected {expected}")
        })?;
        return Ok((bytes >> shift).to_string());
    }
    let millis_per_unit: u128 = match upper.as_str() {
        "MS" => 1,
        "S" | "SEC" => 1_000,
        "M" | "MIN" => 60_000,
        "H" | "HOUR" => 3_600_000,
        "D" | "DAY" => 86_400_000,
        _ => bail!("unknown unit {unit}: use B, KB, MB, GB, TB, PB, MS, S, MIN, HOUR or DAY"),
    };
    let duration = parse_duration(value)
        .map_err(|expected| anyhow::anyhow!("cannot convert {key}={value} to {unit}: expected {expected}"))?;
    Ok((duration.as_millis() / millis_per_unit).to_string())
}

#[cfg(test)]
mod tests {
    use super::convert;

    #[test]
    fn converts_sizes_and_durations() {
        assert_eq!(convert("k", "1GB", "MB").unwrap(), "1024");
        assert_eq!(convert("k", "1536", "kb").unwrap(), "1");
        assert_eq!(convert("k", "5min", "S").unwrap(), "300");
        assert!(
            convert("k", "abc", "MB")
                .unwrap_err()
                .to_string()
                .contains("k=abc")
        );
        assert!(convert("k", "1GB", "parsecs").is_err());
    }
}
