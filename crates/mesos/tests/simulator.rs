//! The framework against the testkit Mesos simulator: real processes in sandboxes, real health
//! checks. The tasks run stand-in scripts (a static HTTP server answering `/health` on the
//! agent's address) so this test checks the framework and its health check, not the Alluxio
//! servers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_testkit::mesos::{MesosSimulator, TaskSnapshot};
use tokio::sync::oneshot;

/// Writes `<home>/integration/mesos/bin/<script>`: copies the propagated site properties where
/// the real script does, then serves `/health` on `port` at the agent's address.
fn stand_in_script(home: &Path, script: &str, port: u16) {
    let dir = home.join("integration/mesos/bin");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(script);
    let body = format!(
        "#!/bin/sh\nset -e\n\
         printf '%s\\n' \"$ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT\" > \"$MESOS_SANDBOX/conf/alluxio-site.properties\"\n\
         mkdir -p www && echo OK > www/health\n\
         exec python3 -m http.server {port} --bind \"$LIBPROCESS_IP\" --directory www\n"
    );
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Framework {
    stop: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), alluxio_mesos::MesosError>>,
}

fn start(conf: Configuration, sim: &MesosSimulator) -> Framework {
    let (stop, stopped) = oneshot::channel::<()>();
    let masters = sim.addr().to_string();
    let handle = tokio::spawn(async move {
        alluxio_mesos::run(conf, &masters, None, async move {
            let _ = stopped.await;
        })
        .await
    });
    Framework { stop, handle }
}

async fn wait_for(what: &str, sim: &MesosSimulator, done: impl Fn(&[TaskSnapshot]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let tasks = sim.tasks();
        if done(&tasks) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {tasks:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the simulator's record of the framework links the Mesos UI to `url`.
async fn wait_for_webui_url(sim: &MesosSimulator, url: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let frameworks = sim.frameworks();
        if frameworks.iter().any(|f| f.webui_url.as_deref() == Some(url)) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for webui_url {url}: {frameworks:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn healthy<'a>(tasks: &'a [TaskSnapshot], name: &str) -> Vec<&'a TaskSnapshot> {
    tasks
        .iter()
        .filter(|t| t.name == name && t.state == "TASK_RUNNING" && t.healthy == Some(true))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_then_worker_per_agent_survives_framework_restart_and_worker_crash_then_tears_down() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: python3 (the stand-in task server) is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    stand_in_script(home.path(), "alluxio-master-mesos.sh", 19999);
    stand_in_script(home.path(), "alluxio-worker-mesos.sh", 30000);
    // The real health check, which must reach the stand-ins on their agents' addresses.
    let check = "integration/mesos/bin/alluxio-mesos-health-check.sh";
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(check),
        home.path().join(check),
    )
    .unwrap();
    let state_dir = tempfile::tempdir().unwrap();
    let sim = MesosSimulator::builder()
        .default_agents(2)
        .allocation_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();

    let mut conf = Configuration::defaults();
    conf.set(
        keys::INTEGRATION_MESOS_FRAMEWORK_STATE_FILE,
        state_dir.path().join("fw.json").display().to_string(),
    );
    conf.set(keys::INTEGRATION_MESOS_ALLUXIO_JAR_URL, "LOCAL");
    conf.set(keys::HOME, home.path().display().to_string());
    conf.set(keys::WORKER_MEMORY_SIZE, "1GB");
    conf.set(keys::INTEGRATION_MESOS_REFUSE_SECONDS, "1");
    let framework = start(conf.clone(), &sim);
    // As soon as the master runs, healthy or not, the Mesos UI links to its web UI.
    wait_for("a running master", &sim, |t| {
        t.iter()
            .any(|t| t.name == "AlluxioMaster" && t.state == "TASK_RUNNING")
    })
    .await;
    let master_host = sim.tasks()[0].hostname.clone();
    let webui_url = format!("http://{master_host}:19999/");
    wait_for_webui_url(&sim, &webui_url).await;
    wait_for("a healthy master and two healthy workers", &sim, |t| {
        healthy(t, "AlluxioMaster").len() == 1 && healthy(t, "AlluxioWorker").len() == 2
    })
    .await;
    let tasks = sim.tasks();
    let master = healthy(&tasks, "AlluxioMaster")[0].clone();
    assert_eq!(master.task_id, "0", "the master is launched first");
    let site = std::fs::read_to_string(master.sandbox.join("conf/alluxio-site.properties")).unwrap();
    assert!(
        site.contains(&format!("alluxio.master.hostname={}", master.hostname)),
        "{site}"
    );
    let mut workers: Vec<_> = healthy(&tasks, "AlluxioWorker")
        .iter()
        .map(|t| t.hostname.clone())
        .collect();
    workers.sort();
    assert_eq!(workers, ["127.0.0.2", "127.0.0.3"]);

    // The framework dies without tearing down, and a worker crashes while it is away.
    framework.handle.abort();
    assert!(framework.handle.await.unwrap_err().is_cancelled());
    let victim = healthy(&tasks, "AlluxioWorker")[0].clone();
    assert!(sim.kill_task_process(&victim.task_id));

    // Restarted, it re-attaches to the same framework, relaunches only the lost worker, with a
    // fresh task id.
    let framework = start(conf, &sim);
    wait_for("the crashed worker's replacement", &sim, |t| {
        let replaced = healthy(t, "AlluxioWorker")
            .iter()
            .any(|w| w.hostname == victim.hostname && w.task_id == "3");
        replaced && healthy(t, "AlluxioWorker").len() == 2
    })
    .await;
    let tasks = sim.tasks();
    let ids: Vec<&str> = tasks.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(
        ids.len(),
        4,
        "no task but the replacement was launched: {tasks:#?}"
    );
    assert_eq!(healthy(&tasks, "AlluxioMaster")[0].task_id, "0");
    assert_eq!(sim.frameworks().len(), 1);
    assert_eq!(
        sim.frameworks()[0].webui_url.as_deref(),
        Some(webui_url.as_str()),
        "the re-attaching SUBSCRIBE carries the link"
    );

    framework.stop.send(()).unwrap();
    framework.handle.await.unwrap().unwrap();
    wait_for("every task killed", &sim, |t| {
        t.iter().all(|t| t.pid.is_none() && t.state != "TASK_RUNNING")
    })
    .await;
    assert!(sim.frameworks().is_empty(), "{:?}", sim.frameworks());
    sim.shutdown().await;
}
