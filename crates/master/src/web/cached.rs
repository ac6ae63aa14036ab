//! `/memory`: the files with data in Alluxio storage, sortable and paged.

use alluxio_client::{AlluxioPath, FileInfo};
use alluxio_web::{Paging, bytes, date, link, page};
use axum::extract::{Query, State as Extract};
use maud::{Markup, html};
use serde::Deserialize;

use super::State;
use crate::namespace::FileSystemMaster;
use crate::namespace::tree::InodeKind;

/// The page of cached files `paging` selects in `sort` order, and how many there are. Only the
/// page's files get a full status (block locations), unless the order needs every file's
/// cached share.
fn cached_files(fs: &FileSystemMaster, sort: SortBy, paging: Paging) -> (Vec<FileInfo>, usize) {
    let ids = fs.blocks.cached_file_ids();
    let tree = fs.tree.read();
    let info = |id: u64, path: &AlluxioPath| tree.get(id).map(|inode| fs.file_info(&tree, &inode, path));
    if sort == SortBy::Cached {
        let mut files: Vec<FileInfo> = ids
            .into_iter()
            .filter_map(|id| info(id, &tree.path_of(id)?))
            .collect();
        sort.sort(&mut files);
        let window = paging.window(files.len());
        let total = files.len();
        return (files.drain(window).collect(), total);
    }
    // The other orders need only what the inode holds.
    let mut rows: Vec<FileInfo> = ids
        .into_iter()
        .filter_map(|id| {
            let inode = tree.get(id)?;
            let length = match &inode.kind {
                InodeKind::File { length, .. } => *length,
                InodeKind::Dir { .. } => 0,
            };
            Some(FileInfo {
                file_id: id,
                path: tree.path_of(id)?.to_string(),
                length,
                creation_time_ms: inode.creation_ms,
                ..Default::default()
            })
        })
        .collect();
    sort.sort(&mut rows);
    let window = paging.window(rows.len());
    let page = rows[window]
        .iter()
        .filter_map(|row| info(row.file_id, &AlluxioPath::new(&row.path).ok()?))
        .collect();
    (page, rows.len())
}

/// What the table is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SortBy {
    #[default]
    Path,
    Size,
    Cached,
    Created,
}

impl SortBy {
    const ALL: [(SortBy, &'static str, &'static str); 4] = [
        (SortBy::Path, "path", "File Path"),
        (SortBy::Size, "size", "Size"),
        (SortBy::Cached, "cached", "In-Alluxio"),
        (SortBy::Created, "created", "Created"),
    ];

    fn sort(self, files: &mut [FileInfo]) {
        match self {
            SortBy::Path => files.sort_by(|a, b| a.path.cmp(&b.path)),
            SortBy::Size => files.sort_by_key(|f| std::cmp::Reverse(f.length)),
            SortBy::Cached => files.sort_by_key(|f| std::cmp::Reverse(f.in_alluxio_percentage)),
            SortBy::Created => files.sort_by_key(|f| std::cmp::Reverse(f.creation_time_ms)),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CachedQuery {
    #[serde(default)]
    sort: SortBy,
}

pub(super) async fn show(
    Extract(state): State,
    Query(query): Query<CachedQuery>,
    Query(paging): Query<Paging>,
) -> Markup {
    let (files, total) = cached_files(&state.info.fs, query.sort, paging);
    let body = html! {
        section {
            table #cached {
                thead { tr {
                    @for (sort, key, title) in SortBy::ALL {
                        th class=[(sort == query.sort).then_some("sorted")] {
                            a href=(link("/memory", &[("sort", key)])) { (title) }
                        }
                    }
                    th.num { "Block Size" } th { "Pinned" } th { "Persistence" }
                } }
                tbody {
                    @for file in &files {
                        tr {
                            td { a href=(link("/browse", &[("path", &file.path)])) { (file.path) } }
                            td.num { (bytes(file.length)) }
                            td.num { (file.in_alluxio_percentage) "%" }
                            td { (date(file.creation_time_ms)) }
                            td.num { (bytes(file.block_size_bytes)) }
                            td { (if file.pinned { "YES" } else { "NO" }) }
                            td { (file.persistence_name()) }
                        }
                    }
                }
            }
            @let sort_key = SortBy::ALL.iter().find(|(s, ..)| *s == query.sort).map_or("path", |(_, key, _)| *key);
            (paging.pager("/memory", &[("sort", sort_key)], total))
        }
    };
    page(&state.nav, "/memory", "In-Alluxio Files", body)
}
