//! The S3 operations the loopback server answers, over buckets kept in memory.
//!
//! Keys form one flat namespace per bucket, as in S3 itself: `dir/` is an object like any other
//! (the zero-byte directory marker Alluxio writes) and `dir/x` exists without it. That is why
//! this is not `s3s-fs`, which maps keys onto files and so cannot hold `a` next to `a/b`, nor a
//! marker object as an object.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use parking_lot::Mutex;
use s3s::crypto::{Checksum, Md5};
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// One stored object.
#[derive(Debug, Clone)]
struct Stored {
    data: Bytes,
    e_tag: String,
    modified: SystemTime,
}

impl Stored {
    fn new(data: Bytes, e_tag: String) -> Self {
        Self {
            data,
            e_tag,
            modified: SystemTime::now(),
        }
    }

    fn of(data: Bytes) -> Self {
        let e_tag = hex(&Md5::checksum(&data));
        Self::new(data, e_tag)
    }

    fn len(&self) -> i64 {
        i64::try_from(self.data.len()).unwrap_or(i64::MAX)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A multipart upload in progress: its parts by number.
#[derive(Debug)]
struct Upload {
    bucket: String,
    key: String,
    parts: BTreeMap<i32, Bytes>,
}

#[derive(Debug, Default)]
struct State {
    buckets: BTreeMap<String, BTreeMap<String, Stored>>,
    uploads: HashMap<String, Upload>,
}

impl State {
    fn bucket(&self, name: &str) -> S3Result<&BTreeMap<String, Stored>> {
        self.buckets.get(name).ok_or_else(|| s3_error!(NoSuchBucket))
    }

    fn bucket_mut(&mut self, name: &str) -> S3Result<&mut BTreeMap<String, Stored>> {
        self.buckets.get_mut(name).ok_or_else(|| s3_error!(NoSuchBucket))
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<&Stored> {
        self.bucket(bucket)?.get(key).ok_or_else(|| s3_error!(NoSuchKey))
    }
}

/// The buckets of one server; clones share them.
#[derive(Debug, Clone, Default)]
pub(super) struct Store(Arc<Mutex<State>>);

impl Store {
    /// Adds an empty bucket (no-op if it exists).
    pub(super) fn create_bucket(&self, name: &str) {
        self.0.lock().buckets.entry(name.to_string()).or_default();
    }

    /// Stores an object directly, as another client of the store would.
    pub(super) fn put(&self, bucket: &str, key: &str, data: Bytes) -> bool {
        let mut state = self.0.lock();
        match state.buckets.get_mut(bucket) {
            Some(objects) => {
                objects.insert(key.to_string(), Stored::of(data));
                true
            }
            None => false,
        }
    }

    /// How many multipart uploads are started and neither completed nor aborted.
    pub(super) fn uploads_in_progress(&self) -> usize {
        self.0.lock().uploads.len()
    }

    /// The keys of a bucket, sorted; `None` if it does not exist.
    pub(super) fn keys(&self, bucket: &str) -> Option<Vec<String>> {
        self.0
            .lock()
            .buckets
            .get(bucket)
            .map(|objects| objects.keys().cloned().collect())
    }
}

async fn collect(body: Option<StreamingBlob>) -> S3Result<Bytes> {
    let Some(body) = body else {
        return Ok(Bytes::new());
    };
    let chunks: Vec<Bytes> = body
        .try_collect()
        .await
        .map_err(|err| s3_error!(IncompleteBody, "cannot read the request body: {err}"))?;
    let mut all = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in chunks {
        all.extend_from_slice(&chunk);
    }
    Ok(all.freeze())
}

/// One line of a listing: an object, or a common prefix standing for every key below it.
enum Listed {
    Object(String, Stored),
    Prefix(String),
}

impl Listed {
    fn name(&self) -> &str {
        match self {
            Listed::Object(key, _) | Listed::Prefix(key) => key,
        }
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let mut state = self.0.lock();
        if state.buckets.contains_key(&req.input.bucket) {
            return Err(s3_error!(BucketAlreadyOwnedByYou));
        }
        state.buckets.insert(req.input.bucket, BTreeMap::new());
        Ok(S3Response::new(CreateBucketOutput::default()))
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.0.lock().bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let object = self.0.lock().object(&req.input.bucket, &req.input.key)?.clone();
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(object.len()),
            e_tag: Some(ETag::Strong(object.e_tag)),
            last_modified: Some(Timestamp::from(object.modified)),
            ..Default::default()
        }))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let object = self.0.lock().object(&input.bucket, &input.key)?.clone();
        let full = object.data.len() as u64;
        let (data, content_range) = match input.range {
            None => (object.data.clone(), None),
            Some(range) => {
                let range = range.check(full)?;
                let (start, end) = (range.start as usize, range.end as usize);
                let header = format!("bytes {}-{}/{full}", range.start, range.end.saturating_sub(1));
                (object.data.slice(start..end), Some(header))
            }
        };
        let length = i64::try_from(data.len()).unwrap_or(i64::MAX);
        let body = futures::stream::once(async move { Ok::<_, std::io::Error>(data) });
        Ok(S3Response::new(GetObjectOutput {
            body: Some(StreamingBlob::wrap(body)),
            content_length: Some(length),
            content_range,
            e_tag: Some(ETag::Strong(object.e_tag)),
            last_modified: Some(Timestamp::from(object.modified)),
            ..Default::default()
        }))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        let data = collect(input.body).await?;
        let stored = Stored::of(data);
        let e_tag = stored.e_tag.clone();
        let mut state = self.0.lock();
        let bucket = state.bucket_mut(&input.bucket)?;
        // `If-None-Match: *` writes only a key that does not exist, atomically (S3 since 2024).
        match input.if_none_match {
            Some(ETagCondition::Any) if bucket.contains_key(&input.key) => {
                return Err(s3_error!(
                    PreconditionFailed,
                    "{} exists and If-None-Match is *",
                    input.key
                ));
            }
            Some(ETagCondition::ETag(_)) => {
                return Err(s3_error!(
                    NotImplemented,
                    "PutObject supports If-None-Match: * only"
                ));
            }
            _ => {}
        }
        bucket.insert(input.key, stored);
        drop(state);
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(e_tag)),
            ..Default::default()
        }))
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let CopySource::Bucket { bucket, key, .. } = input.copy_source else {
            return Err(s3_error!(
                NotImplemented,
                "only bucket/key copy sources are supported"
            ));
        };
        let mut state = self.0.lock();
        let source = state.object(&bucket, &key)?;
        let copied = Stored::new(source.data.clone(), source.e_tag.clone());
        let result = CopyObjectResult {
            e_tag: Some(ETag::Strong(copied.e_tag.clone())),
            last_modified: Some(Timestamp::from(copied.modified)),
            ..Default::default()
        };
        state.bucket_mut(&input.bucket)?.insert(input.key, copied);
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(result),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.0
            .lock()
            .bucket_mut(&req.input.bucket)?
            .remove(&req.input.key);
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let mut state = self.0.lock();
        let objects = state.bucket_mut(&input.bucket)?;
        let deleted = input
            .delete
            .objects
            .into_iter()
            .map(|object| {
                objects.remove(&object.key);
                DeletedObject {
                    key: Some(object.key),
                    ..Default::default()
                }
            })
            .collect();
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let max_keys = usize::try_from(input.max_keys.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        // Resume after whichever of the token and start-after is further.
        let after = input
            .continuation_token
            .clone()
            .into_iter()
            .chain(input.start_after.clone())
            .max();

        let state = self.0.lock();
        let mut listed: Vec<Listed> = Vec::new();
        for (key, object) in state.bucket(&input.bucket)?.range(prefix.clone()..) {
            let Some(rest) = key.strip_prefix(&prefix) else {
                break;
            };
            let entry = match delimiter
                .as_deref()
                .and_then(|d| rest.find(d).map(|at| at + d.len()))
            {
                Some(end) => Listed::Prefix(format!("{prefix}{}", &rest[..end])),
                None => Listed::Object(key.clone(), object.clone()),
            };
            // Keys below one common prefix are adjacent, and so is the resume point's prefix.
            if after.as_deref().is_some_and(|after| entry.name() <= after)
                || listed.last().is_some_and(|last| last.name() == entry.name())
            {
                continue;
            }
            listed.push(entry);
            if listed.len() > max_keys {
                break;
            }
        }
        drop(state);

        let truncated = listed.len() > max_keys;
        listed.truncate(max_keys);
        let next = truncated
            .then(|| listed.last().map(|l| l.name().to_string()))
            .flatten();
        let key_count = i32::try_from(listed.len()).unwrap_or(i32::MAX);
        let (mut contents, mut prefixes) = (Vec::new(), Vec::new());
        for entry in listed {
            match entry {
                Listed::Object(key, object) => contents.push(Object {
                    size: Some(object.len()),
                    e_tag: Some(ETag::Strong(object.e_tag)),
                    last_modified: Some(Timestamp::from(object.modified)),
                    key: Some(key),
                    ..Default::default()
                }),
                Listed::Prefix(prefix) => prefixes.push(CommonPrefix { prefix: Some(prefix) }),
            }
        }
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: input.max_keys,
            key_count: Some(key_count),
            is_truncated: Some(truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            start_after: input.start_after,
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let mut state = self.0.lock();
        state.bucket(&input.bucket)?;
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        state.uploads.insert(
            upload_id.clone(),
            Upload {
                bucket: input.bucket.clone(),
                key: input.key.clone(),
                parts: BTreeMap::new(),
            },
        );
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..Default::default()
        }))
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        let data = collect(input.body).await?;
        let e_tag = hex(&Md5::checksum(&data));
        let mut state = self.0.lock();
        let upload = state
            .uploads
            .get_mut(&input.upload_id)
            .ok_or_else(|| s3_error!(NoSuchUpload))?;
        upload.parts.insert(input.part_number, data);
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(e_tag)),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let wanted: Vec<i32> = input
            .multipart_upload
            .and_then(|upload| upload.parts)
            .unwrap_or_default()
            .iter()
            .filter_map(|part| part.part_number)
            .collect();
        if wanted.is_empty() {
            return Err(s3_error!(InvalidPart, "at least one part must be named"));
        }
        let mut state = self.0.lock();
        let upload = state
            .uploads
            .remove(&input.upload_id)
            .ok_or_else(|| s3_error!(NoSuchUpload))?;
        let mut data = BytesMut::new();
        for number in &wanted {
            let part = upload
                .parts
                .get(number)
                .ok_or_else(|| s3_error!(InvalidPart, "part {number} was not uploaded"))?;
            data.extend_from_slice(part);
        }
        let e_tag = format!("{}-{}", hex(&Md5::checksum(&data)), wanted.len());
        let stored = Stored::new(data.freeze(), e_tag.clone());
        state
            .bucket_mut(&upload.bucket)?
            .insert(upload.key.clone(), stored);
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(upload.bucket),
            key: Some(upload.key),
            e_tag: Some(ETag::Strong(e_tag)),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.0
            .lock()
            .uploads
            .remove(&req.input.upload_id)
            .ok_or_else(|| s3_error!(NoSuchUpload))?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}
