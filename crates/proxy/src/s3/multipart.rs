//! Multipart uploads.
//!
//! An upload is the directory `<root>/.alluxio_s3/uploads/<bucket>/<key><suffix>/<upload id>`
//! (suffix `alluxio.proxy.s3.multipart.temporary.dir.suffix`): `upload.json` holds the
//! Content-Type and user metadata given at creation, and part `n` is the file
//! `<n, 5 digits>.<md5 hex>` (its ETag is its name, so listing parts reads no file). A part is
//! written under a temporary name and renamed, so a broken part body leaves nothing.
//!
//! Completion streams the chosen parts, in order, once through the proxy into a temporary file
//! that is then renamed into place like any other upload (Alluxio cannot concatenate files), and
//! deletes the upload directory. The ETag is S3's: the MD5 of the parts' binary MD5s, `-<count>`.
//!
//! Upload directories are the proxy's own bookkeeping, kept as its login user
//! ([`AlluxioS3::internal`]) where no other user reads them. `upload.json` names the user who
//! started the upload: only they upload parts, list, abort or complete it. The bucket is
//! checked as the request's user when an upload starts and is listed, and the object is written
//! and placed as that user at completion (where a user without write permission is refused).

use std::collections::BTreeMap;

use alluxio_client::{AlluxioPath, DeleteOptions, ErrorKind, FileInfo, ListStatusOptions};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};
use serde::{Deserialize, Serialize};

use super::error::from_client;
use super::keys::{Layout, ObjectKey};
use super::meta::{ObjectMeta, hex};
use super::store::{AlluxioS3, timestamp};

/// The file holding an upload's attributes.
const UPLOAD_FILE: &str = "upload.json";

/// S3's smallest part, except for the last one.
const MIN_PART_BYTES: u64 = 5 << 20;

/// S3's highest part number.
const MAX_PART_NUMBER: i32 = 10_000;

/// Parts or uploads per listing page unless the request asks for fewer.
const MAX_LISTED: usize = 1000;

/// What CreateMultipartUpload was given for the object.
#[derive(Debug, Default, Serialize, Deserialize)]
struct UploadAttributes {
    /// The user who started the upload (`None`: anonymous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    initiator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    user: BTreeMap<String, String>,
}

/// A stored part.
#[derive(Debug, Clone)]
struct StoredPart {
    number: i32,
    etag: String,
    info: FileInfo,
}

/// The stored part of `info`, if its name is `<number>.<md5 hex>`.
fn stored_part(info: FileInfo) -> Option<StoredPart> {
    let (number, etag) = info.name.split_once('.')?;
    let (number, etag): (i32, String) = (number.parse().ok()?, etag.to_string());
    let etag_ok = etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit());
    (etag_ok && !info.folder && info.completed && (1..=MAX_PART_NUMBER).contains(&number))
        .then_some(StoredPart { number, etag, info })
}

fn part_name(number: i32, etag: &str) -> String {
    format!("{number:05}.{etag}")
}

fn no_such_upload(upload_id: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchUpload,
        format!("multipart upload {upload_id:?} does not exist (it was completed, aborted or never started)"),
    )
}

impl AlluxioS3 {
    /// The directory of an existing upload the request's user started, and its attributes.
    async fn upload_dir(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> S3Result<(AlluxioPath, UploadAttributes)> {
        let parsed = ObjectKey::parse(key)?;
        let dir = self.layout.upload(bucket, &parsed, upload_id)?;
        match self.internal().status(&dir).await? {
            Some(info) if info.folder => {}
            _ => return Err(no_such_upload(upload_id)),
        }
        let attributes = self.upload_attributes(&dir).await?;
        if attributes.initiator != self.user {
            return Err(s3_error!(
                AccessDenied,
                "multipart upload {upload_id:?} was started by another user"
            ));
        }
        Ok((dir, attributes))
    }

    /// The stored parts of an upload, by number (the latest file if a number has several).
    async fn parts(&self, dir: &AlluxioPath) -> S3Result<BTreeMap<i32, StoredPart>> {
        let children = self
            .internal()
            .fs
            .list_status(dir, ListStatusOptions::default())
            .await
            .map_err(from_client)?;
        let mut parts: BTreeMap<i32, StoredPart> = BTreeMap::new();
        for part in children.into_iter().filter_map(stored_part) {
            let newer = parts.get(&part.number).is_none_or(|known| {
                part.info.last_modification_time_ms >= known.info.last_modification_time_ms
            });
            if newer {
                parts.insert(part.number, part);
            }
        }
        Ok(parts)
    }

    /// CreateMultipartUpload.
    pub(crate) async fn create_multipart_upload(
        &self,
        input: CreateMultipartUploadInput,
    ) -> S3Result<CreateMultipartUploadOutput> {
        let key = ObjectKey::parse(&input.key)?;
        self.existing_bucket(&input.bucket).await?;
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        let dir = self.layout.upload(&input.bucket, &key, &upload_id)?;
        let internal = self.internal();
        internal.create_directories(&dir).await?;
        let attributes = UploadAttributes {
            initiator: self.user.clone(),
            content_type: input.content_type,
            user: input.metadata.unwrap_or_default().into_iter().collect(),
        };
        let json = Bytes::from(serde_json::to_vec(&attributes).expect("upload attributes serialise"));
        let body = futures::stream::iter([Ok::<_, std::io::Error>(json)]);
        internal
            .write_file(join(&dir, UPLOAD_FILE), body, None, None)
            .await?;
        Ok(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..Default::default()
        })
    }

    /// UploadPart: the part streams into a temporary file renamed to its final name; a part
    /// uploaded again replaces the earlier one.
    pub(crate) async fn upload_part(&self, input: UploadPartInput) -> S3Result<UploadPartOutput> {
        if !(1..=MAX_PART_NUMBER).contains(&input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "part number {} is outside 1..={MAX_PART_NUMBER}",
                input.part_number
            ));
        }
        let (dir, _) = self
            .upload_dir(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let expected = input.content_length.and_then(|length| u64::try_from(length).ok());
        let temporary = join(&dir, &format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        let body = input.body.unwrap_or_else(|| {
            StreamingBlob::wrap(futures::stream::empty::<Result<Bytes, std::io::Error>>())
        });
        let internal = self.internal();
        let staged = internal
            .write_file(temporary.clone(), body, expected, input.content_md5.as_deref())
            .await?;
        let etag = hex(&staged.md5);
        let placed = async {
            if let Some(old) = self.parts(&dir).await?.remove(&input.part_number) {
                let old_path = join(&dir, &old.info.name);
                if let Err(err) = internal.fs.delete(&old_path, DeleteOptions::default()).await
                    && err.kind() != ErrorKind::NotFound
                {
                    return Err(from_client(err));
                }
            }
            let target = join(&dir, &part_name(input.part_number, &etag));
            internal.fs.rename(&temporary, &target).await.map_err(from_client)
        }
        .await;
        if let Err(err) = placed {
            let _ = internal.fs.delete(&temporary, DeleteOptions::default()).await;
            return Err(err);
        }
        Ok(UploadPartOutput {
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        })
    }

    /// CompleteMultipartUpload: checks the part list against S3's rules, then writes the object.
    pub(crate) async fn complete_multipart_upload(
        &self,
        input: CompleteMultipartUploadInput,
    ) -> S3Result<CompleteMultipartUploadOutput> {
        let key = ObjectKey::parse(&input.key)?;
        let target = self.layout.object(&input.bucket, &key)?;
        let (dir, attributes) = self
            .upload_dir(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let requested = input
            .multipart_upload
            .and_then(|upload| upload.parts)
            .unwrap_or_default();
        let stored = self.parts(&dir).await?;
        let chosen = choose_parts(&requested, &stored)?;

        let total: u64 = chosen.iter().map(|part| part.info.length).sum();
        let sources: Vec<(AlluxioPath, u64)> = chosen
            .iter()
            .map(|part| (join(&dir, &part.info.name), part.info.length))
            .collect();
        let store = self.internal();
        let body: futures::stream::BoxStream<'static, Result<Bytes, s3s::StdError>> =
            futures::stream::iter(sources)
                .then(move |(path, length)| {
                    let store = store.clone();
                    async move {
                        store
                            .read_body(&path, 0, length)
                            .await
                            .map_err(|e| -> s3s::StdError { Box::new(e) })
                    }
                })
                .try_flatten()
                .boxed();
        let staged = self.write_temporary(body, Some(total), None).await?;

        let mut digest = Md5::new();
        for part in &chosen {
            digest.update(unhex(&part.etag));
        }
        let meta = ObjectMeta {
            etag: format!("{}-{}", hex(&digest.finalize()), chosen.len()),
            content_type: attributes.content_type,
            user: attributes.user,
        };
        self.publish(staged, &target, &meta).await?;
        self.remove_upload(&input.bucket, &dir).await?;
        Ok(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(meta.etag)),
            ..Default::default()
        })
    }

    async fn upload_attributes(&self, dir: &AlluxioPath) -> S3Result<UploadAttributes> {
        let path = join(dir, UPLOAD_FILE);
        let mut input = self
            .internal()
            .fs
            .open_file(&path, Default::default())
            .await
            .map_err(from_client)?;
        let bytes = input.read_to_end().await.map_err(from_client)?;
        let _ = input.close().await;
        serde_json::from_slice(&bytes).map_err(|e| s3_error!(InternalError, "{path} is unreadable: {e}"))
    }

    /// Deletes an upload's directory, and the directories above it it alone kept alive.
    async fn remove_upload(&self, bucket: &str, dir: &AlluxioPath) -> S3Result<()> {
        let options = DeleteOptions {
            recursive: true,
            alluxio_only: false,
        };
        let internal = self.internal();
        match internal.fs.delete(dir, options).await {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Err(from_client(err)),
        }
        internal
            .remove_empty_parents(dir, &self.layout.uploads(bucket))
            .await;
        Ok(())
    }

    /// AbortMultipartUpload.
    pub(crate) async fn abort_multipart_upload(
        &self,
        input: AbortMultipartUploadInput,
    ) -> S3Result<AbortMultipartUploadOutput> {
        let (dir, _) = self
            .upload_dir(&input.bucket, &input.key, &input.upload_id)
            .await?;
        self.remove_upload(&input.bucket, &dir).await?;
        Ok(AbortMultipartUploadOutput::default())
    }

    /// ListParts, from `part-number-marker`.
    pub(crate) async fn list_parts(&self, input: ListPartsInput) -> S3Result<ListPartsOutput> {
        let (dir, _) = self
            .upload_dir(&input.bucket, &input.key, &input.upload_id)
            .await?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = page_size(input.max_parts)?;
        let mut parts: Vec<StoredPart> = self
            .parts(&dir)
            .await?
            .into_values()
            .filter(|part| part.number > marker)
            .collect();
        let truncated = parts.len() > max;
        parts.truncate(max);
        let next = parts.last().map(|part| part.number).filter(|_| truncated);
        Ok(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: next,
            max_parts: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            is_truncated: Some(truncated),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            parts: Some(
                parts
                    .into_iter()
                    .map(|part| Part {
                        part_number: Some(part.number),
                        e_tag: Some(ETag::Strong(part.etag)),
                        size: Some(i64::try_from(part.info.length).unwrap_or(i64::MAX)),
                        last_modified: Some(timestamp(part.info.last_modification_time_ms)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        })
    }

    /// ListMultipartUploads of a bucket, by key then upload id, from `key-marker` /
    /// `upload-id-marker`, filtered by `prefix`.
    pub(crate) async fn list_multipart_uploads(
        &self,
        input: ListMultipartUploadsInput,
    ) -> S3Result<ListMultipartUploadsOutput> {
        self.existing_bucket(&input.bucket).await?;
        let uploads_dir = self.layout.uploads(&input.bucket);
        let options = ListStatusOptions {
            recursive: true,
            ..Default::default()
        };
        let entries = match self.internal().fs.list_status(&uploads_dir, options).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(from_client(err)),
        };
        let prefix = input.prefix.as_deref().unwrap_or_default();
        let mut uploads: Vec<(String, String, i64)> = entries
            .iter()
            .filter(|info| info.folder)
            .filter_map(|info| {
                let relative = Layout::key_of(&uploads_dir, &info.path)?;
                let (parts_dir, upload_id) = relative.rsplit_once('/')?;
                let key = self.layout.upload_key(parts_dir)?;
                let is_id = upload_id.len() == 32 && upload_id.bytes().all(|b| b.is_ascii_hexdigit());
                (is_id && key.starts_with(prefix))
                    .then(|| (key.to_string(), upload_id.to_string(), info.creation_time_ms))
            })
            .collect();
        uploads.sort();
        let key_marker = input.key_marker.as_deref().unwrap_or_default();
        let id_marker = input.upload_id_marker.as_deref().unwrap_or_default();
        uploads.retain(|(key, id, _)| {
            key.as_str() > key_marker
                || (key == key_marker && !id_marker.is_empty() && id.as_str() > id_marker)
        });
        let max = page_size(input.max_uploads)?;
        let truncated = uploads.len() > max;
        uploads.truncate(max);
        let (next_key, next_id) = match uploads.last().filter(|_| truncated) {
            Some((key, id, _)) => (Some(key.clone()), Some(id.clone())),
            None => (None, None),
        };
        Ok(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            max_uploads: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            is_truncated: Some(truncated),
            uploads: Some(
                uploads
                    .into_iter()
                    .map(|(key, id, initiated)| MultipartUpload {
                        key: Some(key),
                        upload_id: Some(id),
                        initiated: Some(timestamp(initiated)),
                        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        })
    }
}

/// The stored parts a completion names, checked against S3's rules: at least one part, part
/// numbers ascending, each uploaded with the ETag given, every part but the last at least 5 MiB.
fn choose_parts(
    requested: &[CompletedPart],
    stored: &BTreeMap<i32, StoredPart>,
) -> S3Result<Vec<StoredPart>> {
    if requested.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "the CompleteMultipartUpload request names no parts; it must list at least one"
        ));
    }
    let mut chosen: Vec<StoredPart> = Vec::with_capacity(requested.len());
    for part in requested {
        let number = part
            .part_number
            .ok_or_else(|| s3_error!(MalformedXML, "a <Part> of the request has no <PartNumber>"))?;
        if chosen.last().is_some_and(|previous| previous.number >= number) {
            return Err(s3_error!(
                InvalidPartOrder,
                "the parts must be listed in ascending order of part number; {number} follows a part numbered at least as high"
            ));
        }
        let stored = stored
            .get(&number)
            .ok_or_else(|| s3_error!(InvalidPart, "part {number} was never uploaded"))?;
        if let Some(etag) = &part.e_tag
            && etag.value().trim_matches('"') != stored.etag
        {
            return Err(s3_error!(
                InvalidPart,
                "part {number} has ETag {:?}, not {:?}",
                stored.etag,
                etag.value()
            ));
        }
        chosen.push(stored.clone());
    }
    if let Some(small) = chosen[..chosen.len() - 1]
        .iter()
        .find(|part| part.info.length < MIN_PART_BYTES)
    {
        return Err(s3_error!(
            EntityTooSmall,
            "part {} is {} bytes; every part but the last must be at least {MIN_PART_BYTES} bytes (5 MiB)",
            small.number,
            small.info.length
        ));
    }
    Ok(chosen)
}

/// Page size of ListParts and ListMultipartUploads.
fn page_size(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(MAX_LISTED),
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "the page size must not be negative, got {n}"
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_LISTED).min(MAX_LISTED)),
    }
}

/// The bytes of a (validated) hex string.
fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

fn join(dir: &AlluxioPath, name: &str) -> AlluxioPath {
    dir.join(name)
        .expect("upload file names are valid path components")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: i32, length: u64) -> (i32, StoredPart) {
        let etag = format!("{number:032x}");
        (
            number,
            StoredPart {
                number,
                etag,
                info: FileInfo {
                    length,
                    ..Default::default()
                },
            },
        )
    }

    fn completed(number: i32, etag: Option<String>) -> CompletedPart {
        CompletedPart {
            part_number: Some(number),
            e_tag: etag.map(ETag::Strong),
            ..Default::default()
        }
    }

    fn code(result: S3Result<Vec<StoredPart>>) -> S3ErrorCode {
        result.unwrap_err().code().clone()
    }

    #[test]
    fn completions_follow_s3_rules() {
        let big = MIN_PART_BYTES;
        let stored: BTreeMap<i32, StoredPart> =
            [part(1, big), part(2, big), part(3, 10)].into_iter().collect();
        let ok = choose_parts(
            &[completed(1, Some(format!("{:032x}", 1))), completed(3, None)],
            &stored,
        )
        .unwrap();
        assert_eq!(ok.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(code(choose_parts(&[], &stored)), S3ErrorCode::MalformedXML);
        assert_eq!(
            code(choose_parts(&[completed(2, None), completed(1, None)], &stored)),
            S3ErrorCode::InvalidPartOrder
        );
        assert_eq!(
            code(choose_parts(&[completed(1, None), completed(1, None)], &stored)),
            S3ErrorCode::InvalidPartOrder
        );
        assert_eq!(
            code(choose_parts(&[completed(4, None)], &stored)),
            S3ErrorCode::InvalidPart
        );
        assert_eq!(
            code(choose_parts(&[completed(1, Some("0".repeat(32)))], &stored)),
            S3ErrorCode::InvalidPart
        );
        assert_eq!(
            code(choose_parts(
                &[completed(3, None), completed(4, None)],
                &[part(3, 10), part(4, 1)].into_iter().collect()
            )),
            S3ErrorCode::EntityTooSmall
        );
    }

    #[test]
    fn part_files_are_named_by_number_and_etag() {
        let etag = "0123456789abcdef0123456789abcdef";
        let name = part_name(7, etag);
        assert_eq!(name, format!("00007.{etag}"));
        let info = FileInfo {
            name: name.clone(),
            completed: true,
            ..Default::default()
        };
        let part = stored_part(info).unwrap();
        assert_eq!((part.number, part.etag.as_str()), (7, etag));
        for other in [
            "upload.json",
            "tmp-abc",
            "00001.xyz",
            "99999.0123456789abcdef0123456789abcdef",
        ] {
            let info = FileInfo {
                name: other.into(),
                completed: true,
                ..Default::default()
            };
            assert!(stored_part(info).is_none(), "{other}");
        }
        assert_eq!(unhex("00ff10"), [0, 255, 16]);
    }
}
