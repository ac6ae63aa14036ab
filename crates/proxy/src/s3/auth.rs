//! Signature verification, when key pairs are configured (`alluxio.proxy.s3.access.key` with
//! `alluxio.proxy.s3.secret.key`, and/or `alluxio.proxy.s3.credentials.file` of
//! `access_key secret_key` lines).
//!
//! s3s verifies a signature against the URI the client signed, prefix included, and routes
//! from that same path, so verification is a first s3s service of its own: its route matches
//! every request once the signature has been checked (and an `aws-chunked` body has been wrapped
//! in s3s's verifying decoder), removes the prefix and the signature, and hands the request to
//! the second s3s service that answers the operations. Unsigned requests are refused.
//!
//! Secrets never appear in logs or errors: loading errors name the file and line only.
//!
//! One known limit: s3s checks the key length (1024 bytes) on the path it verifies, which under
//! `/api/v1/s3` still holds the prefix, so there a key within ~`len("/api/v1/s3/<bucket>/")` of
//! the limit is already refused as too long; the S3 port (no prefix) is exact.

use std::collections::HashMap;
use std::path::Path;

use alluxio_conf::{Configuration, keys};
use s3s::auth::{S3Auth, SecretKey};
use s3s::route::S3Route;
use s3s::service::S3Service;
use s3s::{Body, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use super::rewrite::{strip_signature_headers, unsigned_uri};
use crate::ProxyError;

/// The configured key pairs.
#[derive(Debug, Default)]
pub(crate) struct KeyPairs {
    secrets: HashMap<String, SecretKey>,
}

impl KeyPairs {
    /// The key pairs the configuration names; `None` if it names none (any key is accepted).
    pub(crate) fn load(conf: &Configuration) -> Result<Option<Self>, ProxyError> {
        let mut pairs = KeyPairs::default();
        let access = conf.get_opt(keys::PROXY_S3_ACCESS_KEY)?.filter(|k| !k.is_empty());
        let secret = conf.get_opt(keys::PROXY_S3_SECRET_KEY)?.filter(|k| !k.is_empty());
        match (access, secret) {
            (Some(access), Some(secret)) => pairs.add(access, secret),
            (None, None) => {}
            (Some(_), None) => {
                return Err(ProxyError::Credentials(format!(
                    "{} is set but {} is not: set both or neither",
                    keys::PROXY_S3_ACCESS_KEY,
                    keys::PROXY_S3_SECRET_KEY
                )));
            }
            (None, Some(_)) => {
                return Err(ProxyError::Credentials(format!(
                    "{} is set but {} is not: set both or neither",
                    keys::PROXY_S3_SECRET_KEY,
                    keys::PROXY_S3_ACCESS_KEY
                )));
            }
        }
        if let Some(file) = conf
            .get_opt(keys::PROXY_S3_CREDENTIALS_FILE)?
            .filter(|f| !f.is_empty())
        {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                ProxyError::Credentials(format!(
                    "cannot read the S3 credentials file {file} ({}): {e}",
                    keys::PROXY_S3_CREDENTIALS_FILE
                ))
            })?;
            pairs.add_file(Path::new(&file), &text)?;
        }
        Ok((!pairs.secrets.is_empty()).then_some(pairs))
    }

    fn add(&mut self, access: String, secret: String) {
        self.secrets.insert(access, SecretKey::from(secret));
    }

    /// Adds the `access_key secret_key` lines of `text` (blank lines and `#` comments skipped).
    fn add_file(&mut self, file: &Path, text: &str) -> Result<(), ProxyError> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [access, secret] = fields[..] else {
                return Err(ProxyError::Credentials(format!(
                    "{}:{}: expected 'access_key secret_key' (two fields separated by blanks), found {} fields",
                    file.display(),
                    number + 1,
                    fields.len()
                )));
            };
            self.add(access.to_string(), secret.to_string());
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyPairs {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        self.secrets.get(access_key).cloned().ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                format!("the access key {access_key:?} is not one this proxy is configured with"),
            )
        })
    }
}

/// The path prefix a request arrived under (`/api/v1/s3`, or nothing on the S3 port), passed
/// to the verifying stage in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix(pub(crate) &'static str);

/// The user a request is made as: its access key (the store acts for it, see
/// [`super::store::AlluxioS3::acting_for`]).
#[derive(Debug, Clone)]
pub(crate) struct User(pub(crate) String);

/// The verifying stage's route: every signed request, once verified, goes on to `api` unsigned.
pub(crate) struct Forward {
    pub(crate) api: S3Service,
}

#[async_trait::async_trait]
impl S3Route for Forward {
    fn is_match(
        &self,
        _method: &axum::http::Method,
        _uri: &axum::http::Uri,
        _headers: &axum::http::HeaderMap,
        _extensions: &mut axum::http::Extensions,
    ) -> bool {
        true
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        match req.credentials {
            Some(_) => Ok(()),
            None => Err(s3_error!(
                AccessDenied,
                "this proxy only accepts signed requests: sign them with a configured access key"
            )),
        }
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let prefix = req.extensions.get::<Prefix>().map_or("", |prefix| prefix.0);
        let uri = unsigned_uri(&req.uri, prefix)?;
        let mut headers = req.headers;
        // s3s already put the decoded length in Content-Length of an aws-chunked body.
        strip_signature_headers(&mut headers, false, None);
        let mut forwarded = axum::http::Request::new(req.input);
        *forwarded.method_mut() = req.method;
        *forwarded.uri_mut() = uri;
        *forwarded.headers_mut() = headers;
        *forwarded.extensions_mut() = req.extensions;
        if let Some(credentials) = req.credentials {
            tracing::debug!(user = %credentials.access_key, "verified S3 request");
            forwarded.extensions_mut().insert(User(credentials.access_key));
        }
        let response = self.api.call(forwarded).await.map_err(|err| {
            let err: s3s::StdError = err.into();
            S3Error::with_message(S3ErrorCode::InternalError, err.to_string())
        })?;
        let (parts, body) = response.into_parts();
        let mut answer = S3Response::with_status(body, parts.status);
        answer.headers = parts.headers;
        answer.extensions = parts.extensions;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_files_are_read_line_by_line() {
        let mut pairs = KeyPairs::default();
        pairs
            .add_file(Path::new("creds"), "# comment\n\nalice s3cr3t\n  bob   other  \n")
            .unwrap();
        assert_eq!(pairs.secrets.len(), 2);
        assert_eq!(pairs.secrets["bob"].expose(), "other");
        let err = pairs
            .add_file(Path::new("/etc/creds"), "alice s3cr3t\ncarol hidden extra\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/etc/creds:2"), "{err}");
        assert!(!err.contains("hidden"), "the error shows a secret: {err}");
    }

    #[test]
    fn half_a_key_pair_is_refused() {
        let mut conf = Configuration::default();
        conf.set(keys::PROXY_S3_ACCESS_KEY, "alice");
        let err = KeyPairs::load(&conf).unwrap_err().to_string();
        assert!(err.contains(keys::PROXY_S3_SECRET_KEY), "{err}");
        conf.set(keys::PROXY_S3_SECRET_KEY, "s3cr3t");
        assert!(KeyPairs::load(&conf).unwrap().is_some());
        assert!(KeyPairs::load(&Configuration::default()).unwrap().is_none());
    }

    #[tokio::test]
    async fn unknown_keys_are_named_and_secrets_are_not() {
        let mut pairs = KeyPairs::default();
        pairs.add("alice".into(), "s3cr3t".into());
        assert_eq!(pairs.get_secret_key("alice").await.unwrap().expose(), "s3cr3t");
        let err = pairs.get_secret_key("mallory").await.unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::InvalidAccessKeyId);
        assert!(err.message().unwrap().contains("mallory"));
    }
}
