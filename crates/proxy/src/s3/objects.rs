//! Single objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.
//!
//! A key ending in `/` is a directory marker: putting it (with an empty body) creates the
//! directory, reading it answers an empty object, deleting it removes the directory if nothing
//! is left in it. A key and a directory of the same name cannot coexist in Alluxio, so writing
//! object `a` while objects `a/...` exist is refused.

use std::collections::BTreeMap;

use alluxio_client::{AlluxioPath, FileInfo};
use futures::StreamExt;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

use super::conditions::Conditions;
use super::keys::{ObjectKey, no_such_key};
use super::meta::{ObjectMeta, hex};
use super::store::{AlluxioS3, timestamp};

/// The ETag of an empty body, which is also every directory marker's.
const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// An existing object: where it is, its status and its S3 attributes.
pub(crate) struct Found {
    pub(crate) path: AlluxioPath,
    pub(crate) info: FileInfo,
    pub(crate) meta: ObjectMeta,
}

impl Found {
    /// Its length in bytes (0 for a directory marker).
    fn length(&self) -> u64 {
        if self.info.folder { 0 } else { self.info.length }
    }
}

/// The user metadata of a request, in the sidecar's form.
fn user_metadata(metadata: Option<Metadata>) -> BTreeMap<String, String> {
    metadata.unwrap_or_default().into_iter().collect()
}

fn signed(length: u64) -> i64 {
    i64::try_from(length).unwrap_or(i64::MAX)
}

impl AlluxioS3 {
    /// The object `key` of `bucket`: `NoSuchBucket`, `NoSuchKey` (also for a file being written
    /// by another client, or a file named with `/` or a directory named without) or the object.
    pub(crate) async fn find(&self, bucket: &str, key: &str) -> S3Result<Found> {
        let parsed = ObjectKey::parse(key)?;
        let path = self.layout.object(bucket, &parsed)?;
        let info = match self.status(&path).await? {
            Some(info) if info.folder == parsed.is_directory() && (info.folder || info.completed) => info,
            _ => {
                self.existing_bucket(bucket).await?;
                return Err(no_such_key(bucket, key));
            }
        };
        let meta = if info.folder {
            ObjectMeta {
                etag: EMPTY_MD5.to_string(),
                ..ObjectMeta::default()
            }
        } else {
            self.meta.read(&info).await?
        };
        Ok(Found { path, info, meta })
    }

    /// PutObject: the body streams into a temporary file, renamed into place once complete.
    pub(crate) async fn put_object(&self, input: PutObjectInput) -> S3Result<PutObjectOutput> {
        let key = ObjectKey::parse(&input.key)?;
        let target = self.layout.object(&input.bucket, &key)?;
        self.existing_bucket(&input.bucket).await?;
        let expected = input.content_length.and_then(|length| u64::try_from(length).ok());
        if key.is_directory() {
            self.put_directory(&target, input.body, expected).await?;
            return Ok(PutObjectOutput {
                e_tag: Some(ETag::Strong(EMPTY_MD5.to_string())),
                ..Default::default()
            });
        }
        let body = input.body.unwrap_or_else(|| {
            StreamingBlob::wrap(futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>())
        });
        let staged = self
            .write_temporary(body, expected, input.content_md5.as_deref())
            .await?;
        let meta = ObjectMeta {
            etag: hex(&staged.md5),
            content_type: input.content_type,
            user: user_metadata(input.metadata),
        };
        self.publish(staged, &target, &meta).await?;
        Ok(PutObjectOutput {
            e_tag: Some(ETag::Strong(meta.etag)),
            ..Default::default()
        })
    }

    /// A directory marker: an empty body creates the directory.
    async fn put_directory(
        &self,
        dir: &AlluxioPath,
        body: Option<StreamingBlob>,
        expected: Option<u64>,
    ) -> S3Result<()> {
        let not_empty = || {
            s3_error!(
                InvalidArgument,
                "a key ending in '/' is a directory marker and must have an empty body"
            )
        };
        if expected.is_some_and(|length| length > 0) {
            return Err(not_empty());
        }
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                let chunk =
                    chunk.map_err(|e| s3_error!(IncompleteBody, "the request body broke off: {e}"))?;
                if !chunk.is_empty() {
                    return Err(not_empty());
                }
            }
        }
        if self.status(dir).await?.is_some_and(|info| !info.folder) {
            return Err(s3_error!(
                InvalidRequest,
                "cannot create directory {dir}: an object of that name (without the '/') exists"
            ));
        }
        self.create_directories(dir).await
    }

    /// GetObject, with Range (206) and conditions (304/412).
    pub(crate) async fn get_object(&self, input: GetObjectInput) -> S3Result<GetObjectOutput> {
        let found = self.find(&input.bucket, &input.key).await?;
        let conditions = Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        };
        conditions.check(&found.meta.etag, found.info.last_modification_time_ms)?;
        let total = found.length();
        let (start, length, content_range) = match input.range {
            None => (0, total, None),
            Some(range) => {
                let range = range.check(total).map_err(|_| invalid_range(&range, total))?;
                let header = format!("bytes {}-{}/{total}", range.start, range.end - 1);
                (range.start, range.end - range.start, Some(header))
            }
        };
        let body = if length == 0 {
            StreamingBlob::wrap(futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>())
        } else {
            self.read_body(&found.path, start, length).await?
        };
        Ok(GetObjectOutput {
            body: Some(body),
            accept_ranges: Some("bytes".to_string()),
            content_length: Some(signed(length)),
            content_range,
            content_type: found.meta.content_type,
            e_tag: Some(ETag::Strong(found.meta.etag)),
            last_modified: Some(timestamp(found.info.last_modification_time_ms)),
            metadata: metadata_of(found.meta.user),
            ..Default::default()
        })
    }

    /// HeadObject, with conditions (304/412).
    pub(crate) async fn head_object(&self, input: HeadObjectInput) -> S3Result<HeadObjectOutput> {
        let found = self.find(&input.bucket, &input.key).await?;
        let conditions = Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        };
        conditions.check(&found.meta.etag, found.info.last_modification_time_ms)?;
        Ok(HeadObjectOutput {
            accept_ranges: Some("bytes".to_string()),
            content_length: Some(signed(found.length())),
            content_type: found.meta.content_type,
            e_tag: Some(ETag::Strong(found.meta.etag)),
            last_modified: Some(timestamp(found.info.last_modification_time_ms)),
            metadata: metadata_of(found.meta.user),
            ..Default::default()
        })
    }

    /// DeleteObject: deleting a missing key succeeds, as in S3.
    pub(crate) async fn delete_object(&self, input: DeleteObjectInput) -> S3Result<DeleteObjectOutput> {
        self.delete_key(&input.bucket, &input.key).await?;
        Ok(DeleteObjectOutput::default())
    }

    async fn delete_key(&self, bucket: &str, key: &str) -> S3Result<()> {
        let parsed = ObjectKey::parse(key)?;
        let path = self.layout.object(bucket, &parsed)?;
        let bucket_dir = self.existing_bucket(bucket).await?;
        match self.status(&path).await? {
            Some(info) if info.folder == parsed.is_directory() => {
                self.delete_entry(&path, &info, &bucket_dir).await
            }
            _ => Ok(()),
        }
    }

    /// DeleteObjects: each key deleted on its own; failures are reported per key.
    pub(crate) async fn delete_objects(&self, input: DeleteObjectsInput) -> S3Result<DeleteObjectsOutput> {
        self.existing_bucket(&input.bucket).await?;
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in input.delete.objects {
            match self.delete_key(&input.bucket, &object.key).await {
                Ok(()) if quiet => {}
                Ok(()) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    ..Default::default()
                }),
                Err(err) => errors.push(Error {
                    code: Some(err.code().as_str().to_string()),
                    message: err.message().map(str::to_string),
                    key: Some(object.key),
                    ..Default::default()
                }),
            }
        }
        Ok(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            ..Default::default()
        })
    }

    /// CopyObject: the source streams once into a temporary file of the destination; metadata
    /// is copied (COPY, the default) or taken from the request (REPLACE).
    pub(crate) async fn copy_object(&self, input: CopyObjectInput) -> S3Result<CopyObjectOutput> {
        let CopySource::Bucket {
            bucket: source_bucket,
            key: source_key,
            ..
        } = &input.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "only copy sources of the form <bucket>/<key> are supported"
            ));
        };
        let source = self.find(source_bucket, source_key).await?;
        let conditions = Conditions {
            if_match: input.copy_source_if_match.as_ref(),
            if_none_match: input.copy_source_if_none_match.as_ref(),
            if_modified_since: input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
        };
        // A copy whose source is "not modified" did not happen: S3 answers 412 for both.
        conditions
            .check(&source.meta.etag, source.info.last_modification_time_ms)
            .map_err(|err| match err.code() {
                S3ErrorCode::NotModified => S3Error::with_message(
                    S3ErrorCode::PreconditionFailed,
                    "the copy source matches x-amz-copy-source-if-none-match or is not modified since x-amz-copy-source-if-modified-since",
                ),
                _ => err,
            })?;
        let key = ObjectKey::parse(&input.key)?;
        let target = self.layout.object(&input.bucket, &key)?;
        self.existing_bucket(&input.bucket).await?;
        if key.is_directory() != source.info.folder {
            return Err(s3_error!(
                InvalidRequest,
                "a directory marker (key ending in '/') can only be copied to another directory marker"
            ));
        }
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|directive| directive.as_str() == MetadataDirective::REPLACE);
        let mut meta = source.meta.clone();
        if replace {
            meta.content_type = input.content_type;
            meta.user = user_metadata(input.metadata);
        }
        let info = if source.info.folder {
            self.create_directories(&target).await?;
            source.info
        } else {
            if target == source.path && !replace {
                return Err(s3_error!(
                    InvalidRequest,
                    "this copy request is illegal because it is trying to copy an object to itself without changing the object's metadata (use x-amz-metadata-directive: REPLACE)"
                ));
            }
            // Onto itself too: the copy is written and placed as the user, so changing an
            // object's metadata needs what replacing it needs.
            let length = source.info.length;
            let body = self.read_body(&source.path, 0, length).await?;
            let staged = self.write_temporary(body, Some(length), None).await?;
            meta.etag = hex(&staged.md5);
            self.publish(staged, &target, &meta).await?
        };
        Ok(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(ETag::Strong(meta.etag)),
                last_modified: Some(timestamp(info.last_modification_time_ms)),
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

/// The user metadata as s3s answers it; `None` when there is none.
fn metadata_of(user: BTreeMap<String, String>) -> Option<Metadata> {
    (!user.is_empty()).then(|| user.into_iter().collect())
}

/// `416 InvalidRange` for a range outside an object of `total` bytes.
fn invalid_range(range: &Range, total: u64) -> S3Error {
    let mut err = S3Error::with_message(
        S3ErrorCode::InvalidRange,
        format!(
            "the range {} is not satisfiable: the object is {total} bytes long",
            range.to_header_string()
        ),
    );
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(value) = format!("bytes */{total}").parse() {
        headers.insert(axum::http::header::CONTENT_RANGE, value);
    }
    err.set_headers(headers);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsatisfiable_ranges_name_the_length() {
        let err = invalid_range(
            &Range::Int {
                first: 10,
                last: None,
            },
            5,
        );
        assert_eq!(err.code(), &S3ErrorCode::InvalidRange);
        assert!(err.message().unwrap().contains("5 bytes"));
        assert_eq!(
            err.headers().unwrap()[axum::http::header::CONTENT_RANGE],
            "bytes */5"
        );
        assert_eq!(metadata_of(BTreeMap::new()), None);
    }
}
