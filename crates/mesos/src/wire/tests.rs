//! JSON samples shaped like apache/mesos `docs/scheduler-http-api.md`.

use serde_json::json;

use super::*;

fn event(value: serde_json::Value) -> Event {
    serde_json::from_value(value).unwrap()
}

#[test]
fn subscribed_event_parses_with_unknown_fields_ignored() {
    let e = event(json!({
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": "12220-3440-12532-2345"},
            "heartbeat_interval_seconds": 15,
            "master_info": {"id": "m1", "ip": 16777343, "port": 5050, "hostname": "localhost",
                            "version": "1.11.0", "address": {"ip": "127.0.0.1", "port": 5050}}
        },
        "some_future_field": [1, 2, 3]
    }));
    assert_eq!(e.kind, EventType::Subscribed);
    let s = e.subscribed.unwrap();
    assert_eq!(s.framework_id, Id::new("12220-3440-12532-2345"));
    assert_eq!(s.heartbeat_interval_seconds, Some(15.0));
    assert_eq!(s.master_info.unwrap().version.as_deref(), Some("1.11.0"));
}

#[test]
fn offers_event_exposes_scalars_ranges_and_allocation() {
    let e = event(json!({
        "type": "OFFERS",
        "offers": {"offers": [{
            "id": {"value": "O1"},
            "framework_id": {"value": "F1"},
            "agent_id": {"value": "S1"},
            "hostname": "agent.host",
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "role": "*",
                 "allocation_info": {"role": "alluxio"}},
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "*"},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 4096}},
                {"name": "ports", "type": "RANGES",
                 "ranges": {"range": [{"begin": 19998, "end": 19999}, {"begin": 31000, "end": 32000}]}},
                {"name": "zones", "type": "SET", "set": {"item": ["a"]}}
            ],
            "attributes": [{"name": "os", "type": "TEXT", "text": {"value": "ubuntu"}}],
            "executor_ids": [{"value": "E1"}]
        }]}
    }));
    let offer = &e.offers.unwrap().offers[0];
    assert_eq!(offer.hostname, "agent.host");
    assert_eq!(scalar_total(&offer.resources, "cpus"), 2.5);
    assert_eq!(scalar_total(&offer.resources, "mem"), 4096.0);
    assert_eq!(
        ranges_of(&offer.resources, "ports"),
        vec![(19998, 19999), (31000, 32000)]
    );
    assert_eq!(
        offer.resources[0].allocation_info,
        Some(AllocationInfo {
            role: Some("alluxio".to_string())
        })
    );
    assert_eq!(offer.resources[4].kind, ValueType::Set);
}

/// An offer to role `alluxio` as Mesos 1.11 sends it to a framework without the
/// RESERVATION_REFINEMENT capability: static reservations as `role`, dynamic ones with
/// `reservation` too, unreserved resources as role `*`.
fn reserved_offer() -> Vec<Resource> {
    serde_json::from_value(json!([
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}, "role": "*",
         "allocation_info": {"role": "alluxio"}},
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "alluxio",
         "allocation_info": {"role": "alluxio"}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024}, "role": "alluxio",
         "reservation": {"principal": "ops", "labels": {"labels": [{"key": "k", "value": "v"}]}},
         "allocation_info": {"role": "alluxio"}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 8192}, "role": "*",
         "allocation_info": {"role": "alluxio"}},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]},
         "role": "*", "allocation_info": {"role": "alluxio"}},
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 19998, "end": 19999}]},
         "role": "alluxio", "allocation_info": {"role": "alluxio"}, "some_future_field": true}
    ]))
    .unwrap()
}

#[test]
fn carved_resources_keep_every_field_of_the_offered_ones_reserved_first() {
    let offered = reserved_offer();
    let cpus = serde_json::to_value(take_scalar(&offered, "cpus", 1.0).unwrap()).unwrap();
    assert_eq!(
        cpus,
        json!([
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "alluxio",
             "allocation_info": {"role": "alluxio"}},
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "*",
             "allocation_info": {"role": "alluxio"}}
        ])
    );
    let mem = serde_json::to_value(take_scalar(&offered, "mem", 512.0).unwrap()).unwrap();
    assert_eq!(
        mem,
        json!([{"name": "mem", "type": "SCALAR", "scalar": {"value": 512.0}, "role": "alluxio",
                "reservation": {"principal": "ops", "labels": {"labels": [{"key": "k", "value": "v"}]}},
                "allocation_info": {"role": "alluxio"}}])
    );
    let ports =
        serde_json::to_value(take_ranges(&offered, "ports", &[19999, 31005, 19998]).unwrap()).unwrap();
    assert_eq!(
        ports,
        json!([
            {"name": "ports", "type": "RANGES",
             "ranges": {"range": [{"begin": 19999, "end": 19999}, {"begin": 19998, "end": 19998}]},
             "role": "alluxio", "allocation_info": {"role": "alluxio"}, "some_future_field": true},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31005, "end": 31005}]},
             "role": "*", "allocation_info": {"role": "alluxio"}}
        ])
    );
    assert!(
        take_scalar(&offered, "cpus", 4.6).is_none(),
        "only 4.5 cpus are offered"
    );
    assert!(take_ranges(&offered, "ports", &[30000]).is_none());
}

#[test]
fn post_refinement_reservations_count_as_reserved() {
    let refined: Resource = serde_json::from_value(json!({
        "name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
        "reservations": [{"type": "STATIC", "role": "alluxio"}]
    }))
    .unwrap();
    assert!(refined.is_reserved());
    assert!(!Resource::scalar("cpus", 1.0).is_reserved());
}

#[test]
fn update_event_decodes_base64_uuid_and_health() {
    let e = event(json!({
        "type": "UPDATE",
        "update": {"status": {
            "task_id": {"value": "0"},
            "state": "TASK_RUNNING",
            "source": "SOURCE_EXECUTOR",
            "agent_id": {"value": "S1"},
            "timestamp": 1.5e9,
            "uuid": "AAECAw==",
            "healthy": true,
            "container_status": {"network_infos": []}
        }}
    }));
    let status = e.update.unwrap().status;
    assert_eq!(status.state, "TASK_RUNNING");
    assert_eq!(status.uuid, Some(Bytes64(vec![0, 1, 2, 3])));
    assert_eq!(status.healthy, Some(true));
    assert_eq!(status.agent_id, Some(Id::new("S1")));
}

#[test]
fn bad_base64_uuid_is_an_error_naming_the_text() {
    let err = serde_json::from_value::<TaskStatus>(json!({
        "task_id": {"value": "0"}, "state": "TASK_LOST", "uuid": "not base64!"
    }))
    .unwrap_err();
    assert!(err.to_string().contains("not base64!"), "{err}");
}

#[test]
fn unknown_event_types_are_tolerated() {
    let e = event(json!({"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {}}));
    assert_eq!(e.kind, EventType::Unknown);
    assert!(e.update.is_none());
}

#[test]
fn failure_error_rescind_and_heartbeat_parse() {
    let f = event(json!({"type": "FAILURE", "failure": {"agent_id": {"value": "S2"}}}));
    assert_eq!(
        f.failure.unwrap(),
        Failure {
            agent_id: Some(Id::new("S2")),
            executor_id: None,
            status: None
        }
    );
    let e = event(json!({"type": "ERROR", "error": {"message": "Framework has been removed"}}));
    assert_eq!(e.error.unwrap().message, "Framework has been removed");
    let r = event(json!({"type": "RESCIND", "rescind": {"offer_id": {"value": "O9"}}}));
    assert_eq!(r.rescind.unwrap().offer_id, Id::new("O9"));
    assert_eq!(event(json!({"type": "HEARTBEAT"})).kind, EventType::Heartbeat);
}

#[test]
fn subscribe_call_serialises_framework_info() {
    let info = FrameworkInfo {
        user: "alluxio".into(),
        name: "alluxio".into(),
        id: Some(Id::new("F1")),
        failover_timeout: Some(604800.0),
        checkpoint: Some(true),
        roles: vec!["alluxio".into()],
        capabilities: vec![Capability {
            kind: "MULTI_ROLE".into(),
        }],
        principal: Some("alluxio".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(Call::subscribe(info)).unwrap(),
        json!({
            "framework_id": {"value": "F1"},
            "type": "SUBSCRIBE",
            "subscribe": {"framework_info": {
                "user": "alluxio", "name": "alluxio", "id": {"value": "F1"},
                "failover_timeout": 604800.0, "checkpoint": true, "roles": ["alluxio"],
                "principal": "alluxio", "capabilities": [{"type": "MULTI_ROLE"}]
            }}
        })
    );
}

#[test]
fn calls_serialise_as_the_v1_api_expects() {
    let f = || Id::new("F1");
    assert_eq!(
        serde_json::to_value(Call::decline(f(), vec![Id::new("O1"), Id::new("O2")], 5.0)).unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "DECLINE",
               "decline": {"offer_ids": [{"value": "O1"}, {"value": "O2"}],
                           "filters": {"refuse_seconds": 5.0}}})
    );
    assert_eq!(
        serde_json::to_value(Call::acknowledge(
            f(),
            Id::new("S1"),
            Id::new("0"),
            Bytes64(vec![0, 1, 2, 3])
        ))
        .unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "ACKNOWLEDGE",
               "acknowledge": {"agent_id": {"value": "S1"}, "task_id": {"value": "0"}, "uuid": "AAECAw=="}})
    );
    assert_eq!(
        serde_json::to_value(Call::reconcile(f(), vec![])).unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "RECONCILE", "reconcile": {"tasks": []}})
    );
    assert_eq!(
        serde_json::to_value(Call::kill(f(), Id::new("3"), Some(Id::new("S1")))).unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "KILL",
               "kill": {"task_id": {"value": "3"}, "agent_id": {"value": "S1"}}})
    );
    assert_eq!(
        serde_json::to_value(Call::suppress(f())).unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "SUPPRESS", "suppress": {}})
    );
    assert_eq!(
        serde_json::to_value(Call::teardown(f())).unwrap(),
        json!({"framework_id": {"value": "F1"}, "type": "TEARDOWN"})
    );
    let accept = serde_json::to_value(Call::launch(f(), Id::new("O1"), vec![], 5.0)).unwrap();
    assert_eq!(
        accept,
        json!({"framework_id": {"value": "F1"}, "type": "ACCEPT",
               "accept": {"offer_ids": [{"value": "O1"}],
                          "operations": [{"type": "LAUNCH", "launch": {"task_infos": []}}],
                          "filters": {"refuse_seconds": 5.0}}})
    );
}

#[test]
fn update_framework_call_carries_the_framework_id_in_both_places_and_the_suppressed_roles() {
    let info = FrameworkInfo {
        user: "alluxio".into(),
        name: "alluxio".into(),
        checkpoint: Some(true),
        roles: vec!["alluxio".into()],
        webui_url: Some("http://10.0.0.5:19999/".into()),
        ..Default::default()
    };
    let call = Call::update_framework(Id::new("F1"), info.clone(), vec!["alluxio".into()]);
    assert_eq!(
        serde_json::to_value(&call).unwrap(),
        json!({
            "framework_id": {"value": "F1"},
            "type": "UPDATE_FRAMEWORK",
            "update_framework": {
                "framework_info": {
                    "user": "alluxio", "name": "alluxio", "id": {"value": "F1"}, "checkpoint": true,
                    "roles": ["alluxio"], "webui_url": "http://10.0.0.5:19999/"
                },
                "suppressed_roles": ["alluxio"]
            }
        })
    );
    // Nothing suppressed: the list is left out, which the master reads as empty.
    let unsuppressed = serde_json::to_value(Call::update_framework(Id::new("F1"), info, vec![])).unwrap();
    assert!(
        unsuppressed["update_framework"].get("suppressed_roles").is_none(),
        "{unsuppressed}"
    );
    assert_eq!(
        serde_json::from_value::<Call>(serde_json::to_value(&call).unwrap()).unwrap(),
        call
    );
}
