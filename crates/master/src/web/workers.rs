//! `/workers`: live and lost workers, with their capacity and a link to each one's UI.

use alluxio_proto::grpc::WorkerInfo;
use alluxio_web::{bytes, date, page, usage_bar};
use axum::extract::State as Extract;
use maud::{Markup, html};

use super::State;

fn table(id: &str, workers: &[WorkerInfo]) -> Markup {
    let mut tiers: Vec<String> = workers
        .iter()
        .flat_map(|w| w.capacity_bytes_on_tiers.keys().cloned())
        .collect();
    tiers.sort_by(|a, b| alluxio_conf::compare_tiers(a, b));
    tiers.dedup();
    html! {
        table id=(id) {
            thead { tr {
                th { "Node" } th.num { "Last Heartbeat" } th { "State" } th { "Usage" }
                @for tier in &tiers { th.num { (tier) } }
                th.num { "Blocks" } th { "Started" }
            } }
            tbody {
                @if workers.is_empty() {
                    tr { td colspan=(6 + tiers.len()) { span.muted { "None" } } }
                }
                @for worker in workers {
                    @let address = worker.address.clone().unwrap_or_default();
                    tr.worker {
                        td { a.worker-link href=(format!("http://{}:{}/", address.host, address.web_port)) {
                            (address.host) ":" (address.web_port)
                        } }
                        td.num { (worker.last_contact_ms / 1000) " s ago" }
                        td { (worker.state) }
                        td { (usage_bar(worker.used_bytes, worker.capacity_bytes)) }
                        @for tier in &tiers {
                            td.num {
                                (bytes(worker.used_bytes_on_tiers.get(tier).copied().unwrap_or(0))) " / "
                                (bytes(worker.capacity_bytes_on_tiers.get(tier).copied().unwrap_or(0)))
                            }
                        }
                        td.num { (worker.block_count) }
                        td { (date(worker.start_time_ms)) }
                    }
                }
            }
        }
    }
}

pub(super) async fn show(Extract(state): State) -> Markup {
    let (live, lost) = state.info.fs.blocks.worker_infos();
    let body = html! {
        section { h2 { "Live Workers (" (live.len()) ")" } (table("live-workers", &live)) }
        section { h2 { "Lost Workers (" (lost.len()) ")" } (table("lost-workers", &lost)) }
    };
    page(&state.nav, "/workers", "Workers", body)
}
