//! The page frame: head, top bar and content.

use maud::{DOCTYPE, Markup, html};

use crate::CSS_PATH;

/// A process's top bar: its name and its pages.
#[derive(Debug, Clone)]
pub struct Nav {
    /// What the bar says (`Alluxio Master`), followed by the process's address.
    pub title: String,
    /// Each page as (URL, label), in bar order.
    pub links: &'static [(&'static str, &'static str)],
}

/// A whole page: the top bar with `active` (a URL of `nav`) highlighted, then `heading` and
/// `body`.
pub fn page(nav: &Nav, active: &str, heading: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) " · " (nav.title) }
                link rel="stylesheet" href=(CSS_PATH);
            }
            body {
                header {
                    span.brand { (nav.title) }
                    nav {
                        @for (href, label) in nav.links {
                            a href=(href) class=[(*href == active).then_some("active")] { (label) }
                        }
                    }
                }
                main {
                    h1 { (heading) }
                    (body)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_active_link_is_marked_and_values_are_escaped() {
        let nav = Nav {
            title: "Alluxio <Master>".into(),
            links: &[("/home", "Overview"), ("/workers", "Workers")],
        };
        let html = page(&nav, "/workers", "W<&>", html! { p { "x" } }).into_string();
        assert!(
            html.contains(r#"<a href="/workers" class="active">Workers</a>"#),
            "{html}"
        );
        assert!(html.contains(r#"<a href="/home">Overview</a>"#), "{html}");
        assert!(html.contains("Alluxio &lt;Master&gt;"), "{html}");
        assert!(html.contains("<h1>W&lt;&amp;&gt;</h1>"), "{html}");
        assert!(!html.contains("<Master>"));
    }
}
