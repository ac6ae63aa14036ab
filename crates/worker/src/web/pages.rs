//! `/home` (the worker at a glance: capacity per tier and per directory) and `/blockInfo`
//! (the blocks it holds, per tier, paged).

use alluxio_proto::ids::file_id_of_block;
use alluxio_web::{Paging, TierRow, bytes, date, duration, link, page, tier_table, usage_bar};
use axum::extract::{Query, State as Extract};
use maud::{Markup, html};
use serde::Deserialize;

use super::State;

pub(super) async fn overview(Extract(state): State) -> Markup {
    let ctx = &state.ctx;
    let usage = ctx.store.usage();
    let (capacity, used): (u64, u64) = (
        usage.iter().map(|t| t.capacity).sum(),
        usage.iter().map(|t| t.used).sum(),
    );
    let body = html! {
        section {
            h2 { "Worker Summary" }
            table.kv #summary {
                tr { th { "Worker Address" } td #worker-address { (ctx.address.host) ":" (ctx.address.rpc_port) } }
                tr { th { "Worker Id" } td { (ctx.worker_id()) } }
                tr { th { "Master" } td { (ctx.master.address()) } }
                tr { th { "Started" } td { (date(ctx.start_time_ms)) } }
                tr { th { "Uptime" } td { (duration(ctx.started.elapsed().as_millis() as u64)) } }
                tr { th { "Version" } td { (alluxio_proto::VERSION) } }
                tr { th { "Blocks" } td #block-count { a href="/blockInfo" { (ctx.store.block_count()) } } }
                tr { th { "Capacity" } td #capacity { (usage_bar(used, capacity)) } }
            }
        }
        section {
            h2 { "Storage Usage Summary" }
            (tier_table(&usage.iter().map(|t| TierRow { alias: t.alias.clone(), capacity: t.capacity, used: t.used }).collect::<Vec<_>>()))
        }
        section {
            h2 { "Tiered Storage Details" }
            table #dirs {
                thead { tr { th { "Alias" } th { "Path" } th.num { "Capacity" } th.num { "Used" } th { "Usage" } } }
                tbody {
                    @for dir in ctx.store.dir_usage() {
                        tr {
                            td { (dir.tier) } td { code { (dir.path.display()) } }
                            td.num { (bytes(dir.capacity)) } td.num { (bytes(dir.used)) }
                            td { (usage_bar(dir.used, dir.capacity)) }
                        }
                    }
                }
            }
        }
    };
    page(&state.nav, "/home", "Overview", body)
}

#[derive(Debug, Deserialize)]
pub(super) struct BlockQuery {
    /// Only blocks of this tier.
    tier: Option<String>,
}

pub(super) async fn block_info(
    Extract(state): State,
    Query(query): Query<BlockQuery>,
    Query(paging): Query<Paging>,
) -> Markup {
    let tiers = state.ctx.store.tier_aliases();
    let blocks: Vec<_> = state
        .ctx
        .store
        .blocks()
        .into_iter()
        .filter(|b| query.tier.as_ref().is_none_or(|tier| &b.tier == tier))
        .collect();
    let window = paging.window(blocks.len());
    let tier_param: Vec<(&str, &str)> = query.tier.as_deref().map(|t| ("tier", t)).into_iter().collect();
    let body = html! {
        section {
            p #tier-filter {
                "Tier: "
                a href="/blockInfo" { "all" }
                @for tier in &tiers { " · " a href=(link("/blockInfo", &[("tier", tier)])) { (tier) } }
            }
            table #blocks {
                thead { tr { th { "Block Id" } th { "File Id" } th.num { "Length" } th { "Tier" } } }
                tbody {
                    @for block in &blocks[window.clone()] {
                        tr { td { (block.block_id) } td { (file_id_of_block(block.block_id)) } td.num { (bytes(block.length)) } td { (block.tier) } }
                    }
                }
            }
            (paging.pager("/blockInfo", &tier_param, blocks.len()))
        }
    };
    page(&state.nav, "/blockInfo", "Block Info", body)
}
