//! Tasks on the simulator's agents: real processes in sandboxes, status updates with uuids
//! and acknowledgements, KILL, health checks, fetching, invalid launches, agent removal,
//! TEARDOWN, UPDATE_FRAMEWORK, and a cross-check with PyPI's pymesos.

mod mesos_common;

use std::time::Duration;

use alluxio_testkit::mesos::MesosSimulator;
use mesos_common::{Scheduler, framework_info, process_alive, wait_until};
use serde_json::{Value, json};
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
    let (port, responder) = http_responder("127.0.0.1").await;
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

/// The first health result of task `id`, acknowledging updates on the way.
async fn first_health(sched: &mut Scheduler, id: &str) -> bool {
    loop {
        let status = sched.await_state(id, "TASK_RUNNING").await;
        if let Some(healthy) = status.get("healthy").and_then(serde_json::Value::as_bool) {
            return healthy;
        }
    }
}

#[tokio::test]
async fn http_and_tcp_checks_go_to_loopback_so_a_task_on_its_agent_address_fails_them() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    // Something serves on the agent's address (127.0.0.2), as a task bound to LIBPROCESS_IP
    // does, and nothing on 127.0.0.1 at that port: Mesos' HTTP and TCP checks fail.
    let (port, _responder) = http_responder("127.0.0.2").await;
    let checks = [
        (
            "http",
            json!({"type": "HTTP", "http": {"port": port, "path": "/health"}}),
        ),
        ("tcp", json!({"type": "TCP", "tcp": {"port": port}})),
        // A COMMAND check runs in the task's environment and reaches LIBPROCESS_IP.
        (
            "command",
            json!({"type": "COMMAND", "command": {"value": format!(
                "[ \"$PROBE\" = yes ] && [ -n \"$MESOS_SANDBOX\" ] && bash -c \"exec 3<>/dev/tcp/$LIBPROCESS_IP/{port}\""
            ), "environment": {"variables": [{"name": "PROBE", "value": "yes"}]}}}),
        ),
    ];
    for (id, mut check) in checks {
        for (field, value) in [
            ("delay_seconds", 0.0),
            ("interval_seconds", 0.1),
            ("timeout_seconds", 2.0),
            ("grace_period_seconds", 0.0),
        ] {
            check[field] = json!(value);
        }
        check["consecutive_failures"] = json!(1);
        let offer = sched.offer().await;
        sched
            .launch(
                &offer,
                id,
                json!({"value": "exec sleep 30", "shell": true}),
                json!({"health_check": check}),
            )
            .await;
        let healthy = first_health(&mut sched, id).await;
        assert_eq!(healthy, id == "command", "{id} check");
        if !healthy {
            let killed = sched.await_state(id, "TASK_KILLED").await;
            assert_eq!(killed["healthy"], false);
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn tcp_health_check_on_loopback() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let (port, _responder) = http_responder("127.0.0.1").await;
    let check = json!({"type": "TCP", "tcp": {"port": port}, "delay_seconds": 0.0, "interval_seconds": 0.1});
    sched
        .launch(
            &offer,
            "t",
            json!({"value": "sleep 30"}),
            json!({"health_check": check}),
        )
        .await;
    assert!(first_health(&mut sched, "t").await);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_task_of_an_empty_or_unknown_user_is_lost_as_the_agent_reports_it() {
    let sim = simulator(1).await;
    let mut info = framework_info();
    info["user"] = json!("");
    let mut sched = Scheduler::subscribe(sim.addr(), info).await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "nobody", json!({"value": "true"}), json!({}))
        .await;
    let lost = sched.await_state("nobody", "TASK_LOST").await;
    assert_eq!(lost["reason"], "REASON_EXECUTOR_TERMINATED");
    let message = lost["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Failed to create executor directory '")
            && message.ends_with("': Failed to chown directory to '': No such user ''"),
        "{message}"
    );
    // CommandInfo.user overrides FrameworkInfo.user, and must exist too.
    let offer = sched.offer().await;
    let command = json!({"value": "true", "user": "no-such-user-alluxio-test"});
    sched.launch(&offer, "ghost", command, json!({})).await;
    let lost = sched.await_state("ghost", "TASK_LOST").await;
    assert!(
        lost["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("No such user 'no-such-user-alluxio-test'")),
        "{lost}"
    );
    let offer = sched.offer().await;
    let command = json!({"value": "true", "user": mesos_common::current_user()});
    sched.launch(&offer, "me", command, json!({})).await;
    sched.await_state("me", "TASK_FINISHED").await;
    sim.shutdown().await;
}

/// One agent with resources reserved statically for `alluxio` and a dynamic reservation.
async fn reserved_simulator() -> MesosSimulator {
    MesosSimulator::builder()
        .agent(
            "127.0.0.2",
            "cpus(alluxio):2;mem(alluxio):1024;ports(alluxio):[19998-19999];cpus:1;mem:512;ports:[31000-31010]",
        )
        .dynamic_reservation("127.0.0.2", "mem:256", "alluxio", Some("ops"))
        .allocation_interval(Duration::from_millis(50))
        .start()
        .await
        .expect("simulator starts")
}

fn framework_of_role(role: &str, capabilities: &[&str]) -> serde_json::Value {
    let mut info = framework_info();
    info["roles"] = json!([role]);
    info["capabilities"] = capabilities.iter().map(|c| json!({"type": c})).collect();
    info
}

#[tokio::test]
async fn reserved_resources_are_offered_to_their_role_in_mesos_format() {
    let sim = reserved_simulator().await;
    // Role `alluxio` without RESERVATION_REFINEMENT: static as `role`, dynamic with `reservation`.
    let mut sched = Scheduler::subscribe(sim.addr(), framework_of_role("alluxio", &["MULTI_ROLE"])).await;
    let offer = sched.offer().await;
    let resources = offer["resources"].as_array().unwrap().clone();
    let find = |name: &str, role: &str, dynamic: bool| {
        resources
            .iter()
            .find(|r| r["name"] == name && r["role"] == role && r.get("reservation").is_some() == dynamic)
            .unwrap_or_else(|| panic!("no {name}({role}) dynamic={dynamic} in {offer}"))
            .clone()
    };
    assert_eq!(find("cpus", "alluxio", false)["scalar"]["value"], 2.0);
    assert_eq!(find("cpus", "*", false)["scalar"]["value"], 1.0);
    let dynamic = find("mem", "alluxio", true);
    assert_eq!(dynamic["scalar"]["value"], 256.0);
    assert_eq!(dynamic["reservation"]["principal"], "ops");
    assert_eq!(find("mem", "*", false)["scalar"]["value"], 256.0);
    assert!(
        resources
            .iter()
            .all(|r| r["allocation_info"]["role"] == "alluxio")
    );
    assert!(resources.iter().all(|r| r.get("reservations").is_none()));
    drop(sched);

    // With RESERVATION_REFINEMENT the same reservations come as `reservations`.
    let mut sched = Scheduler::subscribe(
        sim.addr(),
        framework_of_role("alluxio", &["MULTI_ROLE", "RESERVATION_REFINEMENT"]),
    )
    .await;
    let offer = sched.offer().await;
    assert!(
        offer["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "cpus"
                && r["reservations"] == json!([{"type": "STATIC", "role": "alluxio"}])),
        "{offer}"
    );
    drop(sched);

    // Another role sees only the unreserved part.
    let mut sched = Scheduler::subscribe(sim.addr(), framework_of_role("other", &["MULTI_ROLE"])).await;
    let offer = sched.offer().await;
    let resources = offer["resources"].as_array().unwrap();
    assert!(resources.iter().all(|r| r["role"] == "*"), "{offer}");
    let cpus: f64 = resources
        .iter()
        .filter(|r| r["name"] == "cpus")
        .map(|r| r["scalar"]["value"].as_f64().unwrap())
        .sum();
    assert_eq!(cpus, 1.0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_launch_must_name_the_reservation_it_was_offered() {
    let sim = reserved_simulator().await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_of_role("alluxio", &["MULTI_ROLE"])).await;
    let allocated = json!({"role": "alluxio"});
    // Two unreserved cpus: the agent offers one unreserved and two reserved, so Mesos refuses.
    let offer = sched.offer().await;
    let unreserved = json!({"resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "allocation_info": allocated}]});
    sched
        .launch(&offer, "wrong", json!({"value": "true"}), unreserved)
        .await;
    let error = sched.next_update("wrong").await;
    assert_eq!(
        (error["state"].as_str(), error["reason"].as_str()),
        (Some("TASK_ERROR"), Some("REASON_TASK_INVALID"))
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Total resources cpus(allocated: alluxio):2 required by task and its executor is more than available ")
            && message.contains("cpus(allocated: alluxio)(reservations: [(STATIC,alluxio)]):2"),
        "{message}"
    );
    // The same cpus named as reserved, plus the dynamically reserved mem: launched.
    let offer = sched.offer().await;
    let reserved = json!({"resources": [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "role": "alluxio", "allocation_info": allocated},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 256}, "role": "alluxio",
         "reservation": {"principal": "ops"}, "allocation_info": allocated},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 19998, "end": 19998}]},
         "role": "alluxio", "allocation_info": allocated}]});
    sched
        .launch(&offer, "right", json!({"value": "sleep 30"}), reserved)
        .await;
    sched.await_state("right", "TASK_RUNNING").await;
    assert_eq!(sim.agents()[0].used.scalar("cpus"), 2.0);
    assert_eq!(sim.agents()[0].used.scalar("mem"), 256.0);
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
    let sim = simulator(1).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pymesos_check.py");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(alluxio_testkit::test_python())
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

#[tokio::test]
async fn resources_freed_by_an_ended_task_lift_the_refuse_filter_of_the_rest() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    // The launch filters what it left of the offer for a minute, as Mesos' RefusedOfferFilter.
    let mut task = json!({"value": "sleep 1"});
    task["shell"] = json!(true);
    let accept = json!({"type": "ACCEPT", "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{
            "name": "short", "task_id": {"value": "short"}, "agent_id": offer["agent_id"],
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5},
                           "allocation_info": {"role": "test"}}],
            "command": task}]}}],
        "filters": {"refuse_seconds": 60.0}}});
    assert_eq!(sched.call(accept).await.0, 202);
    sched.await_state("short", "TASK_FINISHED").await;
    // The task's half cpu is back: the agent has more free than was refused, so it is offered.
    let again = sched.offer().await;
    assert_eq!(again["agent_id"], offer["agent_id"]);
    sim.shutdown().await;
}

/// An UPDATE_FRAMEWORK call with `info` and `suppressed_roles`.
fn update_framework(info: &Value, suppressed_roles: &[&str]) -> Value {
    json!({"type": "UPDATE_FRAMEWORK",
           "update_framework": {"framework_info": info, "suppressed_roles": suppressed_roles}})
}

#[tokio::test]
async fn update_framework_replaces_the_framework_info_and_suppressed_roles_or_nothing() {
    let sim = simulator(1).await;
    let mut info = framework_info();
    info["checkpoint"] = json!(true);
    let sched = Scheduler::subscribe(sim.addr(), info.clone()).await;
    assert_eq!(sim.frameworks()[0].webui_url, None);
    info["id"] = json!({"value": sched.framework_id});
    info["webui_url"] = json!("http://127.0.0.2:19999/");

    // Applied before the answer, so 200 rather than 202.
    let (code, body) = sched.call(update_framework(&info, &["test"])).await;
    assert_eq!(code, 200, "{body}");
    let framework = sim.frameworks().pop().expect("one framework");
    assert_eq!(framework.webui_url.as_deref(), Some("http://127.0.0.2:19999/"));
    assert!(framework.suppressed);
    // Suppressed roles are replaced: one left out is revived.
    assert_eq!(sched.call(update_framework(&info, &[])).await.0, 200);
    assert!(!sim.frameworks()[0].suppressed);

    let user = mesos_common::current_user();
    let refusals = [
        (
            "user",
            json!("someone-else"),
            format!(
                "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; \
                 attempted to update from '{user}' to 'someone-else'"
            ),
        ),
        (
            "checkpoint",
            json!(false),
            "FrameworkInfo update is not valid: Updating 'FrameworkInfo.checkpoint' is unsupported; \
             attempted to update from 'true' to 'false'"
                .to_owned(),
        ),
        (
            "principal",
            json!("intruder"),
            "FrameworkInfo update is not valid: Changing framework's principal is not allowed.".to_owned(),
        ),
        (
            "id",
            json!({"value": "another-framework"}),
            "Failed to validate scheduler::Call: 'framework_id' differs from \
             'update_framework.framework_info.id'"
                .to_owned(),
        ),
        (
            "name",
            Value::Null,
            "Failed to convert JSON into Call protobuf: Missing required fields: \
             update_framework.framework_info.name"
                .to_owned(),
        ),
        (
            "roles",
            json!(["other"]),
            "the simulator cannot change a framework's role: it has role 'test' (MULTI_ROLE true), \
             the update asks for 'other' (MULTI_ROLE true)"
                .to_owned(),
        ),
    ];
    for (field, value, message) in refusals {
        let mut changed = info.clone();
        changed[field] = value;
        changed["webui_url"] = json!("http://elsewhere/");
        let (code, body) = sched.call(update_framework(&changed, &["test"])).await;
        assert_eq!((code, body.as_str()), (400, message.as_str()), "changing {field}");
    }
    let (code, body) = sched.call(update_framework(&info, &["other"])).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "'UpdateFramework' call is not valid: Suppressed roles { other } are not contained in \
             the set of roles"
        )
    );
    let framework = sim.frameworks().pop().expect("one framework");
    assert_eq!(
        (framework.webui_url.as_deref(), framework.suppressed),
        (Some("http://127.0.0.2:19999/"), false),
        "a refused update changes nothing"
    );
    sim.shutdown().await;
}
