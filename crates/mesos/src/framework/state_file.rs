//! The framework state file: the policy's state (framework id, task counter, tasks) as JSON,
//! replaced atomically and durably so a crash never leaves half a file nor loses a saved one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::MesosError;
use crate::policy::SchedulerState;

/// Reads the state; a missing file is a fresh framework.
pub fn load(path: &Path) -> Result<SchedulerState, MesosError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| MesosError::StateCorrupt {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SchedulerState::default()),
        Err(source) => Err(MesosError::StateIo {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes the state: temp file, fsync, rename over the old one, fsync of the directory (so the
/// rename survives a crash).
pub fn save(path: &Path, state: &SchedulerState) -> Result<(), MesosError> {
    let io = |source| MesosError::StateIo {
        path: path.to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(state).map_err(|source| MesosError::StateCorrupt {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let temp = TempFile(temp_path(path));
    let mut file = std::fs::File::create(&temp.0).map_err(io)?;
    file.write_all(&json).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temp.0, path).map_err(io)?;
    std::mem::forget(temp);
    alluxio_server::sync_dir(dir.unwrap_or(Path::new("."))).map_err(io)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

/// Removes the temp file unless it was renamed into place.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_a_fresh_state_and_saved_state_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mesos/framework.json");
        assert_eq!(load(&path).unwrap(), SchedulerState::default());
        let state = SchedulerState {
            framework_id: Some("F1".into()),
            next_task_id: 7,
            ..Default::default()
        };
        save(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap(), state);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temp file left behind: {leftovers:?}");
    }

    #[test]
    fn corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("framework.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, MesosError::StateCorrupt { .. }), "{err}");
        assert!(err.to_string().contains("framework.json"), "{err}");
    }
}
