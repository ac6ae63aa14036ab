//! Checks of the servers' `/metrics` pages with Prometheus's own `promtool` (Debian's
//! `prometheus` package, installed by `dev/install-test-tools.sh`; its daemon is never run).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `promtool` on `PATH`. Fails the test, with what to run, when it is missing: a missing tool
/// never lets a test pass by skipping.
pub fn promtool() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("promtool"))
        .find(|tool| tool.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "no `promtool` on PATH: run dev/install-test-tools.sh (it installs Debian's prometheus package)"
        )
    })
}

/// Runs `promtool check metrics` on `text` (a Prometheus text exposition, as a `/metrics` page
/// serves it). `Err` holds promtool's exit status and output when it rejects the text, for a
/// parse error or for a lint problem (e.g. a counter without the `_total` suffix, a metric
/// without HELP). Panics when promtool cannot be run.
pub fn promtool_check_metrics(text: &str) -> Result<(), String> {
    let tool = promtool();
    let mut child = Command::new(&tool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    let mut stdin = child.stdin.take().expect("promtool's stdin is piped");
    // A writer thread: promtool may answer (and stop reading) before it has read everything.
    let input = text.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", tool.display()));
    let _ = writer.join();
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "promtool check metrics failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
