//! What tests that drive the cluster from Java and Spark need: the Hadoop client jar built from
//! this workspace (`dev/build-client-jar.sh` over the JNI library of this build), the JDK's
//! tools, and the Hadoop and Spark jars of the virtualenv's pyspark. A missing piece fails the
//! test with what to run; none is ever skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::python::test_venv;

/// The workspace root.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A JDK tool (`java`, `javac`, `jar`): `$JAVA_HOME/bin/<name>`, else the one on `PATH`.
pub fn jdk_tool(name: &str) -> PathBuf {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let tool = PathBuf::from(home).join("bin").join(name);
        if tool.exists() {
            return tool;
        }
    }
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|tool| tool.exists());
    found.unwrap_or_else(|| {
        panic!("no `{name}` on PATH or in $JAVA_HOME/bin: run dev/install-test-tools.sh (it installs JDK 17)")
    })
}

/// The directory of the jars pyspark ships (Spark, hadoop-client-api/-runtime, slf4j, ...).
pub fn spark_jars_dir() -> PathBuf {
    let lib = test_venv().join("lib");
    let jars = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|python| python.path().join("site-packages/pyspark/jars"))
        .find(|jars| jars.join("hadoop-client-api-3.5.0.jar").exists());
    jars.unwrap_or_else(|| {
        panic!(
            "no pyspark with hadoop-client-api-3.5.0.jar under {}: run dev/install-test-tools.sh",
            lib.display()
        )
    })
}

/// A Java class path of `entries` followed by every jar of pyspark.
pub fn class_path(entries: &[&Path]) -> String {
    let mut parts: Vec<String> = entries.iter().map(|p| p.display().to_string()).collect();
    parts.push(format!("{}/*", spark_jars_dir().display()));
    parts.join(":")
}

/// `alluxio-<version>-client.jar`, built once per test process from the Java sources and the
/// JNI library of this build (made first with `cargo build -p alluxio-hadoop-jni` in the same
/// profile, which does nothing when `cargo test --workspace` already built it).
pub fn client_jar() -> PathBuf {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(build_client_jar).clone()
}

fn build_client_jar() -> PathBuf {
    // Test binaries live in <target>/<profile>/deps; the library in <target>/<profile>.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in <target>/<profile>/deps")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace())
        .args(["build", "--quiet", "-p", "alluxio-hadoop-jni"]);
    if profile_dir.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    run(&mut build, "cargo build -p alluxio-hadoop-jni");
    let library = profile_dir.join("liballuxio_jni.so");
    assert!(library.exists(), "cargo built no {}", library.display());

    let out_dir = profile_dir.join("client-jar");
    let mut package = Command::new("bash");
    package
        .current_dir(workspace())
        .arg("dev/build-client-jar.sh")
        .arg(&out_dir)
        .env("ALLUXIO_JNI_LIB", &library)
        .env("HADOOP_CLIENT_JARS", spark_jars_dir());
    let stdout = run(&mut package, "dev/build-client-jar.sh");
    let jar = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    assert!(
        jar.exists(),
        "dev/build-client-jar.sh printed no jar path:\n{stdout}"
    );
    jar
}

/// Compiles the `.java` files under `sources` against `class_path` into a new directory under
/// `out`, which it returns.
pub fn compile_java(sources: &Path, class_path: &str, out: &Path) -> PathBuf {
    let classes = out.join("classes");
    std::fs::create_dir_all(&classes).expect("create the classes directory");
    let mut files: Vec<PathBuf> = Vec::new();
    collect_java_files(sources, &mut files);
    assert!(!files.is_empty(), "no .java files under {}", sources.display());
    let mut javac = Command::new(jdk_tool("javac"));
    javac
        .args(["--release", "17", "-Xlint:all,-path", "-Werror", "-d"])
        .arg(&classes)
        .args(["-cp", class_path])
        .args(&files);
    run(&mut javac, "javac");
    classes
}

fn collect_java_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_java_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "java") {
            files.push(path);
        }
    }
}

/// Runs `command`, failing the test with its output if it fails; returns its stdout.
fn run(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
