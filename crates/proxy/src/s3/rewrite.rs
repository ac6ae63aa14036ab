//! Turning a request as the client sent it into the plain request the S3 operations see: the
//! `/api/v1/s3` prefix removed from the path, the signature removed (it has been checked, or
//! there is nothing to check it with), and an `aws-chunked` body decoded.
//!
//! s3s routes from the same path it computes a SigV4 canonical request from, and verifies every
//! signed request it sees, so the operations' s3s service must receive requests that are no
//! longer signed and no longer carry the prefix.

use axum::http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, HeaderMap, HeaderValue};
use axum::http::{HeaderName, Uri};
use s3s::{S3Result, s3_error};

/// Query parameters of presigned URLs (SigV4 and SigV2).
const SIGNATURE_PARAMETERS: [&str; 9] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
];

/// Headers that describe the signature or the `aws-chunked` framing, not the object.
const SIGNATURE_HEADERS: [&str; 4] = [
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-security-token",
];

/// Whether the request is signed with SigV2 (`Authorization: AWS <key>:<signature>`, or a
/// presigned URL with `Signature`), whose string to sign holds the resource `/<bucket>/<key>`
/// without whatever path the endpoint has (botocore signs it so): its signature is verified
/// against the URI without the `/api/v1/s3` prefix. SigV4 signs the whole path as sent.
pub(crate) fn is_sig_v2(headers: &HeaderMap, uri: &Uri) -> bool {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS "));
    let query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| parameter_name(pair) == "Signature"));
    header || query
}

/// `uri` without `prefix` at the start of its path.
pub(crate) fn without_prefix(uri: &Uri, prefix: &str) -> S3Result<Uri> {
    let path = uri.path().strip_prefix(prefix).unwrap_or(uri.path());
    let path = if path.is_empty() { "/" } else { path };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    build(uri, path_and_query)
}

fn build(uri: &Uri, path_and_query: String) -> S3Result<Uri> {
    Uri::builder()
        .path_and_query(path_and_query)
        .build()
        .map_err(|e| s3_error!(InvalidURI, "cannot rewrite the request URI {uri}: {e}"))
}

/// `uri` without `prefix` at the start of its path and without signature query parameters.
pub(crate) fn unsigned_uri(uri: &Uri, prefix: &str) -> S3Result<Uri> {
    let stripped = without_prefix(uri, prefix)?;
    let path = stripped.path();
    let query = stripped.query().map(|query| {
        let sigv2 = query.split('&').any(|pair| parameter_name(pair) == "Signature");
        query
            .split('&')
            .filter(|pair| {
                let name = parameter_name(pair);
                let signature = SIGNATURE_PARAMETERS.contains(&name) || (sigv2 && name == "Expires");
                !pair.is_empty() && !signature
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let path_and_query = match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    build(uri, path_and_query)
}

fn parameter_name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(name, _)| name)
}

/// Removes the signature and `aws-chunked` headers; `decoded_length` (the body's length once
/// decoded, if it was `aws-chunked` and the length is known) replaces Content-Length.
pub(crate) fn strip_signature_headers(headers: &mut HeaderMap, chunked: bool, decoded_length: Option<u64>) {
    headers.remove(AUTHORIZATION);
    for name in SIGNATURE_HEADERS {
        headers.remove(HeaderName::from_static(name));
    }
    if let Some(encoding) = headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()) {
        let rest: Vec<&str> = encoding
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        match HeaderValue::from_str(&rest.join(", ")) {
            Ok(value) if !rest.is_empty() => {
                headers.insert(CONTENT_ENCODING, value);
            }
            _ => {
                headers.remove(CONTENT_ENCODING);
            }
        }
    }
    if chunked {
        match decoded_length {
            Some(length) => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
            }
            None => {
                headers.remove(CONTENT_LENGTH);
            }
        }
    }
}

/// Whether the body is `aws-chunked` (a streaming signature, or the content encoding says so).
pub(crate) fn is_aws_chunked(headers: &HeaderMap) -> bool {
    let streaming = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    let encoded = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("aws-chunked")));
    streaming || encoded
}

/// `x-amz-decoded-content-length`, which must be a number if present.
pub(crate) fn decoded_length(headers: &HeaderMap) -> S3Result<Option<u64>> {
    headers
        .get("x-amz-decoded-content-length")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| {
                    s3_error!(
                        InvalidArgument,
                        "x-amz-decoded-content-length must be a number of bytes"
                    )
                })
        })
        .transpose()
}

/// The access key a request names, signed or not, as the user it is taken for: SigV4
/// (`Credential=<key>/...`), SigV4 presigned (`X-Amz-Credential`), SigV2 (`AWS <key>:<sig>`,
/// `AWSAccessKeyId`). `None` for an anonymous request.
pub(crate) fn access_key(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(authorization) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some((_, rest)) = authorization.split_once("Credential=") {
            return rest.split('/').next().map(|key| key.trim().to_string());
        }
        if let Some(rest) = authorization.strip_prefix("AWS ") {
            return rest.split(':').next().map(|key| key.trim().to_string());
        }
    }
    let query = uri.query()?;
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        let value = percent_decode(value);
        match name {
            "X-Amz-Credential" => value.split('/').next().map(str::to_string),
            "AWSAccessKeyId" => Some(value),
            _ => None,
        }
    })
}

/// `%XX` escapes of a query value decoded (invalid escapes are kept as they are).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| value.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn the_prefix_and_presigned_parameters_go() {
        let presigned = uri(
            "/api/v1/s3/bk/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&versionId=null",
        );
        assert_eq!(
            unsigned_uri(&presigned, "/api/v1/s3").unwrap(),
            "/bk/a%20b?versionId=null"
        );
        assert_eq!(unsigned_uri(&uri("/api/v1/s3"), "/api/v1/s3").unwrap(), "/");
        assert_eq!(unsigned_uri(&uri("/api/v1/s3/"), "/api/v1/s3").unwrap(), "/");
        assert_eq!(unsigned_uri(&uri("/bk?uploads"), "").unwrap(), "/bk?uploads");
        let sigv2 = uri("/bk/k?AWSAccessKeyId=AK&Expires=1&Signature=x");
        assert_eq!(unsigned_uri(&sigv2, "").unwrap(), "/bk/k");
        assert_eq!(without_prefix(&sigv2, "").unwrap(), sigv2);
        assert_eq!(
            without_prefix(&uri("/api/v1/s3/bk?acl"), "/api/v1/s3").unwrap(),
            "/bk?acl"
        );
        assert!(is_sig_v2(&HeaderMap::new(), &sigv2));
        assert!(!is_sig_v2(&HeaderMap::new(), &presigned));
        // Without a SigV2 signature, Expires is someone else's parameter.
        assert_eq!(
            unsigned_uri(&uri("/bk/k?Expires=1"), "").unwrap(),
            "/bk/k?Expires=1"
        );
    }

    #[test]
    fn access_keys_are_found_in_every_signature_style() {
        let mut headers = HeaderMap::new();
        let none = uri("/bk/k");
        assert_eq!(access_key(&headers, &none), None);
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=alice/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
            ),
        );
        assert_eq!(access_key(&headers, &none).as_deref(), Some("alice"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("AWS bob:c2ln"));
        assert_eq!(access_key(&headers, &none).as_deref(), Some("bob"));
        let empty = HeaderMap::new();
        let presigned =
            uri("/bk/k?X-Amz-Credential=carol%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x");
        assert_eq!(access_key(&empty, &presigned).as_deref(), Some("carol"));
        let sigv2 = uri("/bk/k?AWSAccessKeyId=dave&Signature=x");
        assert_eq!(access_key(&empty, &sigv2).as_deref(), Some("dave"));
    }

    #[test]
    fn chunked_headers_are_replaced_by_the_decoded_ones() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        );
        headers.insert("x-amz-decoded-content-length", HeaderValue::from_static("11"));
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("aws-chunked, gzip"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=a/b"),
        );
        assert!(is_aws_chunked(&headers));
        assert_eq!(decoded_length(&headers).unwrap(), Some(11));
        strip_signature_headers(&mut headers, true, Some(11));
        assert_eq!(headers[CONTENT_LENGTH], "11");
        assert_eq!(headers[CONTENT_ENCODING], "gzip");
        assert!(headers.get(AUTHORIZATION).is_none());
        assert!(headers.get("x-amz-content-sha256").is_none());
        assert!(!is_aws_chunked(&headers));

        let mut bad = HeaderMap::new();
        bad.insert("x-amz-decoded-content-length", HeaderValue::from_static("eleven"));
        assert!(decoded_length(&bad).is_err());
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
