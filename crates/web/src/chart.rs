//! Throughput charts as inline SVG, drawn from a meter's samples.

use alluxio_metrics::Point;
use maud::{Markup, html};

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 140.0;
/// Room for the axis labels.
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 18.0;

/// Per-second rates between consecutive samples, at the later sample's time.
fn rates(points: &[Point]) -> Vec<(i64, f64)> {
    points
        .windows(2)
        .filter_map(|pair| {
            let seconds = (pair[1].time_ms - pair[0].time_ms) as f64 / 1000.0;
            (seconds > 0.0).then(|| {
                (
                    pair[1].time_ms,
                    (pair[1].value - pair[0].value).max(0.0) / seconds,
                )
            })
        })
        .collect()
}

/// A line chart of the bytes per second of a byte meter, titled `name`.
pub fn throughput_chart(name: &str, points: &[Point]) -> Markup {
    let rates = rates(points);
    let peak = rates.iter().map(|(_, r)| *r).fold(0.0, f64::max);
    let (first, last) = match (rates.first(), rates.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => (0, 0),
    };
    let span = (last - first).max(1) as f64;
    let coordinates: Vec<String> = rates
        .iter()
        .map(|(t, r)| {
            let x = LEFT + (t - first) as f64 / span * (WIDTH - LEFT);
            let y = (HEIGHT - BOTTOM) - if peak > 0.0 { r / peak } else { 0.0 } * (HEIGHT - BOTTOM - 4.0);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    html! {
        figure.chart data-metric=(name) {
            figcaption { (name) " (bytes/s)" }
            @if rates.is_empty() {
                p.muted { "Not enough samples yet." }
            } @else {
                svg.chart xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(HEIGHT)
                    viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(format!("{name} throughput")) {
                    text x="4" y="12" { (crate::bytes(peak as u64)) "/s" }
                    text x="4" y=(HEIGHT - BOTTOM) { "0" }
                    text x=(LEFT) y=(HEIGHT - 4.0) { "last " (((last - first) / 1000).max(1)) " s" }
                    polyline points=(coordinates.join(" ")) {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(time_ms: i64, value: f64) -> Point {
        Point { time_ms, value }
    }

    #[test]
    fn rates_are_per_second_between_samples() {
        let points = [
            point(0, 0.0),
            point(2000, 100.0),
            point(3000, 100.0),
            point(3000, 500.0),
        ];
        assert_eq!(rates(&points), [(2000, 50.0), (3000, 0.0)]);
    }

    #[test]
    fn charts_draw_one_vertex_per_rate() {
        let svg = throughput_chart(
            "Cluster.BytesReadAlluxio",
            &[point(0, 0.0), point(1000, 1024.0), point(2000, 1024.0)],
        )
        .into_string();
        assert!(svg.contains("<polyline points=\""), "{svg}");
        assert_eq!(svg.matches(',').count(), 2, "{svg}");
        assert!(svg.contains("1.00KB/s"), "{svg}");
        let empty = throughput_chart("x", &[point(0, 0.0)]).into_string();
        assert!(empty.contains("Not enough samples"), "{empty}");
    }
}
