//! The framework driver: subscribes, feeds events to the policy, turns its actions into calls,
//! persists its state after each step, resubscribes when the stream dies, and tears the
//! framework down when told to stop.

mod convert;
mod state_file;

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_server::{Backoff, Pauses};

use crate::error::MesosError;
use crate::http::{
    CA_CERT_FILE_KEY, Caller, Credentials, SchedulerClient, Subscription, parse_mesos_masters,
};
use crate::policy::{Action, Input, Scheduler, SchedulerConfig, SchedulerState, StatusUpdate, TaskState};
use crate::tasks::TaskTemplate;
use crate::wire::{Call, Capability, EventType, FrameworkInfo, Id};

/// Waits between subscription attempts: 1 s, doubled after each failure, at most 15 s.
fn resubscribe_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1), Duration::from_secs(15))
}
/// Heartbeat interval assumed until SUBSCRIBED tells the real one (the Mesos default).
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// How long a stop may spend re-attaching to send TEARDOWN.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Framework name Alluxio registers with.
const FRAMEWORK_NAME: &str = "alluxio";

/// Runs the framework against `masters` (`host:port[,host:port]` or URLs) until `shutdown`
/// completes, then tears it down (Mesos kills every task) and forgets the framework id.
/// `alluxio_master_host` pins the master task to that agent host.
pub async fn run(
    conf: Configuration,
    masters: &str,
    alluxio_master_host: Option<String>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MesosError> {
    let driver = Driver::new(&conf, masters, alluxio_master_host)?;
    driver.run(shutdown).await
}

/// How a subscription ended.
enum SessionEnd {
    /// Shutdown was requested and TEARDOWN sent.
    Stopped,
    /// Shutdown was requested before Mesos confirmed the subscription.
    StopRequested,
    /// The stream is gone; resubscribe.
    Lost(String),
}

/// The driver's state besides the policy's.
struct Driver {
    client: SchedulerClient,
    scheduler: Scheduler,
    template: TaskTemplate,
    state_path: PathBuf,
    persisted: SchedulerState,
    framework: FrameworkInfo,
    master_web_port: u16,
    missed_heartbeats: u32,
    /// The `webui_url` Mesos was given on this subscription: by SUBSCRIBE, or by the last
    /// UPDATE_FRAMEWORK tried.
    announced_webui_url: Option<String>,
}

/// The live subscription calls go to.
struct Link<'a> {
    caller: &'a Caller,
    framework_id: &'a Id,
}

impl Driver {
    fn new(
        conf: &Configuration,
        masters: &str,
        alluxio_master_host: Option<String>,
    ) -> Result<Self, MesosError> {
        if let Some(url) = conf.get_opt(keys::INTEGRATION_MESOS_JDK_URL)?
            && !url.trim().eq_ignore_ascii_case("LOCAL")
        {
            tracing::info!(
                "{}={url} and {} are ignored: this Alluxio has no JVM",
                keys::INTEGRATION_MESOS_JDK_URL,
                keys::INTEGRATION_MESOS_JDK_PATH
            );
        }
        let config = SchedulerConfig::from_conf(conf, alluxio_master_host)?;
        if config.master_node_count > 1 {
            warn_if_journal_is_local(conf, config.master_node_count)?;
        }
        let state_path = PathBuf::from(conf.get(keys::INTEGRATION_MESOS_FRAMEWORK_STATE_FILE)?);
        let persisted = state_file::load(&state_path)?;
        let mut scheduler = Scheduler::new(config);
        scheduler.restore(persisted.clone());
        if let Some(id) = &persisted.framework_id {
            tracing::info!(
                "state file {} names framework {id} with {} tasks: re-attaching to it",
                state_path.display(),
                persisted.tasks.len()
            );
        }
        let principal = conf.get_opt(keys::INTEGRATION_MESOS_PRINCIPAL)?;
        let credentials = match (&principal, conf.get_opt(keys::INTEGRATION_MESOS_SECRET)?) {
            (Some(principal), Some(secret)) => Some(Credentials {
                principal: principal.clone(),
                secret,
            }),
            _ => None,
        };
        let ca_file = conf
            .get_opt(CA_CERT_FILE_KEY)?
            .filter(|path| !path.trim().is_empty())
            .map(PathBuf::from);
        let role = conf.get(keys::INTEGRATION_MESOS_ROLE)?;
        let user = task_user(conf.get_opt(keys::INTEGRATION_MESOS_USER)?)?;
        let framework = FrameworkInfo {
            user,
            name: FRAMEWORK_NAME.to_string(),
            failover_timeout: Some(
                conf.get_duration(keys::INTEGRATION_MESOS_FAILOVER_TIMEOUT)?
                    .as_secs_f64(),
            ),
            checkpoint: Some(true),
            roles: vec![role],
            capabilities: vec![Capability {
                kind: "MULTI_ROLE".to_string(),
            }],
            principal,
            ..Default::default()
        };
        Ok(Self {
            client: SchedulerClient::new(parse_mesos_masters(masters)?, credentials, ca_file.as_deref())?,
            scheduler,
            template: TaskTemplate::from_conf(conf)?,
            state_path,
            persisted,
            framework,
            master_web_port: conf.get_port(keys::MASTER_WEB_PORT)?,
            missed_heartbeats: conf
                .get_u64(keys::INTEGRATION_MESOS_HEARTBEAT_MISSED_MAX)?
                .clamp(1, 1000) as u32,
            announced_webui_url: None,
        })
    }

    /// FrameworkInfo for SUBSCRIBE and UPDATE_FRAMEWORK: the persisted id and, once the master
    /// task runs, its web UI.
    fn framework_info(&self) -> FrameworkInfo {
        FrameworkInfo {
            id: self.scheduler.state().framework_id.as_deref().map(Id::new),
            webui_url: self.webui_url(),
            ..self.framework.clone()
        }
    }

    /// `http://<master host>:<alluxio.master.web.port>/` while the master task is RUNNING.
    fn webui_url(&self) -> Option<String> {
        self.scheduler
            .running_master_hostname()
            .map(|host| format!("http://{host}:{}/", self.master_web_port))
    }

    /// SUBSCRIBE with the current FrameworkInfo, remembering the `webui_url` it gives Mesos.
    fn subscribe_call(&mut self) -> Call {
        let info = self.framework_info();
        self.announced_webui_url = info.webui_url.clone();
        Call::subscribe(info)
    }

    /// The UPDATE_FRAMEWORK giving Mesos the master's web UI, with its URL, when the master task
    /// runs at a URL not yet given on this subscription (it just reached RUNNING, first or on a
    /// new host). The suppressed roles are the current ones: any role left out is revived.
    /// Each URL is tried once, so a master without the call (before Mesos 1.9) costs one WARN.
    fn webui_update(&mut self, framework_id: &Id) -> Option<(String, Call)> {
        let url = self.webui_url()?;
        if self.announced_webui_url.as_deref() == Some(url.as_str()) {
            return None;
        }
        self.announced_webui_url = Some(url.clone());
        let suppressed = convert::suppressed_roles(&self.framework, self.scheduler.state().suppressed);
        let call = Call::update_framework(framework_id.clone(), self.framework_info(), suppressed);
        Some((url, call))
    }

    /// Sends [`Self::webui_update`]'s call, if any; a failure is one WARN, the framework goes on.
    async fn announce_webui(&mut self, link: &Link<'_>) {
        let Some((url, call)) = self.webui_update(link.framework_id) else {
            return;
        };
        match link.caller.send(&call).await {
            Ok(()) => tracing::info!("the Mesos UI now links to the Alluxio master's web UI at {url}"),
            Err(e) => tracing::warn!(
                "cannot point the Mesos UI at the Alluxio master's web UI {url} ({e}); the next \
                 SUBSCRIBE carries it"
            ),
        }
    }

    async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), MesosError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut pauses = resubscribe_backoff().pauses();
        loop {
            let call = self.subscribe_call();
            let subscribed = tokio::select! {
                biased;
                () = shutdown.as_mut() => return self.stop_detached().await,
                subscribed = self.client.subscribe(&call) => subscribed,
            };
            let end = match subscribed {
                Ok(mut subscription) => {
                    self.session(&mut subscription, shutdown.as_mut(), &mut pauses)
                        .await?
                }
                Err(e) => SessionEnd::Lost(e.to_string()),
            };
            let reason = match end {
                SessionEnd::Stopped => return Ok(()),
                SessionEnd::StopRequested => return self.stop_detached().await,
                SessionEnd::Lost(reason) => reason,
            };
            let pause = pauses.next_pause();
            tracing::warn!(
                "lost the Mesos master ({reason}); subscribing again in {} s",
                pause.as_secs()
            );
            self.step(Input::Disconnected, None).await;
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return self.stop_detached().await,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Handles one subscription's events until it dies or shutdown is requested.
    async fn session(
        &mut self,
        subscription: &mut Subscription,
        mut shutdown: Pin<&mut impl Future<Output = ()>>,
        pauses: &mut Pauses,
    ) -> Result<SessionEnd, MesosError> {
        let caller = subscription.caller();
        let requested_id = self.scheduler.state().framework_id.clone();
        let mut framework_id: Option<Id> = None;
        let mut silence_limit = DEFAULT_HEARTBEAT * self.missed_heartbeats;
        loop {
            let next = tokio::select! {
                biased;
                () = shutdown.as_mut() => return match &framework_id {
                    Some(id) => self.teardown(&caller, id).await.map(|()| SessionEnd::Stopped),
                    None => Ok(SessionEnd::StopRequested),
                },
                next = tokio::time::timeout(silence_limit, subscription.next_event()) => next,
            };
            let event = match next {
                Err(_) => {
                    return Ok(SessionEnd::Lost(format!(
                        "no event from {} for {} s, {} heartbeats missed",
                        subscription.url(),
                        silence_limit.as_secs(),
                        self.missed_heartbeats
                    )));
                }
                Ok(Err(e)) => return Ok(SessionEnd::Lost(e.to_string())),
                Ok(Ok(None)) => {
                    return Ok(SessionEnd::Lost(format!(
                        "{} closed the event stream",
                        subscription.url()
                    )));
                }
                Ok(Ok(Some(event))) => event,
            };
            if let (EventType::Subscribed, Some(subscribed)) = (event.kind, &event.subscribed) {
                let interval = subscribed
                    .heartbeat_interval_seconds
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map_or(DEFAULT_HEARTBEAT, Duration::from_secs_f64);
                silence_limit = interval * self.missed_heartbeats;
                pauses.reset();
                let id = subscribed.framework_id.clone();
                let reattached = requested_id.as_deref() == Some(id.value.as_str());
                tracing::info!(
                    "subscribed to {} as framework {} (stream {}, heartbeat every {} s)",
                    subscription.url(),
                    id.value,
                    caller.stream_id(),
                    interval.as_secs_f64()
                );
                framework_id = Some(id.clone());
                let input = Input::Subscribed {
                    framework_id: id.value.clone(),
                    reattached,
                };
                self.step(
                    input,
                    Some(Link {
                        caller: &caller,
                        framework_id: &id,
                    }),
                )
                .await;
                continue;
            }
            if event.kind == EventType::Error {
                let message = event.error.map(|e| e.message).unwrap_or_default();
                if framework_id.is_none() && requested_id.is_some() {
                    self.forget_framework(&format!("Mesos refused to re-attach it ({message})"));
                }
                return Ok(SessionEnd::Lost(format!("the master sent ERROR: {message}")));
            }
            let Some(id) = &framework_id else {
                let kind = event.kind;
                return Ok(SessionEnd::Lost(format!("{kind:?} event before SUBSCRIBED")));
            };
            if let Some(input) = convert::input(event) {
                self.step(
                    input,
                    Some(Link {
                        caller: &caller,
                        framework_id: id,
                    }),
                )
                .await;
            }
        }
    }

    /// Feeds `input` to the policy, persists the state, then carries out the actions in order
    /// and, when subscribed, tells Mesos the web UI of a master task that now runs.
    /// Persisting first means a crash right after a LAUNCH can never reuse its task id.
    async fn step(&mut self, input: Input, link: Option<Link<'_>>) {
        self.scheduler.set_now(unix_now());
        let mut queue: VecDeque<Action> = self.scheduler.handle(input).into();
        self.persist();
        while let Some(action) = queue.pop_front() {
            match &action {
                Action::Log(line) => {
                    tracing::info!("{line}");
                    continue;
                }
                Action::Warn(line) => {
                    tracing::warn!("{line}");
                    continue;
                }
                _ => {}
            }
            let Some(link) = &link else {
                tracing::warn!("not subscribed, dropping {action:?}");
                continue;
            };
            let refuse = self.scheduler.config().refuse_seconds;
            let call = match convert::call(&action, link.framework_id, &self.template, refuse) {
                Ok(Some(call)) => call,
                Ok(None) => continue,
                Err(message) => {
                    tracing::warn!("{message}");
                    continue;
                }
            };
            if let Err(e) = link.caller.send(&call).await {
                tracing::warn!("{e}");
                if let Action::Launch { agent_id, task, .. } = action {
                    // Mesos never saw the task: let the policy forget it and relaunch.
                    let dropped = StatusUpdate {
                        task_id: task.task_id,
                        agent_id,
                        state: TaskState::Dropped,
                        healthy: None,
                        uuid: None,
                        message: Some(format!("the ACCEPT call failed: {e}")),
                        reason: None,
                    };
                    queue.extend(self.scheduler.handle(Input::StatusUpdate(dropped)));
                }
            }
        }
        if let Some(link) = &link {
            self.announce_webui(link).await;
        }
        self.persist();
    }

    /// Writes the state file if the state changed; a failure is retried at the next step.
    fn persist(&mut self) {
        if self.scheduler.state() == &self.persisted {
            return;
        }
        match state_file::save(&self.state_path, self.scheduler.state()) {
            Ok(()) => self.persisted = self.scheduler.state().clone(),
            Err(e) => tracing::error!("{e}"),
        }
    }

    /// Drops the framework id (keeping the task counter) so the next SUBSCRIBE registers anew.
    fn forget_framework(&mut self, why: &str) {
        let old = self.scheduler.state();
        tracing::warn!(
            "forgetting framework {}: {why}",
            old.framework_id.as_deref().unwrap_or("(none)")
        );
        let fresh = SchedulerState {
            next_task_id: old.next_task_id,
            ..Default::default()
        };
        self.scheduler.restore(fresh);
        self.persist();
    }

    /// TEARDOWN on a live subscription, then forget the framework.
    async fn teardown(&mut self, caller: &Caller, framework_id: &Id) -> Result<(), MesosError> {
        caller
            .send(&Call::teardown(framework_id.clone()))
            .await
            .inspect_err(|e| {
                tracing::error!(
                    "TEARDOWN of framework {} failed ({e}); its tasks keep running until the failover \
                 timeout or an operator tears it down on the Mesos master's /teardown endpoint",
                    framework_id.value
                )
            })?;
        tracing::info!(
            "framework {} torn down: Mesos kills every Alluxio task",
            framework_id.value
        );
        self.forget_framework("it was torn down");
        Ok(())
    }

    /// Stop requested while not subscribed: re-attach briefly to send TEARDOWN.
    async fn stop_detached(mut self) -> Result<(), MesosError> {
        let Some(id) = self.scheduler.state().framework_id.clone().map(Id::new) else {
            tracing::info!("stopping: Mesos never registered this framework, nothing to tear down");
            return Ok(());
        };
        let call = Call::subscribe(self.framework_info());
        let attach = async {
            let mut subscription = self.client.subscribe(&call).await?;
            wait_subscribed(&mut subscription).await?;
            Ok::<_, MesosError>(subscription)
        };
        let url = self.client.masters_text();
        let subscription =
            tokio::time::timeout(STOP_TIMEOUT, attach)
                .await
                .map_err(|_| MesosError::Timeout {
                    url,
                    call: "SUBSCRIBE".to_string(),
                    seconds: STOP_TIMEOUT.as_secs(),
                })??;
        self.teardown(&subscription.caller(), &id).await
    }
}

/// Seconds since the epoch, the time the policy decides at.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Warns when several masters would keep their journal in a folder of their own host's file
/// system: they share it only if every agent mounts it at that path (NFS), else a standby reads
/// nothing and a master elected on another host starts from an empty namespace.
fn warn_if_journal_is_local(conf: &Configuration, masters: u64) -> Result<(), MesosError> {
    let folder = conf.get(keys::MASTER_JOURNAL_FOLDER)?;
    let on_a_host = !folder.contains("://") || folder.starts_with("file://");
    if on_a_host {
        tracing::warn!(
            "{}={folder} is a local path, but the {masters} masters run on distinct agents: mount it \
             on every agent at that path (NFS), or put it in S3, GCS or Azure Blob Storage \
             (s3://..., gs://..., wasbs://...), so that every master reads the same journal",
            keys::MASTER_JOURNAL_FOLDER
        );
    }
    Ok(())
}

/// The user Mesos runs the tasks as: `alluxio.integration.mesos.user`, else the passwd entry of
/// the framework's effective uid, as libmesos filled it in (the HTTP API does not). Never empty:
/// an agent cannot chown a sandbox to `''` and would lose every task.
fn task_user(configured: Option<String>) -> Result<String, MesosError> {
    if let Some(user) = configured {
        return match user.trim() {
            "" => Err(MesosError::NoTaskUser {
                reason: format!("{} is set but empty", keys::INTEGRATION_MESOS_USER),
            }),
            user => Ok(user.to_string()),
        };
    }
    match whoami::fallible::username() {
        Ok(user) if !user.is_empty() => Ok(user),
        Ok(_) => Err(MesosError::NoTaskUser {
            reason: "the passwd entry of the effective uid has an empty name".to_string(),
        }),
        Err(e) => Err(MesosError::NoTaskUser {
            reason: format!("the effective uid has no passwd entry ({e})"),
        }),
    }
}

/// Reads events until SUBSCRIBED: calls are accepted only after it.
async fn wait_subscribed(subscription: &mut Subscription) -> Result<(), MesosError> {
    let url = subscription.url().to_string();
    let ended = |reason: String| MesosError::StreamEnded {
        url: url.clone(),
        reason,
    };
    loop {
        match subscription.next_event().await? {
            Some(event) if event.kind == EventType::Subscribed => return Ok(()),
            Some(event) if event.kind == EventType::Error => {
                return Err(ended(format!(
                    "ERROR: {}",
                    event.error.map(|e| e.message).unwrap_or_default()
                )));
            }
            Some(_) => {}
            None => return Err(ended("closed before SUBSCRIBED".to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::policy::{TaskKind, TaskRecord};
    use crate::wire::CallType;

    /// A driver of the default configuration (master web port 19999, role `*`) whose state file
    /// is in `dir`.
    fn driver(dir: &Path) -> Driver {
        let mut conf = Configuration::defaults();
        let state_file = dir.join("framework.json").display().to_string();
        conf.set(keys::INTEGRATION_MESOS_FRAMEWORK_STATE_FILE, state_file);
        conf.set(keys::INTEGRATION_MESOS_USER, "alluxio");
        conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
        Driver::new(&conf, "127.0.0.1:5050", None).expect("the defaults make a driver")
    }

    /// Framework F1 with master task 0 on `host` in `state`, offers suppressed or not.
    fn master_on(host: &str, state: TaskState, suppressed: bool) -> SchedulerState {
        let master = TaskRecord {
            kind: TaskKind::Master,
            agent_id: "S1".to_string(),
            hostname: host.to_string(),
            state,
            healthy: None,
            healthy_since: None,
            master_hostname: None,
        };
        SchedulerState {
            framework_id: Some("F1".to_string()),
            next_task_id: 1,
            tasks: [(0, master)].into(),
            suppressed,
            ..Default::default()
        }
    }

    #[test]
    fn the_web_ui_is_announced_once_per_running_master_host_keeping_the_suppression() {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = driver(dir.path());
        let id = Id::new("F1");
        driver
            .scheduler
            .restore(master_on("10.0.0.5", TaskState::Staging, true));
        assert!(driver.webui_update(&id).is_none(), "no UI before the master runs");

        driver
            .scheduler
            .restore(master_on("10.0.0.5", TaskState::Running, true));
        let (url, call) = driver
            .webui_update(&id)
            .expect("the running master's UI is announced");
        assert_eq!(url, "http://10.0.0.5:19999/");
        assert_eq!(call.kind, CallType::UpdateFramework);
        assert_eq!(call.framework_id.as_ref(), Some(&id));
        let update = call.update_framework.expect("UPDATE_FRAMEWORK payload");
        let info = &update.framework_info;
        assert_eq!(info.id.as_ref(), Some(&id));
        assert_eq!(info.webui_url.as_deref(), Some(url.as_str()));
        assert_eq!(
            (info.user.as_str(), info.name.as_str(), info.checkpoint),
            ("alluxio", FRAMEWORK_NAME, Some(true)),
            "the fields Mesos refuses to change are the subscribed ones"
        );
        assert_eq!(update.suppressed_roles, ["*"], "the suppression is kept");
        assert!(driver.webui_update(&id).is_none(), "each URL is announced once");

        driver
            .scheduler
            .restore(master_on("10.0.0.6", TaskState::Running, false));
        let (url, call) = driver.webui_update(&id).expect("a new master host is announced");
        assert_eq!(url, "http://10.0.0.6:19999/");
        let update = call.update_framework.expect("UPDATE_FRAMEWORK payload");
        assert!(update.suppressed_roles.is_empty(), "nothing to keep suppressed");

        // A SUBSCRIBE carries the running master's UI itself: nothing left to announce.
        driver
            .scheduler
            .restore(master_on("10.0.0.7", TaskState::Running, false));
        let subscribe = driver.subscribe_call().subscribe.expect("SUBSCRIBE payload");
        assert_eq!(
            subscribe.framework_info.webui_url.as_deref(),
            Some("http://10.0.0.7:19999/")
        );
        assert!(driver.webui_update(&id).is_none());
    }

    #[test]
    fn tasks_run_as_the_configured_user_else_the_effective_uid_never_as_nobody() {
        assert_eq!(task_user(Some(" alluxio ".to_string())).unwrap(), "alluxio");
        let err = task_user(Some("  ".to_string())).unwrap_err().to_string();
        assert!(
            err.contains("alluxio.integration.mesos.user is set but empty"),
            "{err}"
        );
        // The passwd entry of geteuid(), whatever USER says (a service manager may set none).
        let expected = whoami::fallible::username().expect("this test runs as a user with a passwd entry");
        assert_eq!(task_user(None).unwrap(), expected);
        assert!(!expected.is_empty());
    }
}
