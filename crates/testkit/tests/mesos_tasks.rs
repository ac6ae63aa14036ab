//! Tasks on the simulator's agents: real processes in sandboxes, status updates with uuids
//! and acknowledgements, KILL, health checks, fetching, invalid launches, agent removal,
//! TEARDOWN, and a cross-check with PyPI's pymesos.

mod mesos_common;

use std::time::Duration;

use alluxio_testkit::mesos::MesosSimulator;
use mesos_common::{Scheduler, framework_info, process_alive, wait_until};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

async fn simulator(agents: usize) -> MesosSimulator {
    MesosSimulator::builder()
        .default_agents(agents)
        .heartbeat_interval(Duration::from_millis(500))
        .allocation_interval(Duration::from_millis(50))
        .update_retry_interval(Duration::from_millis(300))
        .kill_grace_period(Duration::from_millis(500))
        .start()
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn launch_runs_the_command_in_its_sandbox_and_kill_ends_it() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let env = json!({"variables": [{"name": "GREETING", "value": "hi"}]});
    let command = json!({"value": "echo $GREETING > out; echo \"$MESOS_SANDBOX $MESOS_TASK_ID $LIBPROCESS_IP\" > env; sleep 30", "environment": env});
    let (code, body) = sched.launch(&offer, "0", command, json!({})).await;
    assert_eq!(code, 202, "{body}");

    let starting = sched.next_update("0").await;
    assert_eq!(starting["state"], "TASK_STARTING");
    assert_eq!(starting["agent_id"], offer["agent_id"]);
    let uuid = starting["uuid"]
        .as_str()
        .expect("agent updates carry a uuid")
        .to_owned();
    // Not acknowledged: the same update comes again, and RUNNING waits behind it.
    let again = sched.next_update("0").await;
    assert_eq!(
        (again["state"].as_str(), again["uuid"].as_str()),
        (Some("TASK_STARTING"), Some(uuid.as_str()))
    );
    sched.ack(&again).await;
    let running = sched.next_update("0").await;
    assert_eq!(running["state"], "TASK_RUNNING");
    assert_ne!(running["uuid"], starting["uuid"]);
    sched.ack(&running).await;

    let task = sim.tasks().pop().expect("one task");
    assert_eq!(
        (task.hostname.as_str(), task.name.as_str()),
        ("127.0.0.2", "task-0")
    );
    let sandbox = task.sandbox.clone();
    assert!(
        sandbox.starts_with(
            sim.work_dir()
                .join("agents/127.0.0.2/frameworks")
                .join(&sched.framework_id)
                .join("executors/0/runs")
        )
    );
    wait_until("the command's output", || {
        std::fs::read_to_string(sandbox.join("env")).is_ok_and(|s| s.ends_with('\n'))
    })
    .await;
    assert_eq!(std::fs::read_to_string(sandbox.join("out")).unwrap(), "hi\n");
    assert_eq!(
        std::fs::read_to_string(sandbox.join("env")).unwrap(),
        format!("{} 0 127.0.0.2\n", sandbox.display())
    );
    let pid = task.pid.expect("running task has a pid");
    assert!(process_alive(pid));
    // The task holds its resources.
    assert_eq!(sim.agents()[0].used.scalar("cpus"), 0.5);

    assert_eq!(
        sched
            .call(json!({"type": "KILL", "kill": {"task_id": {"value": "0"}, "agent_id": offer["agent_id"]}}))
            .await
            .0,
        202
    );
    let killed = sched.await_state("0", "TASK_KILLED").await;
    assert!(killed["uuid"].is_string());
    assert!(!process_alive(pid));
    assert_eq!(sim.agents()[0].used.scalar("cpus"), 0.0);
    assert_eq!(sim.tasks()[0].unacknowledged, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn exit_codes_and_crashes_are_finished_or_failed() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "ok", json!({"value": "true"}), json!({}))
        .await;
    sched.await_state("ok", "TASK_FINISHED").await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "bad", json!({"value": "exit 3"}), json!({}))
        .await;
    let failed = sched.await_state("bad", "TASK_FAILED").await;
    assert_eq!(failed["message"], "Command exited with status 3");
    let offer = sched.offer().await;
    sched
        .launch(&offer, "crash", json!({"value": "sleep 30"}), json!({}))
        .await;
    sched.await_state("crash", "TASK_RUNNING").await;
    assert!(sim.kill_task_process("crash"));
    let crashed = sched.await_state("crash", "TASK_FAILED").await;
    assert_eq!(crashed["message"], "Command terminated with signal 9");
    sim.shutdown().await;
}

/// Answers `HTTP/1.1 200 OK` to every connection until dropped.
async fn http_responder(host: &str) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind((host, 0))
        .await
        .expect("bind on the agent address");
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
                .await;
        }
    });
    (port, handle)
}

#[tokio::test]
async fn health_checks_report_healthy_then_kill_after_failures() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let (port, responder) = http_responder("127.0.0.2").await;
    let check = json!({"type": "HTTP", "http": {"port": port, "path": "/health"},
        "delay_seconds": 0.0, "interval_seconds": 0.1, "timeout_seconds": 1.0,
        "grace_period_seconds": 0.0, "consecutive_failures": 2});
    sched
        .launch(
            &offer,
            "h",
            json!({"value": "sleep 30"}),
            json!({"health_check": check}),
        )
        .await;
    let healthy = loop {
        let status = sched.await_state("h", "TASK_RUNNING").await;
        if status.get("healthy").is_some() {
            break status;
        }
    };
    assert_eq!(healthy["healthy"], true);
    assert_eq!(healthy["reason"], "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    assert_eq!(sim.tasks()[0].healthy, Some(true));

    responder.abort();
    let unhealthy = sched.await_state("h", "TASK_RUNNING").await;
    assert_eq!(unhealthy["healthy"], false);
    let killed = sched.await_state("h", "TASK_KILLED").await;
    assert_eq!(killed["healthy"], false);
    sim.shutdown().await;
}

#[tokio::test]
async fn tcp_health_check_on_the_agent_address() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let (port, _responder) = http_responder("127.0.0.2").await;
    let check = json!({"type": "TCP", "tcp": {"port": port}, "delay_seconds": 0.0, "interval_seconds": 0.1});
    sched
        .launch(
            &offer,
            "t",
            json!({"value": "sleep 30"}),
            json!({"health_check": check}),
        )
        .await;
    loop {
        let status = sched.await_state("t", "TASK_RUNNING").await;
        if status.get("healthy") == Some(&json!(true)) {
            break;
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn uris_are_fetched_and_extracted() {
    let sim = simulator(1).await;
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("alluxio-9.9")).unwrap();
    std::fs::write(src.path().join("alluxio-9.9/VERSION"), "9.9\n").unwrap();
    let tarball = src.path().join("alluxio-9.9-bin.tar.gz");
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(src.path())
        .arg("alluxio-9.9")
        .status()
        .unwrap();
    assert!(tar.success());
    std::fs::write(src.path().join("plain.txt"), "plain\n").unwrap();

    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let uris = json!([
        {"value": format!("file://{}", tarball.display()), "extract": true},
        {"value": src.path().join("plain.txt").display().to_string()},
    ]);
    let command = json!({"value": "cat alluxio-9.9/VERSION plain.txt > got", "uris": uris});
    sched.launch(&offer, "f", command, json!({})).await;
    sched.await_state("f", "TASK_FINISHED").await;
    let sandbox = sim.tasks()[0].sandbox.clone();
    assert_eq!(
        std::fs::read_to_string(sandbox.join("got")).unwrap(),
        "9.9\nplain\n"
    );

    let offer = sched.offer().await;
    let missing = json!({"value": "true", "uris": [{"value": "/nonexistent/x.tar.gz"}]});
    sched.launch(&offer, "m", missing, json!({})).await;
    let failed = sched.await_state("m", "TASK_FAILED").await;
    assert_eq!(failed["reason"], "REASON_CONTAINER_LAUNCH_FAILED");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/x.tar.gz")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_launches_are_refused_like_mesos() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let too_big = json!({"resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 64}, "allocation_info": {"role": "test"}}]});
    sched
        .launch(&offer, "big", json!({"value": "true"}), too_big)
        .await;
    let error = sched.next_update("big").await;
    assert_eq!(
        (error["state"].as_str(), error["reason"].as_str()),
        (Some("TASK_ERROR"), Some("REASON_TASK_INVALID"))
    );
    assert!(error.get("uuid").is_none());

    let offer = sched.offer().await;
    let no_role = json!({"resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}]});
    sched
        .launch(&offer, "role", json!({"value": "true"}), no_role)
        .await;
    assert_eq!(sched.next_update("role").await["state"], "TASK_ERROR");

    // The offer was used up by the previous ACCEPT: launching on it again is an invalid offer.
    sched
        .launch(&offer, "stale", json!({"value": "true"}), json!({}))
        .await;
    let lost = sched.next_update("stale").await;
    assert_eq!(
        (lost["state"].as_str(), lost["reason"].as_str()),
        (Some("TASK_LOST"), Some("REASON_INVALID_OFFERS"))
    );
    assert!(sim.tasks().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn removing_an_agent_loses_its_tasks_and_rescinds_its_offers() {
    let sim = simulator(2).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = loop {
        let offer = sched.offer().await;
        if offer["hostname"] == "127.0.0.2" {
            break offer;
        }
    };
    sched
        .launch(&offer, "w", json!({"value": "sleep 30"}), json!({}))
        .await;
    sched.await_state("w", "TASK_RUNNING").await;
    let pid = sim.tasks()[0].pid.unwrap();
    assert!(sim.remove_agent("127.0.0.2"));
    let lost = sched.next_update("w").await;
    assert_eq!(
        (lost["state"].as_str(), lost["reason"].as_str()),
        (Some("TASK_LOST"), Some("REASON_AGENT_REMOVED"))
    );
    let failure = sched.next_of("FAILURE").await;
    assert_eq!(failure["failure"]["agent_id"], offer["agent_id"]);
    wait_until("the lost task's process to die", || !process_alive(pid)).await;
    assert_eq!(sim.agents().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn teardown_kills_every_task_and_closes_the_stream() {
    let sim = simulator(2).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    for id in ["a", "b"] {
        let offer = sched.offer().await;
        sched
            .launch(&offer, id, json!({"value": "trap '' TERM; sleep 30"}), json!({}))
            .await;
        sched.await_state(id, "TASK_RUNNING").await;
    }
    let pids: Vec<i32> = sim.tasks().iter().filter_map(|t| t.pid).collect();
    assert_eq!(pids.len(), 2);
    assert_eq!(sched.call(json!({"type": "TEARDOWN"})).await.0, 202);
    // The stream ends: events run out.
    while sched.next_event().await.is_some() {}
    wait_until("both processes to die (SIGKILL after the grace)", || {
        pids.iter().all(|p| !process_alive(*p))
    })
    .await;
    assert!(sim.frameworks().is_empty());
    wait_until("tasks killed", || {
        sim.tasks().iter().all(|t| t.state == "TASK_KILLED")
    })
    .await;
    sim.shutdown().await;
}

#[tokio::test]
async fn pymesos_subscribes_and_runs_a_task() {
    let have_pymesos = std::process::Command::new("python3")
        .args(["-c", "import pymesos"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_pymesos {
        eprintln!("skipped: python3 with pymesos is not installed (pip install pymesos)");
        return;
    }
    let sim = simulator(1).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pymesos_check.py");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("python3")
            .arg(script)
            .arg(sim.addr().to_string())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("pymesos check ends in time")
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pymesos check failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("TASK_RUNNING"), "{stdout}");
    sim.shutdown().await;
}
