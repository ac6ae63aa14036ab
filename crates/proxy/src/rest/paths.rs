//! `POST /api/v1/paths/<path>/<action>`: one file system call per request, options as a JSON
//! body, `src` (mount) and `dst` (rename) as query parameters.
//!
//! Clients keep the path's leading slash, so `/api/v1/paths//dir/f/get-status` names `/dir/f`
//! and `/api/v1/paths///list-status` the root; a path without one is taken from the root too.

use std::collections::HashMap;

use alluxio_client::AlluxioPath;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::RestState;
use super::error::RestError;
use super::json::{self, options};
use super::streams::OpenStream;

/// The actions of `/api/v1/paths`, for the error that names an unknown one.
const ACTIONS: &str = "create-directory, create-file, delete, exists, free, get-status, list-status, \
                       mount, open-file, rename, set-attribute, unmount";

/// Splits `<path>/<action>` (the wildcard after `/api/v1/paths/`) and parses the path.
fn path_and_action(rest: &str) -> Result<(AlluxioPath, &str), RestError> {
    let (raw_path, action) = rest.rsplit_once('/').unwrap_or(("", rest));
    if action.is_empty() {
        return Err(RestError::not_found(format!(
            "no action after the path '{raw_path}': expected /api/v1/paths/<path>/<action>, action one of {ACTIONS}"
        )));
    }
    let absolute = if raw_path.starts_with('/') {
        raw_path.to_string()
    } else {
        format!("/{raw_path}")
    };
    let path = AlluxioPath::new(&absolute).map_err(|e| RestError::invalid(e.to_string()))?;
    Ok((path, action))
}

/// A required query parameter.
fn required<'a>(query: &'a HashMap<String, String>, name: &str, action: &str) -> Result<&'a str, RestError> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| RestError::invalid(format!("{action} needs the query parameter '{name}'")))
}

/// `POST /api/v1/paths/<path>/<action>`.
pub(crate) async fn path_action(
    State(state): State<RestState>,
    Path(rest): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, RestError> {
    let (path, action) = path_and_action(&rest)?;
    let fs = &state.fs;
    let parse_failed = |e: String| RestError::invalid(format!("{action} {path}: {e}"));
    let done = || ().into_response();
    let response = match action {
        "create-directory" => {
            let opts = options::<json::CreateDirectoryBody>(&body).map_err(parse_failed)?;
            fs.create_directory(&path, opts).await?;
            done()
        }
        "create-file" => {
            let opts = options::<json::CreateFileBody>(&body).map_err(parse_failed)?;
            let writer = fs.create_file(&path, opts).await?;
            Json(state.streams.register(OpenStream::Write(Box::new(writer)))?).into_response()
        }
        "delete" => {
            let opts = options::<json::DeleteBody>(&body).map_err(parse_failed)?;
            fs.delete(&path, opts).await?;
            done()
        }
        "exists" => {
            options::<json::NoBody>(&body).map_err(parse_failed)?;
            Json(fs.exists(&path).await?).into_response()
        }
        "free" => {
            let opts = options::<json::FreeBody>(&body).map_err(parse_failed)?;
            fs.free(&path, opts).await?;
            done()
        }
        "get-status" => {
            let opts = options::<json::GetStatusBody>(&body).map_err(parse_failed)?;
            Json(json::file_info(&fs.get_status_with(&path, opts).await?)).into_response()
        }
        "list-status" => {
            let opts = options::<json::ListStatusBody>(&body).map_err(parse_failed)?;
            let infos = fs.list_status(&path, opts).await?;
            Json(infos.iter().map(json::file_info).collect::<Vec<Value>>()).into_response()
        }
        "mount" => {
            let src = required(&query, "src", action)?;
            let opts = options::<json::MountBody>(&body).map_err(parse_failed)?;
            fs.mount(&path, src, opts).await?;
            done()
        }
        "open-file" => {
            let opts = options::<json::OpenFileBody>(&body).map_err(parse_failed)?;
            let reader = fs.open_file(&path, opts).await?;
            Json(state.streams.register(OpenStream::Read(Box::new(reader)))?).into_response()
        }
        "rename" => {
            let dst = required(&query, "dst", action)?;
            let dst = AlluxioPath::new(dst).map_err(|e| RestError::invalid(format!("rename {path}: {e}")))?;
            options::<json::NoBody>(&body).map_err(parse_failed)?;
            fs.rename(&path, &dst).await?;
            done()
        }
        "set-attribute" => {
            let opts = options::<json::SetAttributeBody>(&body).map_err(parse_failed)?;
            fs.set_attribute(&path, opts).await?;
            done()
        }
        "unmount" => {
            options::<json::NoBody>(&body).map_err(parse_failed)?;
            fs.unmount(&path).await?;
            done()
        }
        other => {
            return Err(RestError::not_found(format!(
                "unknown action '{other}' on {path}: expected one of {ACTIONS}"
            )));
        }
    };
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(rest: &str) -> (String, String) {
        let (path, action) = path_and_action(rest).unwrap();
        (path.to_string(), action.to_string())
    }

    #[test]
    fn paths_keep_or_lack_their_leading_slash() {
        assert_eq!(split("/dir/f/get-status"), ("/dir/f".into(), "get-status".into()));
        assert_eq!(split("dir/f/get-status"), ("/dir/f".into(), "get-status".into()));
        assert_eq!(split("//list-status"), ("/".into(), "list-status".into()));
        assert_eq!(
            split("/parent/child//create-directory"),
            ("/parent/child".into(), "create-directory".into())
        );
        assert_eq!(split("exists"), ("/".into(), "exists".into()));
    }

    #[test]
    fn a_path_without_action_or_above_the_root_is_refused() {
        assert!(path_and_action("/dir/").is_err());
        assert!(path_and_action("/../x/get-status").is_err());
    }
}
