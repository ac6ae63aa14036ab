//! Relaunch backoff of tasks that keep failing before they run healthy.

use std::time::Duration;

use alluxio_server::Backoff;

use super::super::{Action, Input, STABLE_SECONDS, Scheduler, SchedulerConfig, StatusUpdate, TaskState};
use super::{default_config, launches, log_lines, logs, offer, status, update, with_healthy_master};

const EXECUTOR: &str = "REASON_EXECUTOR_TERMINATED";

fn warnings(actions: &[Action]) -> Vec<&str> {
    log_lines(actions, true)
}

/// Task `id` on `host` is lost for `reason`, with a message naming its own sandbox.
fn lost(id: &str, host: &str, reason: &str) -> Input {
    Input::StatusUpdate(StatusUpdate {
        reason: Some(reason.to_string()),
        message: Some(format!(
            "Failed to create executor directory '/agent/executors/{id}': Failed to chown \
             directory to '': No such user ''"
        )),
        ..status(id, host, TaskState::Lost)
    })
}

/// Offers `host` at `now`; the id of the task launched, if any.
fn offer_at(scheduler: &mut Scheduler, now: f64, id: &str, host: &str) -> (Option<String>, Vec<Action>) {
    scheduler.set_now(now);
    let out = scheduler.handle(Input::Offers(vec![offer(id, host)]));
    (launches(&out).first().map(|plan| plan.task_id.clone()), out)
}

#[test]
fn a_master_that_keeps_failing_is_relaunched_ever_later_and_explained_once() {
    let mut scheduler = Scheduler::new(SchedulerConfig {
        relaunch_backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(6)),
        ..default_config()
    });
    scheduler.handle(Input::Subscribed {
        framework_id: "fw".to_string(),
        reattached: false,
    });
    assert_eq!(offer_at(&mut scheduler, 0.0, "O0", "h1").0.as_deref(), Some("0"));
    scheduler.set_now(0.5);
    let out = scheduler.handle(lost("0", "h1", EXECUTOR));
    assert!(warnings(&out).is_empty(), "one failure is no pattern: {out:?}");
    assert!(
        logs(&out).contains(
            &"master task 0 failed before running healthy for 60 s (1 in a row): relaunching the \
              master in 1 s at the earliest"
        ),
        "{out:?}"
    );

    // Within the backoff the offer is declined, saying why; after it, the master is launched.
    let (launched, out) = offer_at(&mut scheduler, 1.0, "O1", "h1");
    assert_eq!(launched, None);
    assert!(
        out.contains(&Action::Decline {
            offer_ids: vec!["O1".to_string()],
            refuse_seconds: 0.5
        }),
        "declined only until the backoff ends: {out:?}"
    );
    assert!(
        logs(&out)[0].contains("the master failed 1 times in a row; its relaunch backs off for 0.5 s more"),
        "{out:?}"
    );
    assert_eq!(offer_at(&mut scheduler, 1.5, "O2", "h1").0.as_deref(), Some("1"));

    // The second failure in a row doubles the wait and is said once at WARN, with the reason.
    scheduler.set_now(2.0);
    let out = scheduler.handle(lost("1", "h1", EXECUTOR));
    assert_eq!(
        warnings(&out),
        vec![
            "the master keeps failing: task 1 on h1 ended TASK_LOST (REASON_EXECUTOR_TERMINATED: \
             Failed to create executor directory '/agent/executors/1': Failed to chown directory \
             to '': No such user ''); relaunching it with backoff (at most every 6 s) until it \
             runs healthy for 60 s"
        ]
    );
    assert_eq!(offer_at(&mut scheduler, 3.9, "O3", "h1").0, None);
    assert_eq!(offer_at(&mut scheduler, 4.0, "O4", "h1").0.as_deref(), Some("2"));
    // The same kind of failure again (its message names another sandbox): not said again.
    // 4 s, then the 6 s cap.
    scheduler.set_now(4.0);
    assert!(warnings(&scheduler.handle(lost("2", "h1", EXECUTOR))).is_empty());
    assert_eq!(offer_at(&mut scheduler, 7.9, "O5", "h1").0, None);
    assert_eq!(offer_at(&mut scheduler, 8.0, "O6", "h1").0.as_deref(), Some("3"));
    scheduler.set_now(8.0);
    let out = scheduler.handle(lost("3", "h1", "REASON_AGENT_REMOVED"));
    assert_eq!(warnings(&out).len(), 1, "a new cause is said: {out:?}");
    assert_eq!(offer_at(&mut scheduler, 13.9, "O7", "h1").0, None);
    assert_eq!(offer_at(&mut scheduler, 14.0, "O8", "h1").0.as_deref(), Some("4"));

    // A run healthy for a minute ends the streak: its end is relaunched at once.
    scheduler.set_now(15.0);
    scheduler.handle(update("4", "h1", TaskState::Running, Some(true), None));
    scheduler.set_now(15.0 + STABLE_SECONDS);
    let out = scheduler.handle(update("4", "h1", TaskState::Failed, None, None));
    assert!(warnings(&out).is_empty());
    assert!(scheduler.state().backoffs.is_empty());
    assert_eq!(
        offer_at(&mut scheduler, 15.0 + STABLE_SECONDS, "O9", "h1")
            .0
            .as_deref(),
        Some("5")
    );
}

#[test]
fn each_hosts_worker_backs_off_alone() {
    let mut scheduler = with_healthy_master(Scheduler::new(default_config()), "h1");
    scheduler.set_now(100.0);
    let out = scheduler.handle(Input::Offers(vec![offer("A", "h2"), offer("B", "h3")]));
    assert_eq!(launches(&out).len(), 2);
    scheduler.handle(update("1", "h2", TaskState::Failed, None, None));
    let (launched, out) = offer_at(&mut scheduler, 100.5, "C", "h2");
    assert_eq!(launched, None, "h2's worker backs off: {out:?}");
    assert!(scheduler.state().backoffs.contains_key("worker@h2"));
    assert!(!scheduler.state().backoffs.contains_key("worker@h3"));
    assert_eq!(offer_at(&mut scheduler, 101.0, "D", "h2").0.as_deref(), Some("3"));
}
