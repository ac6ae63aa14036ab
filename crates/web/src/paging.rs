//! Paging of long tables: `?offset=N&limit=M` and the links between pages.

use std::ops::Range;

use maud::{Markup, html};
use serde::Deserialize;

/// Rows per page unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;
/// The most rows one page shows.
const MAX_LIMIT: usize = 1000;

/// Which rows a page shows, from its query string.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Paging {
    /// First row shown (0-based).
    #[serde(default)]
    pub offset: usize,
    /// Rows shown.
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Paging {
    /// The rows of `total` this page shows (empty past the end).
    pub fn window(&self, total: usize) -> Range<usize> {
        let limit = self.limit.clamp(1, MAX_LIMIT);
        let start = self.offset.min(total);
        start..(start + limit).min(total)
    }

    /// "Showing a–b of total" with links to the previous and next pages of `path`, keeping
    /// `params` in their query strings.
    pub fn pager(&self, path: &str, params: &[(&str, &str)], total: usize) -> Markup {
        let shown = self.window(total);
        let limit = self.limit.clamp(1, MAX_LIMIT);
        let link = |offset: usize| {
            let (offset, limit) = (offset.to_string(), limit.to_string());
            let mut query: Vec<(&str, &str)> = params.to_vec();
            query.push(("offset", &offset));
            query.push(("limit", &limit));
            crate::link(path, &query)
        };
        html! {
            div.pager {
                @if total == 0 {
                    span.muted { "Nothing to show" }
                } @else if shown.is_empty() {
                    span.muted { "Nothing on this page (" (total) " in all)" }
                } @else {
                    span { "Showing " (shown.start + 1) "–" (shown.end) " of " (total) }
                }
                @if shown.start > 0 {
                    a.prev href=(link(shown.start.saturating_sub(limit))) { "« Previous" }
                }
                @if shown.end < total {
                    a.next href=(link(shown.end)) { "Next »" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stay_inside_the_rows() {
        let page = |offset, limit| Paging { offset, limit };
        assert_eq!(page(0, 100).window(10_000), 0..100);
        assert_eq!(page(9_950, 100).window(10_000), 9_950..10_000);
        assert_eq!(page(20_000, 100).window(10_000), 10_000..10_000);
        assert_eq!(page(0, 0).window(5), 0..1, "a zero limit shows one row");
        assert_eq!(page(0, 1_000_000).window(5_000), 0..1000, "limits are capped");
    }

    #[test]
    fn pager_links_keep_the_query_and_escape_it() {
        let html = Paging {
            offset: 100,
            limit: 100,
        }
        .pager("/browse", &[("path", "/a b&c")], 250)
        .into_string();
        assert!(html.contains("Showing 101–200 of 250"), "{html}");
        assert!(
            html.contains(r#"href="/browse?path=%2Fa+b%26c&amp;offset=0&amp;limit=100""#),
            "{html}"
        );
        assert!(html.contains("offset=200"), "{html}");
        let last = Paging {
            offset: 200,
            limit: 100,
        }
        .pager("/b", &[], 250)
        .into_string();
        assert!(!last.contains("Next"), "{last}");
        let past = Paging {
            offset: 300,
            limit: 100,
        }
        .pager("/b", &[], 250)
        .into_string();
        assert!(past.contains("Nothing on this page (250 in all)"), "{past}");
        assert!(
            past.contains("offset=150"),
            "a link back to the last rows: {past}"
        );
    }
}
