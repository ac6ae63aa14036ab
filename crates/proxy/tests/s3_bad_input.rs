//! Malformed S3 requests, written byte by byte on a TCP socket: each gets a 4xx (or the
//! connection is refused), no half-written object ever becomes visible, and the server keeps
//! answering.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PREFIX: &str = "/api/v1/s3";

/// Sends `request`, half-closing the connection afterwards if `close`; returns the answer
/// (empty if the server just closed the connection). Write errors are expected when the server
/// stops reading a request it refused.
async fn send(addr: SocketAddr, request: &[u8], close: bool) -> String {
    let mut socket = TcpStream::connect(addr)
        .await
        .expect("the proxy accepts connections");
    let _ = socket.write_all(request).await;
    if close {
        let _ = socket.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "no answer within 20s to {:?}",
        String::from_utf8_lossy(&request[..request.len().min(200)])
    );
    String::from_utf8_lossy(&answer).into_owned()
}

/// A request with a body, closing the connection after the answer.
fn request(method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut text = format!("{method} {PREFIX}{target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn status(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

fn assert_s3_error(answer: &str, code: u16, s3_code: &str) {
    assert_eq!(status(answer), code, "{answer}");
    assert!(
        answer.contains(&format!("<Code>{s3_code}</Code>")),
        "expected {s3_code}: {answer}"
    );
}

/// A plain request, with a Content-Length for its body.
async fn call(addr: SocketAddr, method: &str, target: &str, body: &[u8]) -> String {
    let headers = [("Content-Length", body.len().to_string())];
    send(addr, &request(method, target, &headers, body), false).await
}

/// Whether `key` of bucket `bad` can be read.
async fn visible(addr: SocketAddr, key: &str) -> bool {
    let answer = call(addr, "GET", &format!("/bad/{key}"), b"").await;
    match status(&answer) {
        200 => true,
        404 => false,
        other => panic!("GET {key}: {other}: {answer}"),
    }
}

/// The server still answers: the bucket lists.
async fn alive(addr: SocketAddr) {
    let answer = call(addr, "GET", "/bad?list-type=2", b"").await;
    assert_eq!(status(&answer), 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_refused_and_leave_nothing() {
    let proxy = TestProxy::start(&[]).await;
    let addr = proxy.proxy.web_addr();
    assert_eq!(status(&call(addr, "PUT", "/bad", b"").await), 200);

    // A body shorter than its Content-Length, then the connection closes.
    let cut = request(
        "PUT",
        "/bad/short",
        &[("Content-Length", "100000".into())],
        &[b'x'; 1000],
    );
    let answer = send(addr, &cut, true).await;
    if !answer.is_empty() {
        assert!((400..500).contains(&status(&answer)), "{answer}");
    }
    assert!(!visible(addr, "short").await, "a truncated body became an object");
    alive(addr).await;

    // A body longer than its Content-Length: the object is the announced bytes, the rest is a
    // malformed next request.
    let long = request(
        "PUT",
        "/bad/long",
        &[("Content-Length", "5".into())],
        b"helloGARBAGE GARBAGE\r\n\r\n",
    );
    let answer = send(addr, &long, true).await;
    assert_eq!(status(&answer), 200, "{answer}");
    let got = call(addr, "GET", "/bad/long", b"").await;
    assert!(got.ends_with("\r\n\r\nhello"), "{got}");
    alive(addr).await;

    // A truncated aws-chunked body (the framing promises more than arrives).
    let chunked = request(
        "PUT",
        "/bad/chunked",
        &[
            ("Content-Length", "30".into()),
            (
                "x-amz-content-sha256",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            ),
            ("x-amz-decoded-content-length", "100".into()),
            ("Content-Encoding", "aws-chunked".into()),
        ],
        b"64\r\nonly a few bytes\r\n0\r\n\r\n\r\n",
    );
    let answer = send(addr, &chunked, true).await;
    if !answer.is_empty() {
        assert!((400..500).contains(&status(&answer)), "{answer}");
    }
    assert!(
        !visible(addr, "chunked").await,
        "a broken aws-chunked body became an object"
    );
    // Malformed aws-chunked framing.
    let framing = b"zz\r\nhello\r\n0\r\n\r\n";
    let malformed = request(
        "PUT",
        "/bad/framing",
        &[
            ("Content-Length", framing.len().to_string()),
            (
                "x-amz-content-sha256",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            ),
            ("x-amz-decoded-content-length", "5".into()),
        ],
        framing,
    );
    let answer = send(addr, &malformed, false).await;
    assert!((400..500).contains(&status(&answer)), "{answer}");
    assert!(!visible(addr, "framing").await);
    alive(addr).await;

    // Malformed XML.
    let answer = call(addr, "POST", "/bad?delete", b"<Delete><Object><Key>k</Key>").await;
    assert_s3_error(&answer, 400, "MalformedXML");
    let created = call(addr, "POST", "/bad/mp?uploads", b"").await;
    assert_eq!(status(&created), 200, "{created}");
    let upload_id = created
        .split("<UploadId>")
        .nth(1)
        .and_then(|rest| rest.split("</UploadId>").next())
        .expect("an upload id")
        .to_string();
    let answer = call(
        addr,
        "POST",
        &format!("/bad/mp?uploadId={upload_id}"),
        b"<CompleteMultipartUpload><Part><PartNumber>1</Part>",
    )
    .await;
    assert_s3_error(&answer, 400, "MalformedXML");
    let answer = call(
        addr,
        "POST",
        &format!("/bad/mp?uploadId={upload_id}"),
        b"<CompleteMultipartUpload></CompleteMultipartUpload>",
    )
    .await;
    assert_s3_error(&answer, 400, "MalformedXML");
    assert!(!visible(addr, "mp").await);

    // Keys that are too long or that Alluxio would resolve elsewhere.
    let long_key = "k".repeat(2048);
    assert_s3_error(
        &call(addr, "PUT", &format!("/bad/{long_key}"), b"x").await,
        400,
        "KeyTooLongError",
    );
    for key in ["a/../b", "a/%2E%2E/b", "a//b", "a/./b", "%2E%2E"] {
        assert_s3_error(
            &call(addr, "PUT", &format!("/bad/{key}"), b"x").await,
            400,
            "InvalidArgument",
        );
    }
    assert!(!visible(addr, "b").await);
    assert!(!visible(addr, "a/b").await);

    // An operation s3s does not know.
    let answer = call(addr, "POST", "/bad/k?frobnicate", b"").await;
    assert!(
        (400..=501).contains(&status(&answer)) && answer.contains("<Error>"),
        "{answer}"
    );

    // A 10 MB header: refused without taking the server down.
    let huge = format!(
        "GET {PREFIX}/bad HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: {}\r\nConnection: close\r\n\r\n",
        "h".repeat(10 << 20)
    );
    let answer = send(addr, huge.as_bytes(), true).await;
    if !answer.is_empty() {
        assert!(matches!(status(&answer), 400 | 431), "{answer}");
    }
    alive(addr).await;

    // Only what was written whole is in the bucket.
    let listing = call(addr, "GET", "/bad?list-type=2", b"").await;
    let keys: Vec<&str> = listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split("</Key>").next())
        .collect();
    assert_eq!(keys, ["long"], "{listing}");
    proxy.shutdown().await;
}

/// boto3 sends `Expect: 100-continue` with a body and, when no `100 Continue` comes within a
/// second (a busy machine), sends the body anyway. A request refused before its body was read
/// must end its connection: the late body would otherwise be read as the start of the next
/// request (`dataDELETE ...`, which a signature check then refuses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_with_an_unread_body_closes_its_connection() {
    let proxy = TestProxy::start(&[]).await;
    let addr = proxy.proxy.web_addr();
    assert_eq!(status(&call(addr, "PUT", "/late", b"").await), 200);
    let mut socket = TcpStream::connect(addr).await.unwrap();
    // A directory marker with data is refused without reading the data.
    let head = format!(
        "PUT {PREFIX}/late/marker/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\
         Expect: 100-continue\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64 << 10];
    let n = tokio::time::timeout(Duration::from_secs(20), socket.read(&mut answer))
        .await
        .expect("an answer to the refused request")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    // The late body and a next request: the server has closed the connection instead.
    let next = format!("dataGET {PREFIX}/late?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let _ = socket.write_all(next.as_bytes()).await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut rest)).await;
    assert!(
        matches!(read, Ok(Ok(_)) | Ok(Err(_))),
        "the connection stayed open"
    );
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    let listing = call(addr, "GET", "/late?list-type=2", b"").await;
    assert_eq!(status(&listing), 200, "{listing}");
    proxy.shutdown().await;
}
