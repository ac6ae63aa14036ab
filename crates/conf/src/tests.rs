use super::*;

fn options(dir: &Path) -> LoadOptions {
    LoadOptions {
        command_line: vec![],
        env: vec![("ALLUXIO_CONF_DIR".into(), dir.display().to_string())],
        home_dir: None,
    }
}

#[test]
fn defaults_resolve_references() {
    let conf = Configuration::defaults();
    assert_eq!(conf.get_port(keys::MASTER_PORT).unwrap(), 19998);
    assert_eq!(
        conf.get(keys::MASTER_JOURNAL_FOLDER).unwrap(),
        "/opt/alluxio/journal"
    );
    assert_eq!(
        conf.get(keys::MASTER_MOUNT_TABLE_ROOT_UFS).unwrap(),
        "/opt/alluxio/underFSStorage"
    );
    assert_eq!(conf.get_bytes(&keys::tier_dirs_quota(0)).unwrap(), 1 << 30);
    assert_eq!(
        conf.get_duration(keys::MASTER_WORKER_TIMEOUT).unwrap(),
        Duration::from_secs(300)
    );
}

#[test]
fn precedence_is_command_line_then_env_then_site_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(SITE_PROPERTIES),
        "# comment\nalluxio.master.port=1000\nalluxio.worker.memory.size : 2GB\nalluxio.master.web.port 1001\n",
    )
    .unwrap();
    let mut opts = options(dir.path());
    opts.env.push(("ALLUXIO_WORKER_MEMORY_SIZE".into(), "3GB".into()));
    opts.command_line
        .push(("alluxio.master.port".into(), "2000".into()));
    let conf = Configuration::load_with(opts).unwrap();
    assert_eq!(conf.get_port(keys::MASTER_PORT).unwrap(), 2000);
    assert_eq!(conf.source(keys::MASTER_PORT), Source::CommandLine);
    assert_eq!(conf.get_bytes(keys::WORKER_MEMORY_SIZE).unwrap(), 3 << 30);
    assert_eq!(conf.get_port(keys::MASTER_WEB_PORT).unwrap(), 1001);
    assert!(matches!(conf.source(keys::MASTER_WEB_PORT), Source::SiteFile(_)));
}

#[test]
fn wrong_values_name_key_value_and_expectation() {
    let mut conf = Configuration::defaults();
    conf.set(keys::MASTER_PORT, "http");
    let err = conf.get_port(keys::MASTER_PORT).unwrap_err().to_string();
    assert!(
        err.contains("alluxio.master.port") && err.contains("'http'") && err.contains("port number"),
        "{err}"
    );
    conf.set(keys::WORKER_MEMORY_SIZE, "many");
    let err = conf.get_bytes(&keys::tier_dirs_quota(0)).unwrap_err().to_string();
    assert!(err.contains("'many'"), "{err}");
}

#[test]
fn cycles_and_dangling_references_are_errors() {
    let mut conf = Configuration::defaults();
    conf.set("a.b", "${c.d}");
    conf.set("c.d", "${a.b}");
    assert!(matches!(conf.get("a.b"), Err(ConfError::Substitution { .. })));
    conf.set("e.f", "${no.such.key}/x");
    let err = conf.get("e.f").unwrap_err().to_string();
    assert!(err.contains("no.such.key"), "{err}");
}

#[test]
fn deprecated_ms_alias_sets_the_current_key() {
    let mut conf = Configuration::defaults();
    conf.set("alluxio.master.worker.timeout.ms", "1500");
    assert_eq!(
        conf.get_duration(keys::MASTER_WORKER_TIMEOUT).unwrap(),
        Duration::from_millis(1500)
    );
}

#[test]
fn malformed_assignments_are_rejected() {
    assert!(Configuration::parse_assignment("novalue").is_err());
    assert_eq!(
        Configuration::parse_assignment("a=b=c").unwrap(),
        ("a".into(), "b=c".into())
    );
}
