use std::time::Duration;

use super::*;

fn options(dir: &Path) -> LoadOptions {
    LoadOptions {
        command_line: vec![],
        env: vec![("ALLUXIO_CONF_DIR".into(), dir.display().to_string())],
        home_dir: None,
    }
}

fn write_site(dir: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(SITE_PROPERTIES);
    std::fs::write(&path, text).unwrap();
    path
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
    assert_eq!(
        conf.get_bytes(&keys::tier_dirs_quota(0)).unwrap(),
        expected_default_memory()
    );
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

#[test]
fn site_file_search_order_is_conf_dir_then_home_then_etc() {
    let conf_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let load = || {
        Configuration::load_with(LoadOptions {
            home_dir: Some(home.path().to_path_buf()),
            ..options(conf_dir.path())
        })
        .unwrap()
    };
    assert_eq!(
        load().get(keys::SITE_CONF_DIR).unwrap(),
        format!(
            "{}/,{}/.alluxio/,/etc/alluxio/",
            conf_dir.path().display(),
            home.path().display()
        )
    );
    let home_file = write_site(
        &home.path().join(".alluxio"),
        "alluxio.master.port=1001\nalluxio.master.web.port=1002\n",
    );
    let conf = load();
    assert_eq!(conf.get_port(keys::MASTER_PORT).unwrap(), 1001);
    assert_eq!(conf.source(keys::MASTER_PORT), Source::SiteFile(home_file));
    // The first file found wins whole: nothing of the home file is read any more.
    let conf_file = write_site(conf_dir.path(), "alluxio.master.port=2001\n");
    let conf = load();
    assert_eq!(conf.get_port(keys::MASTER_PORT).unwrap(), 2001);
    assert_eq!(conf.source(keys::MASTER_PORT), Source::SiteFile(conf_file));
    assert_eq!(conf.get_port(keys::MASTER_WEB_PORT).unwrap(), 19999);
    assert_eq!(conf.source(keys::MASTER_WEB_PORT), Source::Default);
}

#[test]
fn every_environment_variable_sets_its_property() {
    let values = [
        ("alluxio.home", "/srv/alluxio"),
        ("alluxio.conf.dir", "/nonexistent/conf"),
        ("alluxio.logs.dir", "/var/log/alluxio"),
        ("alluxio.master.hostname", "master.example"),
        ("alluxio.underfs.address", "/data/ufs"),
        ("alluxio.worker.memory.size", "3GB"),
        ("alluxio.worker.tieredstore.level0.dirs.path", "/dev/shm/alluxio"),
    ];
    for (var, key) in properties::ENV_VARS {
        let value = values.iter().find(|(k, _)| k == key).unwrap().1;
        let conf = Configuration::load_with(LoadOptions {
            env: vec![(var.to_string(), value.to_string())],
            ..LoadOptions::default()
        })
        .unwrap();
        assert_eq!(conf.get(key).unwrap(), value, "{var}");
        assert_eq!(conf.source(key), Source::Environment(var.to_string()), "{var}");
    }
}

#[test]
fn environment_mapping_special_cases() {
    let load = |env: &[(&str, &str)]| {
        Configuration::load_with(LoadOptions {
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..LoadOptions::default()
        })
        .unwrap()
    };
    let conf = load(&[("ALLUXIO_RAM_FOLDER", "/dev/shm")]);
    assert_eq!(conf.get_list(&keys::tier_dirs_path(0)).unwrap(), vec!["/dev/shm"]);
    assert_eq!(conf.get(&keys::tier_alias(0)).unwrap(), "MEM");
    // The root UFS follows the old key through its default `${alluxio.underfs.address}`.
    let conf = load(&[("ALLUXIO_UNDERFS_ADDRESS", "/data/ufs")]);
    assert_eq!(conf.get(keys::MASTER_MOUNT_TABLE_ROOT_UFS).unwrap(), "/data/ufs");
    // As in alluxio-config.sh, the deprecated ADDRESS overrides HOSTNAME; empty means unset.
    let conf = load(&[
        ("ALLUXIO_MASTER_ADDRESS", "old"),
        ("ALLUXIO_MASTER_HOSTNAME", "new"),
        ("ALLUXIO_WORKER_MEMORY_SIZE", ""),
    ]);
    assert_eq!(conf.get(keys::MASTER_HOSTNAME).unwrap(), "old");
    assert_eq!(conf.source(keys::WORKER_MEMORY_SIZE), Source::Default);
    let conf = load(&[("ALLUXIO_HOME", "/srv/alluxio")]);
    assert_eq!(
        conf.get(keys::MASTER_JOURNAL_FOLDER).unwrap(),
        "/srv/alluxio/journal"
    );
}

#[test]
fn deprecated_aliases_and_java_syntax_inside_site_files() {
    let dir = tempfile::tempdir().unwrap();
    write_site(
        dir.path(),
        "! old names\nalluxio.master.worker.timeout.ms 1500\nalluxio.worker.rpc.port:3000\n\
         alluxio.worker.tieredstore.level0.dirs.path=/mnt/a,\\\n    /mnt/b\nalluxio.user.hostname\n",
    );
    let conf = Configuration::load_with(options(dir.path())).unwrap();
    assert_eq!(
        conf.get_duration(keys::MASTER_WORKER_TIMEOUT).unwrap(),
        Duration::from_millis(1500)
    );
    assert!(matches!(
        conf.source(keys::MASTER_WORKER_TIMEOUT),
        Source::SiteFile(_)
    ));
    assert_eq!(conf.get_port(keys::WORKER_PORT).unwrap(), 3000);
    assert_eq!(
        conf.get_list(&keys::tier_dirs_path(0)).unwrap(),
        vec!["/mnt/a", "/mnt/b"]
    );
    assert_eq!(conf.get(keys::USER_HOSTNAME).unwrap(), "");
}

#[test]
fn command_line_beats_env_beats_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let key = keys::WORKER_MEMORY_SIZE;
    let load = |file: bool, env: bool, cli: bool| {
        if file {
            write_site(dir.path(), "alluxio.worker.memory.size=2GB\n");
        } else {
            let _ = std::fs::remove_file(dir.path().join(SITE_PROPERTIES));
        }
        let mut opts = options(dir.path());
        if env {
            opts.env.push(("ALLUXIO_WORKER_MEMORY_SIZE".into(), "3GB".into()));
        }
        if cli {
            opts.command_line.push((key.into(), "4GB".into()));
        }
        Configuration::load_with(opts).unwrap().get_bytes(key).unwrap()
    };
    assert_eq!(load(false, false, false), expected_default_memory());
    let load = |file, env, cli| load(file, env, cli) >> 30;
    assert_eq!(load(true, false, false), 2);
    assert_eq!(load(true, true, false), 3);
    assert_eq!(load(true, true, true), 4);
    assert_eq!(load(false, false, true), 4);
    assert_eq!(load(true, false, true), 4);
}

#[test]
fn explicit_entries_reproduce_the_configuration_in_another_process() {
    let dir = tempfile::tempdir().unwrap();
    write_site(
        dir.path(),
        "alluxio.master.port=1000\nalluxio.master.worker.timeout.ms=1500\nmy.custom.key=${alluxio.master.port}\n",
    );
    let mut opts = options(dir.path());
    opts.env.push(("ALLUXIO_RAM_FOLDER".into(), "/dev/shm".into()));
    opts.command_line.push(("alluxio.home".into(), "/srv/a".into()));
    let mut original = Configuration::load_with(opts).unwrap();
    original.set(keys::WORKER_DATA_PORT, "0");
    let shipped = original.explicit_entries();
    assert!(shipped.iter().all(|(k, _)| original.source(k) != Source::Default));
    assert!(
        shipped
            .iter()
            .any(|(k, v)| k == keys::MASTER_WORKER_TIMEOUT && v == "1500")
    );
    let elsewhere = Configuration::load_with(LoadOptions {
        command_line: shipped,
        ..LoadOptions::default()
    })
    .unwrap();
    for (key, value, _) in original.entries() {
        assert_eq!(elsewhere.get_opt(&key).unwrap(), value, "{key}");
    }
    assert_eq!(elsewhere.get("my.custom.key").unwrap(), "1000");
}

#[test]
fn validate_reports_every_bad_value_with_its_origin() {
    assert!(Configuration::defaults().validate().is_ok());
    let dir = tempfile::tempdir().unwrap();
    let site = write_site(
        dir.path(),
        "alluxio.master.port=http\nalluxio.user.file.writetype.default=fast\n\
         alluxio.user.file.readtype.default=cache\nalluxio.user.file.metadata.load.type=always\n\
         alluxio.worker.tieredstore.level5.dirs.quota=1GB,lots\n\
         alluxio.worker.tieredstore.level7.watermark.low.ratio=0.5\n\
         alluxio.master.journal.folder=${no.such.key}/journal\n",
    );
    let conf = Configuration::load_with(options(dir.path())).unwrap();
    let errors: Vec<String> = conf
        .validate()
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(errors.contains(&format!(
        "invalid value 'http' for alluxio.master.port (from SITE_PROPERTY ({})): expected a port number from 0 to 65535",
        site.display()
    )));
    assert!(
        errors.iter().any(|e| e.contains("'fast'")
            && e.contains("one of MUST_CACHE, CACHE_THROUGH, THROUGH, ASYNC_THROUGH"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("level5.dirs.quota") && e.contains("'1GB,lots'"))
    );
    assert!(errors.iter().any(|e| e.contains("no.such.key")));
}

#[test]
fn impersonation_keys_of_any_user_are_known() {
    use crate::properties::{ImpersonationOf, impersonation_key};
    let users = "alluxio.master.security.impersonation.proxy.users";
    assert_eq!(describe(users).unwrap().kind, ValueKind::List);
    assert_eq!(impersonation_key(users), Some(("proxy", ImpersonationOf::Users)));
    assert_eq!(
        impersonation_key("alluxio.master.security.impersonation.spark.svc.groups"),
        Some(("spark.svc", ImpersonationOf::Groups))
    );
    for other in [
        "alluxio.master.security.impersonation..users",
        "alluxio.master.security.impersonation.proxy.hosts",
        keys::SECURITY_LOGIN_USERNAME,
    ] {
        assert_eq!(impersonation_key(other), None, "{other}");
    }
    assert!(describe("alluxio.master.security.impersonation.proxy.hosts").is_none());
}

#[test]
fn describe_knows_aliases_and_tiers_of_any_level() {
    assert_eq!(
        describe("alluxio.master.rpc.port").unwrap().name,
        keys::MASTER_PORT
    );
    assert_eq!(describe(keys::MASTER_PORT).unwrap().kind, ValueKind::Port);
    let quota = describe(&keys::tier_dirs_quota(12)).unwrap();
    assert_eq!(quota.kind, ValueKind::BytesList);
    assert!(describe("alluxio.worker.tieredstore.levelX.alias").is_none());
    assert!(describe("alluxio.no.such.key").is_none());
    // Tiers beyond the listed ones still get the usual watermarks.
    let conf = Configuration::defaults();
    assert_eq!(conf.get_ratio(&keys::tier_watermark_high(4)).unwrap(), 0.95);
    assert!(conf.get_opt(&keys::tier_alias(4)).unwrap().is_none());
}

#[test]
fn entries_list_every_known_key_with_value_and_source() {
    let mut conf = Configuration::defaults();
    conf.set("my.custom.key", "x");
    let entries = conf.entries();
    assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(entries.len(), PROPERTIES.len() + 1);
    let port = entries.iter().find(|(k, _, _)| k == keys::MASTER_PORT).unwrap();
    assert_eq!((port.1.as_deref(), &port.2), (Some("19998"), &Source::Default));
    let custom = entries.iter().find(|(k, _, _)| k == "my.custom.key").unwrap();
    assert_eq!((custom.1.as_deref(), &custom.2), (Some("x"), &Source::Runtime));
    let unset = entries.iter().find(|(k, _, _)| k == keys::USER_HOSTNAME).unwrap();
    assert_eq!(unset.1, None);
}

/// Two thirds of this machine's memory, as Alluxio 1.8 defaults `alluxio.worker.memory.size`.
fn expected_default_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (kb * 2 / 3 / 1024) << 20
}

#[test]
fn worker_memory_defaults_to_two_thirds_of_physical_memory() {
    let conf = Configuration::defaults();
    assert_eq!(
        conf.get_bytes(keys::WORKER_MEMORY_SIZE).unwrap(),
        expected_default_memory()
    );
    assert_eq!(conf.source(keys::WORKER_MEMORY_SIZE), Source::Default);
}

/// Every key constant names a property of the table (or a per-tier template), so that a key
/// the code reads always has a default, a kind and a description for `getConf`.
#[test]
fn every_key_constant_is_defined_in_the_property_table() {
    let source = include_str!("keys.rs");
    // Each `pub const NAME: &str = "value";`, the value on the same line or the next.
    let names: Vec<&str> = source
        .split("pub const ")
        .skip(1)
        .filter_map(|item| item.split('"').nth(1))
        .collect();
    assert!(names.len() > 50, "found only {} key constants", names.len());
    let undefined: Vec<&&str> = names
        .iter()
        .filter(|name| crate::properties::describe(name).is_none())
        .collect();
    assert!(undefined.is_empty(), "keys without a definition: {undefined:?}");
}

#[test]
fn secrets_are_shown_masked() {
    for key in [
        "aws.secretKey",
        "aws.accessKeyId",
        "s3a.accessKeyId",
        "fs.gcs.accessKeyId",
        "aws.sessionToken",
        "fs.azure.account.key.acct.blob.core.windows.net",
        "fs.azure.sas.token",
        "alluxio.proxy.s3.access.key",
        "alluxio.proxy.s3.secret.key",
        "alluxio.integration.mesos.secret",
    ] {
        assert!(crate::is_secret(key), "{key}");
        assert_eq!(crate::displayed_value(key, "s3cr3t".into()), "******");
    }
    for key in [
        "fs.gcs.credential.path",
        "alluxio.proxy.s3.credentials.file",
        "alluxio.integration.mesos.principal",
        "alluxio.underfs.s3.endpoint",
    ] {
        assert!(!crate::is_secret(key), "{key}");
    }
    assert_eq!(
        crate::displayed_value("alluxio.master.port", "19998".into()),
        "19998"
    );
    assert_eq!(crate::displayed_value("aws.secretKey", String::new()), "");
}

#[test]
fn tiers_sort_in_alluxio_order_then_by_name() {
    let mut tiers = vec!["ZZ", "HDD", "AA", "MEM", "SSD"];
    tiers.sort_by(|a, b| crate::compare_tiers(a, b));
    assert_eq!(tiers, ["MEM", "SSD", "HDD", "AA", "ZZ"]);
}
