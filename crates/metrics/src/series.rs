//! Time series of meters and gauges: the samples of the last hour (at most [`MAX_POINTS`]) per
//! metric, written by the sampler and read by pages and rate computations (never on a recording
//! path).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::Serialize;

/// One sample of a meter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// When it was taken, in milliseconds since the epoch.
    pub time_ms: i64,
    /// The meter's count then.
    pub value: f64,
}

#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    point: Point,
}

/// Samples kept per metric whatever the interval (a day at one a second).
const MAX_POINTS: usize = 86_400;

pub(crate) struct Series {
    /// Samples older than this are dropped.
    kept: Duration,
    by_name: Mutex<HashMap<String, VecDeque<Sample>>>,
}

impl Series {
    pub(crate) fn new(kept: Duration) -> Self {
        Self {
            kept,
            by_name: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn record(&self, name: &str, value: f64) {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let sample = Sample {
            at: Instant::now(),
            point: Point { time_ms, value },
        };
        let mut by_name = self.by_name.lock();
        let ring = by_name.entry(name.to_string()).or_default();
        ring.push_back(sample);
        while ring.len() > MAX_POINTS || ring.front().is_some_and(|s| s.at.elapsed() > self.kept) {
            ring.pop_front();
        }
    }

    pub(crate) fn points(&self, name: &str) -> Vec<Point> {
        self.by_name
            .lock()
            .get(name)
            .map(|ring| ring.iter().map(|s| s.point).collect())
            .unwrap_or_default()
    }

    /// Per-second rate from the oldest sample within `window` (or the oldest there is) to
    /// `current` now; 0 without a sample.
    pub(crate) fn rate(&self, name: &str, current: f64, window: Duration) -> f64 {
        let by_name = self.by_name.lock();
        let Some(ring) = by_name.get(name) else {
            return 0.0;
        };
        let start = ring
            .iter()
            .find(|s| s.at.elapsed() <= window)
            .or_else(|| ring.back());
        match start {
            Some(s) if s.at.elapsed() > Duration::ZERO => {
                (current - s.point.value).max(0.0) / s.at.elapsed().as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_older_than_the_kept_duration_are_dropped() {
        let series = Series::new(Duration::from_millis(50));
        series.record("m", 1.0);
        series.record("m", 2.0);
        std::thread::sleep(Duration::from_millis(80));
        series.record("m", 3.0);
        let values: Vec<f64> = series.points("m").iter().map(|p| p.value).collect();
        assert_eq!(values, [3.0]);
        assert!(series.points("other").is_empty());
    }

    #[test]
    fn rate_is_growth_per_second_since_the_window_start() {
        let series = Series::new(Duration::from_secs(60));
        assert_eq!(series.rate("m", 5.0, Duration::from_secs(60)), 0.0);
        series.record("m", 100.0);
        std::thread::sleep(Duration::from_millis(100));
        let rate = series.rate("m", 200.0, Duration::from_secs(60));
        assert!(rate > 100.0 && rate <= 1000.0, "{rate}");
    }
}
