//! Subscription, task status updates and agent loss: what the framework learns about its tasks.

use super::{Action, Scheduler, StatusUpdate, TaskKind, TaskState};

impl Scheduler {
    /// SUBSCRIBED: re-attached frameworks reconcile what they know; offers are revived either way
    /// because Mesos forgets a suppression when a framework subscribes.
    pub(super) fn subscribed(&mut self, framework_id: String, reattached: bool, out: &mut Vec<Action>) {
        if !reattached && !self.state.tasks.is_empty() {
            let previous = self.state.framework_id.as_deref().unwrap_or("(unknown)");
            out.push(Action::Log(format!(
                "subscribed as new framework {framework_id}: the {} tasks of framework {previous} \
                 ended with it, forgetting them",
                self.state.tasks.len()
            )));
            self.state.tasks.clear();
        } else {
            let how = if reattached { "re-attached" } else { "registered" };
            out.push(Action::Log(format!(
                "subscribed as framework {framework_id} ({how}, {} known tasks)",
                self.state.tasks.len()
            )));
        }
        self.state.framework_id = Some(framework_id);
        if reattached {
            let known: Vec<(String, String)> = self
                .state
                .tasks
                .iter()
                .map(|(id, task)| (id.to_string(), task.agent_id.clone()))
                .collect();
            let listed: Vec<&str> = known.iter().map(|(id, _)| id.as_str()).collect();
            out.push(Action::Log(format!(
                "reconciling known tasks [{}] and asking Mesos for any others",
                listed.join(",")
            )));
            if !known.is_empty() {
                out.push(Action::Reconcile { tasks: known });
            }
            out.push(Action::Reconcile { tasks: Vec::new() });
            self.retry_kills(out);
        }
        self.revive("subscribed", true, out);
    }

    /// UPDATE: records the new state, reacts, then acknowledges if the update carries a uuid.
    pub(super) fn status_update(&mut self, update: StatusUpdate, out: &mut Vec<Action>) {
        let known = update
            .task_id
            .parse::<u64>()
            .ok()
            .filter(|id| self.state.tasks.contains_key(id));
        match known {
            Some(id) => self.known_update(id, &update, out),
            None => self.unknown_update(&update, out),
        }
        if let Some(uuid) = update.uuid {
            out.push(Action::Acknowledge {
                agent_id: update.agent_id,
                task_id: update.task_id,
                uuid,
            });
        }
    }

    /// FAILURE of an agent: its tasks are gone, and it no longer counts towards completeness.
    pub(super) fn agent_lost(&mut self, agent_id: &str, out: &mut Vec<Action>) {
        let lost: Vec<u64> = self
            .state
            .tasks
            .iter()
            .filter(|(_, task)| task.agent_id == agent_id)
            .map(|(id, _)| *id)
            .collect();
        self.state.worker_hosts.retain(|_, agent| agent != agent_id);
        out.push(Action::Log(format!(
            "agent {agent_id} lost with {} of our tasks",
            lost.len()
        )));
        for id in lost {
            self.forget_task(id, "lost with its agent", out);
        }
        self.revive(&format!("agent {agent_id} lost"), false, out);
    }

    fn known_update(&mut self, id: u64, update: &StatusUpdate, out: &mut Vec<Action>) {
        if update.state.is_terminal() {
            let detail = [update.reason.as_deref(), update.message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            let cause = if detail.is_empty() {
                format!("ended {}", update.state.mesos_name())
            } else {
                format!("ended {} ({detail})", update.state.mesos_name())
            };
            let ended = self.state.tasks.get(&id).cloned();
            self.forget_task(id, &cause, out);
            if let Some(task) = ended {
                self.record_end(id, &task, update, &cause, out);
            }
            self.revive(&format!("task {id} ended"), false, out);
            return;
        }
        let Some(task) = self.state.tasks.get_mut(&id) else {
            return;
        };
        let was_healthy = task.state == TaskState::Running && task.healthy == Some(true);
        // Without the TASK_KILLING_STATE capability a task being killed still reports RUNNING;
        // remembering the kill keeps it from counting as a healthy task and lets it be retried.
        if task.state != TaskState::Killing {
            task.state = update.state;
        }
        if update.healthy.is_some() {
            task.healthy = update.healthy;
        }
        let is_healthy = task.state == TaskState::Running && task.healthy == Some(true);
        task.healthy_since = match (was_healthy, is_healthy) {
            (false, true) => Some(self.now),
            (_, false) => None,
            (true, true) => task.healthy_since,
        };
        let (kind, hostname) = (task.kind, task.hostname.clone());
        let state = update.state.mesos_name();
        let line = match (kind, task.state, task.healthy) {
            (TaskKind::Master, TaskState::Running, Some(true)) if !was_healthy => {
                format!("master task {id} on {hostname} is running and healthy: workers may launch")
            }
            (TaskKind::Master, TaskState::Running, Some(false)) => format!(
                "master task {id} on {hostname} failed its health check: no new workers until it \
                 passes (Mesos kills it after repeated failures)"
            ),
            (TaskKind::Master, TaskState::Running, None) => {
                format!("master task {id} on {hostname} is running; workers wait for its health check")
            }
            (_, _, healthy) => {
                let health = match healthy {
                    Some(true) => ", healthy",
                    Some(false) => ", unhealthy",
                    None => "",
                };
                let killing = if task.state == TaskState::Killing && update.state != TaskState::Killing {
                    ", being killed"
                } else {
                    ""
                };
                format!(
                    "{} task {id} on {hostname} is {state}{health}{killing}",
                    kind.label()
                )
            }
        };
        out.push(Action::Log(line));
        if kind == TaskKind::Master && is_healthy && !was_healthy {
            self.kill_stale_workers(&hostname, out);
            // Offers declined while the master started are filtered for a while; clear that.
            self.revive("the master is healthy, workers can launch", true, out);
        }
    }

    /// An update for a task the state does not hold: if it still runs it is not ours (or was
    /// replaced), so it is killed; its id is never handed out again.
    fn unknown_update(&mut self, update: &StatusUpdate, out: &mut Vec<Action>) {
        if let Ok(id) = update.task_id.parse::<u64>() {
            self.state.next_task_id = self.state.next_task_id.max(id.saturating_add(1));
        }
        let state = update.state.mesos_name();
        if update.state.is_terminal() {
            out.push(Action::Log(format!(
                "task {} on agent {} is {state}; not an active task of ours, nothing to do",
                update.task_id, update.agent_id
            )));
            return;
        }
        out.push(Action::Log(format!(
            "task {} on agent {} is {state} but not an active task of ours: killing it",
            update.task_id, update.agent_id
        )));
        out.push(Action::Kill {
            task_id: update.task_id.clone(),
            agent_id: update.agent_id.clone(),
        });
    }

    /// Drops a task that ended; its host may take a new task of its kind.
    fn forget_task(&mut self, id: u64, cause: &str, out: &mut Vec<Action>) {
        let Some(task) = self.state.tasks.remove(&id) else {
            return;
        };
        let next = match task.kind {
            TaskKind::Master => {
                self.state.last_master_host = Some(task.hostname.clone());
                match self.config.zookeeper_election {
                    true => format!(
                        "relaunching a master on the next qualifying offer from a host without \
                         one, preferring {}; it joins the election as a standby, and workers \
                         follow the leader through ZooKeeper meanwhile",
                        task.hostname
                    ),
                    false => format!(
                        "relaunching the master on the next qualifying offer, preferring {}; no \
                         new workers meanwhile",
                        task.hostname
                    ),
                }
            }
            TaskKind::Worker => "its host may take a new worker".to_string(),
        };
        out.push(Action::Log(format!(
            "{} task {id} on {} {cause}: {next}",
            task.kind.label(),
            task.hostname
        )));
    }

    /// Sends again the kills of tasks still believed to be dying: a KILL sent just before a
    /// disconnection or a restart may never have reached Mesos.
    fn retry_kills(&self, out: &mut Vec<Action>) {
        for (id, task) in &self.state.tasks {
            if task.state == TaskState::Killing {
                out.push(Action::Log(format!(
                    "{} task {id} on {} was being killed: killing it again",
                    task.kind.label(),
                    task.hostname
                )));
                out.push(Action::Kill {
                    task_id: id.to_string(),
                    agent_id: task.agent_id.clone(),
                });
            }
        }
    }

    /// Kills workers told to join another master host: they could never reach the new master,
    /// and once they end they are relaunched pointing at it. Workers that find the leader
    /// through ZooKeeper follow any master by themselves.
    fn kill_stale_workers(&mut self, master_host: &str, out: &mut Vec<Action>) {
        for (id, task) in self.state.tasks.iter_mut() {
            let stale = task.kind == TaskKind::Worker
                && task.state != TaskState::Killing
                && task
                    .master_hostname
                    .as_deref()
                    .is_some_and(|joined| joined != master_host);
            if !stale {
                continue;
            }
            task.state = TaskState::Killing;
            out.push(Action::Log(format!(
                "worker task {id} on {} joined master host {} but the master now runs on \
                 {master_host}: killing it so that it is relaunched",
                task.hostname,
                task.master_hostname.as_deref().unwrap_or_default()
            )));
            out.push(Action::Kill {
                task_id: id.to_string(),
                agent_id: task.agent_id.clone(),
            });
        }
    }
}
