//! https:// masters: the client and the framework against the testkit simulator serving TLS
//! with a CA made at test time; untrusted, wrong-host and non-TLS masters fail fast with one
//! line naming the master and the cause.

use std::path::Path;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_mesos::MesosError;
use alluxio_mesos::http::{CA_CERT_FILE_KEY, SchedulerClient, parse_masters};
use alluxio_mesos::wire::{Call, EventType, FrameworkInfo, scalar_total};
use alluxio_testkit::mesos::{MesosSimulator, TestCertificates};
use tokio::sync::oneshot;

/// Longer than any handshake here takes, far shorter than a hang.
const DEADLINE: Duration = Duration::from_secs(20);

fn info() -> FrameworkInfo {
    FrameworkInfo {
        user: "alluxio".into(),
        name: "alluxio".into(),
        roles: vec!["*".into()],
        ..Default::default()
    }
}

async fn tls_simulator(certs: &TestCertificates) -> MesosSimulator {
    MesosSimulator::builder()
        .default_agents(1)
        .allocation_interval(Duration::from_millis(100))
        .follower_redirect(true)
        .tls(&certs.cert, &certs.key)
        .start()
        .await
        .unwrap()
}

/// The error of a SUBSCRIBE to `address` by a client trusting `ca` (besides the system store).
async fn subscribe_error(address: &str, ca: Option<&Path>) -> MesosError {
    let client = SchedulerClient::new(parse_masters(address).unwrap(), None, ca).unwrap();
    let subscribed = tokio::time::timeout(DEADLINE, client.subscribe(&Call::subscribe(info())))
        .await
        .expect("a failing TLS handshake must not hang");
    match subscribed {
        Err(MesosError::NoMaster { last, .. }) => *last,
        Err(other) => panic!("expected NoMaster, got {other}"),
        Ok(subscription) => panic!("{address} was subscribed to: {subscription:?}"),
    }
}

#[tokio::test]
async fn client_follows_an_https_follower_to_the_leader_and_receives_offers() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["127.0.0.1", "localhost"]).unwrap();
    let sim = tls_simulator(&certs).await;
    let follower = sim.follower_addr().unwrap();
    // The follower answers 307 with `//127.0.0.1:port/...`: the leader is https too.
    let masters = parse_masters(&format!("https://{follower}")).unwrap();
    let client = SchedulerClient::new(masters, None, Some(&certs.ca)).unwrap();

    let mut subscription = tokio::time::timeout(DEADLINE, client.subscribe(&Call::subscribe(info())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        subscription.url(),
        format!("https://{}/api/v1/scheduler", sim.addr())
    );
    assert_eq!(sim.url(), format!("https://{}", sim.addr()));
    let subscribed = subscription.next_event().await.unwrap().unwrap();
    assert_eq!(subscribed.kind, EventType::Subscribed);
    let framework_id = subscribed.subscribed.unwrap().framework_id;
    let offers = loop {
        let event = tokio::time::timeout(DEADLINE, subscription.next_event())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Some(offers) = event.offers {
            break offers.offers;
        }
    };
    assert_eq!(offers[0].hostname, "127.0.0.2");
    assert_eq!(scalar_total(&offers[0].resources, "cpus"), 4.0);
    // Calls travel over TLS as well.
    subscription
        .caller()
        .send(&Call::decline(
            framework_id.clone(),
            vec![offers[0].id.clone()],
            1.0,
        ))
        .await
        .unwrap();
    let frameworks = sim.frameworks();
    assert_eq!(frameworks.len(), 1);
    assert_eq!(frameworks[0].id, framework_id.value);
    assert!(frameworks[0].connected);
    sim.shutdown().await;
}

#[tokio::test]
async fn framework_trusting_the_ca_by_property_launches_on_an_https_master_and_tears_down() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["127.0.0.1"]).unwrap();
    let sim = tls_simulator(&certs).await;
    let mut conf = Configuration::defaults();
    conf.set(
        keys::INTEGRATION_MESOS_FRAMEWORK_STATE_FILE,
        dir.path().join("fw.json").display().to_string(),
    );
    conf.set(keys::INTEGRATION_MESOS_ALLUXIO_JAR_URL, "LOCAL");
    conf.set(keys::HOME, dir.path().display().to_string());
    conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
    conf.set(keys::INTEGRATION_MESOS_USER, "alluxio");
    conf.set(CA_CERT_FILE_KEY, certs.ca.display().to_string());
    let (stop, stopped) = oneshot::channel::<()>();
    let masters = sim.url();
    let framework = tokio::spawn(async move {
        alluxio_mesos::run(conf, &masters, None, async move {
            let _ = stopped.await;
        })
        .await
    });

    // A launched task means the framework got an offer over TLS and its ACCEPT came back.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !sim.tasks().iter().any(|t| t.name == "AlluxioMaster") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no master task launched: frameworks {:?}",
            sim.frameworks()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sim.tasks()[0].hostname, "127.0.0.2");
    stop.send(()).unwrap();
    tokio::time::timeout(DEADLINE, framework)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        sim.frameworks().is_empty(),
        "TEARDOWN over TLS removes the framework: {:?}",
        sim.frameworks()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_fails_with_the_master_and_the_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["127.0.0.1"]).unwrap();
    let sim = tls_simulator(&certs).await;
    let err = subscribe_error(&sim.url(), None).await;
    let text = err.to_string();
    assert!(matches!(err, MesosError::Tls { .. }), "{text}");
    assert!(text.contains(&format!("https://{}", sim.addr())), "{text}");
    assert!(text.contains("certificate is not trusted"), "{text}");
    assert!(text.contains(CA_CERT_FILE_KEY), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");

    // Another CA's file does not make it trusted either.
    let other = tempfile::tempdir().unwrap();
    let other = TestCertificates::generate(other.path(), &["127.0.0.1"]).unwrap();
    let err = subscribe_error(&sim.url(), Some(&other.ca)).await;
    assert!(err.to_string().contains("certificate is not trusted"), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_certificate_for_another_host_and_a_plain_master_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["localhost"]).unwrap();
    let sim = tls_simulator(&certs).await;
    let err = subscribe_error(&sim.url(), Some(&certs.ca)).await;
    let text = err.to_string();
    assert!(matches!(err, MesosError::Tls { .. }), "{text}");
    assert!(text.contains("does not name the host"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");

    let plain = MesosSimulator::builder().start().await.unwrap();
    let err = subscribe_error(&format!("https://{}", plain.addr()), None).await;
    let text = err.to_string();
    assert!(
        text.contains("does not speak TLS") && text.contains("http://"),
        "{text}"
    );
    plain.shutdown().await;
    sim.shutdown().await;
}
