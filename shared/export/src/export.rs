//! One export run: for each stream, read what changed since its cursor, page by page, build the
//! documents, deliver them, and only then save the cursor. A run that nears its deadline stops
//! between pages with its position saved; the next run continues from there.
//!
//! The run itself is split by concern into the files of `export/`:
//! - `walk`: one stream's run, page after page, and when its position is saved;
//! - `items`: a stream's page of listed items;
//! - `item_documents` and `order_document`: the document of each listed item;
//! - `events`: the documents of webhook events (see [`EventTarget`]).

mod events;
mod item_documents;
mod items;
mod order_document;
mod walk;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use b2b_shared::queue::{OutgoingMessage, Queue, QueueError};
use b2b_shared::state::{StateError, StateStore};
use b2b_shared::telemetry::{emit_metrics_in_sets, Metric};
use bigcommerce_b2b::{BcClient, BcError};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::documents::Document;
use crate::settings::{ExportSettings, StreamKind};

pub use events::EventTarget;

/// Why a run (or a stream of it) stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// BigCommerce failed.
    #[error(transparent)]
    BigCommerce(#[from] BcError),
    /// The outbound queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The state table failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A document could not be made into messages.
    #[error("document: {0}")]
    Document(String),
    /// The S3 archive failed.
    #[error("archive: {0}")]
    Archive(String),
}

impl ExportError {
    /// Whether the next run may succeed (everything but a document that cannot be sent).
    pub fn is_retryable(&self) -> bool {
        match self {
            ExportError::BigCommerce(e) => e.is_retryable(),
            ExportError::Queue(e) => e.is_retryable(),
            ExportError::State(_) | ExportError::Archive(_) => true,
            ExportError::Document(_) => false,
        }
    }
}

/// What one stream did in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamReport {
    /// Documents delivered (parts counted once).
    pub exported: usize,
    /// Items left out (invoice payments with `skip`).
    pub skipped: usize,
    /// Pages read.
    pub pages: usize,
    /// Whether the stream reached the end of its list.
    pub complete: bool,
    /// The saved position (unix seconds).
    pub watermark: i64,
    /// Newest modification time exported (unix seconds).
    pub newest: Option<i64>,
    /// Why it stopped early, if it failed.
    pub error: Option<String>,
    /// The S3 archive object written, if any.
    pub archive_key: Option<String>,
    /// Documents over the message limit sent as pointers.
    pub too_large: usize,
}

/// What a run did, per stream.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    /// Per stream.
    pub streams: BTreeMap<&'static str, StreamReport>,
    /// Whether every stream reached the end (false: the next run continues).
    pub complete: bool,
}

/// Now, in unix seconds.
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An integer sent as a number or a numeric string (BigCommerce's payloads do both).
fn json_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// The dimension sets of a stream's figures: by stream, and rolled up over every stream (what
/// the stuck-stream and lag alarms watch).
pub const EXPORT_METRIC_SETS: &[&[&str]] = &[&["Function", "Stream"], &["Function"]];

/// Exports one store.
#[derive(Clone)]
pub struct Exporter {
    /// The store's client.
    pub client: BcClient,
    /// The state table (watermarks).
    pub state: Arc<dyn StateStore>,
    /// The outbound queue.
    pub outbound: Arc<dyn Queue>,
    /// Settings.
    pub settings: ExportSettings,
    /// Whether the outbound queue is FIFO.
    pub fifo: bool,
    /// The optional archive (S3 in order-export, when `EXPORT_BUCKET` is set).
    pub archive: Option<crate::archive::Archive>,
}

impl Exporter {
    async fn store_hash(&self) -> Result<String, ExportError> {
        Ok(self.client.store_hash().await?.to_string())
    }

    /// Runs every configured stream (or `only` these), stopping cleanly before `deadline`.
    pub async fn run(&self, only: Option<&[StreamKind]>, deadline: Option<Instant>) -> RunReport {
        let mut report = RunReport {
            complete: true,
            ..RunReport::default()
        };
        let streams: Vec<StreamKind> = match only {
            Some(list) => list.to_vec(),
            None => self.settings.streams.clone(),
        };
        for stream in streams {
            let r = self.run_stream(stream, deadline).await;
            report.complete &= r.complete && r.error.is_none();
            self.emit(stream, &r);
            report.streams.insert(stream.as_str(), r);
        }
        report
    }

    /// One stream's run figures, every run (so a missing figure means the export did not run):
    /// `ExportLagSeconds` is how far behind the ERP's view is (0 once the run reached the end
    /// of the changes, else now minus the saved position), `ExportRunFailed` 1 when the run
    /// stopped on an error (the stuck-stream alarm watches its roll-up), `DocumentsTooLarge`.
    fn emit(&self, stream: StreamKind, r: &StreamReport) {
        let failed = r.error.is_some();
        let lag = if r.complete && !failed {
            0
        } else {
            (now_secs() - r.watermark).max(0)
        };
        let mut metrics = vec![
            Metric {
                name: "DocumentsExported",
                value: r.exported as f64,
                unit: "Count",
            },
            Metric {
                name: "ExportLagSeconds",
                value: lag as f64,
                unit: "Seconds",
            },
            Metric {
                name: "ExportRunFailed",
                value: f64::from(u8::from(failed)),
                unit: "Count",
            },
            Metric {
                name: "DocumentsTooLarge",
                value: r.too_large as f64,
                unit: "Count",
            },
        ];
        let named = match stream {
            StreamKind::Orders => Some("OrdersExported"),
            StreamKind::Payments => Some("PaymentsExported"),
            _ => None,
        };
        if let Some(name) = named {
            metrics.push(Metric {
                name,
                value: r.exported as f64,
                unit: "Count",
            });
        }
        emit_metrics_in_sets(
            &[("Function", "order-export"), ("Stream", stream.as_str())],
            EXPORT_METRIC_SETS,
            &metrics,
        );
    }

    async fn run_stream(&self, stream: StreamKind, deadline: Option<Instant>) -> StreamReport {
        let mut report = StreamReport::default();
        match self.walk(stream, deadline, &mut report).await {
            Ok(()) => {}
            Err(e) => {
                tracing::error!(stream = stream.as_str(), error = %e, retryable = e.is_retryable(), "export stream stopped; its position is kept");
                report.error = Some(e.to_string());
            }
        }
        tracing::info!(
            stream = stream.as_str(),
            exported = report.exported,
            pages = report.pages,
            complete = report.complete,
            watermark = report.watermark,
            "export stream done"
        );
        report
    }

    /// `doc` as message bodies under the queue's limit (split when it is large), or, when no
    /// split fits, a pointer: the whole document stored in the archive (when there is one)
    /// and a `too_large` message naming it, so one huge entity never blocks its stream.
    /// The flag says whether it was too large.
    async fn fit(&self, store: &str, doc: Document) -> Result<(Vec<String>, bool), ExportError> {
        let too_large = match doc.into_bodies() {
            Ok(bodies) => return Ok((bodies, false)),
            Err(t) => t,
        };
        let key = match &self.archive {
            Some(archive) => Some(archive.store_whole(store, &too_large).await?),
            None => None,
        };
        tracing::warn!(dedupe_key = %too_large.doc.dedupe_key, reason = %too_large.reason,
            archive_key = ?key, "document over the message limit: sent as a pointer");
        let body =
            too_large
                .doc
                .pointer_body(too_large.whole.len(), &too_large.reason, key.as_deref());
        Ok((vec![body], true))
    }

    /// Sends documents to the outbound queue (for the webhook path).
    pub async fn deliver(&self, docs: Vec<Document>) -> Result<usize, ExportError> {
        let store = self.store_hash().await?;
        let mut messages = Vec::new();
        for doc in docs {
            for body in self.fit(&store, doc).await?.0 {
                messages.push(OutgoingMessage::new(messages.len().to_string(), body));
            }
        }
        let n = messages.len();
        self.outbound.send_all(&messages).await?;
        Ok(n)
    }
}
