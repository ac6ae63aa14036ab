//! `/home`: the cluster at a glance, as `alluxio fsadmin report` summarizes it.

use alluxio_web::{TierRow, bytes, date, duration, page, tier_table, usage_bar};
use axum::extract::State as Extract;
use maud::{Markup, html};

use super::State;

pub(super) async fn show(Extract(state): State) -> Markup {
    let info = &state.info;
    let master = info.master_info();
    let blocks = info.fs.blocks.master_info();
    let journal = info.fs.journal_state();
    let consistency = info.consistency.lock().clone();
    let (ufs_capacity, ufs_used) = info.ufs_space.get(&info.fs.settings.root_ufs);
    let mut aliases: Vec<String> = blocks.capacity_bytes_on_tiers.keys().cloned().collect();
    aliases.sort_by(|a, b| alluxio_conf::compare_tiers(a, b));
    let tiers: Vec<TierRow> = aliases
        .into_iter()
        .map(|alias| TierRow {
            capacity: blocks.capacity_bytes_on_tiers.get(&alias).copied().unwrap_or(0),
            used: blocks.used_bytes_on_tiers.get(&alias).copied().unwrap_or(0),
            alias,
        })
        .collect();
    let body = html! {
        section {
            h2 { "Alluxio Summary" }
            table.kv #summary {
                tr { th { "Master Address" } td #master-address { (master.rpc_address) } }
                tr { th { "Web Address" } td { (master.web_address) } }
                tr { th { "Started" } td { (date(master.start_time_ms)) } }
                tr { th { "Uptime" } td { (duration(master.uptime_ms)) } }
                tr { th { "Version" } td #version { (master.version) } }
                tr { th { "Live Workers" } td #live-workers { a href="/workers" { (blocks.live_worker_num) } } }
                tr { th { "Lost Workers" } td #lost-workers {
                    @if blocks.lost_worker_num > 0 { span.lost { (blocks.lost_worker_num) } }
                    @else { (blocks.lost_worker_num) }
                } }
                tr { th { "Startup Consistency Check" } td #consistency {
                    (consistency.status())
                    @if !consistency.inconsistent().is_empty() {
                        span.lost { " — " (consistency.inconsistent().len()) " inconsistent path(s): " }
                        @for path in consistency.inconsistent().iter().take(10) { code { (path) } " " }
                    }
                    @if let crate::startup_check::ConsistencyCheck::Failed(why) = &consistency { span.lost { " — " (why) } }
                } }
                tr { th { "Journal" } td #journal {
                    (info.journal_location) " · last entry " (journal.last_sequence)
                    " · " (journal.entries_since_checkpoint) " of " (journal.checkpoint_period) " entries until the next checkpoint"
                    @if journal.failed { span.lost { " · FAILED: changes are refused until the master restarts" } }
                } }
            }
        }
        section {
            h2 { "Cluster Usage Summary" }
            table.kv #usage {
                tr { th { "Total Capacity" } td #total-capacity { (bytes(blocks.capacity_bytes)) } }
                tr { th { "Used Capacity" } td #used-capacity { (bytes(blocks.used_bytes)) } }
                tr { th { "Free Capacity" } td #free-capacity { (bytes(blocks.capacity_bytes.saturating_sub(blocks.used_bytes))) } }
                tr { th { "Usage" } td { (usage_bar(blocks.used_bytes, blocks.capacity_bytes)) } }
                tr { th { "Under Storage" } td { (info.fs.settings.root_ufs) } }
                tr { th { "UFS Capacity" } td {
                    @if ufs_capacity < 0 { span.muted { "unknown (object stores have none)" } }
                    @else { (usage_bar(ufs_used as u64, ufs_capacity as u64)) }
                } }
            }
        }
        section {
            h2 { "Storage Usage Summary" }
            (tier_table(&tiers))
        }
    };
    page(&state.nav, "/home", "Overview", body)
}
