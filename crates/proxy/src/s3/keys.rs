//! Where S3 names live in the Alluxio namespace.
//!
//! A bucket is a child directory of `alluxio.proxy.s3.bucket.root`; the object `a/b/c` of bucket
//! `bk` is the file `<root>/bk/a/b/c`, and a key ending in `/` names a directory (a "directory
//! marker"). Keys are checked before they become paths: a key with `.` or `..` segments, empty
//! segments or control characters would otherwise be normalised into some *other* path (or
//! above the bucket), so it is refused rather than resolved.
//!
//! The gateway's own files (uploads in progress, multipart parts, object metadata) live in
//! `<root>/.alluxio_s3`, a sibling of the buckets that no valid bucket name can reach, so they
//! never show up in a listing.

use alluxio_client::AlluxioPath;
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

/// The longest key S3 accepts, in bytes.
pub(crate) const MAX_KEY_BYTES: usize = 1024;

/// Name of the gateway's internal directory under the bucket root; not a valid bucket name.
const INTERNAL_DIR: &str = ".alluxio_s3";

/// An object key, checked: its path segments, and whether it names a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectKey<'a> {
    segments: Vec<&'a str>,
    directory: bool,
}

impl<'a> ObjectKey<'a> {
    /// Checks `key`; a key Alluxio could not hold as the same path is refused with a 4xx.
    pub(crate) fn parse(key: &'a str) -> S3Result<Self> {
        if key.len() > MAX_KEY_BYTES {
            return Err(s3_error!(
                KeyTooLongError,
                "the key is {} bytes long; keys are at most {MAX_KEY_BYTES} bytes",
                key.len()
            ));
        }
        if key.is_empty() {
            return Err(invalid_key(key, "it is empty"));
        }
        if key.chars().any(char::is_control) {
            return Err(invalid_key(key, "it contains a control character"));
        }
        let (body, directory) = match key.strip_suffix('/') {
            Some(body) => (body, true),
            None => (key, false),
        };
        let segments: Vec<&str> = body.split('/').collect();
        for segment in &segments {
            match *segment {
                "" => {
                    return Err(invalid_key(
                        key,
                        "it has an empty path segment ('//' or a leading '/')",
                    ));
                }
                "." | ".." => {
                    return Err(invalid_key(
                        key,
                        "it has a '.' or '..' segment, which Alluxio would resolve to another path",
                    ));
                }
                _ => {}
            }
        }
        Ok(Self { segments, directory })
    }

    /// Whether the key ends in `/`: a directory marker.
    pub(crate) fn is_directory(&self) -> bool {
        self.directory
    }

    /// The path segments, without the trailing `/` of a directory.
    pub(crate) fn segments(&self) -> &[&'a str] {
        &self.segments
    }
}

fn invalid_key(key: &str, why: &str) -> S3Error {
    s3_error!(InvalidArgument, "invalid object key {key:?}: {why}")
}

/// Where buckets, objects and the gateway's internal files are.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: AlluxioPath,
    internal: AlluxioPath,
    multipart_suffix: String,
}

impl Layout {
    /// Buckets under `root`; a multipart upload's parts in a directory named `<key><suffix>`
    /// (a suffix [`check_suffix`] accepted).
    pub(crate) fn new(root: AlluxioPath, multipart_suffix: String) -> Self {
        let internal = join(&root, INTERNAL_DIR);
        Self {
            root,
            internal,
            multipart_suffix,
        }
    }

    /// The directory whose children are the buckets.
    pub(crate) fn root(&self) -> &AlluxioPath {
        &self.root
    }

    /// The directory of bucket `bucket` (a name s3s has already checked against S3's rules).
    pub(crate) fn bucket(&self, bucket: &str) -> S3Result<AlluxioPath> {
        self.root
            .join(bucket)
            .map_err(|e| s3_error!(InvalidBucketName, "invalid bucket name {bucket:?}: {e}"))
    }

    /// The file (or, for a key ending in `/`, the directory) of an object.
    pub(crate) fn object(&self, bucket: &str, key: &ObjectKey<'_>) -> S3Result<AlluxioPath> {
        let mut path = self.bucket(bucket)?;
        for segment in key.segments() {
            path = path
                .join(segment)
                .map_err(|e| s3_error!(InvalidArgument, "invalid object key segment {segment:?}: {e}"))?;
        }
        Ok(path)
    }

    /// The key of `path` inside bucket directory `bucket_dir`; `None` for the bucket itself or a
    /// path outside it.
    pub(crate) fn key_of<'p>(bucket_dir: &AlluxioPath, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(bucket_dir.as_str())?;
        let rest = if bucket_dir.is_root() {
            rest
        } else {
            rest.strip_prefix('/')?
        };
        (!rest.is_empty()).then_some(rest)
    }

    /// The gateway's own folders, parents first, with their modes: the internal folder others
    /// may only pass through, object metadata and multipart uploads only the proxy reads, and
    /// the temporary folder every user writes objects in progress to (sticky; only the proxy
    /// lists it, so no user finds another's upload, whose names are random).
    pub(crate) fn internal_dirs(&self) -> [(AlluxioPath, u32); 4] {
        [
            (self.internal.clone(), 0o711),
            (join(&self.internal, "meta"), 0o700),
            (join(&self.internal, "uploads"), 0o700),
            (join(&self.internal, "tmp"), 0o1733),
        ]
    }

    /// A fresh, unique path for an object being written, renamed into place once complete.
    pub(crate) fn temporary_file(&self) -> AlluxioPath {
        join(
            &join(&self.internal, "tmp"),
            &uuid::Uuid::new_v4().simple().to_string(),
        )
    }

    /// The metadata sidecar of the file with id `file_id`.
    pub(crate) fn metadata(&self, file_id: u64) -> AlluxioPath {
        join(&join(&self.internal, "meta"), &file_id.to_string())
    }

    /// The directory of the multipart uploads in progress in `bucket`.
    pub(crate) fn uploads(&self, bucket: &str) -> AlluxioPath {
        join(&join(&self.internal, "uploads"), bucket)
    }

    /// The directory holding the parts of upload `upload_id` of `key`:
    /// `<uploads of bucket>/<key><suffix>/<upload_id>`.
    pub(crate) fn upload(&self, bucket: &str, key: &ObjectKey<'_>, upload_id: &str) -> S3Result<AlluxioPath> {
        if key.is_directory() {
            return Err(s3_error!(
                InvalidArgument,
                "a key ending in '/' names a directory and cannot be uploaded in parts"
            ));
        }
        if upload_id.len() != 32 || !upload_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(s3_error!(
                NoSuchUpload,
                "upload id {upload_id:?} was never issued by this proxy"
            ));
        }
        let mut path = self.uploads(bucket);
        let (last, parents) = key.segments().split_last().expect("a parsed key has a segment");
        for segment in parents {
            path = join(&path, segment);
        }
        Ok(join(
            &join(&path, &format!("{last}{}", self.multipart_suffix)),
            upload_id,
        ))
    }

    /// The key whose parts directory is `relative` (`<key><suffix>`, relative to the bucket's
    /// uploads directory), if it is one.
    pub(crate) fn upload_key<'p>(&self, relative: &'p str) -> Option<&'p str> {
        relative
            .strip_suffix(self.multipart_suffix.as_str())
            .filter(|key| !key.is_empty())
    }
}

/// Checks `alluxio.proxy.s3.multipart.temporary.dir.suffix`: it ends a file name.
pub(crate) fn check_suffix(suffix: &str) -> Result<String, String> {
    if suffix.is_empty() || suffix.contains('/') || suffix.chars().any(char::is_control) {
        return Err("a non-empty file name suffix without '/' or control characters".to_string());
    }
    Ok(suffix.to_string())
}

/// `parent/name` for a name known to be a valid path component.
fn join(parent: &AlluxioPath, name: &str) -> AlluxioPath {
    parent
        .join(name)
        .expect("the gateway's own names are valid path components")
}

/// A `404 NoSuchBucket` naming the bucket.
pub(crate) fn no_such_bucket(bucket: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchBucket,
        format!("bucket {bucket:?} does not exist"),
    )
}

/// A `404 NoSuchKey` naming the key.
pub(crate) fn no_such_key(bucket: &str, key: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchKey,
        format!("object {key:?} does not exist in bucket {bucket:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout_of(root: &str, suffix: &str) -> Layout {
        Layout::new(AlluxioPath::new(root).unwrap(), suffix.to_string())
    }

    fn code(result: S3Result<ObjectKey<'_>>) -> S3ErrorCode {
        result.expect_err("the key is refused").code().clone()
    }

    proptest::proptest! {
        /// Any key a client sends is refused with a 4xx or names a path inside its bucket that
        /// maps back to the same key: no key reaches another bucket or the gateway's files.
        #[test]
        fn any_key_stays_in_its_bucket_or_is_refused(
            key in "(a|b|/|\\.|\\.\\.|%|\\x00|\\u{e9}|[^ab/.]){0,30}",
        ) {
            let layout = layout_of("/s3", "_s3_multipart_tmp");
            let Ok(parsed) = ObjectKey::parse(&key) else {
                return Ok(());
            };
            let bucket = layout.bucket("bk").unwrap();
            let path = layout.object("bk", &parsed).unwrap();
            proptest::prop_assert!(path.as_str().starts_with("/s3/bk/"), "{path}");
            let back = Layout::key_of(&bucket, path.as_str());
            proptest::prop_assert_eq!(back, Some(key.strip_suffix('/').unwrap_or(&key)));
        }
    }

    #[test]
    fn keys_map_to_paths_under_their_bucket() {
        let layout = layout_of("/", "_s3_multipart_tmp");
        let key = ObjectKey::parse("a/b/c.txt").unwrap();
        assert!(!key.is_directory());
        assert_eq!(layout.object("bk", &key).unwrap().as_str(), "/bk/a/b/c.txt");

        let layout = layout_of("/s3/root/", "_s3_multipart_tmp");
        let dir = ObjectKey::parse("a/b/").unwrap();
        assert!(dir.is_directory());
        assert_eq!(layout.object("bk", &dir).unwrap().as_str(), "/s3/root/bk/a/b");
        assert_eq!(layout.bucket("bk").unwrap().as_str(), "/s3/root/bk");
    }

    #[test]
    fn paths_map_back_to_keys() {
        let bucket = AlluxioPath::new("/root/bk").unwrap();
        assert_eq!(Layout::key_of(&bucket, "/root/bk/a/b"), Some("a/b"));
        assert_eq!(Layout::key_of(&bucket, "/root/bk"), None);
        assert_eq!(Layout::key_of(&bucket, "/root/bkx/a"), None);
        assert_eq!(Layout::key_of(&AlluxioPath::root(), "/a"), Some("a"));
    }

    #[test]
    fn keys_alluxio_would_resolve_elsewhere_are_refused() {
        for key in [
            "..", "a/../b", "./a", "a/./b", "a//b", "/a", "a/b//", "", "a\u{0}b", "a\nb",
        ] {
            assert_eq!(
                code(ObjectKey::parse(key)),
                S3ErrorCode::InvalidArgument,
                "{key:?}"
            );
        }
        assert_eq!(
            code(ObjectKey::parse(&"k".repeat(1025))),
            S3ErrorCode::KeyTooLongError
        );
        assert!(ObjectKey::parse(&"k".repeat(1024)).is_ok());
        assert!(ObjectKey::parse("a..b/..c/d..").is_ok());
        assert!(ObjectKey::parse("ünïcode/ key with spaces%").is_ok());
    }

    #[test]
    fn internal_files_are_outside_every_bucket() {
        let layout = layout_of("/", "_tmp");
        assert!(!s3s::path::check_bucket_name(INTERNAL_DIR));
        let temporary = layout.temporary_file();
        assert!(temporary.as_str().starts_with("/.alluxio_s3/tmp/"));
        assert_eq!(layout.metadata(7).as_str(), "/.alluxio_s3/meta/7");
        let key = ObjectKey::parse("a/b").unwrap();
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            layout.upload("bk", &key, id).unwrap().as_str(),
            format!("/.alluxio_s3/uploads/bk/a/b_tmp/{id}")
        );
        assert_eq!(layout.upload_key("a/b_tmp"), Some("a/b"));
        assert_eq!(layout.upload_key("a/b"), None);
        assert_eq!(
            layout.upload("bk", &key, "../x").unwrap_err().code(),
            &S3ErrorCode::NoSuchUpload
        );
    }

    #[test]
    fn bad_suffixes_are_refused() {
        assert!(check_suffix("a/b").is_err());
        assert!(check_suffix("").is_err());
        assert_eq!(check_suffix("_x").unwrap(), "_x");
    }
}
