//! The optional archive: one NDJSON object per stream and run, written in parts so memory stays
//! flat whatever the run's size. Where the parts go is a [`PartStore`] (S3 multipart uploads in
//! order-export; anything with the same three steps elsewhere).
//!
//! Documents are buffered until a part is full (8 MiB; S3 wants at least 5 MiB for every part but
//! the last), then uploaded. The export saves its position only after the documents up to it are
//! in an uploaded part, so a run that dies loses nothing from the archive either: the next run
//! exports those documents again into its own object (consumers drop repeats by dedupe key).

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;

/// Buffered bytes at which a part is uploaded.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// One uploaded part: its number (from 1) and the tag the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// The part's number, from 1.
    pub number: i32,
    /// The store's tag of the part (S3's ETag), when it gave one.
    pub tag: Option<String>,
}

/// A store of multipart objects: start an object, upload numbered parts, complete it.
/// Errors are readable sentences (they end up in the run's report and logs).
pub trait PartStore: fmt::Debug + Send + Sync {
    /// Starts the object `key`; returns the upload's id.
    fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>>;
    /// Uploads part `number` of upload `upload_id` of `key`.
    fn put_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: i32,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<UploadedPart, String>>;
    /// Completes upload `upload_id` of `key` from `parts`.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<UploadedPart>,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// Where archives go: a part store and a key prefix.
#[derive(Debug, Clone)]
pub struct Archive {
    /// The store the parts go to.
    pub store: Arc<dyn PartStore>,
    /// Key prefix (`EXPORT_PREFIX`, default `exports/`).
    pub prefix: String,
}

impl Archive {
    /// Stores one document too large for the queue as its own object,
    /// `{prefix}{store}/too-large/{type}-{id}-{modified}.json`, and returns its key.
    pub async fn store_whole(
        &self,
        store: &str,
        too_large: &crate::documents::TooLarge,
    ) -> Result<String, crate::ExportError> {
        let d = &too_large.doc;
        let key = format!(
            "{}{store}/too-large/{}-{}-{}.json",
            self.prefix, d.kind, d.id, d.modified_at
        );
        let failed = |e: String| crate::ExportError::Archive(format!("{key}: {e}"));
        let upload = self.store.start(&key).await.map_err(failed)?;
        // One part: the last part of an upload may be smaller than 5 MiB.
        let part = self
            .store
            .put_part(&key, &upload, 1, too_large.whole.as_bytes().to_vec())
            .await
            .map_err(failed)?;
        self.store
            .complete(&key, &upload, vec![part])
            .await
            .map_err(failed)?;
        Ok(key)
    }
}

/// The archive object of one stream in one run.
#[derive(Debug)]
pub struct RunUpload {
    key: String,
    upload_id: Option<String>,
    parts: Vec<UploadedPart>,
    buffer: Vec<u8>,
    documents: usize,
}

impl Archive {
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
                let id = self.store.start(&up.key).await?;
                up.upload_id = Some(id.clone());
                id
            }
        };
        let number = up.parts.len() as i32 + 1;
        let body = std::mem::take(&mut up.buffer);
        let part = self
            .store
            .put_part(&up.key, &upload_id, number, body)
            .await?;
        up.parts.push(part);
        Ok(())
    }

    /// Adds document bodies; uploads a part when the buffer is full. Returns whether everything
    /// added so far is now in the store (so the export may save its position).
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
        self.store
            .complete(&up.key, &upload_id, std::mem::take(&mut up.parts))
            .await?;
        Ok(Some(up.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Parts kept in memory, with the order of calls.
    #[derive(Debug, Default)]
    struct Memory {
        calls: Mutex<Vec<String>>,
        bytes: Mutex<Vec<u8>>,
    }

    impl PartStore for Memory {
        fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<String, String>> {
            self.calls.lock().unwrap().push(format!("start {key}"));
            Box::pin(async { Ok("u1".to_owned()) })
        }
        fn put_part<'a>(
            &'a self,
            _key: &'a str,
            upload_id: &'a str,
            number: i32,
            body: Vec<u8>,
        ) -> BoxFuture<'a, Result<UploadedPart, String>> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("part {upload_id} {number} {}", body.len()));
            self.bytes.lock().unwrap().extend(body);
            Box::pin(async move {
                Ok(UploadedPart {
                    number,
                    tag: Some(format!("t{number}")),
                })
            })
        }
        fn complete<'a>(
            &'a self,
            key: &'a str,
            _upload_id: &'a str,
            parts: Vec<UploadedPart>,
        ) -> BoxFuture<'a, Result<(), String>> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("complete {key} {}", parts.len()));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn parts_are_uploaded_when_full_and_the_rest_on_finish() {
        let store = Arc::new(Memory::default());
        let archive = Archive {
            store: store.clone(),
            prefix: "exports/".into(),
        };
        let mut up = archive.begin("abc", "orders", "20260101T000000Z");
        assert!(!archive.append(&mut up, &["{}".into()]).await.unwrap());
        let big = "x".repeat(PART_BYTES);
        assert!(archive.append(&mut up, &[big]).await.unwrap());
        assert!(!archive.append(&mut up, &["{}".into()]).await.unwrap());
        let key = archive.finish(up).await.unwrap();
        assert_eq!(
            key.as_deref(),
            Some("exports/abc/orders/20260101T000000Z.ndjson")
        );
        let calls = store.calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 4, "{calls:?}");
        assert!(calls[0].starts_with("start exports/abc/orders/"));
        assert_eq!(calls[1], format!("part u1 1 {}", PART_BYTES + 4));
        assert_eq!(calls[2], "part u1 2 3");
        assert!(calls[3].ends_with(" 2"), "{calls:?}");
        assert_eq!(store.bytes.lock().unwrap().len(), PART_BYTES + 7);
    }

    #[tokio::test]
    async fn an_empty_run_writes_nothing() {
        let store = Arc::new(Memory::default());
        let archive = Archive {
            store: store.clone(),
            prefix: String::new(),
        };
        let up = archive.begin("abc", "quotes", "t");
        assert_eq!(archive.finish(up).await.unwrap(), None);
        assert!(store.calls.lock().unwrap().is_empty());
    }
}
