//! Sending to SQS in batches: at most 10 entries and 256 KiB per `SendMessageBatch`, entries that
//! failed for a transient reason sent again once, anything still failing reported by id.

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures_util::future::BoxFuture;

/// Largest message body SQS accepts.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const MAX_BATCH_ENTRIES: usize = 10;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Batch entry id: unique within a call, up to 80 letters, digits, `-` and `_`.
    pub id: String,
    /// The body (JSON).
    pub body: String,
    /// FIFO message group, if the queue is FIFO.
    pub group_id: Option<String>,
    /// FIFO deduplication id, if the queue is FIFO.
    pub dedup_id: Option<String>,
}

impl OutgoingMessage {
    /// A message with `id` and `body`, no FIFO attributes.
    pub fn new(id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            body: body.into(),
            group_id: None,
            dedup_id: None,
        }
    }
}

/// Why messages could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue could not be reached or failed transiently (retryable).
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    /// SQS refused these entries (permanent: too large, bad attributes...).
    #[error("queue refused {} message(s): {reason}", ids.len())]
    Rejected {
        /// Entry ids refused.
        ids: Vec<String>,
        /// SQS's reason for the first of them.
        reason: String,
    },
}

impl QueueError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueueError::Unavailable(_))
    }
}

/// A queue messages can be sent to.
pub trait Queue: Send + Sync + 'static {
    /// Sends every message, or fails (some may then have been sent: consumers dedupe).
    fn send_all<'a>(
        &'a self,
        messages: &'a [OutgoingMessage],
    ) -> BoxFuture<'a, Result<(), QueueError>>;
}

/// Splits messages into SendMessageBatch-sized groups (10 entries, 256 KiB).
pub fn batches(messages: &[OutgoingMessage]) -> Vec<&[OutgoingMessage]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, m) in messages.iter().enumerate() {
        let size = m.body.len();
        if i > start && (i - start == MAX_BATCH_ENTRIES || bytes + size > MAX_MESSAGE_BYTES) {
            out.push(&messages[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

/// [`Queue`] on SQS (or moto through `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    /// The queue at `url`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn send_batch(
        &self,
        batch: &[OutgoingMessage],
    ) -> Result<Vec<(String, bool, String)>, QueueError> {
        let entries = batch
            .iter()
            .map(|m| {
                SendMessageBatchRequestEntry::builder()
                    .id(&m.id)
                    .message_body(&m.body)
                    .set_message_group_id(m.group_id.clone())
                    .set_message_deduplication_id(m.dedup_id.clone())
                    .build()
                    .map_err(|e| QueueError::Rejected {
                        ids: vec![m.id.clone()],
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                QueueError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
            })?;
        Ok(out
            .failed
            .into_iter()
            .map(|f| (f.id, f.sender_fault, f.message.unwrap_or(f.code)))
            .collect())
    }
}

impl Queue for SqsQueue {
    fn send_all<'a>(
        &'a self,
        messages: &'a [OutgoingMessage],
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            for batch in batches(messages) {
                let mut failed = self.send_batch(batch).await?;
                if failed.iter().any(|(_, sender_fault, _)| !sender_fault) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let again: Vec<OutgoingMessage> = batch
                        .iter()
                        .filter(|m| failed.iter().any(|(id, sf, _)| id == &m.id && !sf))
                        .cloned()
                        .collect();
                    failed.retain(|(_, sf, _)| *sf);
                    failed.extend(self.send_batch(&again).await?);
                }
                if let Some((_, sender_fault, reason)) = failed.first() {
                    let ids = failed.iter().map(|(id, _, _)| id.clone()).collect();
                    return Err(if *sender_fault {
                        QueueError::Rejected {
                            ids,
                            reason: reason.clone(),
                        }
                    } else {
                        QueueError::Unavailable(reason.clone())
                    });
                }
            }
            Ok(())
        })
    }
}

/// [`Queue`] in memory: keeps what was sent; `down` makes every send fail (to test outages).
#[derive(Debug, Default)]
pub struct MemoryQueue {
    /// Every message sent, in order.
    pub sent: std::sync::Mutex<Vec<OutgoingMessage>>,
    /// When true, sends fail with [`QueueError::Unavailable`].
    pub down: std::sync::atomic::AtomicBool,
}

impl MemoryQueue {
    /// Every body sent so far, parsed as JSON (bodies that are not JSON are left out).
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.sent
            .lock()
            .map(|sent| {
                sent.iter()
                    .filter_map(|m| serde_json::from_str(&m.body).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Queue for MemoryQueue {
    fn send_all<'a>(
        &'a self,
        messages: &'a [OutgoingMessage],
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(QueueError::Unavailable("queue down (simulated)".into()));
            }
            self.sent
                .lock()
                .map_err(|_| QueueError::Unavailable("poisoned".into()))?
                .extend(messages.iter().cloned());
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_size() {
        let small: Vec<_> = (0..23)
            .map(|i| OutgoingMessage::new(i.to_string(), "x"))
            .collect();
        let sizes: Vec<_> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [10, 10, 3]);
        let big: Vec<_> = (0..3)
            .map(|i| OutgoingMessage::new(i.to_string(), "y".repeat(100 * 1024)))
            .collect();
        let sizes: Vec<_> = batches(&big).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2, 1]);
        assert!(batches(&[]).is_empty());
    }
}
