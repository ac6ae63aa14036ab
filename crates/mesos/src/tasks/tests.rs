use alluxio_conf::{Configuration, keys};
use serde_json::json;

use super::*;

fn conf(jar_url: &str) -> Configuration {
    let mut conf = Configuration::defaults();
    conf.set(keys::INTEGRATION_MESOS_ALLUXIO_JAR_URL, jar_url);
    conf.set(keys::HOME, "/opt/my alluxio");
    conf.set(keys::UNDERFS_ADDRESS, "/mnt/ufs");
    conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
    conf.set(keys::MASTER_HOSTNAME, "stale-host");
    conf.set(keys::INTEGRATION_MESOS_SECRET, "s3cret");
    conf
}

fn plan(kind: TaskKind) -> TaskPlan {
    let (task_id, name, hostname, mem_mb, ports, master) = match kind {
        TaskKind::Master => ("0", "AlluxioMaster", "127.0.0.2", 1024, vec![19999, 19998], None),
        TaskKind::Worker => (
            "1",
            "AlluxioWorker",
            "127.0.0.3",
            2048,
            vec![29998, 29999, 30000],
            Some("127.0.0.2"),
        ),
    };
    TaskPlan {
        task_id: task_id.to_string(),
        kind,
        name: name.to_string(),
        hostname: hostname.to_string(),
        cpus: 1.5,
        mem_mb,
        resources: serde_json::from_value(resources(mem_mb as f64, &ports)).unwrap(),
        ports,
        master_hostname: master.map(str::to_string),
    }
}

/// The COMMAND check running the installed health-check script from `home` (a shell word).
fn health(home: &str, port: u16) -> serde_json::Value {
    json!({
        "delay_seconds": 1.0, "interval_seconds": 3.0, "timeout_seconds": 5.0,
        "consecutive_failures": 5, "grace_period_seconds": 60.0, "type": "COMMAND",
        "command": {
            "uris": [], "shell": true,
            "value": format!("{home}/integration/mesos/bin/alluxio-mesos-health-check.sh {port}")
        }
    })
}

fn resources(mem: f64, ports: &[u16]) -> serde_json::Value {
    let alloc = json!({"role": "alluxio"});
    let ranges: Vec<_> = ports.iter().map(|p| json!({"begin": p, "end": p})).collect();
    json!([
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.5}, "allocation_info": alloc},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "allocation_info": alloc},
        {"name": "ports", "type": "RANGES", "ranges": {"range": ranges}, "allocation_info": alloc}
    ])
}

#[test]
fn local_master_task_runs_the_installed_script_without_uris() {
    let template = TaskTemplate::from_conf(&conf("local")).unwrap();
    let task = serde_json::to_value(template.task_info(&plan(TaskKind::Master), "S1")).unwrap();
    let site = "alluxio.home=/opt/my alluxio\n\
                alluxio.integration.mesos.alluxio.jar.url=local\n\
                alluxio.underfs.address=/mnt/ufs\n\
                alluxio.worker.memory.size=1GB\n\
                alluxio.master.hostname=127.0.0.2";
    assert_eq!(
        task,
        json!({
            "name": "AlluxioMaster",
            "task_id": {"value": "0"},
            "agent_id": {"value": "S1"},
            "resources": resources(1024.0, &[19999, 19998]),
            "command": {
                "uris": [],
                "environment": {"variables": [
                    {"name": "ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT", "value": site},
                    {"name": "ALLUXIO_UNDERFS_ADDRESS", "value": "/mnt/ufs"}
                ]},
                "shell": true,
                "value": "echo 'Starting Alluxio with alluxio-master-mesos.sh' && mkdir -p conf && \
                          '/opt/my alluxio'/integration/mesos/bin/alluxio-master-mesos.sh"
            },
            "health_check": health("'/opt/my alluxio'", 19999)
        })
    );
}

#[test]
fn tarball_worker_task_fetches_extracts_and_normalises_the_folder() {
    let url = "http://example.invalid/alluxio-1.8.0-bin.tar.gz";
    let template = TaskTemplate::from_conf(&conf(url)).unwrap();
    let task = serde_json::to_value(template.task_info(&plan(TaskKind::Worker), "S2")).unwrap();
    let site = "alluxio.home=/opt/my alluxio\n\
                alluxio.integration.mesos.alluxio.jar.url=http://example.invalid/alluxio-1.8.0-bin.tar.gz\n\
                alluxio.underfs.address=/mnt/ufs\n\
                alluxio.worker.memory.size=1GB\n\
                alluxio.master.hostname=127.0.0.2\n\
                alluxio.worker.hostname=127.0.0.3";
    assert_eq!(
        task,
        json!({
            "name": "AlluxioWorker",
            "task_id": {"value": "1"},
            "agent_id": {"value": "S2"},
            "resources": resources(2048.0, &[29998, 29999, 30000]),
            "command": {
                "uris": [{"value": url, "executable": false, "extract": true, "cache": false}],
                "environment": {"variables": [
                    {"name": "ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT", "value": site},
                    {"name": "ALLUXIO_UNDERFS_ADDRESS", "value": "/mnt/ufs"},
                    {"name": "ALLUXIO_MASTER_HOSTNAME", "value": "127.0.0.2"},
                    {"name": "ALLUXIO_WORKER_MEMORY_SIZE", "value": "1.00GB"}
                ]},
                "shell": true,
                "value": "echo 'Starting Alluxio with alluxio-worker-mesos.sh' && mkdir -p conf && \
                          { [ -d alluxio ] || mv \"$(ls -d alluxio-*/ | head -n 1)\" alluxio; } && \
                          \"${MESOS_SANDBOX:-.}\"/alluxio/integration/mesos/bin/alluxio-worker-mesos.sh"
            },
            "health_check": health("\"${MESOS_SANDBOX:-.}\"/alluxio", 30000)
        })
    );
}

#[test]
fn shell_quote_leaves_plain_paths_and_quotes_the_rest() {
    assert_eq!(shell_quote("/opt/alluxio-1.8"), "/opt/alluxio-1.8");
    assert_eq!(shell_quote("/opt/it's here"), r"'/opt/it'\''s here'");
    assert_eq!(shell_quote(""), "''");
}
