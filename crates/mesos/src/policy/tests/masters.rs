//! `alluxio.integration.mesos.master.node.count` above one: masters elected through ZooKeeper,
//! each on a host of its own, and workers that follow the leader wherever it runs.

use alluxio_conf::keys;

use super::super::{
    Action, ConfigError, Input, STABLE_SECONDS, Scheduler, SchedulerConfig, TaskKind, TaskState,
};
use super::{conf, launches, logs, offer, update};

/// Three masters and ZooKeeper at zk:2181.
fn ha_conf() -> alluxio_conf::Configuration {
    let mut conf = conf();
    conf.set(keys::INTEGRATION_MESOS_MASTER_NODE_COUNT, "3");
    conf.set(keys::ZOOKEEPER_ENABLED, "true");
    conf.set(keys::ZOOKEEPER_ADDRESS, "zk:2181");
    conf
}

fn ha_scheduler() -> Scheduler {
    let mut scheduler = Scheduler::new(SchedulerConfig::from_conf(&ha_conf(), None).expect("valid"));
    scheduler.handle(Input::Subscribed {
        framework_id: "fw-1".to_string(),
        reattached: false,
    });
    scheduler
}

/// Masters 0, 1, 2 on h1, h2, h3, all running and healthy.
fn healthy_masters() -> Scheduler {
    let mut scheduler = ha_scheduler();
    let out = scheduler.handle(Input::Offers(vec![
        offer("A", "h1"),
        offer("B", "h2"),
        offer("C", "h3"),
    ]));
    assert_eq!(launches(&out).len(), 3, "{out:?}");
    for (id, host) in [("0", "h1"), ("1", "h2"), ("2", "h3")] {
        scheduler.handle(update(id, host, TaskState::Running, Some(true), None));
    }
    scheduler
}

#[test]
fn several_masters_need_zookeeper_and_no_pinned_host() {
    let mut conf = conf();
    conf.set(keys::INTEGRATION_MESOS_MASTER_NODE_COUNT, "3");
    let err = SchedulerConfig::from_conf(&conf, None).expect_err("no ZooKeeper");
    assert!(matches!(err, ConfigError::MastersWithoutZooKeeper { count: 3 }));
    assert!(
        err.to_string().contains("alluxio.zookeeper.enabled=true"),
        "{err}"
    );

    let err = SchedulerConfig::from_conf(&ha_conf(), Some("h1".to_string())).expect_err("pinned");
    assert!(
        err.to_string().contains("pinned to h1 (--alluxio-master"),
        "{err}"
    );

    let mut conf = ha_conf();
    conf.set(keys::ZOOKEEPER_ADDRESS, "zk");
    let err = SchedulerConfig::from_conf(&conf, None).expect_err("bad address");
    assert!(err.to_string().contains(keys::ZOOKEEPER_ADDRESS), "{err}");

    let config = SchedulerConfig::from_conf(&ha_conf(), None).expect("valid");
    assert_eq!((config.master_node_count, config.zookeeper_election), (3, true));
    // One master elected through ZooKeeper is allowed too.
    let mut conf = ha_conf();
    conf.set(keys::INTEGRATION_MESOS_MASTER_NODE_COUNT, "1");
    assert!(
        SchedulerConfig::from_conf(&conf, None)
            .expect("valid")
            .zookeeper_election
    );
}

#[test]
fn masters_launch_together_on_distinct_hosts_before_any_worker() {
    let mut scheduler = ha_scheduler();
    // Two offers from h1 in one round: only one of them takes a master.
    let out = scheduler.handle(Input::Offers(vec![
        offer("A", "h1"),
        offer("B", "h1"),
        offer("C", "h2"),
    ]));
    let plans = launches(&out);
    let hosts: Vec<(&str, TaskKind)> = plans.iter().map(|p| (p.hostname.as_str(), p.kind)).collect();
    assert_eq!(hosts, [("h1", TaskKind::Master), ("h2", TaskKind::Master)]);
    assert!(
        logs(&out)
            .iter()
            .any(|line| line.contains("elected through ZooKeeper"))
    );
    assert!(
        logs(&out).iter().any(|line| line.contains(
            "declining offer B from h1: no master yet and this offer cannot \
                                       take one: a master already runs on this host"
        )),
        "{out:?}"
    );
    // A later round takes the third master on a host without one.
    let out = scheduler.handle(Input::Offers(vec![offer("D", "h2"), offer("E", "h3")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    assert_eq!(
        (plans[0].kind, plans[0].hostname.as_str()),
        (TaskKind::Master, "h3")
    );
    assert_eq!(scheduler.state().active_masters(), 3);
    // Enough masters: an offer of h4 waits for a healthy one, then takes a worker.
    let out = scheduler.handle(Input::Offers(vec![offer("F", "h4")]));
    assert!(launches(&out).is_empty());
    scheduler.handle(update("1", "h2", TaskState::Running, Some(true), None));
    let out = scheduler.handle(Input::Offers(vec![offer("G", "h4")]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].kind, TaskKind::Worker);
    // The worker joins no host: it finds the leader through ZooKeeper.
    assert_eq!(plans[0].master_hostname, None);
    assert!(
        logs(&out)
            .iter()
            .any(|line| line.contains("leader found through ZooKeeper"))
    );
}

#[test]
fn offers_are_suppressed_only_once_every_master_is_healthy() {
    let mut scheduler = ha_scheduler();
    scheduler.handle(Input::Offers(vec![
        offer("A", "h1"),
        offer("B", "h2"),
        offer("C", "h3"),
    ]));
    scheduler.handle(update("0", "h1", TaskState::Running, Some(true), None));
    scheduler.handle(update("1", "h2", TaskState::Running, Some(true), None));
    // Workers on every host; one master is still unhealthy.
    let out = scheduler.handle(Input::Offers(vec![
        offer("D", "h1"),
        offer("E", "h2"),
        offer("F", "h3"),
    ]));
    assert_eq!(launches(&out).len(), 3);
    let out = scheduler.handle(Input::Offers(vec![offer("G", "h1")]));
    assert!(!out.contains(&Action::Suppress), "{out:?}");
    scheduler.handle(update("2", "h3", TaskState::Running, Some(true), None));
    let out = scheduler.handle(Input::Offers(vec![offer("H", "h1")]));
    assert!(out.contains(&Action::Suppress), "{out:?}");
    assert!(
        logs(&out)
            .iter()
            .any(|line| line.contains("masters on h1, h2, h3 healthy, 3 workers")),
        "{out:?}"
    );
}

#[test]
fn a_lost_master_is_relaunched_as_a_standby_and_workers_keep_running() {
    let mut scheduler = healthy_masters();
    let out = scheduler.handle(Input::Offers(vec![offer("D", "h1"), offer("E", "h2")]));
    assert_eq!(launches(&out).len(), 2);
    scheduler.handle(update("3", "h1", TaskState::Running, Some(true), None));
    scheduler.handle(update("4", "h2", TaskState::Running, Some(true), None));
    scheduler.set_now(STABLE_SECONDS);

    let out = scheduler.handle(update("1", "h2", TaskState::Failed, None, None));
    assert!(
        logs(&out)
            .iter()
            .any(|line| line.contains("joins the election as a standby")),
        "{out:?}"
    );
    // Another master became healthy meanwhile, elsewhere: no worker is killed for it.
    let out = scheduler.handle(update("0", "h1", TaskState::Running, Some(true), None));
    assert!(!out.iter().any(|a| matches!(a, Action::Kill { .. })), "{out:?}");
    // h1 and h3 run masters; the replacement goes to h2, preferred as the lost one's host.
    let out = scheduler.handle(Input::Offers(vec![
        offer("F", "h1"),
        offer("G", "h3"),
        offer("H", "h2"),
    ]));
    let plans = launches(&out);
    assert_eq!(plans.len(), 2, "{out:?}");
    assert_eq!(
        (plans[0].kind, plans[0].hostname.as_str()),
        (TaskKind::Worker, "h3")
    );
    assert_eq!(
        (plans[1].kind, plans[1].hostname.as_str()),
        (TaskKind::Master, "h2")
    );
    assert_eq!(scheduler.state().active_masters(), 3);
    assert_eq!(scheduler.state().active_workers(), 3);
}
