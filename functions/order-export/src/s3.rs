//! The export archive's parts in S3: a multipart upload per stream and run.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use b2b_export::archive::{PartStore, UploadedPart};
use futures_util::future::BoxFuture;

/// Multipart objects in one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Parts {
    /// The S3 client.
    pub client: aws_sdk_s3::Client,
    /// `EXPORT_BUCKET`.
    pub bucket: String,
}

impl S3Parts {
    /// The S3 client for `sdk`; path-style addressing when an endpoint override (moto, MinIO) is
    /// configured.
    pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

fn s3_error<E: std::error::Error + 'static>(e: &E) -> String {
    aws_sdk_s3::error::DisplayErrorContext(e).to_string()
}

impl PartStore for S3Parts {
    fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let out = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .content_type("application/x-ndjson")
                .send()
                .await
                .map_err(|e| s3_error(&e))?;
            out.upload_id
                .ok_or_else(|| "S3 returned no upload id".to_owned())
        })
    }

    fn put_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: i32,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<UploadedPart, String>> {
        Box::pin(async move {
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| s3_error(&e))?;
            Ok(UploadedPart {
                number,
                tag: out.e_tag,
            })
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<UploadedPart>,
    ) -> BoxFuture<'a, Result<(), String>> {
        let parts: Vec<CompletedPart> = parts
            .into_iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number)
                    .set_e_tag(p.tag)
                    .build()
            })
            .collect();
        Box::pin(async move {
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| s3_error(&e))?;
            Ok(())
        })
    }
}
