//! Relaunches, agent loss, re-attachment after a restart, and tasks that are not ours.

use super::super::{
    Action, Input, STABLE_SECONDS, Scheduler, SchedulerState, StatusUpdate, TaskKind, TaskState,
};
use super::{
    DEFAULT_PORTS, count, declined, default_config, launches, logs, offer, offer_of, offered, scheduler,
    status, update, with_healthy_master,
};

/// Master 0 on h1 and workers 1 on h1, 2 on h2, all running and healthy for a minute (so an
/// end is not a quick failure and is relaunched at once).
fn cluster() -> Scheduler {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let out = scheduler.handle(Input::Offers(vec![offer("A", "h1"), offer("B", "h2")]));
    assert_eq!(launches(&out).len(), 2);
    scheduler.handle(update("1", "h1", TaskState::Running, Some(true), Some("u1")));
    scheduler.handle(update("2", "h2", TaskState::Running, Some(true), Some("u2")));
    scheduler.set_now(STABLE_SECONDS);
    scheduler
}

fn persisted(scheduler: &Scheduler) -> SchedulerState {
    let json = serde_json::to_string(scheduler.state()).expect("state serialises");
    serde_json::from_str(&json).expect("state deserialises")
}

#[test]
fn a_failed_worker_is_relaunched_with_a_new_id() {
    let mut scheduler = cluster();
    let out = scheduler.handle(Input::StatusUpdate(StatusUpdate {
        message: Some("Command exited with status 1".to_string()),
        reason: Some("REASON_COMMAND_EXECUTOR_FAILED".to_string()),
        ..status("2", "h2", TaskState::Failed)
    }));
    assert_eq!(
        logs(&out)[0],
        "worker task 2 on h2 ended TASK_FAILED (REASON_COMMAND_EXECUTOR_FAILED: Command exited \
         with status 1): its host may take a new worker"
    );
    assert!(!scheduler.state().has_worker_on("h2"));
    let out = scheduler.handle(Input::Offers(vec![offer("C", "h2")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    assert_eq!(
        (plans[0].task_id.as_str(), plans[0].hostname.as_str()),
        ("3", "h2")
    );
}

#[test]
fn unreachable_counts_as_lost_and_a_returning_task_is_killed() {
    let mut scheduler = cluster();
    scheduler.handle(update("2", "h2", TaskState::Unreachable, None, Some("u")));
    let out = scheduler.handle(Input::Offers(vec![offer("C", "h3")]));
    assert_eq!(launches(&out)[0].task_id, "3");
    let out = scheduler.handle(update("2", "h2", TaskState::Running, None, Some("u")));
    assert!(out.contains(&Action::Kill {
        task_id: "2".to_string(),
        agent_id: "agent-h2".to_string()
    }));
}

#[test]
fn a_lost_master_is_relaunched_on_its_host_before_any_new_worker() {
    let mut scheduler = cluster();
    let out = scheduler.handle(update("0", "h1", TaskState::Lost, None, Some("u")));
    assert!(logs(&out)[0].contains("relaunching the master on the next qualifying offer, preferring h1"));
    // Running workers are left alone.
    assert!(!out.iter().any(|a| matches!(a, Action::Kill { .. })));
    assert_eq!(scheduler.state().active_workers(), 2);
    // h3 could take a worker, but the master comes first, on its previous host h1.
    let out = scheduler.handle(Input::Offers(vec![offer("X", "h3"), offer("Y", "h1")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    assert_eq!(
        (
            plans[0].task_id.as_str(),
            plans[0].kind,
            plans[0].hostname.as_str()
        ),
        ("3", TaskKind::Master, "h1")
    );
    assert_eq!(declined(&out), vec!["X"]);
    // Starting but not yet healthy: still no new worker.
    scheduler.handle(update("3", "h1", TaskState::Running, None, Some("u")));
    let out = scheduler.handle(Input::Offers(vec![offer("Z", "h3")]));
    assert!(launches(&out).is_empty());
    // Healthy on the same host: the old workers are still valid, new hosts get workers.
    let out = scheduler.handle(update("3", "h1", TaskState::Running, Some(true), Some("u")));
    assert!(!out.iter().any(|a| matches!(a, Action::Kill { .. })));
    let out = scheduler.handle(Input::Offers(vec![offer("W", "h3")]));
    assert_eq!(launches(&out)[0].master_hostname.as_deref(), Some("h1"));
}

#[test]
fn a_master_moved_to_another_host_replaces_the_workers_of_the_old_one() {
    let mut scheduler = cluster();
    scheduler.handle(update("0", "h1", TaskState::Failed, None, Some("u")));
    let out = scheduler.handle(Input::Offers(vec![offer("X", "h3")]));
    assert_eq!(launches(&out)[0].hostname, "h3");
    let out = scheduler.handle(update("3", "h3", TaskState::Running, Some(true), Some("u")));
    let kills: Vec<&Action> = out.iter().filter(|a| matches!(a, Action::Kill { .. })).collect();
    assert_eq!(kills.len(), 2, "{out:?}");
    // Killing workers still occupy their hosts until they end.
    let out = scheduler.handle(Input::Offers(vec![offer("Y", "h2")]));
    assert!(launches(&out).is_empty());
    // A RUNNING report does not undo the kill, and after re-subscribing the kill is sent again.
    let out = scheduler.handle(update("1", "h1", TaskState::Running, Some(true), None));
    assert_eq!(
        logs(&out),
        vec!["worker task 1 on h1 is TASK_RUNNING, healthy, being killed"]
    );
    let out = scheduler.handle(Input::Subscribed {
        framework_id: "fw-1".to_string(),
        reattached: true,
    });
    let kills: Vec<&Action> = out.iter().filter(|a| matches!(a, Action::Kill { .. })).collect();
    assert_eq!(
        kills,
        vec![
            &Action::Kill {
                task_id: "1".to_string(),
                agent_id: "agent-h1".to_string()
            },
            &Action::Kill {
                task_id: "2".to_string(),
                agent_id: "agent-h2".to_string()
            }
        ]
    );
    scheduler.handle(update("2", "h2", TaskState::Killed, None, Some("u")));
    let out = scheduler.handle(Input::Offers(vec![offer("Z", "h2")]));
    assert_eq!(launches(&out)[0].master_hostname.as_deref(), Some("h3"));
}

#[test]
fn a_lost_agent_takes_its_tasks_and_offers_are_revived() {
    let mut scheduler = cluster();
    let leftovers = offer_of("S", "h2", offered(0.0, 8192.0, &DEFAULT_PORTS));
    let out = scheduler.handle(Input::Offers(vec![leftovers]));
    assert_eq!(count(&out, &Action::Suppress), 1);
    let out = scheduler.handle(Input::AgentLost {
        agent_id: "agent-h2".to_string(),
    });
    assert_eq!(count(&out, &Action::Revive), 1);
    assert!(
        logs(&out)
            .iter()
            .any(|l| l.starts_with("worker task 2 on h2 lost with its agent"))
    );
    assert!(!scheduler.state().worker_hosts.contains_key("h2"));
    assert_eq!(scheduler.state().active_workers(), 1);
}

#[test]
fn a_restarted_framework_reconciles_its_tasks_and_never_reuses_ids() {
    let mut first = cluster();
    first.handle(update("2", "h2", TaskState::Finished, None, Some("u")));
    let saved = persisted(&first);
    let mut restarted = Scheduler::new(default_config());
    restarted.restore(saved);
    let out = restarted.handle(Input::Subscribed {
        framework_id: "fw-1".to_string(),
        reattached: true,
    });
    let explicit = vec![
        ("0".to_string(), "agent-h1".to_string()),
        ("1".to_string(), "agent-h1".to_string()),
    ];
    assert_eq!(
        out.iter()
            .filter(|a| !matches!(a, Action::Log(_)))
            .collect::<Vec<_>>(),
        vec![
            &Action::Reconcile { tasks: explicit },
            &Action::Reconcile { tasks: Vec::new() },
            &Action::Revive
        ]
    );
    // The master is known healthy from the state, so h2 gets a worker with id 3, not 2.
    let out = restarted.handle(Input::Offers(vec![offer("B", "h2")]));
    assert_eq!(launches(&out)[0].task_id, "3");
}

#[test]
fn a_restore_never_lowers_the_task_id_counter() {
    let mut scheduler = cluster();
    let mut state = persisted(&scheduler);
    state.next_task_id = 0;
    scheduler.restore(state);
    assert_eq!(scheduler.state().next_task_id, 3);
}

#[test]
fn a_new_framework_id_forgets_the_previous_frameworks_tasks() {
    let mut scheduler = cluster();
    let out = scheduler.handle(Input::Subscribed {
        framework_id: "fw-2".to_string(),
        reattached: false,
    });
    assert!(!out.iter().any(|a| matches!(a, Action::Reconcile { .. })));
    assert!(logs(&out)[0].contains("the 3 tasks of framework fw-1 ended with it"));
    assert!(scheduler.state().tasks.is_empty());
    assert_eq!(scheduler.state().framework_id.as_deref(), Some("fw-2"));
    let out = scheduler.handle(Input::Offers(vec![offer("M", "h1")]));
    assert_eq!(launches(&out)[0].task_id, "3");
}

#[test]
fn tasks_that_are_not_ours_are_killed_and_their_ids_skipped() {
    let mut scheduler = scheduler();
    let out = scheduler.handle(update("42", "h5", TaskState::Running, None, Some("u42")));
    assert_eq!(
        out,
        vec![
            Action::Log(
                "task 42 on agent agent-h5 is TASK_RUNNING but not an active task of ours: killing it"
                    .to_string()
            ),
            Action::Kill {
                task_id: "42".to_string(),
                agent_id: "agent-h5".to_string()
            },
            Action::Acknowledge {
                agent_id: "agent-h5".to_string(),
                task_id: "42".to_string(),
                uuid: "u42".to_string()
            },
        ]
    );
    // Already ended: nothing to kill.
    let out = scheduler.handle(update("43", "h5", TaskState::Lost, None, None));
    assert_eq!(out.len(), 1);
    let out = scheduler.handle(Input::Offers(vec![offer("O", "h1")]));
    assert_eq!(launches(&out)[0].task_id, "44");
}
