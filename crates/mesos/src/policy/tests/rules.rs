//! One test per offer rule: master first, resources, required host, worker placement, limits.

use super::super::{Action, Input, Scheduler, SchedulerConfig, TaskKind, TaskState};
use super::{
    DEFAULT_PORTS, count, declined, default_config, launches, logs, offer, offer_of, offered, scheduler,
    update, with_healthy_master,
};

#[test]
fn master_goes_first_on_a_qualifying_offer() {
    let mut scheduler = scheduler();
    let out = scheduler.handle(Input::Offers(vec![
        offer("O1", "127.0.0.2"),
        offer("O2", "127.0.0.3"),
    ]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    let master = plans[0];
    assert_eq!(master.task_id, "0");
    assert_eq!(master.kind, TaskKind::Master);
    assert_eq!(master.name, "AlluxioMaster");
    assert_eq!(master.hostname, "127.0.0.2");
    assert_eq!((master.cpus, master.mem_mb), (1.0, 1024));
    assert_eq!(master.ports, vec![19999, 19998]);
    assert_eq!(
        master.resources,
        offered(1.0, 1024.0, &[(19999, 19999), (19998, 19998)]),
        "the offer's role and allocation are carried"
    );
    assert_eq!(master.master_hostname, None);
    assert!(matches!(&out[1], Action::Launch { offer_id, agent_id, .. }
        if offer_id == "O1" && agent_id == "agent-127.0.0.2"));
    assert_eq!(declined(&out), vec!["O2".to_string()]);
    assert!(out.contains(&Action::Decline {
        offer_ids: vec!["O2".to_string()],
        refuse_seconds: 5.0
    }));
    assert_eq!(
        logs(&out),
        vec![
            "launching master task 0 on 127.0.0.2 (offer O1): cpus 1, mem 1024 MB, ports 19999,19998",
            "declining offer O2 from 127.0.0.3: master task 0 on 127.0.0.2 is TASK_STAGING and not \
             yet healthy; workers wait for it",
        ]
    );
    // A second round while the master stages: no second master.
    let out = scheduler.handle(Input::Offers(vec![offer("O3", "127.0.0.4")]));
    assert!(launches(&out).is_empty());
    assert_eq!(declined(&out), vec!["O3".to_string()]);
}

#[test]
fn offers_short_of_cpus_mem_or_ports_are_declined_with_the_reason() {
    let mut scheduler = scheduler();
    let few_cpus = offer_of("C", "h1", offered(0.5, 8192.0, &DEFAULT_PORTS));
    let little_mem = offer_of("M", "h2", offered(4.0, 1000.0, &DEFAULT_PORTS));
    let no_web_port = offer_of("P", "h3", offered(4.0, 8192.0, &[(19998, 19998), (29998, 30000)]));
    let out = scheduler.handle(Input::Offers(vec![few_cpus, little_mem, no_web_port]));
    assert!(launches(&out).is_empty());
    assert_eq!(declined(&out), vec!["C", "M", "P"]);
    let lines = logs(&out);
    assert!(
        lines[0].contains("0.5 cpus offered, the AlluxioMaster needs 1"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("1000 MB offered, the AlluxioMaster needs 1024 MB"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("ports 19999 of the AlluxioMaster are not offered"),
        "{}",
        lines[2]
    );
    assert!(scheduler.state().tasks.is_empty());
}

#[test]
fn a_required_master_host_is_waited_for() {
    let config = SchedulerConfig {
        required_master_host: Some("h2".to_string()),
        ..default_config()
    };
    let mut scheduler = Scheduler::new(config);
    let out = scheduler.handle(Input::Offers(vec![offer("O1", "h1")]));
    assert!(launches(&out).is_empty());
    assert!(logs(&out)[0].contains("the master must run on h2"));
    let out = scheduler.handle(Input::Offers(vec![offer("O2", "h1"), offer("O3", "h2")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    assert_eq!(
        (plans[0].kind, plans[0].hostname.as_str()),
        (TaskKind::Master, "h2")
    );
    assert_eq!(declined(&out), vec!["O2"]);
}

#[test]
fn workers_wait_for_a_healthy_master() {
    let mut scheduler = scheduler();
    scheduler.handle(Input::Offers(vec![offer("O1", "h1")]));
    // Running without a health result yet, then failing it: no workers.
    for healthy in [None, Some(false)] {
        let out = scheduler.handle(update("0", "h1", TaskState::Running, healthy, Some("u")));
        assert!(!out.contains(&Action::Revive));
        let out = scheduler.handle(Input::Offers(vec![offer("O2", "h2")]));
        assert!(launches(&out).is_empty(), "{out:?}");
        assert_eq!(declined(&out), vec!["O2"]);
    }
    // Healthy: offers are revived (decline filters cleared) and workers launch.
    let out = scheduler.handle(update("0", "h1", TaskState::Running, Some(true), Some("u")));
    assert_eq!(count(&out, &Action::Revive), 1);
    assert!(logs(&out)[0].contains("master task 0 on h1 is running and healthy"));
    let out = scheduler.handle(Input::Offers(vec![offer("O3", "h2")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    let worker = plans[0];
    assert_eq!((worker.task_id.as_str(), worker.kind), ("1", TaskKind::Worker));
    assert_eq!((worker.cpus, worker.mem_mb), (1.0, 2048));
    assert_eq!(worker.ports, vec![29998, 29999, 30000]);
    assert_eq!(worker.master_hostname.as_deref(), Some("h1"));
    assert_eq!(
        logs(&out)[0],
        "launching worker task 1 on h2 (offer O3): cpus 1, mem 2048 MB, ports 29998,29999,30000, master h1"
    );
}

#[test]
fn one_worker_per_host_including_the_masters_host() {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let out = scheduler.handle(Input::Offers(vec![
        offer("A", "h1"),
        offer("B", "h2"),
        offer("C", "h2"),
    ]));
    let hosts: Vec<&str> = launches(&out).iter().map(|p| p.hostname.as_str()).collect();
    assert_eq!(hosts, vec!["h1", "h2"]);
    assert_eq!(declined(&out), vec!["C"]);
    assert!(logs(&out)[2].contains("a worker already runs on this host"));
    let out = scheduler.handle(Input::Offers(vec![offer("D", "h2")]));
    assert!(launches(&out).is_empty());
    assert_eq!(scheduler.state().active_workers(), 2);
}

#[test]
fn the_worker_maximum_is_respected_and_then_offers_are_suppressed() {
    let config = SchedulerConfig {
        max_workers: Some(2),
        ..default_config()
    };
    let mut scheduler = with_healthy_master(Scheduler::new(config), "h1");
    let out = scheduler.handle(Input::Offers(vec![
        offer("A", "h2"),
        offer("B", "h3"),
        offer("C", "h4"),
    ]));
    assert_eq!(launches(&out).len(), 2);
    assert_eq!(declined(&out), vec!["C"]);
    assert!(logs(&out)[2].contains("the maximum of 2 workers is reached"));
    assert_eq!(count(&out, &Action::Suppress), 1);
    assert_eq!(out.last(), Some(&Action::Suppress));
    assert!(scheduler.state().suppressed);
}

#[test]
fn offers_are_suppressed_once_and_revived_when_a_task_ends() {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let out = scheduler.handle(Input::Offers(vec![offer("A", "h1"), offer("B", "h2")]));
    assert_eq!(launches(&out).len(), 2);
    // Launches happened in this round, so it is not yet known to be complete.
    assert_eq!(count(&out, &Action::Suppress), 0);
    let leftovers = offer_of("C", "h2", offered(0.1, 8192.0, &DEFAULT_PORTS));
    let out = scheduler.handle(Input::Offers(vec![leftovers.clone()]));
    assert_eq!(count(&out, &Action::Suppress), 1);
    let out = scheduler.handle(Input::Offers(vec![leftovers]));
    assert_eq!(count(&out, &Action::Suppress), 0, "suppressed already: {out:?}");
    // A worker fails: one REVIVE, not repeated while not suppressed.
    let out = scheduler.handle(update("2", "h2", TaskState::Failed, None, Some("u2")));
    assert_eq!(count(&out, &Action::Revive), 1);
    assert!(!scheduler.state().suppressed);
    let out = scheduler.handle(update("1", "h1", TaskState::Killed, None, Some("u1")));
    assert_eq!(count(&out, &Action::Revive), 0);
}

#[test]
fn a_host_never_offering_enough_for_a_worker_does_not_block_suppression() {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let small = offer_of("S", "h9", offered(4.0, 512.0, &DEFAULT_PORTS));
    let out = scheduler.handle(Input::Offers(vec![offer("A", "h1"), small.clone()]));
    assert_eq!(launches(&out).len(), 1);
    let out = scheduler.handle(Input::Offers(vec![small]));
    assert_eq!(count(&out, &Action::Suppress), 1);
}

#[test]
fn updates_with_a_uuid_are_acknowledged_after_the_state_changes() {
    let mut scheduler = scheduler();
    scheduler.handle(Input::Offers(vec![offer("O1", "h1")]));
    let out = scheduler.handle(update("0", "h1", TaskState::Running, Some(true), Some("uuid-1")));
    assert_eq!(
        out.last(),
        Some(&Action::Acknowledge {
            agent_id: "agent-h1".to_string(),
            task_id: "0".to_string(),
            uuid: "uuid-1".to_string(),
        })
    );
    assert_eq!(scheduler.state().tasks[&0].state, TaskState::Running);
    // Reconciliation answers carry no uuid and are not acknowledged.
    let out = scheduler.handle(update("0", "h1", TaskState::Running, None, None));
    assert!(!out.iter().any(|a| matches!(a, Action::Acknowledge { .. })));
    // A health result missing from an update keeps the last one.
    assert_eq!(scheduler.state().tasks[&0].healthy, Some(true));
}

#[test]
fn rescinded_offers_and_disconnections_change_nothing() {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let before = scheduler.state().clone();
    let out = scheduler.handle(Input::Rescinded {
        offer_id: "O9".to_string(),
    });
    assert_eq!(out.len(), 1);
    assert!(logs(&out)[0].contains("offer O9 rescinded"));
    let out = scheduler.handle(Input::Disconnected);
    assert_eq!(out.len(), 1);
    assert!(matches!(&out[0], Action::Log(_)));
    assert_eq!(scheduler.state(), &before);
    // The next offers are handled as usual.
    let out = scheduler.handle(Input::Offers(vec![offer("O10", "h2")]));
    assert_eq!(launches(&out).len(), 1);
}

#[test]
fn every_decision_has_a_log_line() {
    let mut scheduler = with_healthy_master(scheduler(), "h1");
    let out = scheduler.handle(Input::Offers(vec![
        offer("A", "h2"),
        offer("B", "h2"),
        offer("C", "h3"),
    ]));
    // Two launches and one decline, one line each.
    assert_eq!(logs(&out).len(), 3);
    let out = scheduler.handle(update("1", "h2", TaskState::Running, Some(true), Some("u")));
    assert_eq!(logs(&out), vec!["worker task 1 on h2 is TASK_RUNNING, healthy"]);
}
