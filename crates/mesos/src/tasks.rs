//! Turns the policy's [`TaskPlan`] into a v1 `TaskInfo`: a command task running the
//! distribution's sandbox script, with resources, fetcher URIs, environment and health check.
//!
//! The health check is a COMMAND check running `alluxio-mesos-health-check.sh`: Mesos sends its
//! HTTP and TCP checks to 127.0.0.1, but a task serves on its agent's address (`LIBPROCESS_IP`),
//! which on a multi-host cluster (or several agents on one machine) is not loopback. A command
//! check runs in the task's environment, so the script probes the address the task bound.

use alluxio_conf::{Configuration, format_bytes, keys};

use crate::error::MesosError;
use crate::policy::{TaskKind, TaskPlan};
use crate::wire::{CommandInfo, Environment, HealthCheck, HealthCheckType, Id, TaskInfo, Uri, Variable};

/// `alluxio.integration.mesos.alluxio.jar.url` value meaning "installed at `alluxio.home`".
const LOCAL: &str = "LOCAL";
/// Where the extracted tarball is renamed to inside the sandbox.
const SANDBOX_HOME: &str = "alluxio";
/// Keys never shipped to tasks: task environments are visible in the Mesos UI.
const PRIVATE_KEYS: &[&str] = &[keys::INTEGRATION_MESOS_SECRET];

/// Everything about tasks that comes from the framework's configuration, read once.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTemplate {
    /// Install directory as the task sees it: `alluxio.home`, or the tarball's folder relative to
    /// the sandbox.
    home: String,
    /// Tarball the fetcher extracts into the sandbox; `None` for a LOCAL install.
    tarball: Option<String>,
    /// `key=value` pairs shipped as `alluxio-site.properties`.
    site: Vec<(String, String)>,
    /// `alluxio.underfs.address`, resolved.
    underfs_address: String,
    /// `alluxio.worker.memory.size`, as Alluxio prints sizes.
    worker_memory: String,
    /// Master web port (health check).
    master_web_port: u16,
    /// Worker web port (health check).
    worker_web_port: u16,
}

impl TaskTemplate {
    /// Reads the task-related keys; errors name the key.
    pub fn from_conf(conf: &Configuration) -> Result<Self, MesosError> {
        let jar_url = conf.get(keys::INTEGRATION_MESOS_ALLUXIO_JAR_URL)?;
        let (home, tarball) = match jar_url.trim().eq_ignore_ascii_case(LOCAL) {
            true => (conf.get(keys::HOME)?, None),
            false => (SANDBOX_HOME.to_string(), Some(jar_url.trim().to_string())),
        };
        let site = conf
            .explicit_entries()
            .into_iter()
            .filter(|(key, _)| !PRIVATE_KEYS.contains(&key.as_str()))
            .collect();
        Ok(Self {
            home,
            tarball,
            site,
            underfs_address: conf.get(keys::UNDERFS_ADDRESS)?,
            worker_memory: format_bytes(conf.get_bytes(keys::WORKER_MEMORY_SIZE)?),
            master_web_port: conf.get_port(keys::MASTER_WEB_PORT)?,
            worker_web_port: conf.get_port(keys::WORKER_WEB_PORT)?,
        })
    }

    /// The TaskInfo launching `plan` on `agent_id`.
    pub fn task_info(&self, plan: &TaskPlan, agent_id: &str) -> TaskInfo {
        TaskInfo {
            name: plan.name.clone(),
            task_id: Id::new(&plan.task_id),
            agent_id: Id::new(agent_id),
            resources: plan.resources.clone(),
            command: CommandInfo {
                uris: self.uris(),
                environment: Some(Environment {
                    variables: self.environment(plan),
                }),
                shell: Some(true),
                value: Some(self.command(plan.kind)),
                user: None,
            },
            health_check: Some(self.health_check(match plan.kind {
                TaskKind::Master => self.master_web_port,
                TaskKind::Worker => self.worker_web_port,
            })),
        }
    }

    fn command(&self, kind: TaskKind) -> String {
        let script = match kind {
            TaskKind::Master => "alluxio-master-mesos.sh",
            TaskKind::Worker => "alluxio-worker-mesos.sh",
        };
        let mut steps = vec![
            format!("echo 'Starting Alluxio with {script}'"),
            "mkdir -p conf".to_string(),
        ];
        if self.tarball.is_some() {
            // The tarball's top folder is alluxio-<version>; the scripts expect a fixed name.
            steps.push(format!(
                "{{ [ -d {SANDBOX_HOME} ] || mv \"$(ls -d alluxio-*/ | head -n 1)\" {SANDBOX_HOME}; }}"
            ));
        }
        steps.push(self.installed_script(script));
        steps.join(" && ")
    }

    /// The shell word naming `integration/mesos/bin/<script>` of the installation the task uses:
    /// `alluxio.home` on the agent, or the extracted tarball in the sandbox.
    fn installed_script(&self, script: &str) -> String {
        let home = match self.tarball {
            Some(_) => format!("\"${{MESOS_SANDBOX:-.}}\"/{}", shell_quote(&self.home)),
            None => shell_quote(&self.home),
        };
        format!("{home}/integration/mesos/bin/{script}")
    }

    /// GET /health on the task's web `port` at the address it serves on, by the installed
    /// script; generous grace for journal replay at start.
    fn health_check(&self, port: u16) -> HealthCheck {
        HealthCheck {
            delay_seconds: 1.0,
            interval_seconds: 3.0,
            timeout_seconds: 5.0,
            consecutive_failures: 5,
            grace_period_seconds: 60.0,
            kind: HealthCheckType::Command,
            command: Some(CommandInfo {
                shell: Some(true),
                value: Some(format!(
                    "{} {port}",
                    self.installed_script("alluxio-mesos-health-check.sh")
                )),
                ..Default::default()
            }),
        }
    }

    fn uris(&self) -> Vec<Uri> {
        self.tarball
            .iter()
            .map(|url| Uri {
                value: url.clone(),
                executable: false,
                extract: true,
                cache: false,
                output_file: None,
            })
            .collect()
    }

    fn environment(&self, plan: &TaskPlan) -> Vec<Variable> {
        let mut overrides = Vec::new();
        let mut vars = Vec::new();
        match plan.kind {
            TaskKind::Master => overrides.push((keys::MASTER_HOSTNAME, plan.hostname.clone())),
            TaskKind::Worker => {
                if let Some(master) = &plan.master_hostname {
                    overrides.push((keys::MASTER_HOSTNAME, master.clone()));
                    vars.push(var("ALLUXIO_MASTER_HOSTNAME", master));
                }
                overrides.push((keys::WORKER_HOSTNAME, plan.hostname.clone()));
                vars.push(var("ALLUXIO_WORKER_MEMORY_SIZE", &self.worker_memory));
            }
        }
        let site = self
            .site
            .iter()
            .filter(|(key, _)| !overrides.iter().any(|(k, _)| k == key))
            .map(|(key, value)| format!("{key}={value}"))
            .chain(overrides.iter().map(|(key, value)| format!("{key}={value}")))
            .collect::<Vec<_>>()
            .join("\n");
        vars.insert(0, var("ALLUXIO_UNDERFS_ADDRESS", &self.underfs_address));
        vars.insert(0, var("ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT", &site));
        vars
    }
}

fn var(name: &str, value: &str) -> Variable {
    Variable {
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// Quotes `text` for `/bin/sh` unless it is made of characters the shell leaves alone.
fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    match plain {
        true => text.to_string(),
        false => format!("'{}'", text.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests;
