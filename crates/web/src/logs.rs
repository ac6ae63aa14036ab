//! `/browseLogs` and `/downloadLogFile`: the files of `alluxio.logs.dir`, listed, tailed and
//! downloaded. Only plain file names inside that folder are served.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::{Common, bytes, date, page};

/// How much of a log one view shows.
const VIEW_BYTES: u64 = 64 * 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct LogQuery {
    /// A file name in the logs folder.
    path: Option<String>,
    /// Where the view ends (bytes from the start); the end of the file when absent.
    end: Option<u64>,
}

/// The log file `name` names, or why it cannot be served.
fn log_file(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    if !plain {
        return Err(format!("'{name}' is not a file name in the logs folder"));
    }
    Ok(dir.join(name))
}

/// Opens a regular file of the logs folder: not through a symbolic link, and without waiting
/// on a FIFO or device someone left there.
async fn open_log(path: &Path) -> std::io::Result<tokio::fs::File> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .await?;
    if !file.metadata().await?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

fn not_found(common: &Common, message: String) -> Response {
    let body = html! { section { p.lost { (message) } p { a href="/browseLogs" { "All logs" } } } };
    (
        StatusCode::NOT_FOUND,
        page(&common.nav, "/browseLogs", "Logs", body),
    )
        .into_response()
}

pub(crate) async fn browse(State(common): State<Arc<Common>>, Query(query): Query<LogQuery>) -> Response {
    match query.path {
        None => list(&common).await.into_response(),
        Some(name) => match log_file(&common.logs_dir, &name) {
            Ok(path) => match view(&common, &name, &path, query.end).await {
                Ok(markup) => markup.into_response(),
                Err(err) => not_found(&common, format!("Cannot read log {name}: {err}")),
            },
            Err(message) => not_found(&common, message),
        },
    }
}

/// The files of the logs folder, by name.
async fn list(common: &Common) -> Markup {
    let mut files = Vec::new();
    let listing = tokio::fs::read_dir(&common.logs_dir).await;
    if let Ok(mut entries) = listing {
        while let Ok(Some(entry)) = entries.next_entry().await {
            if let Ok(meta) = entry.metadata().await
                && meta.is_file()
            {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_millis() as i64);
                files.push((
                    entry.file_name().to_string_lossy().into_owned(),
                    meta.len(),
                    modified,
                ));
            }
        }
    }
    files.sort();
    let body = html! {
        section {
            p.muted { "Folder: " (common.logs_dir.display()) " (alluxio.logs.dir)" }
            @if files.is_empty() {
                p { "No log files." }
            } @else {
                table {
                    thead { tr { th { "File" } th.num { "Size" } th { "Modified" } th {} } }
                    tbody {
                        @for (name, size, modified) in &files {
                            tr {
                                td { a href=(link("/browseLogs", name)) { (name) } }
                                td.num { (bytes(*size)) }
                                td { (date(*modified)) }
                                td { a href=(link("/downloadLogFile", name)) { "Download" } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&common.nav, "/browseLogs", "Logs", body)
}

fn link(path: &str, name: &str) -> String {
    crate::link(path, &[("path", name)])
}

/// Up to [`VIEW_BYTES`] of a log ending at `end`, with a link to the part before.
async fn view(common: &Common, name: &str, path: &Path, end: Option<u64>) -> std::io::Result<Markup> {
    let mut file = open_log(path).await?;
    let length = file.metadata().await?.len();
    let end = end.unwrap_or(length).min(length);
    let start = end.saturating_sub(VIEW_BYTES);
    file.seek(SeekFrom::Start(start)).await?;
    let mut text = Vec::with_capacity((end - start) as usize);
    file.take(end - start).read_to_end(&mut text).await?;
    let earlier = crate::link("/browseLogs", &[("path", name), ("end", &start.to_string())]);
    let body = html! {
        section {
            p {
                "Bytes " (start) "–" (end) " of " (length) ". "
                @if start > 0 { a href=(earlier) { "« Earlier" } " · " }
                a href=(link("/downloadLogFile", name)) { "Download" } " · "
                a href="/browseLogs" { "All logs" }
            }
            pre.content { (String::from_utf8_lossy(&text)) }
        }
    };
    Ok(page(&common.nav, "/browseLogs", &format!("Log {name}"), body))
}

pub(crate) async fn download(State(common): State<Arc<Common>>, Query(query): Query<LogQuery>) -> Response {
    let name = query.path.unwrap_or_default();
    let path = match log_file(&common.logs_dir, &name) {
        Ok(path) => path,
        Err(message) => return not_found(&common, message),
    };
    match open_log(&path).await {
        Ok(file) => {
            let disposition = format!("attachment; filename=\"{}\"", name.replace('"', "_"));
            (
                [
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                Body::from_stream(ReaderStream::new(file)),
            )
                .into_response()
        }
        Err(err) => not_found(&common, format!("Cannot read log {name}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn links_fifos_and_folders_are_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("master.log");
        std::fs::write(&log, "started").unwrap();
        assert!(open_log(&log).await.is_ok());
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&log, &link).unwrap();
        assert!(open_log(&link).await.is_err(), "symbolic links are not followed");
        let fifo = dir.path().join("fifo.log");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(
            open_log(&fifo).await.is_err(),
            "a FIFO is refused without waiting for a writer"
        );
        assert!(open_log(dir.path()).await.is_err());
    }

    #[test]
    fn only_plain_names_inside_the_folder_are_served() {
        let dir = Path::new("/logs");
        assert_eq!(
            log_file(dir, "master.log").unwrap(),
            Path::new("/logs/master.log")
        );
        for bad in ["", ".", "..", "../etc/passwd", "a/b", "a\\b", "x\0"] {
            assert!(log_file(dir, bad).is_err(), "{bad}");
        }
    }
}
