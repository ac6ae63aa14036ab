//! The Python virtualenv holding the real clients the tests drive the servers with (PyPI's
//! `alluxio`, boto3, the aws CLI, pymesos), made by `dev/install-test-tools.sh`.

use std::path::PathBuf;

/// The virtualenv: `$ALLUXIO_TEST_VENV`, else `.venv` at the workspace root. Fails the test, with
/// what to run, when it is missing: a missing tool never lets a test pass by skipping.
pub fn test_venv() -> PathBuf {
    let venv = std::env::var_os("ALLUXIO_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    assert!(
        venv.join("bin/python").exists(),
        "no Python virtualenv with the test clients at {}: run dev/install-test-tools.sh (dev/test.sh does)",
        venv.display()
    );
    venv
}

/// The virtualenv's interpreter.
pub fn test_python() -> PathBuf {
    test_venv().join("bin/python")
}
