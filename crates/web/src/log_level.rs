//! `POST /api/v1/<process>/log_level?logName=NAME[&level=LEVEL]`: reads or sets a log level of
//! the running process, as Alluxio's `logLevel` command expects.

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::Common;

/// Reads and changes the log levels of this process; installed once by whoever set up logging.
pub trait LogLevelControl: Send + Sync {
    /// The level logger `name` logs at.
    fn level(&self, name: &str) -> Result<String, String>;
    /// Makes logger `name` log at `level`; returns the level now in force.
    fn set_level(&self, name: &str, level: &str) -> Result<String, String>;
}

static CONTROL: OnceLock<Box<dyn LogLevelControl>> = OnceLock::new();

/// Installs the process's log-level control; false when one was installed already.
pub fn install_log_level_control(control: Box<dyn LogLevelControl>) -> bool {
    CONTROL.set(control).is_ok()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogLevelQuery {
    log_name: Option<String>,
    level: Option<String>,
}

/// Alluxio's `LogInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogInfo {
    log_name: String,
    level: Option<String>,
    message: String,
}

pub(crate) async fn handle(
    State(_): State<Arc<Common>>,
    Query(query): Query<LogLevelQuery>,
) -> (StatusCode, Json<LogInfo>) {
    let name = query.log_name.unwrap_or_default();
    let reply = |status, level, message: String| {
        (
            status,
            Json(LogInfo {
                log_name: name.clone(),
                level,
                message,
            }),
        )
    };
    if name.trim().is_empty() {
        return reply(StatusCode::BAD_REQUEST, None, "logName is required".into());
    }
    let Some(control) = CONTROL.get() else {
        return reply(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "log levels of this process cannot be changed: it was not started by the alluxio command".into(),
        );
    };
    let result = match &query.level {
        Some(level) => control
            .set_level(&name, level)
            .map(|now| (now, format!("Set level of {name} to {level}"))),
        None => control.level(&name).map(|now| (now, format!("Level of {name}"))),
    };
    match result {
        Ok((level, message)) => reply(StatusCode::OK, Some(level), message),
        Err(message) => reply(StatusCode::BAD_REQUEST, None, message),
    }
}
