//! The scheduler HTTP client against a fake master on loopback.

mod common;

use alluxio_mesos::MesosError;
use alluxio_mesos::http::{Credentials, SchedulerClient, parse_masters};
use alluxio_mesos::wire::{Call, EventType, FrameworkInfo, Id, scalar_total};
use axum::http::StatusCode;
use common::{FakeMaster, STREAM_ID, dead_port, redirector};
use serde_json::json;

fn info() -> FrameworkInfo {
    FrameworkInfo {
        user: "alluxio".into(),
        name: "alluxio".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn subscribe_skips_dead_masters_follows_307_and_streams_split_events() {
    let mut leader = FakeMaster::start().await;
    let (redirect_addr, _stop) = redirector(format!("//{}/master/api/v1/scheduler", leader.addr)).await;
    let masters = parse_masters(&format!("127.0.0.1:{},http://{redirect_addr}", dead_port())).unwrap();
    let credentials = Credentials {
        principal: "alluxio".into(),
        secret: "s3cret".into(),
    };
    let client = SchedulerClient::new(masters, Some(credentials), None).unwrap();

    let mut subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    let subscribe = leader.expect_call("SUBSCRIBE").await;
    assert_eq!(subscribe.call["subscribe"]["framework_info"]["name"], "alluxio");
    assert_eq!(subscribe.headers["accept"], "application/json");
    assert_eq!(subscribe.headers["content-type"], "application/json");
    assert!(subscribe.headers.get("mesos-stream-id").is_none());
    // base64("alluxio:s3cret")
    assert_eq!(subscribe.headers["authorization"], "Basic YWxsdXhpbzpzM2NyZXQ=");
    assert_eq!(
        subscription.url(),
        format!("http://{}/api/v1/scheduler", leader.addr)
    );

    leader.send_event(
        &json!({"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}, "heartbeat_interval_seconds": 15}}),
        7,
    );
    leader.send_event(
        &json!({"type": "OFFERS", "offers": {"offers": [{
            "id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "127.0.0.2",
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}]}]}}),
        3,
    );
    leader.send_event(&json!({"type": "HEARTBEAT"}), 1);
    let subscribed = subscription.next_event().await.unwrap().unwrap();
    assert_eq!(subscribed.subscribed.unwrap().framework_id, Id::new("F1"));
    let offers = subscription.next_event().await.unwrap().unwrap();
    assert_eq!(
        scalar_total(&offers.offers.unwrap().offers[0].resources, "cpus"),
        2.0
    );
    assert_eq!(
        subscription.next_event().await.unwrap().unwrap().kind,
        EventType::Heartbeat
    );

    let caller = subscription.caller();
    assert_eq!(caller.stream_id(), STREAM_ID);
    caller
        .send(&Call::decline(Id::new("F1"), vec![Id::new("O1")], 5.0))
        .await
        .unwrap();
    let decline = leader.expect_call("DECLINE").await;
    assert_eq!(decline.headers["mesos-stream-id"], STREAM_ID);
    assert_eq!(decline.headers["authorization"], "Basic YWxsdXhpbzpzM2NyZXQ=");
    assert_eq!(decline.call["decline"]["offer_ids"][0]["value"], "O1");

    leader.close_stream();
    assert!(subscription.next_event().await.unwrap().is_none());
}

#[tokio::test]
async fn rejected_calls_report_status_and_body() {
    let leader = FakeMaster::start().await;
    let client = SchedulerClient::new(parse_masters(&leader.addr.to_string()).unwrap(), None, None).unwrap();
    let subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    leader.reject_next(StatusCode::FORBIDDEN, "Framework is not subscribed\n");
    let err = subscription
        .caller()
        .send(&Call::revive(Id::new("F1")))
        .await
        .unwrap_err();
    match err {
        MesosError::Rejected {
            status, body, call, ..
        } => {
            assert_eq!(
                (status, body.as_str(), call.as_str()),
                (403, "Framework is not subscribed", "REVIVE")
            );
        }
        other => panic!("expected a 403 rejection, got {other}"),
    }
}

#[tokio::test]
async fn subscribe_failures_name_every_master_and_the_last_error() {
    let leader = FakeMaster::start().await;
    leader.reject_next(StatusCode::BAD_REQUEST, "Expecting 'subscribe' to be present");
    let client = SchedulerClient::new(parse_masters(&leader.addr.to_string()).unwrap(), None, None).unwrap();
    let err = client.subscribe(&Call::subscribe(info())).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MesosError::NoMaster { .. }), "{text}");
    assert!(
        text.contains(&leader.addr.to_string()) && text.contains("400"),
        "{text}"
    );
    assert!(text.contains("Expecting 'subscribe' to be present"), "{text}");
}

#[tokio::test]
async fn torn_and_hostile_event_streams_are_errors_not_clean_ends() {
    let leader = FakeMaster::start().await;
    let client = SchedulerClient::new(parse_masters(&leader.addr.to_string()).unwrap(), None, None).unwrap();

    let mut subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    leader.send_event(&json!({"type": "HEARTBEAT"}), 100);
    leader.send_raw(b"20\n{\"type\":\"HEA");
    leader.close_stream();
    assert_eq!(
        subscription.next_event().await.unwrap().unwrap().kind,
        EventType::Heartbeat
    );
    let err = subscription.next_event().await.unwrap_err();
    assert!(matches!(err, MesosError::RecordIo { .. }), "{err}");
    assert!(err.to_string().contains("ended inside a record"), "{err}");

    let mut subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    leader.send_raw(b"HTTP/1.1 200 OK\n");
    let err = subscription.next_event().await.unwrap_err();
    assert!(err.to_string().contains("not a decimal number"), "{err}");

    let mut subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    leader.send_raw(b"9\n{\"type\":1}");
    let err = subscription.next_event().await.unwrap_err();
    assert!(matches!(err, MesosError::BadEvent { .. }), "{err}");
}

#[tokio::test]
async fn a_zk_address_subscribes_to_the_master_zookeeper_names_and_follows_a_new_one() {
    use alluxio_mesos::http::parse_mesos_masters;
    use alluxio_testkit::mesos::MesosSimulator;
    use alluxio_testkit::zookeeper::ZooKeeper;

    let zookeeper = ZooKeeper::start().await;
    let first = MesosSimulator::builder().start().await.unwrap();
    let second = MesosSimulator::builder().start().await.unwrap();
    // As Mesos masters do: each holds a json.info_ node; the lowest sequence leads.
    let first_registration = first.register_in_zookeeper(&zookeeper.address(), "/mesos").await;
    let _second_registration = second.register_in_zookeeper(&zookeeper.address(), "/mesos").await;
    let address = format!("zk://{}/mesos", zookeeper.address());
    let client = SchedulerClient::new(parse_mesos_masters(&address).unwrap(), None, None).unwrap();
    assert_eq!(client.masters_text(), address);

    let subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    assert_eq!(
        subscription.url(),
        format!("http://{}/api/v1/scheduler", first.addr())
    );
    assert_eq!((first.frameworks().len(), second.frameworks().len()), (1, 0));

    // The leader goes (its session closes, its node with it): the next subscription finds the
    // new one.
    drop(subscription);
    drop(first_registration);
    first.shutdown().await;
    let subscription = client.subscribe(&Call::subscribe(info())).await.unwrap();
    assert_eq!(
        subscription.url(),
        format!("http://{}/api/v1/scheduler", second.addr())
    );
    assert_eq!(second.frameworks().len(), 1);
    second.shutdown().await;

    // Nobody registered: the error names the address.
    let empty = SchedulerClient::new(
        parse_mesos_masters(&format!("zk://{}/nobody", zookeeper.address())).unwrap(),
        None,
        None,
    )
    .unwrap();
    let err = empty.subscribe(&Call::subscribe(info())).await.unwrap_err();
    assert!(err.to_string().contains("/nobody"), "{err}");
}
