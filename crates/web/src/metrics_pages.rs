//! `/metrics/json/`, `/metrics/prometheus/` and the metrics page.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde_json::Value;

use crate::{Common, throughput_chart};

/// The Prometheus text format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) async fn json(State(common): State<Arc<Common>>) -> Json<Value> {
    Json(common.metrics.json())
}

pub(crate) async fn prometheus(State(common): State<Arc<Common>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        common.metrics.prometheus_text(),
    )
}

/// `/metricsui`: throughput charts, then every metric by kind.
pub(crate) async fn page(State(common): State<Arc<Common>>) -> Markup {
    let snapshot = common.metrics.json();
    let body = html! {
        section {
            h2 { "Throughput" }
            @for name in common.charted {
                (throughput_chart(name, &common.metrics.series(name)))
            }
        }
        section {
            h2 { "Gauges" }
            (table(&snapshot["gauges"], &[("Value", "value")]))
        }
        section {
            h2 { "Counters" }
            (table(&snapshot["counters"], &[("Count", "count")]))
        }
        section {
            h2 { "Meters" }
            (table(&snapshot["meters"], &[("Count", "count"), ("1-min rate /s", "m1_rate"), ("Mean rate /s", "mean_rate")]))
        }
        section {
            h2 { "RPC latency (ms)" }
            (table(&snapshot["timers"], &[("Calls", "count"), ("Mean", "mean"), ("p50", "p50"), ("p99", "p99")]))
        }
    };
    crate::page(&common.nav, "/metricsui", "Metrics", body)
}

/// One row per metric of a JSON group, with the chosen fields as columns.
fn table(group: &Value, columns: &[(&str, &str)]) -> Markup {
    html! {
        table.metrics {
            thead { tr { th { "Name" } @for (title, _) in columns { th.num { (title) } } } }
            tbody {
                @if let Some(metrics) = group.as_object() {
                    @for (name, fields) in metrics {
                        tr {
                            td { (name) }
                            @for (_, key) in columns { td.num { (number(&fields[*key])) } }
                        }
                    }
                }
            }
        }
    }
}

/// Whole numbers without decimals, others with two.
fn number(value: &Value) -> String {
    match value.as_f64() {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_list_every_metric_with_its_fields() {
        let group = json!({"Master.FilesCreated": {"count": 3}, "Master.X<y>": {"count": 1.5}});
        let html = table(&group, &[("Count", "count")]).into_string();
        assert!(
            html.contains("<td>Master.FilesCreated</td><td class=\"num\">3</td>"),
            "{html}"
        );
        assert!(html.contains("Master.X&lt;y&gt;"), "{html}");
        assert!(html.contains(">1.50<"), "{html}");
    }
}
