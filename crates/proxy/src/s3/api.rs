//! The S3 operations s3s dispatches to, each answered by the module that implements it; any
//! other operation is answered `501 NotImplemented` by s3s. Each is served acting for the
//! request's user (its access key; see [`AlluxioS3::acting_for`]), and changes are logged (at
//! debug level) with that user.

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use super::auth::User;
use super::store::AlluxioS3;

/// The user a request is made as: its access key, if it names one (an empty key names none).
fn user<T>(req: &S3Request<T>) -> Option<&str> {
    req.extensions
        .get::<User>()
        .map(|user| user.0.as_str())
        .filter(|user| !user.is_empty())
}

/// Logs a change with the user making it (the request's access key, or anonymous).
fn log_change<T>(req: &S3Request<T>, operation: &str, bucket: &str, key: Option<&str>) {
    let user = user(req).unwrap_or("anonymous");
    tracing::debug!(user, operation, bucket, key, "S3 change");
}

fn ok<T>(output: T) -> S3Result<S3Response<T>> {
    Ok(S3Response::new(output))
}

#[async_trait::async_trait]
impl S3 for AlluxioS3 {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        ok(AlluxioS3::list_buckets(&self.acting_for(user(&req)).await?).await?)
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        log_change(&req, "CreateBucket", &req.input.bucket, None);
        ok(AlluxioS3::create_bucket(&self.acting_for(user(&req)).await?, &req.input.bucket).await?)
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        ok(AlluxioS3::head_bucket(&self.acting_for(user(&req)).await?, &req.input.bucket).await?)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        log_change(&req, "DeleteBucket", &req.input.bucket, None);
        ok(AlluxioS3::delete_bucket(&self.acting_for(user(&req)).await?, &req.input.bucket).await?)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        ok(AlluxioS3::get_bucket_location(&self.acting_for(user(&req)).await?, &req.input.bucket).await?)
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        log_change(&req, "PutObject", &req.input.bucket, Some(&req.input.key));
        ok(AlluxioS3::put_object(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        ok(AlluxioS3::get_object(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        ok(AlluxioS3::head_object(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        log_change(&req, "DeleteObject", &req.input.bucket, Some(&req.input.key));
        ok(AlluxioS3::delete_object(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        log_change(&req, "DeleteObjects", &req.input.bucket, None);
        ok(AlluxioS3::delete_objects(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        log_change(&req, "CopyObject", &req.input.bucket, Some(&req.input.key));
        ok(AlluxioS3::copy_object(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        ok(AlluxioS3::list_objects(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        ok(AlluxioS3::list_objects_v2(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        ok(AlluxioS3::list_object_versions(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        ok(AlluxioS3::create_multipart_upload(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        ok(AlluxioS3::upload_part(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        log_change(
            &req,
            "CompleteMultipartUpload",
            &req.input.bucket,
            Some(&req.input.key),
        );
        ok(AlluxioS3::complete_multipart_upload(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        log_change(
            &req,
            "AbortMultipartUpload",
            &req.input.bucket,
            Some(&req.input.key),
        );
        ok(AlluxioS3::abort_multipart_upload(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        ok(AlluxioS3::list_parts(&self.acting_for(user(&req)).await?, req.input).await?)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        ok(AlluxioS3::list_multipart_uploads(&self.acting_for(user(&req)).await?, req.input).await?)
    }
}
