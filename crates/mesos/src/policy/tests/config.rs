//! `SchedulerConfig::from_conf` and the task-state names.

use alluxio_conf::keys;

use super::super::{ConfigError, SchedulerConfig, TaskState};
use super::{conf, default_config};

#[test]
fn defaults_match_alluxio_1x() {
    let config = default_config();
    assert_eq!(config.master.name, "AlluxioMaster");
    assert_eq!(config.master.cpus, 1.0);
    assert_eq!(config.master.mem_mb, 1024);
    assert_eq!(config.master.ports, vec![19999, 19998]);
    assert_eq!(config.worker.name, "AlluxioWorker");
    assert_eq!(config.worker.cpus, 1.0);
    // Worker overhead 1024MB plus the 1GB ramdisk.
    assert_eq!(config.worker.mem_mb, 2048);
    assert_eq!(config.worker.ports, vec![29998, 29999, 30000]);
    assert_eq!(config.worker_memory_bytes, 1 << 30);
    assert_eq!(config.master_node_count, 1);
    assert_eq!(config.required_master_host, None);
    assert_eq!(config.max_workers, None);
    assert_eq!(config.refuse_seconds, 5.0);
}

#[test]
fn settings_are_read_from_their_keys() {
    let mut conf = conf();
    conf.set(keys::INTEGRATION_MASTER_RESOURCE_CPU, "0.5");
    conf.set(keys::INTEGRATION_WORKER_RESOURCE_MEM, "512MB");
    conf.set(keys::WORKER_MEMORY_SIZE, "1.5GB");
    conf.set(keys::MASTER_PORT, "5000");
    conf.set(keys::WORKER_WEB_PORT, "5001");
    conf.set(keys::INTEGRATION_MESOS_WORKER_COUNT_MAX, "3");
    conf.set(keys::INTEGRATION_MESOS_REFUSE_SECONDS, "30");
    conf.set(keys::INTEGRATION_MESOS_WORKER_NAME, "W");
    let config = SchedulerConfig::from_conf(&conf, Some("host-a".to_string())).expect("valid");
    assert_eq!(config.master.cpus, 0.5);
    assert_eq!(config.master.ports, vec![19999, 5000]);
    assert_eq!(config.worker.mem_mb, 512 + 1536);
    assert_eq!(config.worker.ports, vec![29998, 29999, 5001]);
    assert_eq!(config.worker.name, "W");
    assert_eq!(config.max_workers, Some(3));
    assert_eq!(config.refuse_seconds, 30.0);
    assert_eq!(config.required_master_host.as_deref(), Some("host-a"));
    let blank = SchedulerConfig::from_conf(&conf, Some(" ".to_string())).expect("valid");
    assert_eq!(blank.required_master_host, None);
}

#[test]
fn memory_rounds_up_to_whole_megabytes() {
    let mut conf = conf();
    conf.set(keys::INTEGRATION_MASTER_RESOURCE_MEM, "1048577");
    let config = SchedulerConfig::from_conf(&conf, None).expect("valid");
    assert_eq!(config.master.mem_mb, 2);
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        (keys::INTEGRATION_WORKER_RESOURCE_CPU, "0"),
        (keys::INTEGRATION_WORKER_RESOURCE_CPU, "many"),
        (keys::MASTER_WEB_PORT, "0"),
        (keys::WORKER_DATA_PORT, "70000"),
        (keys::INTEGRATION_MESOS_WORKER_COUNT_MAX, "-1"),
        (keys::INTEGRATION_MESOS_REFUSE_SECONDS, "soon"),
        (keys::WORKER_MEMORY_SIZE, "lots"),
    ];
    for (key, value) in cases {
        let mut conf = conf();
        conf.set(key, value);
        let err = SchedulerConfig::from_conf(&conf, None)
            .expect_err(key)
            .to_string();
        assert!(err.contains(key) && err.contains(value), "{key}={value}: {err}");
    }
}

#[test]
fn duplicate_ports_are_refused() {
    let mut conf = conf();
    conf.set(keys::WORKER_WEB_PORT, "29998");
    let err = SchedulerConfig::from_conf(&conf, None).expect_err("duplicate");
    assert!(matches!(
        err,
        ConfigError::DuplicatePort {
            port: 29998,
            first: keys::WORKER_PORT,
            second: keys::WORKER_WEB_PORT
        }
    ));
    let text = err.to_string();
    assert!(text.contains("alluxio.worker.port") && text.contains("alluxio.worker.web.port"));
}

#[test]
fn task_state_names_round_trip() {
    for name in [
        "TASK_STAGING",
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_KILLING",
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_UNREACHABLE",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
        "TASK_UNKNOWN",
    ] {
        let state = TaskState::from_mesos_name(name).expect(name);
        assert_eq!(state.mesos_name(), name);
    }
    assert_eq!(TaskState::from_mesos_name("TASK_SLEEPING"), None);
    assert!(!TaskState::Running.is_terminal());
    assert!(!TaskState::Killing.is_terminal());
    assert!(TaskState::Unreachable.is_terminal());
    assert!(TaskState::GoneByOperator.is_terminal());
}
