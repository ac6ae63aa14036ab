//! Mesos events into policy inputs, policy actions into calls.

use crate::policy::{Action, Input, Offer, StatusUpdate, TaskState};
use crate::tasks::TaskTemplate;
use crate::wire::{self, Bytes64, Call, Event, EventType, FrameworkInfo, Id, ReconcileTask};

/// The policy's view of an offer.
pub fn offer(offer: &wire::Offer) -> Offer {
    Offer {
        id: offer.id.value.clone(),
        agent_id: offer.agent_id.value.clone(),
        hostname: offer.hostname.clone(),
        resources: offer.resources.clone(),
    }
}

/// The policy's view of a status update; unknown state names count as `TASK_UNKNOWN`.
pub fn status(status: &wire::TaskStatus) -> StatusUpdate {
    StatusUpdate {
        task_id: status.task_id.value.clone(),
        agent_id: status
            .agent_id
            .as_ref()
            .map(|a| a.value.clone())
            .unwrap_or_default(),
        state: TaskState::from_mesos_name(&status.state).unwrap_or(TaskState::Unknown),
        healthy: status.healthy,
        uuid: status.uuid.as_ref().map(Bytes64::to_base64),
        message: status.message.clone(),
        reason: status.reason.clone(),
    }
}

/// The input a FAILURE event means: only an agent failure (no executor id) changes anything.
pub fn failure(failure: &wire::Failure) -> Option<Input> {
    match (&failure.agent_id, &failure.executor_id) {
        (Some(agent), None) => Some(Input::AgentLost {
            agent_id: agent.value.clone(),
        }),
        _ => None,
    }
}

/// The call carrying out `action` (launches filter the offer's rest for `refuse_seconds`); `None`
/// for a log line. Errors name a malformed uuid.
pub fn call(
    action: &Action,
    framework_id: &Id,
    template: &TaskTemplate,
    refuse_seconds: f64,
) -> Result<Option<Call>, String> {
    let fid = framework_id.clone();
    Ok(Some(match action {
        Action::Log(_) | Action::Warn(_) => return Ok(None),
        Action::Launch {
            offer_id,
            agent_id,
            task,
        } => Call::launch(
            fid,
            Id::new(offer_id),
            vec![template.task_info(task, agent_id)],
            refuse_seconds,
        ),
        Action::Decline {
            offer_ids,
            refuse_seconds,
        } => Call::decline(fid, offer_ids.iter().map(Id::new).collect(), *refuse_seconds),
        Action::Acknowledge {
            agent_id,
            task_id,
            uuid,
        } => {
            let uuid = Bytes64::from_base64(uuid).map_err(|e| {
                format!("cannot acknowledge task {task_id}: uuid {uuid:?} is not base64 ({e})")
            })?;
            Call::acknowledge(fid, Id::new(agent_id), Id::new(task_id), uuid)
        }
        Action::Reconcile { tasks } => Call::reconcile(
            fid,
            tasks
                .iter()
                .map(|(task, agent)| ReconcileTask {
                    task_id: Id::new(task),
                    agent_id: Some(agent).filter(|a| !a.is_empty()).map(Id::new),
                })
                .collect(),
        ),
        Action::Suppress => Call::suppress(fid),
        Action::Revive => Call::revive(fid),
        Action::Kill { task_id, agent_id } => Call::kill(
            fid,
            Id::new(task_id),
            Some(agent_id).filter(|a| !a.is_empty()).map(Id::new),
        ),
    }))
}

/// The roles offers are suppressed for: the policy's SUPPRESS names no role, which silences every
/// role of the (MULTI_ROLE) framework, and REVIVE lifts them all. UPDATE_FRAMEWORK replaces the
/// suppressed set, so it must list these to keep a suppression.
pub fn suppressed_roles(framework: &FrameworkInfo, suppressed: bool) -> Vec<String> {
    match suppressed {
        true => framework.roles.clone(),
        false => Vec::new(),
    }
}

/// The policy input an event means, if any.
pub fn input(event: Event) -> Option<Input> {
    match event.kind {
        EventType::Offers => {
            let offers = event.offers.unwrap_or_default().offers;
            Some(Input::Offers(offers.iter().map(offer).collect()))
        }
        EventType::Rescind => event.rescind.map(|r| Input::Rescinded {
            offer_id: r.offer_id.value,
        }),
        EventType::Update => event.update.map(|u| Input::StatusUpdate(status(&u.status))),
        EventType::Failure => {
            let report = event.failure.unwrap_or_default();
            let input = failure(&report);
            if input.is_none() {
                tracing::info!("executor failure reported: {report:?}; the task's own update follows");
            }
            input
        }
        EventType::Heartbeat => None,
        kind => {
            tracing::debug!("ignoring {kind:?} event");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressed_roles_are_every_role_while_suppressed_and_none_otherwise() {
        let framework = FrameworkInfo {
            roles: vec!["alluxio".to_string()],
            ..Default::default()
        };
        assert_eq!(suppressed_roles(&framework, true), ["alluxio"]);
        assert!(suppressed_roles(&framework, false).is_empty());
    }
}
