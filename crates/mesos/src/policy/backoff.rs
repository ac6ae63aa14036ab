//! Relaunch backoff: a task that ends before it ran healthy for [`STABLE_SECONDS`] is relaunched
//! only after a delay that doubles with each such failure in a row, up to a maximum, so that a
//! task that cannot start (an unknown user, resources Mesos refuses, a port taken) is not
//! relaunched on every offer. The master and each host's worker back off separately; a run that
//! stays healthy long enough ends the streak. The first repeat of a failure, and any change of
//! its kind (state and reason: the message names per-task paths), is said once at WARN with the
//! agent's reason and message.

use serde::{Deserialize, Serialize};

use super::{Action, Scheduler, StatusUpdate, TaskKind, TaskRecord, TaskState};

/// How long a task must run healthy for its end not to count as a quick failure.
pub const STABLE_SECONDS: f64 = 60.0;

/// The failure streak of the master, or of the worker of one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    /// Quick failures in a row.
    pub failures: u32,
    /// No relaunch before this time (seconds since the epoch).
    pub not_before: f64,
    /// The kind of failure (state and reason) last said at WARN, not to say it again.
    pub warned_kind: Option<String>,
}

/// The streak a task belongs to: the master's, or the worker's of its host.
pub fn key(kind: TaskKind, hostname: &str) -> String {
    match kind {
        TaskKind::Master => "master".to_string(),
        TaskKind::Worker => format!("worker@{hostname}"),
    }
}

impl Scheduler {
    /// Books the end of `task` reported by `update` (`cause` says it in full, e.g. `ended
    /// TASK_LOST (REASON_...: message)`): a quick failure lengthens its streak and delays the
    /// relaunch; a long healthy run ends the streak. A task we were killing is not a failure.
    pub(super) fn record_end(
        &mut self,
        id: u64,
        task: &TaskRecord,
        update: &StatusUpdate,
        cause: &str,
        out: &mut Vec<Action>,
    ) {
        if task.state == TaskState::Killing {
            return;
        }
        let now = self.now;
        let key = key(task.kind, &task.hostname);
        let stable = task
            .healthy_since
            .is_some_and(|since| now - since >= STABLE_SECONDS);
        if stable {
            self.state.backoffs.remove(&key);
            return;
        }
        let config = &self.config;
        let streak = self.state.backoffs.entry(key).or_insert(Backoff {
            failures: 0,
            not_before: now,
            warned_kind: None,
        });
        streak.failures = streak.failures.saturating_add(1);
        let delay = config.relaunch_backoff.after(streak.failures).as_secs_f64();
        streak.not_before = now + delay;
        let what = match task.kind {
            TaskKind::Master => "the master".to_string(),
            TaskKind::Worker => format!("the worker on {}", task.hostname),
        };
        out.push(Action::Log(format!(
            "{} task {id} failed before running healthy for {STABLE_SECONDS} s ({} in a row): \
             relaunching {what} in {delay} s at the earliest",
            task.kind.label(),
            streak.failures
        )));
        let kind = format!(
            "{} {}",
            update.state.mesos_name(),
            update.reason.as_deref().unwrap_or_default()
        );
        let repeated = streak.failures >= 2;
        if repeated && streak.warned_kind.as_deref() != Some(kind.as_str()) {
            streak.warned_kind = Some(kind);
            out.push(Action::Warn(format!(
                "{what} keeps failing: task {id} on {} {cause}; relaunching it with backoff (at most \
                 every {} s) until it runs healthy for {STABLE_SECONDS} s",
                task.hostname,
                config.relaunch_backoff.max().as_secs_f64()
            )));
        }
    }

    /// Seconds until a task of `kind` on `hostname` may be launched, if its streak delays it.
    pub(super) fn backoff_wait(&self, kind: TaskKind, hostname: &str) -> Option<f64> {
        let streak = self.state.backoffs.get(&key(kind, hostname))?;
        let wait = streak.not_before - self.now;
        (wait > 0.0).then_some(wait)
    }

    /// Why a task of `kind` on `hostname` may not be launched yet, if its streak says so.
    pub(super) fn backoff_refusal(&self, kind: TaskKind, hostname: &str) -> Option<String> {
        let wait = self.backoff_wait(kind, hostname)?;
        let failures = self.state.backoffs.get(&key(kind, hostname))?.failures;
        Some(format!(
            "the {} failed {failures} times in a row; its relaunch backs off for {wait:.1} s more",
            kind.label()
        ))
    }
}
