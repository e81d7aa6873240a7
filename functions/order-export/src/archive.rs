//! The optional S3 archive: one NDJSON object per stream and run, written as a multipart upload
//! so memory stays flat whatever the run's size.
//!
//! Documents are buffered until a part is full (8 MiB; S3 wants at least 5 MiB for every part but
//! the last), then uploaded. The export saves its position only after the documents up to it are
//! in an uploaded part, so a run that dies loses nothing from the archive either: the next run
//! exports those documents again into its own object (consumers drop repeats by dedupe key).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

/// Buffered bytes at which a part is uploaded.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// Where archives go.
#[derive(Debug, Clone)]
pub struct S3Archive {
    /// The S3 client.
    pub client: aws_sdk_s3::Client,
    /// `EXPORT_BUCKET`.
    pub bucket: String,
    /// `EXPORT_PREFIX` (default `exports/`).
    pub prefix: String,
}

/// The archive object of one stream in one run.
#[derive(Debug)]
pub struct RunUpload {
    key: String,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    buffer: Vec<u8>,
    documents: usize,
}

fn s3_error<E: std::error::Error + 'static>(e: &E) -> String {
    aws_sdk_s3::error::DisplayErrorContext(e).to_string()
}

impl S3Archive {
    /// Starts the object `{prefix}{store}/{stream}/{run_started}.ndjson`.
    pub fn begin(&self, store: &str, stream: &str, run_started: &str) -> RunUpload {
        RunUpload {
            key: format!("{}{store}/{stream}/{run_started}.ndjson", self.prefix),
            upload_id: None,
            parts: Vec::new(),
            buffer: Vec::new(),
            documents: 0,
        }
    }

    async fn upload_part(&self, up: &mut RunUpload) -> Result<(), String> {
        if up.buffer.is_empty() {
            return Ok(());
        }
        let upload_id = match &up.upload_id {
            Some(id) => id.clone(),
            None => {
                let out = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&up.key)
                    .content_type("application/x-ndjson")
                    .send()
                    .await
                    .map_err(|e| s3_error(&e))?;
                let id = out.upload_id.ok_or("S3 returned no upload id")?;
                up.upload_id = Some(id.clone());
                id
            }
        };
        let number = up.parts.len() as i32 + 1;
        let body = std::mem::take(&mut up.buffer);
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&up.key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_error(&e))?;
        up.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build(),
        );
        Ok(())
    }

    /// Adds document bodies; uploads a part when the buffer is full. Returns whether everything
    /// added so far is now in S3 (so the export may save its position).
    pub async fn append(&self, up: &mut RunUpload, bodies: &[String]) -> Result<bool, String> {
        for b in bodies {
            up.buffer.extend_from_slice(b.as_bytes());
            up.buffer.push(b'\n');
        }
        up.documents += bodies.len();
        if up.buffer.len() >= PART_BYTES {
            self.upload_part(up).await?;
            return Ok(true);
        }
        Ok(up.buffer.is_empty())
    }

    /// Uploads what is left and completes the object (nothing is written for an empty run).
    /// Returns the object key, if one was written.
    pub async fn finish(&self, mut up: RunUpload) -> Result<Option<String>, String> {
        if up.documents == 0 && up.upload_id.is_none() {
            return Ok(None);
        }
        self.upload_part(&mut up).await?;
        let Some(upload_id) = up.upload_id.clone() else {
            return Ok(None);
        };
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&up.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(up.parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_error(&e))?;
        Ok(Some(up.key))
    }
}
