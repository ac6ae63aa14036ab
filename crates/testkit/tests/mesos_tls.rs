//! The simulator serving https, as a master with `LIBPROCESS_SSL_ENABLED=1`: same API on the
//! same port over TLS with a test CA's certificate, a follower whose redirect keeps the
//! scheme, and unusable certificate files refused at start with the file named.

use std::process::Command;
use std::time::Duration;

use alluxio_testkit::mesos::{MesosSimulator, SimulatorError, TestCertificates};

fn client_trusting(ca: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_the_api_over_tls_and_the_follower_redirects_scheme_relative() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["127.0.0.1", "localhost"]).unwrap();
    let sim = MesosSimulator::builder()
        .default_agents(1)
        .follower_redirect(true)
        .tls(&certs.cert, &certs.key)
        .start()
        .await
        .unwrap();
    assert_eq!(sim.url(), format!("https://{}", sim.addr()));
    let https = client_trusting(&certs.ca);

    let version = https.get(format!("{}/version", sim.url())).send().await.unwrap();
    assert_eq!(version.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_str(&version.text().await.unwrap()).unwrap();
    assert_eq!(body["version"], "1.11.0");
    // The scheduler endpoint answers over TLS with Mesos' own checks.
    let get = https
        .get(format!("{}/api/v1/scheduler", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);

    let follower = sim.follower_addr().unwrap();
    let redirect = https
        .post(format!("https://{follower}/api/v1/scheduler"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 307);
    assert_eq!(
        redirect.headers()["location"],
        format!("//127.0.0.1:{}/api/v1/scheduler", sim.addr().port()).as_str()
    );

    // Plain HTTP to the TLS port gets no HTTP answer; an untrusting client is refused.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/version", sim.addr()))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/version", sim.url()))
            .send()
            .await
            .is_err()
    );
    // ... and neither stops the listener from serving the next client.
    let again = https.get(format!("{}/version", sim.url())).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn unusable_certificate_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let certs = TestCertificates::generate(dir.path(), &["127.0.0.1"]).unwrap();
    let other = tempfile::tempdir().unwrap();
    let other = TestCertificates::generate(other.path(), &["127.0.0.1"]).unwrap();
    let missing = dir.path().join("missing.pem");
    for (cert, key, named) in [
        (&missing, &certs.key, &missing),
        (&certs.cert, &missing, &missing),
        // A key in place of the certificate: no certificate in it.
        (&certs.key, &certs.key, &certs.key),
        // The key of another certificate.
        (&certs.cert, &other.key, &other.key),
    ] {
        match MesosSimulator::builder().tls(cert, key).start().await {
            Err(SimulatorError::Tls { path, .. }) => assert_eq!(&path, named),
            Err(other) => panic!("{}: {other}", named.display()),
            Ok(_) => panic!("started with cert {} key {}", cert.display(), key.display()),
        }
    }
}

#[test]
fn the_binary_wants_cert_and_key_together() {
    let out = Command::new(env!("CARGO_BIN_EXE_mesos-simulator"))
        .args(["--work-dir", "/nonexistent", "--tls-cert", "cert.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let help = Command::new(env!("CARGO_BIN_EXE_mesos-simulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--tls-cert", "--tls-key", "--tls-dir", "ssl.ca.cert.file"] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}
