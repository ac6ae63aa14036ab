//! The binary without a cluster: usage and exit codes, version, configuration precedence and
//! validation, a taken port, and the `bin/alluxio` wrapper.

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::{alluxio_command, assert_quiet_into_closed_pipe, free_port, stderr, stdout};

#[test]
fn no_arguments_prints_usage_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("Usage: alluxio"), "{text}");
    assert!(text.contains("getConf") && text.contains("runTests"), "{text}");
}

#[test]
fn unknown_command_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path()).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("frobnicate"));
}

#[test]
fn version_prints_the_build_version() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path()).arg("version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("Alluxio version: {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_with_the_sigpipe_status() {
    let home = tempfile::tempdir().unwrap();
    for args in [&["version"][..], &["getConf"]] {
        let mut command = alluxio_command(home.path());
        command.args(args);
        assert_quiet_into_closed_pipe(command);
    }
}

#[test]
fn get_conf_precedence_is_command_line_then_environment_then_site_file() {
    let home = tempfile::tempdir().unwrap();
    let conf_dir = home.path().join("conf");
    std::fs::create_dir(&conf_dir).unwrap();
    std::fs::write(
        conf_dir.join("alluxio-site.properties"),
        "alluxio.master.port=1111\nalluxio.worker.memory.size=2GB\n",
    )
    .unwrap();
    let get = |env_size: Option<&str>, args: &[&str]| {
        let mut cmd = alluxio_command(home.path());
        cmd.env("ALLUXIO_CONF_DIR", &conf_dir);
        if let Some(size) = env_size {
            cmd.env("ALLUXIO_WORKER_MEMORY_SIZE", size);
        }
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_string()
    };
    assert_eq!(get(None, &["getConf", "alluxio.master.port"]), "1111");
    assert_eq!(get(None, &["getConf", "alluxio.worker.memory.size"]), "2GB");
    assert_eq!(
        get(Some("3GB"), &["getConf", "alluxio.worker.memory.size"]),
        "3GB"
    );
    assert_eq!(
        get(
            Some("3GB"),
            &[
                "-Dalluxio.worker.memory.size=4GB",
                "getConf",
                "alluxio.worker.memory.size"
            ]
        ),
        "4GB"
    );
    // -D is also accepted right after the command.
    assert_eq!(
        get(
            Some("3GB"),
            &[
                "getConf",
                "-Dalluxio.worker.memory.size=5GB",
                "alluxio.worker.memory.size"
            ]
        ),
        "5GB"
    );
    assert_eq!(
        get(None, &["getConf", "--unit", "MB", "alluxio.worker.memory.size"]),
        "2048"
    );
    let with_source = get(None, &["getConf", "--source", "alluxio.master.port"]);
    assert!(with_source.starts_with("1111 (SITE_PROPERTY"), "{with_source}");
    let all = get(None, &["getConf"]);
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines.contains(&"alluxio.master.port=1111"), "{all}");
    assert!(lines.contains(&"alluxio.master.web.port=19999"), "{all}");
    // By key, not by line: `a.endpoint=` sorts after `a.endpoint.region=` as text.
    let keys: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once('=').map_or(*l, |(k, _)| k))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "getConf output is sorted by key");
    // Credentials never appear, alone or in the listing.
    let secret = [
        "-Daws.secretKey=hush-hush",
        "-Dalluxio.proxy.s3.secret.key=hush-hush",
        "-Daws.accessKeyId=hush-hush",
    ];
    assert_eq!(get(None, &[secret[0], "getConf", "aws.secretKey"]), "******");
    assert_eq!(get(None, &[secret[2], "getConf", "aws.accessKeyId"]), "******");
    let all = get(None, &[secret[0], secret[1], secret[2], "getConf", "--source"]);
    assert!(
        all.contains("alluxio.proxy.s3.secret.key=****** (SYSTEM_PROPERTY"),
        "{all}"
    );
    assert!(!all.contains("hush-hush"), "{all}");
}

#[test]
fn a_wrong_value_fails_with_one_line_naming_key_and_value() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path())
        .args([
            "-Dalluxio.worker.memory.size=lots",
            "getConf",
            "alluxio.master.port",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("Error: "), "{err}");
    assert!(
        err.contains("alluxio.worker.memory.size") && err.contains("'lots'"),
        "{err}"
    );
}

#[test]
fn unknown_key_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path())
        .args(["getConf", "alluxio.no.such.key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("alluxio.no.such.key"));
}

#[test]
fn a_taken_master_port_is_named_with_its_property() {
    let home = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = alluxio_command(home.path())
        .arg(format!(
            "-Dalluxio.work.dir={}",
            home.path().join("work").display()
        ))
        .args([
            "-Dalluxio.master.bind.host=127.0.0.1",
            "-Dalluxio.master.web.bind.host=127.0.0.1",
        ])
        .arg(format!("-Dalluxio.master.port={port}"))
        .arg(format!("-Dalluxio.master.web.port={}", free_port()))
        .arg("master")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("port {port} (alluxio.master.port)")),
        "{err}"
    );
}

#[test]
fn fs_without_a_master_fails_with_one_line() {
    let home = tempfile::tempdir().unwrap();
    let out = alluxio_command(home.path())
        .args([
            "-Dalluxio.master.hostname=127.0.0.1",
            "-Dalluxio.user.rpc.retry.max.duration=1sec",
        ])
        .arg(format!("-Dalluxio.master.port={}", free_port()))
        .args(["fs", "ls", "/"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("Error: "), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("Error:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn bin_alluxio_finds_the_built_binary() {
    let home = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bin/alluxio");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(script).arg("version");
    for (name, _) in std::env::vars() {
        if name.starts_with("ALLUXIO_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd.env("HOME", home.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Alluxio version: "), "{}", stdout(&out));
}
