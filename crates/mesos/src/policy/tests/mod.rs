//! Unit tests of the policy: events in, actions out.

mod config;
mod healing;
mod random;
mod rules;

use alluxio_conf::{Configuration, keys};

use super::{Action, Input, Offer, Scheduler, SchedulerConfig, StatusUpdate, TaskPlan, TaskState};

/// Defaults with a 1GB ramdisk (the default depends on the machine).
fn conf() -> Configuration {
    let mut conf = Configuration::defaults();
    conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
    conf
}

/// The default configuration: master 1 cpu / 1024 MB / ports 19999,19998; worker 1 cpu /
/// 2048 MB / ports 29998,29999,30000; refuse 5 s.
fn default_config() -> SchedulerConfig {
    SchedulerConfig::from_conf(&conf(), None).expect("defaults are valid")
}

fn scheduler() -> Scheduler {
    Scheduler::new(default_config())
}

fn agent(host: &str) -> String {
    format!("agent-{host}")
}

/// A generous offer from `host` with both tasks' default ports.
fn offer(id: &str, host: &str) -> Offer {
    Offer {
        id: id.to_string(),
        agent_id: agent(host),
        hostname: host.to_string(),
        cpus: 4.0,
        mem_mb: 8192.0,
        port_ranges: vec![(19998, 19999), (29998, 30000)],
        allocation_role: Some("alluxio".to_string()),
    }
}

fn status(task_id: &str, host: &str, state: TaskState) -> StatusUpdate {
    StatusUpdate {
        task_id: task_id.to_string(),
        agent_id: agent(host),
        state,
        healthy: None,
        uuid: None,
        message: None,
        reason: None,
    }
}

fn update(task_id: &str, host: &str, state: TaskState, healthy: Option<bool>, uuid: Option<&str>) -> Input {
    Input::StatusUpdate(StatusUpdate {
        healthy,
        uuid: uuid.map(str::to_string),
        ..status(task_id, host, state)
    })
}

fn launches(actions: &[Action]) -> Vec<&TaskPlan> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Launch { task, .. } => Some(task),
            _ => None,
        })
        .collect()
}

fn declined(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Decline { offer_ids, .. } => Some(offer_ids.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn logs(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Log(line) => Some(line.as_str()),
            _ => None,
        })
        .collect()
}

fn count(actions: &[Action], wanted: &Action) -> usize {
    actions.iter().filter(|action| *action == wanted).count()
}

/// Subscribed, master task 0 on `master_host` running and healthy.
fn with_healthy_master(mut scheduler: Scheduler, master_host: &str) -> Scheduler {
    scheduler.handle(Input::Subscribed {
        framework_id: "fw-1".to_string(),
        reattached: false,
    });
    let out = scheduler.handle(Input::Offers(vec![offer("m", master_host)]));
    assert_eq!(launches(&out).len(), 1, "master launched: {out:?}");
    let id = launches(&out)[0].task_id.clone();
    scheduler.handle(update(
        &id,
        master_host,
        TaskState::Running,
        Some(true),
        Some("u-m"),
    ));
    scheduler
}
