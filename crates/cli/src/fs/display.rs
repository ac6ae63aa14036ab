//! How file metadata is printed, as Alluxio's shell prints it: `drwxr-xr-x` modes, local dates
//! and human-readable sizes.

use alluxio_conf::format_bytes;

/// A size in bytes, or human-readable (`1.50KB`) when `human`.
pub fn size(bytes: u64, human: bool) -> String {
    if human {
        format_bytes(bytes)
    } else {
        bytes.to_string()
    }
}

/// Milliseconds since the epoch as a local time in `pattern` (strftime syntax).
pub fn date(millis: i64, pattern: &str) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime(pattern)
            .to_string(),
        Err(_) => millis.to_string(),
    }
}

/// Alluxio's `ls` date format, `MM-dd-yyyy HH:mm:ss:SSS`.
pub const LS_DATE: &str = "%m-%d-%Y %H:%M:%S:%3f";

/// Alluxio's `stat` date format, `yyyy-MM-dd HH:mm:ss`.
pub const STAT_DATE: &str = "%Y-%m-%d %H:%M:%S";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_have_millisecond_precision() {
        let text = date(1_500_000_000_123, LS_DATE);
        assert!(text.ends_with(":123"), "{text}");
        assert_eq!(text.len(), "07-14-2017 02:40:00:123".len());
    }
}
