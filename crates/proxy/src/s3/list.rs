//! ListObjects (v1), ListObjectsV2 and ListObjectVersions, in lexicographic (byte) key order.
//!
//! Keys are files below the bucket directory; an *empty* directory is listed as its marker key
//! `dir/` (a non-empty one is implied by its contents, and S3 has no directories). With the
//! delimiter `/` only the directory the prefix points into is listed (its subdirectories become
//! common prefixes); any other delimiter, or none, lists the subtree. Each page still lists that
//! directory or subtree whole, so very large buckets cost time per page, not memory per object.
//!
//! Every object has exactly one version, `null` (Alluxio keeps no versions).

use std::collections::HashSet;

use alluxio_client::{AlluxioPath, ErrorKind, FileInfo, ListStatusOptions};
use futures::{StreamExt, TryStreamExt};
use s3s::dto::*;
use s3s::{S3Result, s3_error};

use super::error::from_client;
use super::keys::Layout;
use super::meta::{ObjectMeta, hex};
use super::store::{AlluxioS3, timestamp};

/// Keys per page unless the request asks for fewer (S3's maximum too).
const MAX_KEYS: usize = 1000;

/// Sidecars read at once while listing.
const METADATA_READS: usize = 16;

/// What a listing asks for.
struct Query<'a> {
    prefix: &'a str,
    delimiter: Option<&'a str>,
    /// List only keys (and common prefixes) after this one.
    after: Option<&'a str>,
    max: usize,
}

/// One line of a listing.
enum Entry {
    Object(String, Box<FileInfo>),
    Prefix(String),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Object(key, _) | Entry::Prefix(key) => key,
        }
    }
}

/// A page of a listing.
struct Page {
    entries: Vec<Entry>,
    truncated: bool,
}

impl Page {
    /// The last key or common prefix, where the next page starts.
    fn last(&self) -> Option<String> {
        self.entries.last().map(|entry| entry.name().to_string())
    }
}

/// The objects of a page with their S3 attributes, and its common prefixes.
struct Resolved {
    objects: Vec<(String, FileInfo, ObjectMeta)>,
    prefixes: Vec<String>,
}

impl AlluxioS3 {
    /// The page of `bucket` that `query` selects.
    async fn page(&self, bucket: &str, query: &Query<'_>) -> S3Result<Page> {
        let bucket_dir = self.existing_bucket(bucket).await?;
        let mut page = Page {
            entries: Vec::new(),
            truncated: false,
        };
        if query.max == 0 {
            return Ok(page);
        }
        let Some(base) = directory_of(&bucket_dir, query.prefix) else {
            return Ok(page); // no key can start with this prefix
        };
        let recursive = query.delimiter != Some("/");
        let children = match self
            .fs
            .list_status(
                &base,
                ListStatusOptions {
                    recursive,
                    ..Default::default()
                },
            )
            .await
        {
            Ok(children) => children,
            Err(err) if err.kind() == ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(from_client(err)),
        };
        let mut keys = keys_of(&bucket_dir, &base, children, recursive);
        keys.retain(|(key, _)| key.starts_with(query.prefix));
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, info) in keys {
            let entry = match query.delimiter.filter(|d| !d.is_empty()).and_then(|delimiter| {
                key[query.prefix.len()..]
                    .find(delimiter)
                    .map(|at| query.prefix.len() + at + delimiter.len())
            }) {
                Some(end) => Entry::Prefix(key[..end].to_string()),
                None => Entry::Object(key, Box::new(info)),
            };
            if query.after.is_some_and(|after| entry.name() <= after)
                || page
                    .entries
                    .last()
                    .is_some_and(|last| last.name() == entry.name())
            {
                continue;
            }
            if page.entries.len() == query.max {
                page.truncated = true;
                break;
            }
            page.entries.push(entry);
        }
        Ok(page)
    }

    /// The page's objects with their attributes (sidecars read a few at a time).
    async fn resolve(&self, page: Page) -> S3Result<Resolved> {
        let mut prefixes = Vec::new();
        let mut files = Vec::new();
        for entry in page.entries {
            match entry {
                Entry::Object(key, info) => files.push((key, *info)),
                Entry::Prefix(prefix) => prefixes.push(prefix),
            }
        }
        let objects = futures::stream::iter(files)
            .map(|(key, info)| async move {
                let meta = if info.folder {
                    ObjectMeta {
                        etag: hex(&<md5::Md5 as md5::Digest>::digest(b"")),
                        ..ObjectMeta::default()
                    }
                } else {
                    self.meta.read(&info).await?
                };
                Ok::<_, s3s::S3Error>((key, info, meta))
            })
            .buffered(METADATA_READS)
            .try_collect()
            .await?;
        Ok(Resolved { objects, prefixes })
    }

    /// ListObjects (v1): `marker`, `NextMarker`.
    pub(crate) async fn list_objects(&self, input: ListObjectsInput) -> S3Result<ListObjectsOutput> {
        let prefix = input.prefix.clone().unwrap_or_default();
        let query = Query {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            after: input.marker.as_deref().filter(|m| !m.is_empty()),
            max: max_keys(input.max_keys)?,
        };
        let page = self.page(&input.bucket, &query).await?;
        let (truncated, next) = (page.truncated, page.last());
        let resolved = self.resolve(page).await?;
        let url = Encoding::of(input.encoding_type.as_ref());
        Ok(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(url.apply(&prefix)),
            marker: Some(url.apply(input.marker.as_deref().unwrap_or_default())),
            delimiter: input.delimiter.as_deref().map(|d| url.apply(d)),
            max_keys: Some(query_max(input.max_keys)),
            is_truncated: Some(truncated),
            next_marker: next.filter(|_| truncated).map(|n| url.apply(&n)),
            contents: Some(objects(&resolved, url)),
            common_prefixes: Some(common_prefixes(&resolved, url)),
            encoding_type: input.encoding_type,
            ..Default::default()
        })
    }

    /// ListObjectsV2: `continuation-token` (opaque: the hex of the last key), `start-after`.
    pub(crate) async fn list_objects_v2(&self, input: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
        let prefix = input.prefix.clone().unwrap_or_default();
        let token = input
            .continuation_token
            .as_deref()
            .map(decode_token)
            .transpose()?;
        let after = [token.as_deref(), input.start_after.as_deref()]
            .into_iter()
            .flatten()
            .filter(|after| !after.is_empty())
            .max();
        let query = Query {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            after,
            max: max_keys(input.max_keys)?,
        };
        let page = self.page(&input.bucket, &query).await?;
        let (truncated, next) = (page.truncated, page.last());
        let key_count = page.entries.len();
        let resolved = self.resolve(page).await?;
        let url = Encoding::of(input.encoding_type.as_ref());
        Ok(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(url.apply(&prefix)),
            delimiter: input.delimiter.as_deref().map(|d| url.apply(d)),
            max_keys: Some(query_max(input.max_keys)),
            key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
            is_truncated: Some(truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: next.filter(|_| truncated).map(|n| hex(n.as_bytes())),
            start_after: input.start_after.as_deref().map(|s| url.apply(s)),
            contents: Some(objects(&resolved, url)),
            common_prefixes: Some(common_prefixes(&resolved, url)),
            encoding_type: input.encoding_type,
            ..Default::default()
        })
    }

    /// ListObjectVersions: every object as its only version, `null`.
    pub(crate) async fn list_object_versions(
        &self,
        input: ListObjectVersionsInput,
    ) -> S3Result<ListObjectVersionsOutput> {
        let prefix = input.prefix.clone().unwrap_or_default();
        let query = Query {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            after: input.key_marker.as_deref().filter(|m| !m.is_empty()),
            max: max_keys(input.max_keys)?,
        };
        let page = self.page(&input.bucket, &query).await?;
        let (truncated, next) = (page.truncated, page.last());
        let resolved = self.resolve(page).await?;
        let url = Encoding::of(input.encoding_type.as_ref());
        let versions = resolved
            .objects
            .iter()
            .map(|(key, info, meta)| ObjectVersion {
                key: Some(url.apply(key)),
                version_id: Some("null".to_string()),
                is_latest: Some(true),
                e_tag: Some(ETag::Strong(meta.etag.clone())),
                size: Some(i64::try_from(if info.folder { 0 } else { info.length }).unwrap_or(i64::MAX)),
                last_modified: Some(timestamp(info.last_modification_time_ms)),
                storage_class: Some(ObjectVersionStorageClass::from_static(
                    ObjectVersionStorageClass::STANDARD,
                )),
                ..Default::default()
            })
            .collect();
        Ok(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(url.apply(&prefix)),
            delimiter: input.delimiter.as_deref().map(|d| url.apply(d)),
            key_marker: Some(url.apply(input.key_marker.as_deref().unwrap_or_default())),
            version_id_marker: input.version_id_marker,
            max_keys: Some(query_max(input.max_keys)),
            is_truncated: Some(truncated),
            next_key_marker: next.filter(|_| truncated).map(|n| url.apply(&n)),
            next_version_id_marker: truncated.then(|| "null".to_string()),
            versions: Some(versions),
            common_prefixes: Some(common_prefixes(&resolved, url)),
            encoding_type: input.encoding_type,
            ..Default::default()
        })
    }
}

/// The keys below `base` (a directory of bucket `bucket_dir`): files, and directories as
/// `dir/` — all of them when listing one level (they become common prefixes), only empty ones
/// when listing a subtree. Files still being written are left out.
fn keys_of(
    bucket_dir: &AlluxioPath,
    base: &AlluxioPath,
    children: Vec<FileInfo>,
    recursive: bool,
) -> Vec<(String, FileInfo)> {
    let parents: HashSet<String> = if recursive {
        children
            .iter()
            .filter_map(|info| info.path.rsplit_once('/').map(|(parent, _)| parent.to_string()))
            .collect()
    } else {
        HashSet::new()
    };
    children
        .into_iter()
        .filter(|info| Layout::key_of(base, &info.path).is_some())
        .filter(|info| {
            if info.folder {
                !recursive || !parents.contains(&info.path)
            } else {
                info.completed
            }
        })
        .filter_map(|info| {
            let key = Layout::key_of(bucket_dir, &info.path)?;
            let key = if info.folder {
                format!("{key}/")
            } else {
                key.to_string()
            };
            Some((key, info))
        })
        .collect()
}

/// The directory a prefix points into (`a/b/c` → `<bucket>/a/b`), or `None` if no key can
/// start with the prefix (it has a segment no valid key has).
fn directory_of(bucket_dir: &AlluxioPath, prefix: &str) -> Option<AlluxioPath> {
    let Some((dir, _)) = prefix.rsplit_once('/') else {
        return Some(bucket_dir.clone());
    };
    let mut path = bucket_dir.clone();
    for segment in dir.split('/') {
        if matches!(segment, "" | "." | "..") {
            return None;
        }
        path = path.join(segment).ok()?;
    }
    Some(path)
}

/// max-keys, at most [`MAX_KEYS`].
fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(MAX_KEYS),
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "max-keys must not be negative, got {n}"
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS)),
    }
}

fn query_max(requested: Option<i32>) -> i32 {
    requested.unwrap_or(1000).clamp(0, 1000)
}

/// A continuation token back into the key it stands for.
fn decode_token(token: &str) -> S3Result<String> {
    let invalid = || {
        s3_error!(
            InvalidArgument,
            "the continuation token {token:?} was not issued by this proxy"
        )
    };
    if !token.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| token.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Whether names in the answer are URL-encoded (`encoding-type=url`).
#[derive(Debug, Clone, Copy)]
struct Encoding {
    url: bool,
}

impl Encoding {
    fn of(encoding: Option<&EncodingType>) -> Self {
        Self {
            url: encoding.is_some_and(|e| e.as_str().eq_ignore_ascii_case(EncodingType::URL)),
        }
    }

    /// `name` as the answer carries it: percent-encoded except for unreserved characters and `/`.
    fn apply(self, name: &str) -> String {
        if !self.url {
            return name.to_string();
        }
        let mut out = String::with_capacity(name.len());
        for byte in name.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }
}

fn objects(resolved: &Resolved, url: Encoding) -> Vec<Object> {
    resolved
        .objects
        .iter()
        .map(|(key, info, meta)| Object {
            key: Some(url.apply(key)),
            e_tag: Some(ETag::Strong(meta.etag.clone())),
            size: Some(i64::try_from(if info.folder { 0 } else { info.length }).unwrap_or(i64::MAX)),
            last_modified: Some(timestamp(info.last_modification_time_ms)),
            storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
            ..Default::default()
        })
        .collect()
}

fn common_prefixes(resolved: &Resolved, url: Encoding) -> Vec<CommonPrefix> {
    resolved
        .prefixes
        .iter()
        .map(|prefix| CommonPrefix {
            prefix: Some(url.apply(prefix)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileInfo {
        FileInfo {
            path: path.into(),
            completed: true,
            ..Default::default()
        }
    }

    fn dir(path: &str) -> FileInfo {
        FileInfo {
            path: path.into(),
            folder: true,
            ..Default::default()
        }
    }

    #[test]
    fn subtrees_list_files_and_empty_directories() {
        let bucket = AlluxioPath::new("/bk").unwrap();
        let children = vec![
            dir("/bk/a"),
            file("/bk/a/x"),
            dir("/bk/e"),
            file("/bk/f"),
            FileInfo {
                completed: false,
                ..file("/bk/partial")
            },
        ];
        let mut keys: Vec<String> = keys_of(&bucket, &bucket, children.clone(), true)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        assert_eq!(keys, ["a/x", "e/", "f"]);
        let mut level: Vec<String> = keys_of(&bucket, &bucket, children, false)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        level.sort();
        assert_eq!(level, ["a/", "a/x", "e/", "f"]);
    }

    #[test]
    fn prefixes_point_into_directories() {
        let bucket = AlluxioPath::new("/r/bk").unwrap();
        assert_eq!(directory_of(&bucket, "abc").unwrap().as_str(), "/r/bk");
        assert_eq!(directory_of(&bucket, "a/b/c").unwrap().as_str(), "/r/bk/a/b");
        assert_eq!(directory_of(&bucket, "a/b/").unwrap().as_str(), "/r/bk/a/b");
        assert!(directory_of(&bucket, "a/../b").is_none());
        assert!(directory_of(&bucket, "/a").is_none());
    }

    #[test]
    fn tokens_and_encodings_round_trip() {
        let key = "dir/ünï code+%";
        assert_eq!(decode_token(&hex(key.as_bytes())).unwrap(), key);
        assert!(decode_token("zz").is_err());
        assert!(decode_token("abc").is_err());
        let url = Encoding { url: true };
        assert_eq!(url.apply("a b/c+d%"), "a%20b/c%2Bd%25");
        assert_eq!(Encoding { url: false }.apply("a b"), "a b");
        assert_eq!(max_keys(Some(5000)).unwrap(), 1000);
        assert!(max_keys(Some(-1)).is_err());
    }
}
