//! The agent-side health checker of a task (apache/mesos `docs/health-checks.md`): HTTP, TCP
//! or COMMAND probes after `delay_seconds`, every `interval_seconds`; failures inside
//! `grace_period_seconds` before the first success are ignored; each counted failure and the
//! first success (or a recovery) is reported as a TASK_RUNNING update with `healthy`; after
//! `consecutive_failures` failures the task is killed.
//!
//! As in Mesos (`src/checks/checks_types.hpp`, and "Current limitations" in health-checks.md),
//! HTTP and TCP checks always go to 127.0.0.1, whatever address the agent and its tasks serve
//! on; a COMMAND check runs in the sandbox with the task's environment (the executor's, which
//! holds `LIBPROCESS_IP` and `MESOS_SANDBOX`) plus the check's own variables.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::Inner;
use super::agent::kill_task;
use super::state::TaskKey;

fn seconds(check: &Value, field: &str, default: f64) -> Duration {
    let v = check.get(field).and_then(Value::as_f64).unwrap_or(default);
    Duration::from_secs_f64(if v.is_finite() && v >= 0.0 {
        v.min(1e6)
    } else {
        default
    })
}

/// Where Mesos sends HTTP and TCP checks (`DEFAULT_IPV4_DOMAIN`).
const CHECK_DOMAIN: &str = "127.0.0.1";

/// Probes task `key`, whose command runs with `env`, until the task ends or fails its check.
pub(crate) async fn run_health_checks(
    inner: Arc<Inner>,
    key: TaskKey,
    env: BTreeMap<String, String>,
    check: Value,
) {
    let started = Instant::now();
    let delay = seconds(&check, "delay_seconds", 15.0);
    let interval = seconds(&check, "interval_seconds", 10.0);
    let timeout = seconds(&check, "timeout_seconds", 20.0);
    let grace = seconds(&check, "grace_period_seconds", 10.0);
    let limit = check
        .get("consecutive_failures")
        .and_then(Value::as_u64)
        .unwrap_or(3)
        .max(1);
    let sandbox = match inner.state.lock().tasks.get(&key) {
        Some(task) => task.sandbox.clone(),
        None => return,
    };
    tokio::time::sleep(delay).await;
    let mut tracker = Tracker {
        initializing: true,
        failures: 0,
        started,
        grace,
        limit,
    };
    loop {
        let healthy = matches!(
            tokio::time::timeout(timeout, probe(&check, &env, &sandbox)).await,
            Ok(true)
        );
        if !tracker.record(&inner, &key, healthy) {
            return;
        }
        tokio::time::sleep(interval).await;
    }
}

/// Health history of one task.
struct Tracker {
    initializing: bool,
    failures: u64,
    started: Instant,
    grace: Duration,
    limit: u64,
}

impl Tracker {
    /// Applies one probe result; false when checking should stop (task gone or killed).
    fn record(&mut self, inner: &Arc<Inner>, key: &TaskKey, healthy: bool) -> bool {
        let mut state = inner.state.lock();
        let Some(task) = state
            .tasks
            .get_mut(key)
            .filter(|t| !t.is_terminal() && !t.kill_requested)
        else {
            return false;
        };
        if healthy {
            let report = self.initializing || self.failures > 0;
            self.initializing = false;
            self.failures = 0;
            if report {
                task.healthy = Some(true);
                state.agent_update(
                    key,
                    "TASK_RUNNING",
                    Some("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"),
                    "",
                );
            }
        } else if !(self.initializing && self.started.elapsed() <= self.grace) {
            self.failures += 1;
            task.healthy = Some(false);
            state.agent_update(
                key,
                "TASK_RUNNING",
                Some("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"),
                "",
            );
            if self.failures >= self.limit {
                tracing::info!(task = %key.1, failures = self.failures, "task failed its health check: killing it");
                kill_task(inner, &mut state, key);
                return false;
            }
        }
        true
    }
}

async fn probe(check: &Value, env: &BTreeMap<String, String>, sandbox: &PathBuf) -> bool {
    match check.get("type").and_then(Value::as_str) {
        Some("HTTP") => {
            let Some(port) = check.pointer("/http/port").and_then(Value::as_u64) else {
                return false;
            };
            let scheme = check
                .pointer("/http/scheme")
                .and_then(Value::as_str)
                .unwrap_or("http");
            let path = check.pointer("/http/path").and_then(Value::as_str).unwrap_or("/");
            let url = format!("{scheme}://{CHECK_DOMAIN}:{port}{path}");
            match reqwest::Client::new().get(&url).send().await {
                Ok(resp) => (200..400).contains(&resp.status().as_u16()),
                Err(_) => false,
            }
        }
        Some("TCP") => match check.pointer("/tcp/port").and_then(Value::as_u64) {
            Some(port) => tokio::net::TcpStream::connect(format!("{CHECK_DOMAIN}:{port}"))
                .await
                .is_ok(),
            None => false,
        },
        Some("COMMAND") | None => {
            let Some(cmd) = check.pointer("/command/value").and_then(Value::as_str) else {
                return false;
            };
            let own_vars = check
                .pointer("/command/environment/variables")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|var| {
                    let name = var.get("name").and_then(Value::as_str)?;
                    Some((name, var.get("value").and_then(Value::as_str).unwrap_or_default()))
                });
            tokio::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .envs(env)
                .envs(own_vars)
                .current_dir(sandbox)
                .kill_on_drop(true)
                .status()
                .await
                .is_ok_and(|s| s.success())
        }
        Some(_) => false,
    }
}
