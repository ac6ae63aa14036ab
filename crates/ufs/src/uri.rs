//! Splitting a UFS URI into scheme, authority and path. URIs are taken literally (no
//! percent-decoding), as Alluxio and Hadoop do, so any character but `/` may appear in a name.

use crate::UfsError;

/// A parsed UFS URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UfsUri {
    /// Lower-case scheme; `file` for a bare absolute path.
    pub scheme: String,
    /// Host (and port) or bucket; empty for local paths.
    pub authority: String,
    /// Absolute path within the authority, without a trailing `/` (except the root `/`).
    pub path: String,
}

impl UfsUri {
    /// Parses `/data/x`, `file:///data/x` or `scheme://authority/path`.
    pub fn parse(uri: &str) -> Result<Self, UfsError> {
        let bad = |reason: &str| UfsError::BadUri {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, authority, path) = if uri.starts_with('/') {
            ("file".to_string(), "", uri)
        } else {
            let (scheme, rest) = uri
                .split_once("://")
                .ok_or_else(|| bad("expected an absolute path or scheme://authority/path"))?;
            let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if !valid_scheme {
                return Err(bad("the scheme must be letters, digits, '+', '-' or '.'"));
            }
            let (authority, path) = match rest.find('/') {
                Some(slash) => rest.split_at(slash),
                None => (rest, "/"),
            };
            (scheme.to_ascii_lowercase(), authority, path)
        };
        let trimmed = path.trim_end_matches('/');
        Ok(Self {
            scheme,
            authority: authority.to_string(),
            path: if trimmed.is_empty() {
                "/".into()
            } else {
                trimmed.into()
            },
        })
    }

    /// The key identifying the file system serving this URI: scheme and authority.
    pub fn root(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The path relative to the root, as OpenDAL wants it (`data/x`, empty for the root).
    pub fn relative(&self) -> &str {
        self.path.trim_start_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> (String, String, String) {
        let u = UfsUri::parse(uri).unwrap();
        (u.scheme, u.authority, u.path)
    }

    #[test]
    fn forms() {
        let local = ("file".to_string(), String::new(), "/data/x".to_string());
        assert_eq!(parts("/data/x"), local);
        assert_eq!(parts("file:///data/x/"), local);
        assert_eq!(parts("FILE:///data/x"), local);
        assert_eq!(
            parts("s3://bucket/a b/%41"),
            ("s3".into(), "bucket".into(), "/a b/%41".into())
        );
        assert_eq!(
            parts("hdfs://nn:9000"),
            ("hdfs".into(), "nn:9000".into(), "/".into())
        );
        assert_eq!(parts("/").2, "/");
        assert_eq!(UfsUri::parse("file:///").unwrap().relative(), "");
        assert!(matches!(UfsUri::parse("data/x"), Err(UfsError::BadUri { .. })));
        assert!(matches!(UfsUri::parse("1s://x/y"), Err(UfsError::BadUri { .. })));
    }
}
