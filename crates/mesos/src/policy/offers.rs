//! Offer rounds: which offer gets the master, which get workers, what is declined, and when the
//! cluster is complete enough to suppress offers.

use super::config::TaskShape;
use super::{Action, Offer, Scheduler, TaskKind, TaskPlan, TaskRecord, TaskState};
use crate::wire::{Resource, take_ranges, take_scalar};

impl Scheduler {
    /// Answers every offer of one OFFERS event: at most one task per offer, the rest declined.
    pub(super) fn offers(&mut self, offers: &[Offer], out: &mut Vec<Action>) {
        let master_picks = self.pick_master_offers(offers);
        let mut declined = Vec::new();
        let mut launched = false;
        for (index, offer) in offers.iter().enumerate() {
            if fits(offer, &self.config.worker).is_ok() {
                self.state
                    .worker_hosts
                    .insert(offer.hostname.clone(), offer.agent_id.clone());
            }
            let decision = if master_picks.contains(&index) {
                fits(offer, &self.config.master).map(|resources| (TaskKind::Master, resources))
            } else {
                self.worker_placement(offer)
                    .map(|resources| (TaskKind::Worker, resources))
            };
            match decision {
                Ok((kind, resources)) => {
                    launched = true;
                    self.launch(offer, kind, resources, out);
                }
                Err(why) => {
                    out.push(Action::Log(format!(
                        "declining offer {} from {}: {why}",
                        offer.id, offer.hostname
                    )));
                    declined.push((offer.id.clone(), self.refuse_seconds_for(offer)));
                }
            }
        }
        // One DECLINE per refuse filter length, in the order the offers came.
        while let Some(&(_, refuse_seconds)) = declined.first() {
            let (same, rest): (Vec<_>, Vec<_>) =
                declined.into_iter().partition(|(_, r)| *r == refuse_seconds);
            out.push(Action::Decline {
                offer_ids: same.into_iter().map(|(id, _)| id).collect(),
                refuse_seconds,
            });
            declined = rest;
        }
        self.suppress_if_complete(launched, out);
    }

    /// How long Mesos should withhold a declined `offer`: the configured refuse time, or less
    /// when a relaunch this offer could take backs off for less, so that the offer comes back
    /// when the backoff ends.
    fn refuse_seconds_for(&self, offer: &Offer) -> f64 {
        let kind = match self.master_needed() {
            true => TaskKind::Master,
            false => TaskKind::Worker,
        };
        self.backoff_wait(kind, &offer.hostname)
            .map_or(self.config.refuse_seconds, |wait| {
                wait.min(self.config.refuse_seconds)
            })
    }

    /// Whether a master should be launched now.
    fn master_needed(&self) -> bool {
        self.masters_missing() > 0
    }

    /// How many masters are missing from `master.node.count`.
    fn masters_missing(&self) -> u64 {
        self.config
            .master_node_count
            .saturating_sub(self.state.active_masters())
    }

    /// The offers to launch missing masters on, each on a host of its own: the previous
    /// master's host first (a local journal is found there), then qualifying offers in order.
    fn pick_master_offers(&self, offers: &[Offer]) -> Vec<usize> {
        let missing = self.masters_missing() as usize;
        if missing == 0 {
            // The usual round once every master runs: no offer needs weighing for one.
            return Vec::new();
        }
        let previous = self.state.last_master_host.as_deref();
        let mut candidates: Vec<usize> = (0..offers.len())
            .filter(|&index| self.master_refusal(&offers[index]).is_none())
            .collect();
        // A stable sort keeps the offers' order otherwise.
        candidates.sort_by_key(|&index| Some(offers[index].hostname.as_str()) != previous);
        let mut picks: Vec<usize> = Vec::new();
        for index in candidates {
            if picks.len() == missing {
                break;
            }
            if !picks
                .iter()
                .any(|&picked| offers[picked].hostname == offers[index].hostname)
            {
                picks.push(index);
            }
        }
        picks
    }

    /// Why `offer` cannot take the master, or `None` if it can.
    fn master_refusal(&self, offer: &Offer) -> Option<String> {
        if let Some(required) = &self.config.required_master_host
            && *required != offer.hostname
        {
            return Some(format!("the master must run on {required}"));
        }
        if self.state.has_master_on(&offer.hostname) {
            return Some("a master already runs on this host".to_string());
        }
        if let Some(why) = self.backoff_refusal(TaskKind::Master, &offer.hostname) {
            return Some(why);
        }
        fits(offer, &self.config.master).err()
    }

    /// The resources of `offer` a worker takes, or why it cannot take one (or, while a master is
    /// needed, why it is not used for it).
    fn worker_placement(&self, offer: &Offer) -> Result<Vec<Resource>, String> {
        let state = &self.state;
        if state.healthy_master().is_none() {
            if self.master_needed() {
                return Err(match self.master_refusal(offer) {
                    Some(why) => format!("no master yet and this offer cannot take one: {why}"),
                    None => "no master yet and other offers of this round take them".to_string(),
                });
            }
            let Some((id, master)) = state.master() else {
                return Err("no master task is active; workers wait for one".to_string());
            };
            let health = match master.healthy {
                Some(false) => "failing its health check",
                _ => "not yet healthy",
            };
            return Err(format!(
                "master task {id} on {} is {} and {health}; workers wait for it",
                master.hostname,
                master.state.mesos_name()
            ));
        }
        if let Some(max) = self.config.max_workers
            && state.active_workers() >= max
        {
            return Err(format!("the maximum of {max} workers is reached"));
        }
        if state.has_worker_on(&offer.hostname) {
            return Err("a worker already runs on this host".to_string());
        }
        if let Some(why) = self.backoff_refusal(TaskKind::Worker, &offer.hostname) {
            return Err(why);
        }
        fits(offer, &self.config.worker)
    }

    /// Records the task as staging and emits its launch.
    fn launch(&mut self, offer: &Offer, kind: TaskKind, resources: Vec<Resource>, out: &mut Vec<Action>) {
        let shape = match kind {
            TaskKind::Master => &self.config.master,
            TaskKind::Worker => &self.config.worker,
        };
        let master_hostname = match kind {
            TaskKind::Worker if !self.config.zookeeper_election => self.master_hostname().map(str::to_string),
            _ => None,
        };
        let id = self.state.next_task_id;
        let plan = TaskPlan {
            task_id: id.to_string(),
            kind,
            name: shape.name.clone(),
            hostname: offer.hostname.clone(),
            cpus: shape.cpus,
            mem_mb: shape.mem_mb,
            ports: shape.ports.clone(),
            resources,
            master_hostname: master_hostname.clone(),
        };
        let ports: Vec<String> = plan.ports.iter().map(u16::to_string).collect();
        let joins = match (kind, master_hostname.as_deref()) {
            (TaskKind::Worker, Some(host)) => format!(", master {host}"),
            (TaskKind::Worker, None) => ", leader found through ZooKeeper".to_string(),
            (TaskKind::Master, _) if self.config.zookeeper_election => {
                ", elected through ZooKeeper".to_string()
            }
            (TaskKind::Master, _) => String::new(),
        };
        out.push(Action::Log(format!(
            "launching {} task {id} on {} (offer {}): cpus {}, mem {} MB, ports {}{joins}",
            kind.label(),
            offer.hostname,
            offer.id,
            plan.cpus,
            plan.mem_mb,
            ports.join(","),
        )));
        self.state.next_task_id += 1;
        self.state.tasks.insert(
            id,
            TaskRecord {
                kind,
                agent_id: offer.agent_id.clone(),
                hostname: offer.hostname.clone(),
                state: TaskState::Staging,
                healthy: None,
                healthy_since: None,
                master_hostname,
            },
        );
        out.push(Action::Launch {
            offer_id: offer.id.clone(),
            agent_id: offer.agent_id.clone(),
            task: plan,
        });
    }

    /// SUPPRESSes once every master is healthy and either the worker maximum is reached or,
    /// with no maximum, a round launched nothing and every host that offered enough runs a worker.
    fn suppress_if_complete(&mut self, launched: bool, out: &mut Vec<Action>) {
        let state = &self.state;
        if state.suppressed || self.master_needed() {
            return;
        }
        let masters: Vec<&str> = state
            .healthy_masters()
            .map(|master| master.hostname.as_str())
            .collect();
        if masters.is_empty() || masters.len() as u64 != state.active_masters() {
            return;
        }
        let workers = state.active_workers();
        let complete = match self.config.max_workers {
            Some(max) => workers >= max,
            None => !launched && state.worker_hosts.keys().all(|host| state.has_worker_on(host)),
        };
        if complete {
            let masters = match masters.as_slice() {
                [one] => format!("master on {one} healthy"),
                several => format!("masters on {} healthy", several.join(", ")),
            };
            out.push(Action::Log(format!(
                "cluster complete ({masters}, {workers} workers): suppressing offers"
            )));
            out.push(Action::Suppress);
            self.state.suppressed = true;
        }
    }
}

/// The resources of `offer` that `shape` takes (its cpus, mem and ports), or why it lacks them.
fn fits(offer: &Offer, shape: &TaskShape) -> Result<Vec<Resource>, String> {
    let cpus = take_scalar(&offer.resources, "cpus", shape.cpus).ok_or_else(|| {
        format!(
            "{} cpus offered, the {} needs {}",
            offer.cpus(),
            shape.name,
            shape.cpus
        )
    })?;
    let mem = take_scalar(&offer.resources, "mem", shape.mem_mb as f64).ok_or_else(|| {
        format!(
            "{} MB offered, the {} needs {} MB",
            offer.mem_mb(),
            shape.name,
            shape.mem_mb
        )
    })?;
    let wanted: Vec<u64> = shape.ports.iter().map(|&port| port.into()).collect();
    let ports = take_ranges(&offer.resources, "ports", &wanted).ok_or_else(|| {
        let offered = offer.port_ranges();
        let missing: Vec<String> = shape
            .ports
            .iter()
            .filter(|&&port| {
                !offered
                    .iter()
                    .any(|(low, high)| (*low..=*high).contains(&u64::from(port)))
            })
            .map(u16::to_string)
            .collect();
        format!(
            "ports {} of the {} are not offered",
            missing.join(","),
            shape.name
        )
    })?;
    Ok([cpus, mem, ports].concat())
}
