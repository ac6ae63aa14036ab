//! Buckets: the child directories of `alluxio.proxy.s3.bucket.root`. Only directories whose
//! names are valid S3 bucket names are listed, since a request can name no other.

use alluxio_client::{CreateDirectoryOptions, DeleteOptions, ErrorKind, ListStatusOptions};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::error::from_client;
use super::store::{AlluxioS3, timestamp};

impl AlluxioS3 {
    /// ListBuckets, sorted by name.
    pub(crate) async fn list_buckets(&self) -> S3Result<ListBucketsOutput> {
        let children = match self
            .fs
            .list_status(self.layout.root(), ListStatusOptions::default())
            .await
        {
            Ok(children) => children,
            Err(err) if err.kind() == ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(from_client(err)),
        };
        let mut buckets: Vec<Bucket> = children
            .into_iter()
            .filter(|info| info.folder && s3s::path::check_bucket_name(&info.name))
            .map(|info| Bucket {
                creation_date: Some(timestamp(info.creation_time_ms)),
                name: Some(info.name),
                bucket_region: None,
            })
            .collect();
        buckets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ListBucketsOutput {
            buckets: Some(buckets),
            ..Default::default()
        })
    }

    /// CreateBucket: a new directory under the bucket root (created too if missing).
    pub(crate) async fn create_bucket(&self, bucket: &str) -> S3Result<CreateBucketOutput> {
        let dir = self.layout.bucket(bucket)?;
        let options = CreateDirectoryOptions {
            recursive: true,
            allow_exists: false,
            write_type: Some(self.write_type),
        };
        match self.fs.create_directory(&dir, options).await {
            Ok(()) => Ok(CreateBucketOutput {
                location: Some(format!("/{bucket}")),
            }),
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                let is_dir = self.status(&dir).await?.is_some_and(|info| info.folder);
                Err(if is_dir {
                    S3Error::with_message(
                        S3ErrorCode::BucketAlreadyOwnedByYou,
                        format!("bucket {bucket:?} already exists"),
                    )
                } else {
                    S3Error::with_message(
                        S3ErrorCode::BucketAlreadyExists,
                        format!("cannot create bucket {bucket:?}: {dir} is a file"),
                    )
                })
            }
            Err(err) => Err(from_client(err)),
        }
    }

    /// HeadBucket.
    pub(crate) async fn head_bucket(&self, bucket: &str) -> S3Result<HeadBucketOutput> {
        self.existing_bucket(bucket).await?;
        Ok(HeadBucketOutput::default())
    }

    /// GetBucketLocation: always the default region.
    pub(crate) async fn get_bucket_location(&self, bucket: &str) -> S3Result<GetBucketLocationOutput> {
        self.existing_bucket(bucket).await?;
        Ok(GetBucketLocationOutput::default())
    }

    /// DeleteBucket: only an empty one; its unfinished multipart uploads go with it.
    pub(crate) async fn delete_bucket(&self, bucket: &str) -> S3Result<DeleteBucketOutput> {
        let dir = self.existing_bucket(bucket).await?;
        let children = self
            .fs
            .list_status(&dir, ListStatusOptions::default())
            .await
            .map_err(from_client)?;
        if !children.is_empty() {
            return Err(bucket_not_empty(bucket, children.len()));
        }
        match self.fs.delete(&dir, self.delete_options(false)).await {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::FailedPrecondition => {
                return Err(bucket_not_empty(bucket, 1));
            }
            Err(err) => return Err(from_client(err)),
        }
        let uploads = self.layout.uploads(bucket);
        let options = DeleteOptions {
            recursive: true,
            alluxio_only: false,
        };
        if let Err(err) = self.internal().fs.delete(&uploads, options).await
            && err.kind() != ErrorKind::NotFound
        {
            tracing::warn!(%uploads, error = %err, "removing the multipart uploads of a deleted bucket failed");
        }
        Ok(DeleteBucketOutput::default())
    }
}

fn bucket_not_empty(bucket: &str, entries: usize) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BucketNotEmpty,
        format!(
            "bucket {bucket:?} is not empty ({entries} entries at its top level); delete its objects first"
        ),
    )
}
