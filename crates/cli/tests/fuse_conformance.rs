//! The FUSE mount under programs written for ordinary file systems: Debian's `fio` writes then
//! reads a file sequentially (the figures are printed), and crates.io's pjdfstest 0.2.2 checks
//! POSIX conformance, with what Alluxio's model cannot do listed in `tests/fuse/pjdfstest.toml`
//! as expected failures: a new failure, or a listed case that passes or no longer runs, fails the
//! test. Both tools come from `dev/install-test-tools.sh`; a missing one fails the test rather
//! than skipping it. The mount is always unmounted, even when an assertion fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Cluster, stderr, stdout};

/// The size fio writes and reads.
const FIO_SIZE: u64 = 256 << 20;
/// pjdfstest's version, as `dev/install-test-tools.sh` installs it.
const PJDFSTEST_VERSION: &str = "pjdfstest 0.2.2";

/// Held by each test: pjdfstest's timing cases (a time that must change, or must not, across a
/// 10 ms nap) are not run beside fio's load.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A cluster with room for the test's files and properties `props`, mounted at
/// `<temp dir>/mnt` with `options`.
fn cluster(props: &[&str], options: &[&str]) -> (Cluster, common::Mounted) {
    let mut cluster = Cluster::new();
    let root = cluster.root();
    // The under file system's root is no longer than the mount point, so that a path of
    // PATH_MAX - 1 bytes in the mount (pjdfstest's enametoolong cases) is one in the UFS too.
    std::fs::create_dir(root.join("u")).unwrap();
    cluster.props.extend([
        format!(
            "-Dalluxio.master.mount.table.root.ufs={}",
            root.join("u").display()
        ),
        "-Dalluxio.worker.memory.size=512MB".to_string(),
    ]);
    cluster.props.extend(props.iter().map(|p| format!("-D{p}")));
    cluster.start_master();
    cluster.start_worker();
    let mounted = cluster.mount_fuse(options);
    (cluster, mounted)
}

/// Runs `command` to its end, killing it after `limit`.
fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        err.read_to_end(&mut buf).map(|_| buf)
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

/// Runs fio with `args` (one job) and returns its JSON report of that job.
fn fio(args: &[String]) -> serde_json::Value {
    let mut command = Command::new("fio");
    command.args(args).arg("--output-format=json");
    let out = run_bounded(&mut command, Duration::from_secs(300));
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "fio {args:?} failed with {}: {text}{}",
        out.status,
        stderr(&out)
    );
    // fio may print notes before the report.
    let report: serde_json::Value = text
        .find('{')
        .and_then(|start| serde_json::from_str(&text[start..]).ok())
        .unwrap_or_else(|| panic!("fio {args:?} printed no JSON report: {text}"));
    let job = report["jobs"][0].clone();
    assert_eq!(job["error"], 0, "fio {args:?}: {job}");
    job
}

/// Bandwidth of one direction of a fio job, in MiB/s.
fn mib_per_s(job: &serde_json::Value, direction: &str) -> f64 {
    job[direction]["bw_bytes"].as_f64().unwrap() / (1 << 20) as f64
}

#[test]
fn fio_writes_then_reads_a_file_sequentially() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(e) = Command::new("fio").arg("--version").output() {
        panic!("cannot run fio ({e}): run dev/install-test-tools.sh");
    }
    let (cluster, mounted) = cluster(&[], &[]);
    let file = mounted.point.join("fio.dat");
    // Alluxio files are write-once: written from offset 0 to the end, in one go, through the
    // open that makes them. By default fio makes the file in a setup pass (unlink, open O_CREAT,
    // fallocate to --size, refused, close: an empty complete file), then the job reopens it
    // without O_TRUNC, which works only because that file is empty. So: --create_on_open=1 (no
    // setup pass: the job's own open(O_CREAT) makes the file, which must not exist yet),
    // --fallocate=none (no preallocation, which Alluxio refuses with EOPNOTSUPP), --rw=write
    // with the default --overwrite=0 (no pass first laying the file out with zeros, which fio
    // does for overwrites, and for reads of a file shorter than --size), psync (each pwrite at
    // the offset after the last), one job, and no --end_fsync (closing completes the file).
    // The blocks carry crc32c headers (--verify=crc32c; --do_verify=0, as fio would otherwise
    // read back the file still open for writing), which a third pass checks after the timed
    // read.
    let common = |name: &str, rw: &str| {
        vec![
            format!("--name={name}"),
            format!("--filename={}", file.display()),
            format!("--rw={rw}"),
            "--bs=1M".to_string(),
            format!("--size={FIO_SIZE}"),
            "--ioengine=psync".to_string(),
            "--numjobs=1".to_string(),
        ]
    };
    let mut args = common("seqwrite", "write");
    args.extend(
        [
            "--create_on_open=1",
            "--fallocate=none",
            "--verify=crc32c",
            "--do_verify=0",
            // No verify state file left in the working directory.
            "--verify_state_save=0",
        ]
        .map(String::from),
    );
    let write = fio(&args);
    assert_eq!(write["write"]["io_bytes"], FIO_SIZE, "{write}");

    // What fio wrote is what Alluxio shows: a complete file of that length.
    let stat = cluster.ok(&["fs", "stat", "/fio.dat"]);
    let field = |name: &str| {
        stat.lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {stat}"))
            .to_string()
    };
    assert_eq!(field("Length:"), FIO_SIZE.to_string(), "{stat}");
    assert_eq!(field("Completed:"), "true", "{stat}");

    let read_and_verify = || {
        let read = fio(&common("seqread", "read"));
        assert_eq!(read["read"]["io_bytes"], FIO_SIZE, "{read}");
        let mut args = common("verify", "read");
        args.push("--verify=crc32c".to_string());
        let verify = fio(&args);
        assert_eq!(verify["read"]["io_bytes"], FIO_SIZE, "{verify}");
        mib_per_s(&read, "read")
    };
    let read = read_and_verify();

    // Without -o user_xattr the mount has no extended attributes, and says so once.
    let script = format!(
        "import os\n\
         try:\n    os.getxattr({:?}, 'user.alluxio.persistence_state')\n\
         except OSError as e:\n    print(e.errno)\n",
        file.display().to_string()
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert_eq!(
        stdout(&out).trim(),
        common::EOPNOTSUPP.to_string(),
        "{}",
        stderr(&out)
    );

    // The same reads with the page cache bypassed.
    drop(mounted);
    let mounted = cluster.mount_fuse(&["direct_io"]);
    let direct_read = read_and_verify();

    println!(
        "fio through the FUSE mount, {} MiB in 1 MiB psync calls: sequential write {:.0} MiB/s, \
         sequential read {:.0} MiB/s, with -o direct_io {:.0} MiB/s",
        FIO_SIZE >> 20,
        mib_per_s(&write, "write"),
        read,
        direct_read,
    );
    drop(mounted);
}

/// The pjdfstest binary `dev/install-test-tools.sh` installed.
fn pjdfstest() -> PathBuf {
    let tools = std::env::var_os("ALLUXIO_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-tools"));
    let bin = tools.join("bin/pjdfstest");
    let version = Command::new(&bin).arg("--version").output();
    match version {
        Ok(out) if stdout(&out).trim() == PJDFSTEST_VERSION => bin,
        Ok(out) => panic!(
            "{} is {:?}, not {PJDFSTEST_VERSION}: run dev/install-test-tools.sh",
            bin.display(),
            stdout(&out).trim()
        ),
        Err(e) => panic!(
            "cannot run {} ({e}): run dev/install-test-tools.sh",
            bin.display()
        ),
    }
}

/// The names in the `expected_failures = [` ... `]` list of pjdfstest's TOML configuration (one
/// quoted name a line, `#` comments).
fn expected_failures(toml: &str) -> BTreeSet<String> {
    let mut lines = toml
        .lines()
        .map(|line| line.split('#').next().unwrap().trim())
        .skip_while(|line| !line.starts_with("expected_failures"));
    assert!(
        lines.next().is_some_and(|line| line.ends_with('[')),
        "no `expected_failures = [` line"
    );
    lines
        .take_while(|line| *line != "]")
        .map(|line| line.trim_end_matches(','))
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .unwrap_or_else(|| panic!("not a quoted name: {entry}"))
                .to_string()
        })
        .collect()
}

/// pjdfstest's verdict per case (`ok`, `skipped`, `FAILED`, `failed as expected`,
/// `PASSED UNEXPECTEDLY`), with a failure's panic message.
fn verdicts(output: &str) -> BTreeMap<String, (String, String)> {
    const VERDICTS: [&str; 5] = [
        "PASSED UNEXPECTEDLY",
        "failed as expected",
        "FAILED",
        "skipped",
        "ok",
    ];
    let lines: Vec<&str> = output.lines().collect();
    let mut found = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((name, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim();
        if name.contains("::") && VERDICTS.contains(&rest) {
            // A failure's panic message follows, indented (an assertion's on three lines).
            let detail = match rest {
                "FAILED" => lines[i + 1..]
                    .iter()
                    .take_while(|l| l.starts_with([' ', '\t']))
                    .take(3)
                    .map(|l| l.trim())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            found.insert(name.to_string(), (rest.to_string(), detail));
        }
    }
    found
}

#[test]
fn pjdfstest_passes_but_for_what_alluxio_cannot_do() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pjdfstest = pjdfstest();
    assert!(
        rustix::process::geteuid().is_root(),
        "pjdfstest switches users: run the tests as root"
    );
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuse/pjdfstest.toml");
    let expected = expected_failures(&std::fs::read_to_string(&config).unwrap());
    // The kernel checks permissions (default_permissions) against the modes and owners the file
    // system reports, for the users pjdfstest switches to (allow_other), who must reach the
    // mount point through the temp dir; owners are Alluxio's, as local users and groups.
    let (cluster, mounted) = cluster(
        &["alluxio.fuse.user.group.translation.enabled=true"],
        &["allow_other", "default_permissions"],
    );
    std::fs::set_permissions(
        cluster.root(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    let started = Instant::now();
    let out = run_bounded(
        Command::new(&pjdfstest)
            .arg("-c")
            .arg(&config)
            .arg("-p")
            .arg(&mounted.point)
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .env("RUST_BACKTRACE", "0"),
        Duration::from_secs(600),
    );
    let text = stdout(&out);
    // Shown when the test fails.
    println!("{text}{}", stderr(&out));
    let verdicts = verdicts(&text);
    let with = |verdict: &str| -> Vec<String> {
        verdicts
            .iter()
            .filter(|(_, (v, _))| v == verdict)
            .map(|(name, (_, detail))| format!("{name} {detail}").trim_end().to_string())
            .collect()
    };
    let failed = with("FAILED");
    let passed = with("PASSED UNEXPECTEDLY");
    // pjdfstest ignores a listed name that it skipped or no longer has.
    let not_run: Vec<&String> = expected
        .iter()
        .filter(|name| {
            verdicts
                .get(*name)
                .is_none_or(|(v, _)| v != "failed as expected" && v != "PASSED UNEXPECTEDLY")
        })
        .collect();
    assert!(
        failed.is_empty() && passed.is_empty() && not_run.is_empty(),
        "pjdfstest against the mount, with {}:\nunexpected failures ({}):\n  {}\n\
         passing now, to take off expected_failures ({}):\n  {}\n\
         listed in expected_failures but not run ({}):\n  {}",
        config.display(),
        failed.len(),
        failed.join("\n  "),
        passed.len(),
        passed.join("\n  "),
        not_run.len(),
        not_run
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
    );
    let summary = text
        .lines()
        .find(|line| line.starts_with("Summary:"))
        .unwrap_or_else(|| panic!("no summary from pjdfstest: {}", stderr(&out)));
    assert!(out.status.success(), "pjdfstest failed: {summary}");
    println!("pjdfstest in {:.0?}: {summary}", started.elapsed());
    drop(mounted);
}
