//! Registration with the master and the heartbeat loop that keeps the master's block map in step
//! with the store and carries the master's commands back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockHeartbeatResponse, BlockIdList, CommandType, Metric, RegisterWorkerRequest,
};
use alluxio_server::Shutdown;
use tokio::task::JoinSet;

use crate::WorkerError;
use crate::context::WorkerContext;
use alluxio_server::Backoff;

use crate::master_client::retry_until;
use crate::persist;
use crate::store::{BlockMeta, StoreChanges, StoreError, TierUsage};

/// Gets a worker id for the advertised address from the current master and registers every
/// stored block, so a restarted worker keeps serving what it cached, and a master that took over
/// learns what this worker holds.
pub(crate) async fn register(ctx: &WorkerContext) -> Result<(), WorkerError> {
    let worker_id = ctx.master.get_worker_id(ctx.address.clone()).await?;
    ctx.set_worker_id(worker_id);
    // The full list supersedes any change not yet reported.
    ctx.store.take_changes();
    let usage = ctx.store.usage();
    let mut current_blocks_on_tiers: HashMap<String, BlockIdList> = HashMap::new();
    let mut block_lengths = HashMap::new();
    for block in ctx.store.blocks() {
        current_blocks_on_tiers
            .entry(block.tier)
            .or_default()
            .block_ids
            .push(block.block_id);
        block_lengths.insert(block.block_id, block.length);
    }
    let request = RegisterWorkerRequest {
        worker_id,
        storage_tiers: ctx.store.tier_aliases(),
        total_bytes_on_tiers: per_tier(&usage, |tier| tier.capacity),
        used_bytes_on_tiers: per_tier(&usage, |tier| tier.used),
        current_blocks_on_tiers,
        block_lengths,
        ..Default::default()
    };
    ctx.master.register(request).await
}

/// [`register`], retried with `backoff` for up to `timeout`: a master that just started may not
/// accept workers yet.
pub(crate) async fn register_with_retry(
    ctx: &WorkerContext,
    timeout: Duration,
    backoff: Backoff,
) -> Result<(), WorkerError> {
    retry_until(timeout, backoff, "registering with the master", || register(ctx))
        .await
        .map_err(|(e, _)| e)
}

fn per_tier(usage: &[TierUsage], value: impl Fn(&TierUsage) -> u64) -> HashMap<String, u64> {
    usage
        .iter()
        .map(|tier| (tier.alias.clone(), value(tier)))
        .collect()
}

/// What the master has not been told yet; kept across failed heartbeats so nothing is lost.
#[derive(Debug, Default)]
struct PendingReport {
    added: HashMap<u64, BlockMeta>,
    removed: HashSet<u64>,
    persisted: Vec<u64>,
    failed_persist: Vec<u64>,
}

impl PendingReport {
    fn absorb(&mut self, changes: StoreChanges) {
        for block in changes.added {
            self.removed.remove(&block.block_id);
            self.added.insert(block.block_id, block);
        }
        for block_id in changes.removed {
            self.added.remove(&block_id);
            self.removed.insert(block_id);
        }
    }

    /// What is left to report once the master answered `response`. A master asking to register
    /// again has forgotten this worker and ignored the report: the registration carries the
    /// blocks again, but persistence results must go in a later heartbeat or the files would stay
    /// "to be persisted" forever.
    fn after_answer(self, response: &BlockHeartbeatResponse) -> Self {
        if asks_to_register(response) {
            PendingReport {
                persisted: self.persisted,
                failed_persist: self.failed_persist,
                ..Default::default()
            }
        } else {
            PendingReport::default()
        }
    }

    fn request(&self, worker_id: u64, usage: &[TierUsage], metrics: Vec<Metric>) -> BlockHeartbeatRequest {
        let mut added_blocks_on_tiers: HashMap<String, BlockIdList> = HashMap::new();
        for block in self.added.values() {
            added_blocks_on_tiers
                .entry(block.tier.clone())
                .or_default()
                .block_ids
                .push(block.block_id);
        }
        BlockHeartbeatRequest {
            worker_id,
            used_bytes_on_tiers: per_tier(usage, |tier| tier.used),
            removed_block_ids: self.removed.iter().copied().collect(),
            added_blocks_on_tiers,
            added_block_lengths: self.added.values().map(|b| (b.block_id, b.length)).collect(),
            persisted_file_ids: self.persisted.clone(),
            failed_persist_file_ids: self.failed_persist.clone(),
            metrics,
            ..Default::default()
        }
    }
}

/// Whether the master answered a heartbeat by asking the worker to register: it does not know
/// the worker's id, because it forgot the worker or because it is another master than the one
/// that gave the id (a failover). Such an answer carries nothing else.
fn asks_to_register(response: &BlockHeartbeatResponse) -> bool {
    response
        .command
        .as_ref()
        .is_some_and(|c| c.command_type == i32::from(CommandType::Register))
}

/// Heartbeats every `interval` until shutdown.
///
/// A failed heartbeat keeps its report for the next one. When the master stays unreachable past
/// `timeout`, Alluxio 1.x exits the worker; this loop logs an error and keeps trying instead,
/// because the cached blocks, the data server and short-circuit readers stay useful meanwhile and
/// a master that comes back (or a new one after failover) gets the worker's report at once. Use
/// the error line to alert; an init system or Mesos can still stop the worker.
pub(crate) async fn heartbeat_loop(
    ctx: Arc<WorkerContext>,
    interval: Duration,
    timeout: Duration,
    mut shutdown: Shutdown,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Unfinished persistence jobs are cancelled when the loop ends (the master reschedules them).
    let mut persist_jobs = JoinSet::new();
    let mut pending = PendingReport::default();
    let mut last_success = Instant::now();
    // How loudly the current outage was reported: once as a warning, once more as an error.
    let mut failures = 0u64;
    let mut reported_lost = false;
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = ticker.tick() => {}
        }
        while persist_jobs.try_join_next().is_some() {}
        pending.absorb(ctx.store.take_changes());
        let (persisted, failed) = ctx.persist.take_results();
        pending.persisted.extend(persisted);
        pending.failed_persist.extend(failed);
        let request = pending.request(ctx.worker_id(), &ctx.store.usage(), ctx.metrics.report());
        let result = tokio::select! {
            _ = shutdown.wait() => break,
            result = ctx.master.heartbeat(request) => result,
        };
        match result {
            Ok(response) => {
                if failures > 0 {
                    tracing::info!(master = %ctx.master.address(), failures, "master reachable again");
                }
                pending = pending.after_answer(&response);
                last_success = Instant::now();
                failures = 0;
                reported_lost = false;
                handle_response(&ctx, response, &mut persist_jobs).await;
            }
            Err(e) => {
                failures += 1;
                if last_success.elapsed() > timeout && !reported_lost {
                    tracing::error!(
                        error = %e,
                        masters = %ctx.master.masters(),
                        silent_for = ?last_success.elapsed(),
                        "master unreachable past alluxio.worker.block.heartbeat.timeout; still serving cached blocks and retrying"
                    );
                    reported_lost = true;
                } else if failures == 1 {
                    tracing::warn!(error = %e, "heartbeat failed; changes kept for the next one, retrying");
                } else {
                    tracing::debug!(error = %e, failures, "heartbeat failed again");
                }
            }
        }
    }
    persist_jobs.shutdown().await;
}

async fn handle_response(
    ctx: &Arc<WorkerContext>,
    response: BlockHeartbeatResponse,
    persist_jobs: &mut JoinSet<()>,
) {
    // The empty pinned list of a master asking to register means nothing: keeping the last one
    // spares pinned blocks from eviction until the master sends its list again.
    if !asks_to_register(&response) {
        ctx.store
            .set_pinned_files(response.pinned_file_ids.iter().copied().collect());
    }
    for file in response.persist_files {
        persist::spawn(ctx, file, persist_jobs);
    }
    let Some(command) = response.command else {
        return;
    };
    match CommandType::try_from(command.command_type) {
        Ok(CommandType::Register) => {
            tracing::info!(
                master = %ctx.master.address(),
                worker_id = ctx.worker_id(),
                "the master does not know this worker (it forgot it, or took over from another); registering again"
            );
            // The report just sent is forgotten; a new id from this master and the full block
            // list replace it.
            match register(ctx).await {
                Ok(()) => tracing::info!(
                    master = %ctx.master.address(),
                    worker_id = ctx.worker_id(),
                    "registered again"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "registering again failed; waiting for the next command")
                }
            }
        }
        Ok(CommandType::Free) => free_blocks(ctx, command.block_ids).await,
        Ok(CommandType::Nothing) => {}
        Err(_) => tracing::warn!(command = command.command_type, "unknown master command ignored"),
    }
}

async fn free_blocks(ctx: &Arc<WorkerContext>, block_ids: Vec<u64>) {
    let store = ctx.store.clone();
    let freed = tokio::task::spawn_blocking(move || {
        for block_id in block_ids {
            match store.remove_block(block_id) {
                Ok(()) | Err(StoreError::NotFound(_)) => {}
                Err(e) => tracing::warn!(block_id, error = %e, "cannot free block"),
            }
        }
    })
    .await;
    if let Err(e) = freed {
        tracing::warn!(error = %e, "freeing blocks was interrupted");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(block_id: u64, tier: &str) -> BlockMeta {
        BlockMeta {
            block_id,
            length: block_id * 10,
            tier: tier.into(),
        }
    }

    #[test]
    fn pending_report_keeps_only_the_latest_fate_of_a_block() {
        let mut pending = PendingReport::default();
        pending.absorb(StoreChanges {
            added: vec![meta(1, "MEM"), meta(2, "MEM")],
            removed: vec![3],
        });
        // Heartbeat failed; a later batch removes 1, re-adds 3 and moves 2 down a tier.
        pending.absorb(StoreChanges {
            added: vec![meta(3, "MEM"), meta(2, "SSD")],
            removed: vec![1],
        });
        let request = pending.request(7, &[], Vec::new());
        assert_eq!(request.worker_id, 7);
        assert_eq!(request.removed_block_ids, vec![1]);
        let mut mem = request.added_blocks_on_tiers["MEM"].block_ids.clone();
        mem.sort_unstable();
        assert_eq!(mem, vec![3]);
        assert_eq!(request.added_blocks_on_tiers["SSD"].block_ids, vec![2]);
        assert_eq!(request.added_block_lengths[&2], 20);
        assert_eq!(request.added_block_lengths.len(), 2);
    }

    #[test]
    fn a_register_answer_keeps_only_the_persistence_results() {
        let mut pending = PendingReport::default();
        pending.absorb(StoreChanges {
            added: vec![meta(1, "MEM")],
            removed: vec![2],
        });
        pending.persisted.push(10);
        pending.failed_persist.push(11);
        let register = BlockHeartbeatResponse {
            command: Some(alluxio_proto::grpc::Command {
                command_type: CommandType::Register.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(asks_to_register(&register));
        let left = pending.after_answer(&register);
        assert!(left.added.is_empty() && left.removed.is_empty());
        assert_eq!(
            (left.persisted.as_slice(), left.failed_persist.as_slice()),
            (&[10][..], &[11][..])
        );
        let nothing = BlockHeartbeatResponse::default();
        assert!(!asks_to_register(&nothing));
        let left = left.after_answer(&nothing);
        assert!(left.persisted.is_empty() && left.failed_persist.is_empty());
    }
}
