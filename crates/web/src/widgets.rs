//! Small pieces of pages: sizes, dates, durations and usage bars.

use maud::{Markup, html};

/// `path` with `params` as its query string, escaped (`/browse?path=%2Fa+b`).
pub fn link(path: &str, params: &[(&str, &str)]) -> String {
    match serde_urlencoded::to_string(params) {
        Ok(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_string(),
    }
}

/// A byte count as Alluxio prints it (`1024.00KB`).
pub fn bytes(n: u64) -> String {
    alluxio_conf::format_bytes(n)
}

/// Milliseconds since the epoch as local `yyyy-MM-dd HH:mm:ss`; `-` for 0.
pub fn date(millis: i64) -> String {
    if millis <= 0 {
        return "-".into();
    }
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => millis.to_string(),
    }
}

/// A duration in milliseconds as `1 day, 2 hour, 3 min, 4 sec` (Alluxio's uptime form).
pub fn duration(millis: u64) -> String {
    let secs = millis / 1000;
    let (days, hours, mins, secs) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!("{days} day(s), {hours} hour(s), {mins} minute(s), and {secs} second(s)")
}

/// `part` as a whole percentage of `whole` (0 when `whole` is 0).
pub fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        (u128::from(part) * 100 / u128::from(whole)) as u64
    }
}

/// A bar filled to `used / capacity`, with the figures beside it.
pub fn usage_bar(used: u64, capacity: u64) -> Markup {
    let pct = percent(used, capacity).min(100);
    html! {
        span.bar.full[pct >= 95] title=(format!("{pct}% used")) {
            span style=(format!("width:{pct}%")) {}
        }
        " " (bytes(used)) " / " (bytes(capacity)) " (" (pct) "%)"
    }
}

/// One tier's figures for [`tier_table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRow {
    /// The tier's alias (`MEM`).
    pub alias: String,
    /// Its capacity in bytes.
    pub capacity: u64,
    /// Its bytes in use.
    pub used: u64,
}

/// The "Storage Usage Summary" table: capacity and usage of each tier, with bars.
pub fn tier_table(tiers: &[TierRow]) -> Markup {
    html! {
        table #tiers {
            thead { tr { th { "Storage Alias" } th.num { "Space Capacity" } th.num { "Space Used" } th { "Usage" } } }
            tbody {
                @for tier in tiers {
                    tr {
                        td { (tier.alias) }
                        td.num { (bytes(tier.capacity)) }
                        td.num { (bytes(tier.used)) }
                        td { (usage_bar(tier.used, tier.capacity)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_bars() {
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(u64::MAX, u64::MAX), 100);
        let bar = usage_bar(50, 100).into_string();
        assert!(bar.contains("width:50%"), "{bar}");
        assert!(!bar.contains("full"), "{bar}");
        assert!(usage_bar(99, 100).into_string().contains("bar full"));
    }

    #[test]
    fn links_escape_their_query() {
        assert_eq!(link("/browse", &[("path", "/a b&c")]), "/browse?path=%2Fa+b%26c");
        assert_eq!(link("/home", &[]), "/home");
    }

    #[test]
    fn durations_read_like_alluxio_uptime() {
        assert_eq!(
            duration(90_061_000),
            "1 day(s), 1 hour(s), 1 minute(s), and 1 second(s)"
        );
        assert_eq!(date(0), "-");
    }
}
