//! Unit tests of the policy: events in, actions out.

mod backoff;
mod config;
mod healing;
mod masters;
mod random;
mod rules;

use alluxio_conf::{Configuration, keys};

use super::{Action, Input, Offer, Scheduler, SchedulerConfig, StatusUpdate, TaskPlan, TaskState};
use crate::wire::{AllocationInfo, Range, Resource};

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

/// Both tasks' default ports.
const DEFAULT_PORTS: [(u64, u64); 2] = [(19998, 19999), (29998, 30000)];

/// Unreserved `cpus`, `mem` and `ports`, allocated to role `alluxio`, as a MULTI_ROLE
/// framework is offered them.
fn offered(cpus: f64, mem_mb: f64, ports: &[(u64, u64)]) -> Vec<Resource> {
    let ranges = ports.iter().map(|&(begin, end)| Range { begin, end }).collect();
    [
        Resource::scalar("cpus", cpus),
        Resource::scalar("mem", mem_mb),
        Resource::ranges("ports", ranges),
    ]
    .into_iter()
    .map(|resource| Resource {
        role: Some("*".to_string()),
        allocation_info: Some(AllocationInfo {
            role: Some("alluxio".to_string()),
        }),
        ..resource
    })
    .collect()
}

/// An offer from `host` of these resources.
fn offer_of(id: &str, host: &str, resources: Vec<Resource>) -> Offer {
    Offer {
        id: id.to_string(),
        agent_id: agent(host),
        hostname: host.to_string(),
        resources,
    }
}

/// A generous offer from `host` with both tasks' default ports.
fn offer(id: &str, host: &str) -> Offer {
    offer_of(id, host, offered(4.0, 8192.0, &DEFAULT_PORTS))
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

/// The framework log lines among `actions`: the INFO ones, or with `warn` the WARN ones.
fn log_lines(actions: &[Action], warn: bool) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|action| match (action, warn) {
            (Action::Log(line), false) | (Action::Warn(line), true) => Some(line.as_str()),
            _ => None,
        })
        .collect()
}

fn logs(actions: &[Action]) -> Vec<&str> {
    log_lines(actions, false)
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
