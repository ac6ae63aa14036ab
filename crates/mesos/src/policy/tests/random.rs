//! Property-style test: a small deterministic generator drives random offers, updates, agent
//! losses and framework restarts against a toy Mesos, checking the policy's invariants each step.

use std::collections::{BTreeMap, BTreeSet};

use super::super::{Action, Input, Offer, Scheduler, SchedulerConfig, StatusUpdate, TaskKind, TaskState};
use super::{agent, default_config, offer_of, offered};

/// xorshift64*: deterministic, no crate needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const HOSTS: [&str; 5] = ["h0", "h1", "h2", "h3", "h4"];

/// The toy Mesos side: tasks that exist on agents, whatever the policy believes.
#[derive(Default)]
struct World {
    /// task id -> host of tasks alive on an agent.
    tasks: BTreeMap<String, &'static str>,
    next_offer: u64,
    next_uuid: u64,
}

impl World {
    fn random_offer(&mut self, rng: &mut Rng) -> Offer {
        let host = HOSTS[rng.below(HOSTS.len() as u64) as usize];
        self.next_offer += 1;
        let mut port_ranges = Vec::new();
        if rng.chance(85) {
            port_ranges.push((19998, 19999));
        }
        if rng.chance(85) {
            port_ranges.push((29990, 30010));
        }
        let cpus = [0.5, 1.0, 2.0, 4.0][rng.below(4) as usize];
        let mem_mb = [512.0, 1024.0, 2048.0, 8192.0][rng.below(4) as usize];
        offer_of(
            &format!("O{}", self.next_offer),
            host,
            offered(cpus, mem_mb, &port_ranges),
        )
    }

    fn random_update(&mut self, rng: &mut Rng) -> Option<StatusUpdate> {
        let unknown = rng.chance(5);
        let (task_id, host) = if unknown {
            (format!("{}", 100 + rng.below(20)), HOSTS[rng.below(5) as usize])
        } else {
            let index = rng.below(self.tasks.len().max(1) as u64) as usize;
            let (id, host) = self.tasks.iter().nth(index)?;
            (id.clone(), *host)
        };
        let terminal = [
            TaskState::Failed,
            TaskState::Killed,
            TaskState::Lost,
            TaskState::Unreachable,
        ];
        let (state, healthy) = if rng.chance(20) {
            (terminal[rng.below(4) as usize], None)
        } else {
            let healthy = [Some(true), Some(true), Some(true), None, Some(false)][rng.below(5) as usize];
            (TaskState::Running, healthy)
        };
        if state.is_terminal() {
            self.tasks.remove(&task_id);
        }
        let uuid = rng.chance(80).then(|| {
            self.next_uuid += 1;
            format!("uuid-{}", self.next_uuid)
        });
        Some(StatusUpdate {
            task_id,
            agent_id: agent(host),
            state,
            healthy,
            uuid,
            message: None,
            reason: None,
        })
    }
}

/// Checks one step's actions against the input and the state before and after, and counts
/// what happened so a run can show it reached the interesting states.
#[derive(Default)]
struct Checker {
    highest_id: Option<u64>,
    masters: usize,
    workers: usize,
    suppressions: usize,
}

impl Checker {
    fn check(
        &mut self,
        before: &Scheduler,
        input: &Input,
        out: &[Action],
        after: &Scheduler,
        world: &mut World,
    ) {
        assert!(
            out.iter().any(|a| matches!(a, Action::Log(_))),
            "no log line for {input:?}"
        );
        let offers: BTreeMap<&str, &Offer> = match input {
            Input::Offers(offers) => offers.iter().map(|o| (o.id.as_str(), o)).collect(),
            _ => BTreeMap::new(),
        };
        let mut answered: Vec<&str> = Vec::new();
        for action in out {
            match action {
                Action::Launch {
                    offer_id,
                    agent_id,
                    task,
                } => {
                    let offer = offers
                        .get(offer_id.as_str())
                        .expect("launch on an offer of this event");
                    assert_eq!(&offer.agent_id, agent_id);
                    assert!(task.cpus <= offer.cpus() && task.mem_mb as f64 <= offer.mem_mb());
                    for port in &task.ports {
                        let port = u64::from(*port);
                        assert!(offer.port_ranges().iter().any(|(l, h)| (*l..=*h).contains(&port)));
                    }
                    match task.kind {
                        TaskKind::Master => self.masters += 1,
                        TaskKind::Worker => {
                            assert!(
                                before.state().healthy_master().is_some(),
                                "worker without healthy master"
                            );
                            self.workers += 1;
                        }
                    }
                    let id: u64 = task.task_id.parse().expect("numeric task id");
                    assert!(self.highest_id.is_none_or(|h| id > h), "task id {id} reused");
                    self.highest_id = Some(id);
                    answered.push(offer_id);
                    world.tasks.insert(task.task_id.clone(), host_of(&task.hostname));
                }
                Action::Decline { offer_ids, .. } => answered.extend(offer_ids.iter().map(String::as_str)),
                Action::Kill { task_id, .. } => {
                    world.tasks.remove(task_id);
                }
                Action::Suppress => {
                    assert!(!before.state().suppressed, "suppressed twice");
                    self.suppressions += 1;
                }
                _ => {}
            }
        }
        answered.sort_unstable();
        let expected: Vec<&str> = offers.keys().copied().collect();
        assert_eq!(answered, expected, "every offer answered exactly once");
        if let Input::StatusUpdate(update) = input {
            let acks = out
                .iter()
                .filter(
                    |a| matches!(a, Action::Acknowledge { uuid, .. } if Some(uuid) == update.uuid.as_ref()),
                )
                .count();
            assert_eq!(acks, usize::from(update.uuid.is_some()), "uuid acknowledged once");
        }
        let state = after.state();
        let count = after.config().master_node_count;
        assert!(
            state.active_masters() <= count,
            "more than {count} active masters"
        );
        let mut master_hosts = BTreeSet::new();
        for (_, task) in state.masters() {
            assert!(
                master_hosts.insert(task.hostname.clone()),
                "two masters on {}",
                task.hostname
            );
        }
        let mut worker_hosts = BTreeSet::new();
        for task in state.tasks.values().filter(|t| t.kind == TaskKind::Worker) {
            assert!(
                worker_hosts.insert(task.hostname.clone()),
                "two workers on {}",
                task.hostname
            );
        }
        if let Some(max) = after.config().max_workers {
            assert!(state.active_workers() <= max);
        }
    }
}

fn host_of(hostname: &str) -> &'static str {
    HOSTS
        .iter()
        .copied()
        .find(|h| *h == hostname)
        .expect("known host")
}

/// The next random event; a framework restart swaps `scheduler` for one restored from JSON.
fn random_input(rng: &mut Rng, world: &mut World, scheduler: &mut Scheduler) -> Option<Input> {
    Some(match rng.below(100) {
        0..45 => Input::Offers((0..=rng.below(3)).map(|_| world.random_offer(rng)).collect()),
        45..90 => Input::StatusUpdate(world.random_update(rng)?),
        90..93 => {
            let host = HOSTS[rng.below(5) as usize];
            world.tasks.retain(|_, h| *h != host);
            Input::AgentLost {
                agent_id: agent(host),
            }
        }
        93..96 => Input::Rescinded {
            offer_id: format!("O{}", rng.below(world.next_offer + 1)),
        },
        _ => {
            let json = serde_json::to_string(scheduler.state()).expect("serialise");
            *scheduler = Scheduler::new(scheduler.config().clone());
            scheduler.restore(serde_json::from_str(&json).expect("deserialise"));
            Input::Subscribed {
                framework_id: "fw".to_string(),
                reattached: true,
            }
        }
    })
}

fn run(seed: u64, config: SchedulerConfig, steps: usize) -> Checker {
    let mut rng = Rng(seed);
    let mut world = World::default();
    let mut scheduler = Scheduler::new(config);
    let mut checker = Checker::default();
    for step in 0..steps {
        let input = if step == 0 {
            Input::Subscribed {
                framework_id: "fw".to_string(),
                reattached: false,
            }
        } else {
            match random_input(&mut rng, &mut world, &mut scheduler) {
                Some(input) => input,
                None => continue,
            }
        };
        // Two seconds between events: long enough for short relaunch backoffs to pass.
        scheduler.set_now(step as f64 * 2.0);
        let before = scheduler.clone();
        let out = scheduler.handle(input.clone());
        checker.check(&before, &input, &out, &scheduler, &mut world);
    }
    checker
}

#[test]
fn random_event_sequences_keep_the_invariants() {
    let (mut relaunched_masters, mut suppressions) = (0, 0);
    for seed in 1..=20u64 {
        let run = run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), default_config(), 600);
        // The generator must reach the interesting states, or the test proves little.
        assert!(
            run.masters >= 1 && run.workers >= 1,
            "seed {seed}: {} masters, {} workers",
            run.masters,
            run.workers
        );
        relaunched_masters += run.masters - 1;
        suppressions += run.suppressions;
    }
    assert!(suppressions >= 5, "only {suppressions} suppressions");
    assert!(
        relaunched_masters >= 20,
        "only {relaunched_masters} master relaunches"
    );
}

#[test]
fn random_event_sequences_respect_a_worker_maximum() {
    let config = SchedulerConfig {
        max_workers: Some(2),
        ..default_config()
    };
    for seed in 1..=10u64 {
        run(seed.wrapping_mul(0xD1B5_4A32_D192_ED03), config.clone(), 600);
    }
}

#[test]
fn random_event_sequences_keep_several_masters_on_distinct_hosts() {
    let config = SchedulerConfig {
        master_node_count: 3,
        zookeeper_election: true,
        ..default_config()
    };
    let mut suppressions = 0;
    for seed in 1..=10u64 {
        let run = run(seed.wrapping_mul(0xA076_1D64_78BD_642F), config.clone(), 600);
        assert!(run.masters >= 3 && run.workers >= 1, "seed {seed}");
        suppressions += run.suppressions;
    }
    assert!(suppressions >= 2, "only {suppressions} suppressions");
}
