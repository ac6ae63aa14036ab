//! What a simulated agent does with a launched command task: prepare the sandbox, fetch the
//! URIs, run the command in its own process group, report its states, and kill it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::Value;

use super::Inner;
use super::fetch::fetch_uri;
use super::health::run_health_checks;
use super::state::{State, TaskKey};

/// What the runner needs from the TaskInfo, copied out of the lock.
struct Launch {
    command: Value,
    env: BTreeMap<String, String>,
    health_check: Option<Value>,
    sandbox: std::path::PathBuf,
    /// `CommandInfo.user`, else `FrameworkInfo.user`: the owner of the sandbox.
    user: String,
}

fn launch_of(state: &State, key: &TaskKey) -> Option<Launch> {
    let task = state.tasks.get(key)?;
    let command = task.info.get("command").cloned().unwrap_or(Value::Null);
    let mut env = BTreeMap::new();
    if let Some(vars) = command
        .pointer("/environment/variables")
        .and_then(Value::as_array)
    {
        for var in vars {
            if let Some(name) = var.get("name").and_then(Value::as_str) {
                let value = var.get("value").and_then(Value::as_str).unwrap_or_default();
                env.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    let sandbox = task.sandbox.display().to_string();
    env.insert("MESOS_SANDBOX".into(), sandbox.clone());
    env.insert("MESOS_DIRECTORY".into(), sandbox);
    env.insert("MESOS_TASK_ID".into(), key.1.clone());
    env.insert("MESOS_EXECUTOR_ID".into(), key.1.clone());
    env.insert("MESOS_FRAMEWORK_ID".into(), key.0.clone());
    env.insert("MESOS_AGENT_ENDPOINT".into(), format!("{}:5051", task.hostname));
    env.insert("LIBPROCESS_IP".into(), task.hostname.clone());
    let user = match command.get("user").and_then(Value::as_str) {
        Some(user) => user.to_owned(),
        None => state
            .frameworks
            .get(&key.0)
            .map(|f| f.user.clone())
            .unwrap_or_default(),
    };
    Some(Launch {
        command,
        env,
        health_check: task.info.get("health_check").cloned(),
        sandbox: task.sandbox.clone(),
        user,
    })
}

/// Runs the task `key` to its end, reporting every state change.
pub(crate) async fn run_task(inner: Arc<Inner>, key: TaskKey) {
    let Some(launch) = launch_of(&inner.state.lock(), &key) else {
        return;
    };
    if let Err(why) = check_user(&launch) {
        tracing::warn!(task = %key.1, %why, "executor directory not created");
        let mut state = inner.state.lock();
        let partition_aware = state.frameworks.get(&key.0).is_some_and(|f| f.partition_aware);
        let lost = if partition_aware {
            "TASK_DROPPED"
        } else {
            "TASK_LOST"
        };
        state.agent_update(&key, lost, Some("REASON_EXECUTOR_TERMINATED"), &why);
        return;
    }
    let child = match prepare_and_spawn(&launch).await {
        Ok(child) => child,
        Err(why) => {
            tracing::warn!(task = %key.1, %why, "task launch failed");
            let mut state = inner.state.lock();
            state.agent_update(&key, "TASK_FAILED", Some("REASON_CONTAINER_LAUNCH_FAILED"), &why);
            return;
        }
    };
    let mut child = child;
    let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return;
    };
    {
        let mut state = inner.state.lock();
        let Some(task) = state.tasks.get_mut(&key) else {
            return;
        };
        task.pid = Some(pid);
        let killed_early = task.kill_requested || task.is_terminal() || state.closed;
        state.agent_update(&key, "TASK_STARTING", None, "");
        state.agent_update(&key, "TASK_RUNNING", None, "");
        if killed_early {
            signal_group(pid, Signal::KILL);
        }
    }
    let health = launch.health_check.map(|check| {
        tokio::spawn(run_health_checks(
            inner.clone(),
            key.clone(),
            launch.env.clone(),
            check,
        ))
    });
    let status = child.wait().await;
    if let Some(health) = health {
        health.abort();
    }
    // Mesos destroys the whole container when the command exits: reap its leftovers too.
    signal_group(pid, Signal::KILL);
    let mut state = inner.state.lock();
    let kill_requested = match state.tasks.get_mut(&key) {
        Some(task) => {
            task.pid = None;
            task.kill_requested
        }
        None => return,
    };
    let (task_state, message) = match status {
        Ok(status) if kill_requested => ("TASK_KILLED", describe(status)),
        Ok(status) if status.success() => ("TASK_FINISHED", describe(status)),
        Ok(status) => ("TASK_FAILED", describe(status)),
        Err(err) => ("TASK_FAILED", format!("cannot wait for the command: {err}")),
    };
    state.agent_update(&key, task_state, None, &message);
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Command exited with status {code}"),
        (None, Some(sig)) => format!("Command terminated with signal {sig}"),
        _ => "Command ended".to_owned(),
    }
}

/// An agent running as root (`--switch_user`, the default) chowns the executor directory to
/// the task's user before anything runs, and drops a task whose user it cannot find with
/// this message (apache/mesos `src/slave/paths.cpp`). The simulator then runs the task as
/// itself.
fn check_user(launch: &Launch) -> Result<(), String> {
    let known = !launch.user.is_empty() && matches!(nix::unistd::User::from_name(&launch.user), Ok(Some(_)));
    match known {
        true => Ok(()),
        false => Err(format!(
            "Failed to create executor directory '{}': Failed to chown directory to '{}': No such user '{}'",
            launch.sandbox.display(),
            launch.user,
            launch.user
        )),
    }
}

async fn prepare_and_spawn(launch: &Launch) -> Result<tokio::process::Child, String> {
    let sandbox = &launch.sandbox;
    tokio::fs::create_dir_all(sandbox)
        .await
        .map_err(|e| format!("cannot create sandbox {}: {e}", sandbox.display()))?;
    if let Some(uris) = launch.command.get("uris").and_then(Value::as_array) {
        for uri in uris {
            fetch_uri(uri, sandbox).await?;
        }
    }
    let stdout = std::fs::File::create(sandbox.join("stdout"))
        .map_err(|e| format!("cannot create {}/stdout: {e}", sandbox.display()))?;
    let stderr = std::fs::File::create(sandbox.join("stderr"))
        .map_err(|e| format!("cannot create {}/stderr: {e}", sandbox.display()))?;
    let shell = launch
        .command
        .get("shell")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let value = launch
        .command
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut cmd = if shell {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c").arg(value);
        cmd
    } else {
        let args: Vec<&str> = launch
            .command
            .get("arguments")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut cmd = tokio::process::Command::new(value);
        cmd.args(args.iter().skip(1));
        cmd
    };
    cmd.current_dir(sandbox)
        .envs(&launch.env)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    cmd.spawn()
        .map_err(|e| format!("cannot run the command {value:?} in {}: {e}", sandbox.display()))
}

/// Sends `signal` to the process group led by `pid`; a group already gone is not an error.
pub(crate) fn signal_group(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid)
        && let Err(err) = kill_process_group(pid, signal)
        && err != rustix::io::Errno::SRCH
    {
        tracing::warn!(pid = pid.as_raw_nonzero().get(), %err, "cannot signal task process group");
    }
}

/// Kills task `key` as the command executor does: SIGTERM, then SIGKILL after the grace
/// period of its kill policy (or the simulator default); TASK_KILLING first when the
/// framework has that capability. The runner reports TASK_KILLED when the process ends.
pub(crate) fn kill_task(inner: &Arc<Inner>, state: &mut State, key: &TaskKey) {
    let killing_state = state.frameworks.get(&key.0).is_some_and(|f| f.killing_state);
    let default_grace = state.timing.kill_grace;
    let Some(task) = state.tasks.get_mut(key) else {
        return;
    };
    if task.is_terminal() || task.kill_requested {
        return;
    }
    task.kill_requested = true;
    let grace = task
        .info
        .pointer("/kill_policy/grace_period/nanoseconds")
        .and_then(Value::as_i64)
        .map(|ns| Duration::from_nanos(ns.max(0).unsigned_abs()))
        .unwrap_or(default_grace);
    let Some(pid) = task.pid else {
        // Still fetching: the runner sees kill_requested once the process exists.
        return;
    };
    if killing_state {
        state.agent_update(key, "TASK_KILLING", None, "");
    }
    signal_group(pid, Signal::TERM);
    let inner = inner.clone();
    let key = key.clone();
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        let state = inner.state.lock();
        if state.tasks.get(&key).and_then(|t| t.pid) == Some(pid) {
            signal_group(pid, Signal::KILL);
        }
    });
}

/// SIGKILLs every process the simulator started (shutdown and drop).
pub(crate) fn kill_all(state: &State) {
    for task in state.tasks.values() {
        if let Some(pid) = task.pid {
            signal_group(pid, Signal::KILL);
        }
    }
}

/// The sandbox directory of a task, laid out as a Mesos agent does.
pub(crate) fn sandbox_path(work: &Path, host: &str, framework_id: &str, task_id: &str) -> std::path::PathBuf {
    let run = uuid::Uuid::new_v4();
    work.join("agents")
        .join(host)
        .join("frameworks")
        .join(framework_id)
        .join("executors")
        .join(task_id)
        .join("runs")
        .join(run.to_string())
}
