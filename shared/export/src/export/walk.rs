//! One stream's run: pages read from the saved position, each page's documents delivered before
//! the position moves past them (and archived first when there is an archive), the position
//! saved, and the business figures the stream's items show.

use b2b_shared::queue::OutgoingMessage;
use b2b_shared::telemetry::{emit_metrics, Metric};
use futures_util::{StreamExt, TryStreamExt};
use tokio::time::Instant;

use super::items::Item;
use super::{now_secs, ExportError, Exporter, StreamReport};
use crate::archive::RunUpload;
use crate::cursor::{Cursor, Listed};
use crate::documents::Document;
use crate::settings::StreamKind;

/// One stream's run in progress.
struct Walk {
    /// The position's key in the state table (`{store}#{stream}`).
    key: String,
    store: String,
    /// Where the run is.
    cursor: Cursor,
    /// The position last saved: it covers only delivered (and archived) documents.
    saved: Cursor,
    upload: Option<RunUpload>,
    limit: u32,
}

/// The business figures one stream's run collects.
#[derive(Default)]
struct Kpis {
    quotes_ordered: u32,
    quotes_lost: u32,
}

/// B2B quote statuses that end a quote: Ordered, and Expired or Archived (not bought).
const QUOTE_ORDERED: i64 = 4;
const QUOTE_EXPIRED: i64 = 5;
const QUOTE_ARCHIVED: i64 = 6;

impl Kpis {
    /// Counts a page's quotes that have ended: ordered, or expired or archived unbought.
    fn observe(&mut self, items: &[Item]) {
        for item in items {
            if let Item::Quote(q) = item {
                match q.status {
                    Some(QUOTE_ORDERED) => self.quotes_ordered += 1,
                    Some(QUOTE_EXPIRED | QUOTE_ARCHIVED) => self.quotes_lost += 1,
                    _ => {}
                }
            }
        }
    }

    /// `QuoteToOrderConversion`: of the quotes that ended in this run's changes, the share that
    /// became orders (ordered / (ordered + expired + archived), never above 1), when any ended.
    fn emit(&self, stream: StreamKind) {
        let ended = self.quotes_ordered + self.quotes_lost;
        if stream == StreamKind::Quotes && ended > 0 {
            emit_metrics(
                &[("Function", "order-export"), ("Stream", "quotes")],
                &[Metric {
                    name: "QuoteToOrderConversion",
                    value: f64::from(self.quotes_ordered) / f64::from(ended),
                    unit: "None",
                }],
            );
        }
    }
}

impl Exporter {
    /// One stream's run: pages from the saved position, each page's documents delivered
    /// before the position moves past them (and archived first when there is an archive).
    pub(super) async fn walk(
        &self,
        stream: StreamKind,
        deadline: Option<Instant>,
        report: &mut StreamReport,
    ) -> Result<(), ExportError> {
        let mut walk = self.start_walk(stream).await?;
        report.watermark = walk.cursor.t;
        let mut kpis = Kpis::default();
        while !self.must_stop(stream, deadline, report) {
            let page = self.page(stream, &walk.cursor, walk.limit).await?;
            report.pages += 1;
            // A portal stream's one page is everything since the position.
            let full = stream.filters_by_time() && page.len() as u32 >= walk.limit;
            let new: Vec<Item> = page
                .into_iter()
                .filter(|i| walk.cursor.is_new(i.listed()))
                .collect();
            let listed: Vec<Listed> = new.iter().map(Item::listed).collect();
            kpis.observe(&new);
            let messages = self.messages(&walk.store, new, report).await?;
            // Delivered first, then the position moves: a failure here keeps the old position.
            self.outbound.send_all(&messages).await?;
            walk.cursor.advance(&listed, full);
            self.save_if_archived(&mut walk, messages).await?;
            report.watermark = walk.saved.t;
            if walk.cursor.complete {
                break;
            }
        }
        self.finish_walk(walk, report).await?;
        kpis.emit(stream);
        if stream == StreamKind::Payments {
            if let Err(e) = crate::receivables::emit_open_receivables(&self.client).await {
                tracing::warn!(error = %e, "open receivables not measured this run");
            }
        }
        Ok(())
    }

    /// The stream's key, store and starting position (the saved one less the overlap, or the
    /// first run's start).
    async fn start_walk(&self, stream: StreamKind) -> Result<Walk, ExportError> {
        let store = self.store_hash().await?;
        let key = crate::watermark_key(&store, stream);
        let saved: Option<Cursor> = match self.state.get_watermark(&key).await? {
            None => None,
            Some(v) => match serde_json::from_value(v) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(stream = stream.as_str(), error = %e, "saved position unreadable; starting from the first run's window");
                    None
                }
            },
        };
        let first = now_secs() - self.settings.first_run_days * 86_400;
        let cursor = Cursor::start_of_run(saved, first, self.settings.overlap.as_secs() as i64);
        let run_started = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let upload = self
            .archive
            .as_ref()
            .map(|a| a.begin(&store, stream.as_str(), &run_started));
        Ok(Walk {
            key,
            store,
            saved: cursor.clone(),
            cursor,
            upload,
            limit: self.settings.page_size.clamp(1, 250),
        })
    }

    /// Whether the run must stop here: the page limit reached, or too little time left.
    fn must_stop(
        &self,
        stream: StreamKind,
        deadline: Option<Instant>,
        report: &StreamReport,
    ) -> bool {
        let stop = self
            .settings
            .max_pages_per_run
            .is_some_and(|max| report.pages >= max)
            || deadline.is_some_and(|d| {
                d.saturating_duration_since(Instant::now()) < self.settings.deadline_margin
            });
        if stop {
            tracing::info!(
                stream = stream.as_str(),
                "stopping before the deadline; the next run continues here"
            );
        }
        stop
    }

    /// The outbound messages of a page's new items (documents split into parts, FIFO group and
    /// deduplication ids when the queue is FIFO), counted in `report`.
    async fn messages(
        &self,
        store: &str,
        new: Vec<Item>,
        report: &mut StreamReport,
    ) -> Result<Vec<OutgoingMessage>, ExportError> {
        let docs: Vec<Option<Document>> = futures_util::stream::iter(new)
            .map(|item| self.document(store, item))
            .buffered(self.settings.concurrency.max(1))
            .try_collect()
            .await?;
        let mut messages = Vec::new();
        for doc in docs.into_iter() {
            let Some(doc) = doc else {
                report.skipped += 1;
                continue;
            };
            report.newest = Some(
                report
                    .newest
                    .map_or(doc.modified_at, |n: i64| n.max(doc.modified_at)),
            );
            let group = format!("{}#{}", doc.kind, doc.id);
            let dedup = doc.dedupe_key.clone();
            let (bodies, too_large) = self.fit(store, doc).await?;
            report.too_large += usize::from(too_large);
            for (n, body) in bodies.into_iter().enumerate() {
                let mut m = OutgoingMessage::new(messages.len().to_string(), body);
                if self.fifo {
                    m.group_id = Some(group.clone());
                    m.dedup_id = Some(format!("{dedup}#{n}").chars().take(128).collect());
                }
                messages.push(m);
            }
            report.exported += 1;
        }
        Ok(messages)
    }

    /// After a page was delivered: its documents go to the archive, and the position is saved
    /// once everything delivered so far is also in an uploaded part (at once without archive).
    async fn save_if_archived(
        &self,
        walk: &mut Walk,
        messages: Vec<OutgoingMessage>,
    ) -> Result<(), ExportError> {
        let in_archive = match (&self.archive, walk.upload.as_mut()) {
            (Some(archive), Some(up)) => {
                let bodies: Vec<String> = messages.into_iter().map(|m| m.body).collect();
                archive
                    .append(up, &bodies)
                    .await
                    .map_err(ExportError::Archive)?
            }
            _ => true,
        };
        if in_archive {
            self.save_position(&walk.key, &walk.cursor).await?;
            walk.saved = walk.cursor.clone();
        }
        Ok(())
    }

    /// Completes the archive object (only then may the position cover its last documents) and
    /// reports where the stream ended.
    async fn finish_walk(&self, walk: Walk, report: &mut StreamReport) -> Result<(), ExportError> {
        if let (Some(archive), Some(up)) = (&self.archive, walk.upload) {
            report.archive_key = archive.finish(up).await.map_err(ExportError::Archive)?;
            if walk.saved != walk.cursor {
                self.save_position(&walk.key, &walk.cursor).await?;
            }
            report.watermark = walk.cursor.t;
        }
        report.complete = walk.cursor.complete;
        Ok(())
    }

    async fn save_position(&self, key: &str, cursor: &Cursor) -> Result<(), ExportError> {
        let value = serde_json::to_value(cursor)
            .map_err(|e| ExportError::Document(format!("position not encodable: {e}")))?;
        Ok(self.state.put_watermark(key, &value).await?)
    }
}
