//! The simulator's protocol surface: error codes of `src/master/http.cpp`, SUBSCRIBE and its
//! RecordIO stream, heartbeats, offers with filters, SUPPRESS/REVIVE, reconciliation,
//! framework failover and the leader redirect.

mod mesos_common;

use std::time::Duration;

use alluxio_testkit::mesos::MesosSimulator;
use mesos_common::{Scheduler, framework_info, post};
use serde_json::json;
use tokio::time::Instant;

async fn simulator(agents: usize) -> MesosSimulator {
    MesosSimulator::builder()
        .default_agents(agents)
        .heartbeat_interval(Duration::from_millis(200))
        .allocation_interval(Duration::from_millis(50))
        .update_retry_interval(Duration::from_millis(300))
        .start()
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn bad_requests_get_the_codes_of_mesos() {
    let sim = simulator(1).await;
    let addr = sim.addr();
    let url = format!("http://{addr}/api/v1/scheduler");
    let http = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();

    assert_eq!(status(http.get(&url).send().await.unwrap()), 405);
    let no_type = http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(no_type.status().as_u16(), 400);
    assert_eq!(
        no_type.text().await.unwrap(),
        "Expecting 'Content-Type' to be present"
    );
    let text = http
        .post(&url)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(status(text), 415);
    let garbage = http
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    assert!(
        garbage
            .text()
            .await
            .unwrap()
            .starts_with("Failed to parse body into JSON")
    );

    let (code, body) = post(
        addr,
        None,
        &json!({"type": "DECLINE", "decline": {"offer_ids": []}}),
    )
    .await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"
        )
    );
    let (code, body) = post(
        addr,
        None,
        &json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "x"}}}),
    )
    .await;
    assert_eq!(code, 400);
    assert!(
        body.contains("Missing required fields: subscribe.framework_info.user"),
        "{body}"
    );
    let (code, body) = post(
        addr,
        Some("x"),
        &json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info()}}),
    )
    .await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "Subscribe calls should not include the 'Mesos-Stream-Id' header"
        )
    );
    let (code, body) = post(
        addr,
        None,
        &json!({"type": "REVIVE", "framework_id": {"value": "nobody"}}),
    )
    .await;
    assert_eq!((code, body.as_str()), (400, "Framework cannot be found"));

    let mut info = framework_info();
    info["failover_timeout"] = json!(60.0);
    let sched = Scheduler::subscribe(addr, info).await;
    let revive = json!({"type": "REVIVE", "framework_id": {"value": sched.framework_id}});
    let (code, body) = post(addr, None, &revive).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
        )
    );
    let (code, body) = post(addr, Some("other"), &revive).await;
    assert_eq!(code, 400);
    assert!(
        body.starts_with("The stream ID 'other' included in this request didn't match"),
        "{body}"
    );
    assert_eq!(post(addr, Some(&sched.stream_id), &revive).await.0, 202);

    // A hung-up scheduler is disconnected, not forgotten: 403 until it subscribes again.
    let (fid, stream_id) = (sched.framework_id.clone(), sched.stream_id.clone());
    drop(sched);
    let mut code = 0;
    for _ in 0..100 {
        code = post(addr, Some(&stream_id), &revive).await.0;
        if code == 403 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(code, 403);
    assert_eq!(sim.frameworks()[0].id, fid);
    assert!(!sim.frameworks()[0].connected);
    sim.shutdown().await;
}

#[tokio::test]
async fn subscribe_streams_subscribed_heartbeats_and_offers() {
    let sim = simulator(2).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    assert!((sched.heartbeat - 0.2).abs() < 1e-9);
    let mut hosts = Vec::new();
    let mut heartbeats = 0;
    while hosts.len() < 2 || heartbeats < 2 {
        let event = sched.next_event().await.expect("events keep coming");
        if event["type"] == "HEARTBEAT" {
            heartbeats += 1;
            continue;
        }
        assert_eq!(event["type"], "OFFERS", "{event}");
        for offer in event["offers"]["offers"].as_array().unwrap() {
            assert_eq!(offer["framework_id"]["value"], sched.framework_id.as_str());
            assert_eq!(offer["allocation_info"]["role"], "test");
            let ports = offer["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == "ports")
                .unwrap();
            assert_eq!(ports["allocation_info"]["role"], "test");
            assert_eq!(ports["ranges"]["range"][0], json!({"begin": 19998, "end": 19999}));
            hosts.push(offer["hostname"].as_str().unwrap().to_owned());
        }
    }
    hosts.sort();
    assert_eq!(hosts, ["127.0.0.2", "127.0.0.3"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn decline_filters_for_refuse_seconds_and_suppress_stops_offers() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    let declined = Instant::now();
    let (code, _) = sched
        .call(json!({"type": "DECLINE", "decline": {"offer_ids": [offer["id"]], "filters": {"refuse_seconds": 1.0}}}))
        .await;
    assert_eq!(code, 202);
    let again = sched.offer().await;
    let waited = declined.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "re-offered after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "re-offered after {waited:?}");
    assert_ne!(again["id"], offer["id"]);

    assert_eq!(sched.call(json!({"type": "SUPPRESS"})).await.0, 202);
    sched
        .call(json!({"type": "DECLINE", "decline": {"offer_ids": [again["id"]], "filters": {"refuse_seconds": 0.0}}}))
        .await;
    assert!(sim.frameworks()[0].suppressed);
    let quiet = tokio::time::timeout(Duration::from_millis(600), sched.next_of("OFFERS")).await;
    assert!(quiet.is_err(), "offer while suppressed");
    assert_eq!(sched.call(json!({"type": "REVIVE"})).await.0, 202);
    sched.offer().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn reconcile_answers_without_uuid() {
    let sim = simulator(1).await;
    let mut sched = Scheduler::subscribe(sim.addr(), framework_info()).await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "7", json!({"value": "sleep 30"}), json!({}))
        .await;
    sched.await_state("7", "TASK_RUNNING").await;

    let explicit = json!({"type": "RECONCILE", "reconcile": {"tasks": [{"task_id": {"value": "nope"}}, {"task_id": {"value": "7"}}]}});
    assert_eq!(sched.call(explicit).await.0, 202);
    let unknown = sched.next_update("nope").await;
    assert_eq!(unknown["state"], "TASK_LOST");
    assert_eq!(unknown["reason"], "REASON_RECONCILIATION");
    assert!(unknown.get("uuid").is_none());
    let known = sched.next_update("7").await;
    assert_eq!(known["state"], "TASK_RUNNING");
    assert!(known.get("uuid").is_none());

    assert_eq!(
        sched.call(json!({"type": "RECONCILE", "reconcile": {}})).await.0,
        202
    );
    let implicit = sched.next_update("7").await;
    assert_eq!(
        (implicit["state"].as_str(), implicit["source"].as_str()),
        (Some("TASK_RUNNING"), Some("SOURCE_MASTER"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn failover_reattaches_and_resends_unacknowledged_updates() {
    let sim = simulator(1).await;
    let mut info = framework_info();
    info["failover_timeout"] = json!(60.0);
    let mut sched = Scheduler::subscribe(sim.addr(), info.clone()).await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "0", json!({"value": "sleep 30"}), json!({}))
        .await;
    let starting = sched.next_update("0").await;
    assert_eq!(starting["state"], "TASK_STARTING");
    let fid = sched.framework_id.clone();
    drop(sched);

    info["id"] = json!({"value": fid});
    let mut again = Scheduler::subscribe(sim.addr(), info).await;
    assert_eq!(again.framework_id, fid);
    let resent = again.next_update("0").await;
    assert_eq!(
        resent["uuid"], starting["uuid"],
        "the unacknowledged update comes again"
    );
    again.ack(&resent).await;
    again.await_state("0", "TASK_RUNNING").await;
    assert_eq!(sim.tasks()[0].state, "TASK_RUNNING");

    // After TEARDOWN the id is gone for good: SUBSCRIBE gets an ERROR event.
    assert_eq!(again.call(json!({"type": "TEARDOWN"})).await.0, 202);
    let mut info = framework_info();
    info["id"] = json!({"value": fid});
    let call = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": info}});
    let resp = reqwest::Client::new()
        .post(format!("http://{}/api/v1/scheduler", sim.addr()))
        .header("Content-Type", "application/json")
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes().await.unwrap().to_vec();
    let events = mesos_common::parse_records(&mut body);
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["error"]["message"], "Framework has been removed");
    sim.shutdown().await;
}

#[tokio::test]
async fn follower_redirects_to_the_leader() {
    let sim = MesosSimulator::builder()
        .follower_redirect(true)
        .start()
        .await
        .unwrap();
    let follower = sim.follower_addr().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http
        .post(format!("http://{follower}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 307);
    assert_eq!(
        resp.headers()["location"],
        format!("//127.0.0.1:{}/api/v1/scheduler", sim.addr().port()).as_str()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn failover_timeout_expiry_kills_the_tasks_and_forgets_the_framework() {
    let sim = simulator(1).await;
    let mut info = framework_info();
    info["failover_timeout"] = json!(0.3);
    let mut sched = Scheduler::subscribe(sim.addr(), info).await;
    let offer = sched.offer().await;
    sched
        .launch(&offer, "0", json!({"value": "sleep 30"}), json!({}))
        .await;
    sched.await_state("0", "TASK_RUNNING").await;
    let pid = sim.tasks()[0].pid.unwrap();
    drop(sched);
    mesos_common::wait_until("the framework to be removed", || sim.frameworks().is_empty()).await;
    mesos_common::wait_until("its task to be killed", || !mesos_common::process_alive(pid)).await;
    mesos_common::wait_until("TASK_KILLED", || sim.tasks()[0].state == "TASK_KILLED").await;
    sim.shutdown().await;
}

#[tokio::test]
async fn basic_authentication_is_required_when_configured() {
    let sim = MesosSimulator::builder()
        .credential("alluxio", "s3cret")
        .start()
        .await
        .unwrap();
    let url = format!("http://{}/api/v1/scheduler", sim.addr());
    let mut info = framework_info();
    info["principal"] = json!("alluxio");
    let call = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": info}});
    let http = reqwest::Client::new();
    let send = |auth: Option<(&str, &str)>, body: String| {
        let mut req = http
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some((user, pass)) = auth {
            req = req.basic_auth(user, Some(pass));
        }
        req.send()
    };
    let anonymous = send(None, call.to_string()).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"mesos\"");
    assert_eq!(
        send(Some(("alluxio", "wrong")), call.to_string())
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let mut other = call.clone();
    other["subscribe"]["framework_info"]["principal"] = json!("someone");
    let mismatch = send(Some(("alluxio", "s3cret")), other.to_string())
        .await
        .unwrap();
    assert_eq!(mismatch.status().as_u16(), 400);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("does not match principal 'someone'")
    );
    let ok = send(Some(("alluxio", "s3cret")), call.to_string()).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.headers().contains_key("mesos-stream-id"));
    sim.shutdown().await;
}
