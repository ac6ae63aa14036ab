//! The UFS error type, and the one place OpenDAL errors are turned into it.

/// A UFS failure, naming the URI and operation involved. Not `non_exhaustive`: every caller
/// maps each variant explicitly, so a new one must be placed everywhere.
#[derive(Debug, thiserror::Error)]
pub enum UfsError {
    /// The path does not exist.
    #[error("{uri} does not exist in the under file system")]
    NotFound {
        /// The URI.
        uri: String,
    },
    /// The URI cannot be served (unknown scheme, malformed).
    #[error("unsupported or malformed UFS URI '{uri}': {reason}")]
    BadUri {
        /// The URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// The target of a rename (or a directory to create) is already taken.
    #[error("{uri} already exists in the under file system")]
    AlreadyExists {
        /// The URI.
        uri: String,
    },
    /// A file operation was given a directory.
    #[error("{uri} is a directory in the under file system; use a directory operation")]
    IsADirectory {
        /// The URI.
        uri: String,
    },
    /// A directory operation was given a file (or a path below one).
    #[error("{uri} is not a directory in the under file system")]
    NotADirectory {
        /// The URI.
        uri: String,
    },
    /// A non-recursive delete of a directory that still has children.
    #[error("{uri} is a non-empty directory; delete it recursively or empty it first")]
    DirectoryNotEmpty {
        /// The URI.
        uri: String,
    },
    /// The under storage refused the credentials (wrong key or secret, no permission).
    #[error("access denied by {uri}: {cause}; check {credentials}")]
    PermissionDenied {
        /// The URI.
        uri: String,
        /// The backend's error text.
        cause: String,
        /// Where the credentials in use come from: the keys to check.
        credentials: String,
    },
    /// The configuration of this under storage (site file or mount options) cannot work.
    #[error("cannot configure the under file system for {uri}: {reason}")]
    Configuration {
        /// The URI.
        uri: String,
        /// What is wrong and which key to fix.
        reason: String,
    },
    /// The file system cannot write a file only if it is absent (a conditional write).
    #[error(
        "{uri}: this under file system offers no conditional create (a write that fails if the \
         file exists), which masters sharing a journal need to fence each other; put the journal \
         on a shared directory, S3, GCS or Azure Blob Storage"
    )]
    NoConditionalCreate {
        /// The URI.
        uri: String,
    },
    /// Any other failure of an operation.
    #[error("UFS {operation} of {uri} failed: {cause}")]
    Operation {
        /// What was attempted (read, write, list, ...).
        operation: &'static str,
        /// The URI.
        uri: String,
        /// The backend's error text.
        cause: String,
        /// Whether retrying may help.
        temporary: bool,
    },
}

impl UfsError {
    /// Whether retrying the operation may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, UfsError::Operation { temporary: true, .. })
    }

    /// Maps an OpenDAL error of `operation` on `uri`; kinds callers act on get their own
    /// variant, everything else keeps OpenDAL's text and temporary flag.
    /// File system backends report some of these kinds only through the `std::io` cause.
    pub(crate) fn from_opendal(operation: &'static str, uri: &str, err: opendal::Error) -> Self {
        use opendal::ErrorKind as Dal;
        let io_kind = std::error::Error::source(&err)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind);
        let cause = err.to_string();
        let uri = uri.to_string();
        match err.kind() {
            Dal::NotFound => return UfsError::NotFound { uri },
            Dal::AlreadyExists => return UfsError::AlreadyExists { uri },
            Dal::IsADirectory => return UfsError::IsADirectory { uri },
            Dal::NotADirectory => return UfsError::NotADirectory { uri },
            Dal::PermissionDenied => return Self::local_denial(uri, cause),
            _ => {}
        }
        if let Some(known) = io_kind.and_then(|kind| Self::classify_io(kind, &uri, &cause)) {
            return known;
        }
        if err.kind() == Dal::ConfigInvalid {
            return UfsError::Configuration { uri, reason: cause };
        }
        UfsError::Operation {
            operation,
            uri,
            // OpenDAL calls every unclassified I/O error temporary; only a few really are.
            temporary: err.is_temporary() && io_kind.is_none_or(Self::temporary_io),
            cause,
        }
    }

    /// Maps an I/O error of `operation` on `uri` (the local file system's POSIX calls).
    pub(crate) fn from_io(operation: &'static str, uri: &str, err: &std::io::Error) -> Self {
        let cause = err.to_string();
        Self::classify_io(err.kind(), uri, &cause).unwrap_or_else(|| UfsError::Operation {
            operation,
            uri: uri.to_string(),
            temporary: Self::temporary_io(err.kind()),
            cause,
        })
    }

    /// The variant of an I/O error kind callers act on, `None` for the others.
    fn classify_io(kind: std::io::ErrorKind, uri: &str, cause: &str) -> Option<Self> {
        use std::io::ErrorKind as Io;
        let uri = uri.to_string();
        Some(match kind {
            Io::NotFound => UfsError::NotFound { uri },
            Io::AlreadyExists => UfsError::AlreadyExists { uri },
            Io::IsADirectory => UfsError::IsADirectory { uri },
            Io::NotADirectory => UfsError::NotADirectory { uri },
            Io::DirectoryNotEmpty => UfsError::DirectoryNotEmpty { uri },
            Io::PermissionDenied => Self::local_denial(uri, cause.to_string()),
            _ => return None,
        })
    }

    /// Whether retrying after an I/O error of this kind may succeed.
    fn temporary_io(kind: std::io::ErrorKind) -> bool {
        use std::io::ErrorKind as Io;
        matches!(kind, Io::Interrupted | Io::TimedOut | Io::WouldBlock)
    }

    /// Access denied by this host's file system (remote backends name their credentials with
    /// [`Self::with_credentials`]).
    fn local_denial(uri: String, cause: String) -> Self {
        UfsError::PermissionDenied {
            uri,
            cause,
            credentials: "the permissions of the Alluxio process".into(),
        }
    }

    /// Names where the credentials come from (configuration keys) in an access-denied error;
    /// `None` keeps the local file system's hint.
    pub(crate) fn with_credentials(self, source: Option<&str>) -> Self {
        match (self, source) {
            (UfsError::PermissionDenied { uri, cause, .. }, Some(source)) => UfsError::PermissionDenied {
                uri,
                cause,
                credentials: source.to_string(),
            },
            (other, _) => other,
        }
    }

    /// Maps an I/O error from an OpenDAL byte stream, recovering the OpenDAL error inside.
    pub(crate) fn from_stream(operation: &'static str, uri: &str, err: std::io::Error) -> Self {
        match err.into_inner().map(|inner| inner.downcast::<opendal::Error>()) {
            Some(Ok(err)) => Self::from_opendal(operation, uri, *err),
            Some(Err(other)) => UfsError::Operation {
                operation,
                uri: uri.to_string(),
                cause: other.to_string(),
                temporary: false,
            },
            None => UfsError::Operation {
                operation,
                uri: uri.to_string(),
                cause: "I/O error".to_string(),
                temporary: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opendal_kinds_map_to_variants_and_keep_the_temporary_flag() {
        let err = UfsError::from_opendal(
            "read",
            "/data/x",
            opendal::Error::new(opendal::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(err.to_string(), "/data/x does not exist in the under file system");
        let err = UfsError::from_opendal(
            "list",
            "/data/y",
            opendal::Error::new(opendal::ErrorKind::RateLimited, "slow down").set_temporary(),
        );
        assert!(err.is_temporary());
        assert!(
            err.to_string().starts_with("UFS list of /data/y failed: "),
            "{err}"
        );
        let below_file = opendal::Error::new(opendal::ErrorKind::Unexpected, "not a directory")
            .set_source(std::io::Error::from(std::io::ErrorKind::NotADirectory));
        assert!(matches!(
            UfsError::from_opendal("mkdirs", "/f/x", below_file),
            UfsError::NotADirectory { .. }
        ));
        let disk_full = opendal::Error::new(opendal::ErrorKind::Unexpected, "no space")
            .set_source(std::io::Error::from(std::io::ErrorKind::StorageFull))
            .set_temporary();
        assert!(!UfsError::from_opendal("write", "/f", disk_full).is_temporary());
        let io = std::io::Error::other(opendal::Error::new(opendal::ErrorKind::IsADirectory, "dir"));
        assert!(matches!(
            UfsError::from_stream("read", "/d", io),
            UfsError::IsADirectory { .. }
        ));
    }
}
