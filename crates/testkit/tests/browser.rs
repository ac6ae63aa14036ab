//! The browser harness of the web-UI tests, against two linked pages served on loopback, and the
//! promtool check of `/metrics` pages.

use alluxio_testkit::browser::Browser;
use alluxio_testkit::prometheus::{promtool, promtool_check_metrics};
use axum::Router;
use axum::response::Html;
use axum::routing::get;

const FIRST: &str = r#"<!doctype html>
<html><head><title>First</title></head>
<body><h1>First page</h1><p><a href="/second">Go to the second page</a></p></body></html>"#;

const SECOND: &str = r#"<!doctype html>
<html><head><title>Second</title></head>
<body><h1 id="heading">Second page</h1>
<ul><li>one</li><li>two</li></ul>
<p><a href="/">Back to the first page</a></p></body></html>"#;

/// Serves `/` and `/second` on 127.0.0.1 and returns the base URL.
async fn serve_pages() -> String {
    let app = Router::new()
        .route("/", get(|| async { Html(FIRST) }))
        .route("/second", get(|| async { Html(SECOND) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve the pages") });
    format!("http://{addr}")
}

#[tokio::test]
async fn follows_a_link_reads_the_page_and_takes_a_screenshot() {
    let base = serve_pages().await;
    let browser = Browser::start().await.expect("start the browser");

    browser
        .goto(&format!("{base}/"))
        .await
        .expect("load the first page");
    assert_eq!(browser.text("h1").await.expect("the first heading"), "First page");

    browser
        .click_link("Go to the second page")
        .await
        .expect("click the link");
    assert_eq!(
        browser.text("h1#heading").await.expect("the second heading"),
        "Second page"
    );
    assert_eq!(
        browser.current_url().await.expect("the URL"),
        format!("{base}/second")
    );
    assert_eq!(browser.texts("li").await.expect("the list items"), ["one", "two"]);
    assert!(browser.texts("table").await.expect("no tables").is_empty());
    let source = browser.source().await.expect("the page source");
    assert!(source.contains("Back to the first page"), "{source}");

    let path = browser
        .screenshot("testkit-browser-second-page")
        .await
        .expect("a screenshot");
    assert!(
        path.ends_with("screenshots/testkit-browser-second-page.png"),
        "{}",
        path.display()
    );
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is no PNG",
        path.display()
    );

    browser
        .click_link("Back to the first page")
        .await
        .expect("click the way back");
    assert_eq!(
        browser.text("h1").await.expect("the first heading again"),
        "First page"
    );
    browser.close().await.expect("close the session");
}

#[tokio::test]
async fn dropping_the_browser_kills_chromedriver() {
    let browser = Browser::start().await.expect("start the browser");
    let addr = browser.driver_addr();
    browser.client().status().await.expect("chromedriver answers");
    drop(browser);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "chromedriver still listens on {addr}"
    );
    // Another one starts after the first was killed rather than closed.
    let again = Browser::start().await.expect("start a browser again");
    again.close().await.expect("close it");
}

#[test]
fn promtool_checks_metrics() {
    assert!(promtool().is_file());
    promtool_check_metrics("# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n")
        .expect("a valid exposition");
    let err = promtool_check_metrics("x_total{ 1\n").expect_err("a malformed exposition");
    assert!(err.contains("promtool check metrics failed"), "{err}");
    let lint =
        promtool_check_metrics("# TYPE x counter\nx 1\n").expect_err("a counter without _total or HELP");
    assert!(lint.contains("_total"), "{lint}");
}
