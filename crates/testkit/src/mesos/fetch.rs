//! The Mesos fetcher, simulated: copies or downloads a `CommandInfo.URI` into the sandbox and
//! extracts archives when `extract` is true (the default), as apache/mesos `docs/fetcher.md`
//! describes. Local sources (`file://` and absolute paths) are copied; http(s)/ftp go through
//! `curl`, which the real fetcher also uses (as libcurl).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::process::Command;

/// Archive suffixes the fetcher extracts, and how.
const TAR_SUFFIXES: &[&str] = &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"];

/// Fetches one URI into `sandbox`; the error says which URI and why.
pub(crate) async fn fetch_uri(uri: &Value, sandbox: &Path) -> Result<(), String> {
    let value = uri
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("URI {uri} has no value"))?;
    let executable = uri.get("executable").and_then(Value::as_bool).unwrap_or(false);
    let extract = uri.get("extract").and_then(Value::as_bool).unwrap_or(true);
    let without_query = value.split(['?', '#']).next().unwrap_or(value);
    let name = match uri.get("output_file").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => without_query
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("cannot tell a file name from URI {value:?}; set output_file"))?
            .to_owned(),
    };
    let dest = sandbox.join(&name);
    if let Some(path) = local_path(value) {
        tokio::fs::copy(&path, &dest)
            .await
            .map_err(|e| format!("failed to fetch {value:?}: cannot copy {}: {e}", path.display()))?;
    } else if ["http://", "https://", "ftp://", "ftps://"]
        .iter()
        .any(|s| value.starts_with(s))
    {
        run(
            Command::new("curl").args(["-fsSL", "-o"]).arg(&dest).arg(value),
            value,
        )
        .await?;
    } else {
        return Err(format!(
            "failed to fetch {value:?}: unsupported scheme (file://, an absolute path, http(s):// or ftp(s)://)"
        ));
    }
    if executable {
        tokio::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            .await
            .map_err(|e| format!("cannot make {} executable: {e}", dest.display()))?;
    } else if extract {
        extract_archive(&dest, &name, sandbox, value).await?;
    }
    tracing::debug!(uri = value, dest = %dest.display(), "fetched");
    Ok(())
}

fn local_path(value: &str) -> Option<PathBuf> {
    if let Some(rest) = value.strip_prefix("file://") {
        // `file://localhost/x` and `file:///x` both name `/x`.
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(rest));
    }
    value.starts_with('/').then(|| PathBuf::from(value))
}

async fn extract_archive(file: &Path, name: &str, sandbox: &Path, uri: &str) -> Result<(), String> {
    if TAR_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        run(
            Command::new("tar").arg("-C").arg(sandbox).arg("-xf").arg(file),
            uri,
        )
        .await
    } else if name.ends_with(".zip") {
        run(
            Command::new("unzip")
                .args(["-o", "-q", "-d"])
                .arg(sandbox)
                .arg(file),
            uri,
        )
        .await
    } else if let Some(stem) = name.strip_suffix(".gz") {
        let out = std::fs::File::create(sandbox.join(stem))
            .map_err(|e| format!("failed to extract {uri:?}: cannot create {stem}: {e}"))?;
        run(Command::new("gzip").arg("-dc").arg(file).stdout(out), uri).await
    } else {
        Ok(())
    }
}

async fn run(cmd: &mut Command, uri: &str) -> Result<(), String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .await
        .map_err(|e| format!("failed to fetch {uri:?}: cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "failed to fetch {uri:?}: {cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
