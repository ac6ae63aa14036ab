//! `/browse?path=`: the namespace folder by folder (paged), a file's details, its blocks and
//! their locations, and its first KB; `/download?path=` streams a file.
//!
//! Pages show what the master holds (nothing is loaded from the under storage) and read file
//! contents with NO_CACHE, so browsing never changes the cluster.

use alluxio_client::{AlluxioPath, FileInfo, FileSystem, OpenFileOptions, ReadType};
use alluxio_conf::keys;
use alluxio_web::{Paging, bytes, date, link, page};
use axum::body::Body;
use axum::extract::{Query, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{State, WebState};
use crate::MasterError;

/// Bytes of a file shown on its page.
const PREVIEW_BYTES: usize = 1024;
/// Bytes a download reads at a time.
const DOWNLOAD_CHUNK: usize = 1 << 20;

#[derive(Debug, Deserialize)]
pub(super) struct BrowseQuery {
    path: Option<String>,
}

/// A folder's page of children, or a file.
enum Listing {
    Folder { total: usize, children: Vec<FileInfo> },
    File(Box<FileInfo>),
}

/// What `path` holds, with the children `paging` selects if it is a folder.
fn listing(state: &WebState, path: &AlluxioPath, paging: Paging) -> Result<Listing, MasterError> {
    let fs = &state.info.fs;
    let tree = fs.tree.read();
    let inode = tree.resolve(path)?;
    if !inode.is_dir() {
        return Ok(Listing::File(Box::new(fs.file_info(&tree, &inode, path))));
    }
    let total = tree.child_count(inode.id);
    let window = paging.window(total);
    let children = tree
        .children_after(inode.id, None, window.end)
        .into_iter()
        .skip(window.start)
        .filter_map(|(name, id)| {
            let child = tree.get(id)?;
            let child_path = path.join(&name).ok()?;
            Some(fs.file_info(&tree, &child, &child_path))
        })
        .collect();
    Ok(Listing::Folder { total, children })
}

/// An error page: the status the error deserves and its message.
fn failure(state: &WebState, raw_path: &str, err: &MasterError) -> Response {
    let status = match err {
        MasterError::NotFound(_) => StatusCode::NOT_FOUND,
        MasterError::InvalidArgument(_) | MasterError::InvalidPath(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = html! {
        section {
            p.lost #error { "Cannot browse " code { (raw_path) } ": " (err) }
            p { a href="/browse" { "Back to /" } }
        }
    };
    (status, page(&state.nav, "/browse", "Browse", body)).into_response()
}

pub(super) async fn show(
    Extract(state): State,
    Query(query): Query<BrowseQuery>,
    Query(paging): Query<Paging>,
) -> Response {
    let raw = query.path.unwrap_or_else(|| "/".into());
    let path = match AlluxioPath::new(&raw) {
        Ok(path) => path,
        Err(err) => return failure(&state, &raw, &MasterError::from(err)),
    };
    match listing(&state, &path, paging) {
        Ok(Listing::Folder { total, children }) => {
            let body = html! {
                (crumbs(&path))
                section {
                    (folder_table(&children))
                    (paging.pager("/browse", &[("path", path.as_str())], total))
                }
            };
            page(&state.nav, "/browse", "Browse", body).into_response()
        }
        Ok(Listing::File(info)) => {
            let preview = preview(&state, &path, &info).await;
            page(&state.nav, "/browse", "Browse", file_page(&path, &info, preview)).into_response()
        }
        Err(err) => failure(&state, &raw, &err),
    }
}

/// Links to each ancestor of `path`.
fn crumbs(path: &AlluxioPath) -> Markup {
    let mut ancestors = Vec::new();
    let mut current = Some(path.clone());
    while let Some(p) = current {
        current = p.parent();
        ancestors.push(p);
    }
    ancestors.reverse();
    html! {
        p.crumbs #crumbs {
            @for (i, ancestor) in ancestors.iter().enumerate() {
                @if i > 1 { " / " }
                a href=(link("/browse", &[("path", ancestor.as_str())])) {
                    @if ancestor.is_root() { "/" } @else { (ancestor.name()) }
                }
            }
        }
    }
}

fn folder_table(children: &[FileInfo]) -> Markup {
    html! {
        table #listing {
            thead { tr {
                th { "Name" } th.num { "Size" } th.num { "Block Size" } th.num { "In-Alluxio" }
                th { "Mode" } th { "Owner" } th { "Group" } th { "Pinned" } th { "Persistence" }
                th { "Created" } th { "Modified" }
            } }
            tbody {
                @for child in children {
                    tr {
                        td { a href=(link("/browse", &[("path", &child.path)])) {
                            (child.name) @if child.folder { "/" }
                        } }
                        td.num { @if !child.folder { (bytes(child.length)) } }
                        td.num { @if !child.folder { (bytes(child.block_size_bytes)) } }
                        td.num { @if !child.folder { (child.in_alluxio_percentage) "%" } }
                        td { code { (child.mode_string()) } }
                        td { (child.owner) }
                        td { (child.group) }
                        td { (if child.pinned { "YES" } else { "NO" }) }
                        td { (child.persistence_name()) }
                        td { (date(child.creation_time_ms)) }
                        td { (date(child.last_modification_time_ms)) }
                    }
                }
            }
        }
    }
}

fn file_page(path: &AlluxioPath, info: &FileInfo, preview: Result<Vec<u8>, String>) -> Markup {
    html! {
        (crumbs(path))
        section {
            h2 { "File" }
            table.kv #file {
                tr { th { "Path" } td { (info.path) } }
                tr { th { "Size" } td #file-size { (bytes(info.length)) " (" (info.length) " bytes)" } }
                tr { th { "Block Size" } td { (bytes(info.block_size_bytes)) } }
                tr { th { "In Alluxio" } td { (info.in_alluxio_percentage) "%" } }
                tr { th { "In Memory" } td { (info.in_memory_percentage) "%" } }
                tr { th { "Complete" } td { (info.completed) } }
                tr { th { "Persistence" } td { (info.persistence_name()) } }
                tr { th { "Under Storage Path" } td { (info.ufs_path) } }
                tr { th { "Mode" } td { code { (info.mode_string()) } } }
                tr { th { "Owner / Group" } td { (info.owner) " / " (info.group) } }
                tr { th { "Pinned" } td { (info.pinned) } }
                tr { th { "TTL" } td { @if info.ttl < 0 { "none" } @else { (info.ttl) " ms" } } }
                tr { th { "Created" } td { (date(info.creation_time_ms)) } }
                tr { th { "Modified" } td { (date(info.last_modification_time_ms)) } }
            }
            p { a #download href=(link("/download", &[("path", path.as_str())])) { "Download" } }
        }
        section {
            h2 { "Blocks (" (info.file_block_infos.len()) ")" }
            table #blocks {
                thead { tr { th { "Block Id" } th.num { "Offset" } th.num { "Length" } th { "Locations" } } }
                tbody {
                    @for block in &info.file_block_infos {
                        @let block_info = block.block_info.clone().unwrap_or_default();
                        tr {
                            td { (block_info.block_id) }
                            td.num { (block.offset) }
                            td.num { (bytes(block_info.length)) }
                            td {
                                @if block_info.locations.is_empty() { span.muted { "not cached" } }
                                @for location in &block_info.locations {
                                    @let host = location.worker_address.clone().unwrap_or_default().host;
                                    div.location { (host) " (" (location.tier_alias) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { "First " (PREVIEW_BYTES / 1024) " KB" }
            @match preview {
                Ok(head) => pre.content #preview { (String::from_utf8_lossy(&head)) },
                Err(why) => p.lost #preview { "Cannot read the file: " (why) },
            }
        }
    }
}

/// A client of this master, connected on first use.
async fn reader(state: &WebState) -> Result<&FileSystem, String> {
    state
        .reader
        .get_or_try_init(|| async {
            let mut conf = state.info.conf.clone();
            let (host, port) = state
                .info
                .rpc_address
                .rsplit_once(':')
                .ok_or_else(|| format!("bad master address {}", state.info.rpc_address))?;
            conf.set(keys::MASTER_HOSTNAME, host);
            conf.set(keys::MASTER_PORT, port);
            // Browsing must change nothing: no block copied, no metadata loaded or synced.
            conf.set(keys::USER_FILE_PASSIVE_CACHE_ENABLED, "false");
            conf.set(keys::USER_FILE_METADATA_LOAD_TYPE, "NEVER");
            conf.set(keys::USER_FILE_METADATA_SYNC_INTERVAL, "-1");
            FileSystem::connect(conf).await.map_err(|e| e.to_string())
        })
        .await
}

/// Up to [`PREVIEW_BYTES`] from the start of a complete file.
async fn preview(state: &WebState, path: &AlluxioPath, info: &FileInfo) -> Result<Vec<u8>, String> {
    if !info.completed {
        return Err("the file is still being written".into());
    }
    let fs = reader(state).await?;
    let options = OpenFileOptions {
        read_type: Some(ReadType::NoCache),
    };
    let mut stream = fs.open_file(path, options).await.map_err(|e| e.to_string())?;
    let mut head = vec![0u8; PREVIEW_BYTES.min(info.length as usize)];
    let mut filled = 0;
    while filled < head.len() {
        match stream
            .read(&mut head[filled..])
            .await
            .map_err(|e| e.to_string())?
        {
            0 => break,
            n => filled += n,
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// `/download?path=`: the file's bytes, streamed.
pub(super) async fn download(Extract(state): State, Query(query): Query<BrowseQuery>) -> Response {
    let raw = query.path.unwrap_or_default();
    let opened = async {
        let path = AlluxioPath::new(&raw).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        let fs = reader(&state)
            .await
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e))?;
        let options = OpenFileOptions {
            read_type: Some(ReadType::NoCache),
        };
        fs.open_file(&path, options)
            .await
            .map_err(|e| {
                let status = match e.kind() {
                    alluxio_client::ErrorKind::NotFound => StatusCode::NOT_FOUND,
                    alluxio_client::ErrorKind::InvalidArgument
                    | alluxio_client::ErrorKind::FailedPrecondition => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                (status, e.to_string())
            })
            .map(|stream| (path, stream))
    };
    match opened.await {
        Ok((path, stream)) => {
            let chunks = futures::stream::try_unfold(stream, |mut stream| async move {
                let mut buf = vec![0u8; DOWNLOAD_CHUNK];
                let n = stream.read(&mut buf).await.map_err(std::io::Error::other)?;
                buf.truncate(n);
                Ok::<_, std::io::Error>((n > 0).then_some((bytes::Bytes::from(buf), stream)))
            });
            let disposition = format!("attachment; filename=\"{}\"", path.name().replace('"', "_"));
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                Body::from_stream(chunks),
            )
                .into_response()
        }
        Err((status, message)) => (status, format!("Cannot download {raw}: {message}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crumbs_link_every_ancestor() {
        let html = crumbs(&AlluxioPath::new("/a b/c").unwrap()).into_string();
        assert!(html.contains(r#"href="/browse?path=%2F">/</a>"#), "{html}");
        assert!(html.contains(r#"href="/browse?path=%2Fa+b">a b</a>"#), "{html}");
        assert!(html.contains(r#"href="/browse?path=%2Fa+b%2Fc">c</a>"#), "{html}");
    }
}
