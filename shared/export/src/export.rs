//! One export run: for each stream, read what changed since its cursor, page by page, build the
//! documents, deliver them, and only then save the cursor. A run that nears its deadline stops
//! between pages with its position saved; the next run continues from there.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use b2b_commands::WebhookEvent;
use b2b_shared::queue::{OutgoingMessage, Queue, QueueError};
use b2b_shared::state::{StateError, StateStore};
use b2b_shared::telemetry::{emit_metrics, emit_metrics_in_sets, Metric};
use bigcommerce_b2b::b2b::{Company, CompanyFilter, Quote, QuoteFilter, SortOrder, UserFilter};
use bigcommerce_b2b::core::Order;
use bigcommerce_b2b::receivables::{Payment, Receipt};
use bigcommerce_b2b::shopping_lists::ShoppingListDetail;
use bigcommerce_b2b::{BcClient, BcError};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::archive::RunUpload;
use crate::cursor::{Cursor, Listed};
use crate::documents::{is_invoice_payment, order_data, Document};
use crate::settings::{ExportSettings, InvoicePayments, StreamKind};

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

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// One item of a page, with what the document needs.
enum Item {
    Order(Box<Order>),
    Quote(Box<Quote>),
    Company(Box<Company>),
    Payment(Box<Payment>),
    Receipt(Box<Receipt>),
    ShoppingList(Box<ShoppingListDetail>),
}

impl Item {
    fn listed(&self) -> Listed {
        match self {
            Item::Order(o) => Listed {
                id: o.id,
                modified: o.modified_at().map(|d| d.timestamp()).unwrap_or(0),
            },
            Item::Quote(q) => Listed {
                id: q.quote_id,
                modified: q.updated_at.unwrap_or(0),
            },
            Item::Company(c) => Listed {
                id: c.company_id,
                modified: c.updated_at.unwrap_or(0),
            },
            Item::Payment(p) => Listed {
                id: p.id,
                modified: p.updated_at,
            },
            Item::Receipt(r) => Listed {
                id: r.id,
                modified: r.updated_at,
            },
            Item::ShoppingList(l) => Listed {
                id: l.list.id,
                modified: l.list.updated_at.unwrap_or(0),
            },
        }
    }
}

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

/// `AccountActivationSeconds`, from a `store/company/statusUpdated` event that found its company
/// approved: the time of the status change (the event's) minus the company's creation. The
/// schedule cannot tell it: a company's `updatedAt` is its last edit, not its approval.
fn emit_activation(event: &WebhookEvent, company: &bigcommerce_b2b::b2b::Company) {
    if event.scope != "store/company/statusUpdated" || company.company_status != Some(1) {
        return;
    }
    let Some(created) = company.created_at else {
        return;
    };
    let approved = event.created_at.unwrap_or(event.received_at);
    emit_metrics(
        &[("Function", "upsert-worker"), ("Stream", "companies")],
        &[Metric {
            name: "AccountActivationSeconds",
            value: (approved - created).max(0) as f64,
            unit: "Seconds",
        }],
    );
}

/// The dimension sets of a stream's figures: by stream, and rolled up over every stream (what
/// the stuck-stream and lag alarms watch).
pub const EXPORT_METRIC_SETS: &[&[&str]] = &[&["Function", "Stream"], &["Function"]];

/// The entity a webhook event's document is about: see [`Exporter::event_target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventTarget {
    /// A core order id.
    Order(i64),
    /// A B2B quote id.
    Quote(i64),
    /// A B2B company id.
    Company(i64),
}

/// Whether a scope announces the end of its entity (`store/company/deleted`,
/// `store/quote/deleted`, `store/order/archived`). A buyer's or an address's deletion changes
/// its company, whose document is exported again instead.
/// An integer sent as a number or a numeric string (BigCommerce's payloads do both).
fn json_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

fn is_deletion(scope: &str) -> bool {
    let entity_level = scope.matches('/').count() == 2;
    // A shipment's events are about its order, which stays: its document is read again.
    let of_its_target = !scope.starts_with("store/shipment/");
    entity_level && of_its_target && (scope.ends_with("/deleted") || scope.ends_with("/archived"))
}

/// The tombstone of `target`, known from `event` through `source`.
fn tombstone(
    store: &str,
    target: EventTarget,
    event: &WebhookEvent,
    source: &'static str,
) -> Document {
    let (kind, id) = match target {
        EventTarget::Order(id) => ("order", id),
        EventTarget::Quote(id) => ("quote", id),
        EventTarget::Company(id) => ("company", id),
    };
    let deletion = crate::documents::Deletion {
        at: event.created_at.unwrap_or(event.received_at),
        source,
        scope: event.scope.clone(),
    };
    Document::tombstone(kind, store, id, now_secs(), deletion)
}

/// How long before a quote event its quote may have been changed (clock skew, delivery delay).
const QUOTE_EVENT_SLACK_SECS: i64 = 600;

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

    /// One stream's run: pages from the saved position, each page's documents delivered
    /// before the position moves past them (and archived first when there is an archive).
    async fn walk(
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

    /// The stream's page at `cursor`: the client's single-page calls, in ascending order of
    /// modification, so the keyset cursor can resume exactly there next run.
    async fn page(
        &self,
        stream: StreamKind,
        cursor: &Cursor,
        limit: u32,
    ) -> Result<Vec<Item>, ExportError> {
        let offset = u64::from(cursor.page.saturating_sub(1)) * u64::from(limit);
        Ok(match stream {
            StreamKind::Orders => {
                let since =
                    chrono::DateTime::from_timestamp(cursor.t.max(0), 0).unwrap_or_default();
                let orders = self
                    .client
                    .core()
                    .orders_page(since, u64::from(cursor.page), limit)
                    .await?;
                orders
                    .into_iter()
                    .map(|o| Item::Order(Box::new(o)))
                    .collect()
            }
            StreamKind::Quotes => {
                let filter = QuoteFilter {
                    min_modified: Some(cursor.t),
                    oldest_first: true,
                    ..QuoteFilter::default()
                };
                let quotes = self
                    .client
                    .b2b()
                    .quotes_page(&filter, offset, limit)
                    .await?;
                quotes
                    .into_iter()
                    .map(|q| Item::Quote(Box::new(q)))
                    .collect()
            }
            StreamKind::Companies => {
                let filter = CompanyFilter {
                    min_modified: Some(cursor.t),
                    sort_by_updated: Some(true),
                    order: Some(SortOrder::Asc),
                    include_extra_fields: true,
                    ..CompanyFilter::default()
                };
                let companies = self
                    .client
                    .b2b()
                    .companies_page(&filter, offset, limit)
                    .await?;
                companies
                    .into_iter()
                    .map(|c| Item::Company(Box::new(c)))
                    .collect()
            }
            StreamKind::Payments => crate::receivables::payments_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|p| Item::Payment(Box::new(p)))
                .collect(),
            StreamKind::Receipts => crate::receivables::receipts_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|r| Item::Receipt(Box::new(r)))
                .collect(),
            StreamKind::ShoppingLists => crate::shopping_lists::lists_since(&self.client, cursor.t)
                .await?
                .into_iter()
                .map(|l| Item::ShoppingList(Box::new(l)))
                .collect(),
        })
    }

    /// An order's document: its lines, addresses, shipments once something shipped, its B2B
    /// order, and for an invoice-portal payment order the payment that made it (`None` when
    /// invoice payments are skipped).
    async fn order_document(
        &self,
        store: &str,
        order: &Order,
        listed: Listed,
        now: i64,
    ) -> Result<Option<Document>, ExportError> {
        let id = order.id;
        let products = self.client.core().order_products(id).await?;
        let shipping = self.client.core().order_shipping_addresses(id).await?;
        // Its shipments (with tracking) once something has shipped: one more request.
        let shipped = order
            .extra
            .get("items_shipped")
            .and_then(json_int)
            .unwrap_or(0);
        let shipments = if shipped > 0 {
            self.client.core().shipments(id).await?
        } else {
            Vec::new()
        };
        let b2b = self.client.b2b().order(id).await?;
        let invoice = match b2b {
            Some(_) => is_invoice_payment(&self.client.core().order_metafields(id).await?),
            None => false,
        };
        if invoice && self.settings.invoice_payments == InvoicePayments::Skip {
            return Ok(None);
        }
        let mut data = order_data(order, products, shipping, &shipments, b2b.as_ref(), invoice);
        if invoice {
            // The payment document this order stands for (the payments stream's).
            let paid_by =
                crate::receivables::payment_of_order(&self.client, id, listed.modified).await;
            let paid_by = match paid_by {
                Ok(p) => p,
                // The portal refuses (no scope for it): the order goes without the link.
                Err(e) if !e.is_retryable() => {
                    tracing::warn!(order = id, error = %e, "invoice payment not linked");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            data["payment_id"] = Value::from(paid_by);
        }
        Ok(Some(Document::new(
            "order",
            store,
            id,
            listed.modified,
            now,
            data,
        )))
    }

    async fn document(&self, store: &str, item: Item) -> Result<Option<Document>, ExportError> {
        let now = now_secs();
        let listed = item.listed();
        Ok(match item {
            Item::Order(order) => self.order_document(store, &order, listed, now).await?,
            Item::Quote(q) => {
                let mut full = self
                    .client
                    .b2b()
                    .quote_detail(&q)
                    .await?
                    .unwrap_or_else(|| serde_json::to_value(&q).unwrap_or_default());
                // The detail carries no id of its own: the document's data keeps `quoteId`.
                if let Value::Object(m) = &mut full {
                    m.entry("quoteId").or_insert(Value::from(q.quote_id));
                }
                Some(Document::new(
                    "quote",
                    store,
                    q.quote_id,
                    listed.modified,
                    now,
                    full,
                ))
            }
            Item::Company(c) => {
                let filter = UserFilter {
                    company_id: Some(c.company_id),
                    ..UserFilter::default()
                };
                let buyers: Vec<Value> = self
                    .client
                    .b2b()
                    .users(&filter)
                    .map_ok(|u| serde_json::to_value(u).unwrap_or_default())
                    .try_collect()
                    .await?;
                let mut data = serde_json::json!({ "company": c, "buyers": buyers });
                if self.settings.company_accounts {
                    data["account"] = crate::accounts::account_data(&self.client, &c).await?;
                }
                Some(Document::new(
                    "company",
                    store,
                    c.company_id,
                    listed.modified,
                    now,
                    data,
                ))
            }
            Item::Payment(p) => {
                let data = crate::receivables::payment_data(&self.client, &p).await?;
                Some(Document::new(
                    "payment",
                    store,
                    p.id,
                    listed.modified,
                    now,
                    data,
                ))
            }
            Item::Receipt(r) => {
                let data = crate::receivables::receipt_data(&self.client, &r).await?;
                Some(Document::new(
                    "receipt",
                    store,
                    r.id,
                    listed.modified,
                    now,
                    data,
                ))
            }
            Item::ShoppingList(l) => {
                let data = crate::shopping_lists::list_data(&self.client, &l).await?;
                Some(Document::new(
                    "shopping_list",
                    store,
                    l.list.id,
                    listed.modified,
                    now,
                    data,
                ))
            }
        })
    }

    /// What a webhook event's document is about (`store/order/*` and `store/shipment/*`: the
    /// order, `store/quote/*`: the quote, `store/company/*`: the company); `None` for scopes
    /// that are not exported.
    /// Events with the same target make the same document (it is read fresh), so a batch
    /// needs to export each target once.
    pub fn event_target(event: &WebhookEvent) -> Option<EventTarget> {
        let id_of = |keys: &[&str]| -> Option<i64> {
            if let Some(r) = &event.resource {
                if keys.iter().any(|k| k.trim_end_matches("_id") == r.kind) {
                    return Some(r.id);
                }
            }
            keys.iter()
                .find_map(|k| event.data.get(*k).and_then(json_int))
        };
        let scope = event.scope.as_str();
        if scope.starts_with("store/shipment/") {
            // `{type: shipment, id, orderId}`: the order's document carries its shipments.
            return event
                .data
                .get("orderId")
                .and_then(json_int)
                .map(EventTarget::Order);
        }
        if scope.starts_with("store/order/") {
            id_of(&["order_id", "id"]).map(EventTarget::Order)
        } else if scope.starts_with("store/quote/") {
            id_of(&["quote_id"]).map(EventTarget::Quote)
        } else if scope.starts_with("store/company/") {
            id_of(&["company_id"]).map(EventTarget::Company)
        } else {
            None
        }
    }

    /// The documents a webhook event stands for, made by the same code as the schedule
    /// (see [`event_target`](Self::event_target)); other scopes give none.
    pub async fn documents_for_event(
        &self,
        event: &WebhookEvent,
    ) -> Result<Vec<Document>, ExportError> {
        let store = self.store_hash().await?;
        if let Some(target) = Self::event_target(event).filter(|_| is_deletion(&event.scope)) {
            return Ok(vec![tombstone(&store, target, event, "webhook")]);
        }
        let item = match Self::event_target(event) {
            Some(EventTarget::Order(id)) => self
                .client
                .core()
                .order(id)
                .await?
                .map(|o| Item::Order(Box::new(o))),
            Some(EventTarget::Quote(id)) => self.quote_of_event(id, event).await?,
            Some(EventTarget::Company(id)) => {
                let company = self.client.b2b().company(id).await?;
                if let Some(c) = &company {
                    emit_activation(event, c);
                }
                company.map(|c| Item::Company(Box::new(c)))
            }
            None => None,
        };
        match (item, Self::event_target(event)) {
            (Some(item), _) => Ok(self.document(&store, item).await?.into_iter().collect()),
            (None, Some(target)) => Ok(vec![tombstone(&store, target, event, "not_found")]),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// The quote a `store/quote/*` event names, as the schedule lists it: its entry among the
    /// quotes changed since shortly before the event (the entry's id and creation date are what
    /// the detail call, made by the document, needs), else among all quotes. `None` when the
    /// quote is gone.
    async fn quote_of_event(
        &self,
        id: i64,
        event: &WebhookEvent,
    ) -> Result<Option<Item>, ExportError> {
        let happened = event.created_at.unwrap_or_else(now_secs);
        let b2b = self.client.b2b();
        let mut listed = b2b
            .find_quote(id, happened - QUOTE_EVENT_SLACK_SECS)
            .await?;
        if listed.is_none() && !event.scope.ends_with("/deleted") {
            // Not changed since the event (a skewed clock, an old replay): every quote, once.
            listed = b2b.find_quote(id, 0).await?;
        }
        Ok(listed.map(|q| Item::Quote(Box::new(q))))
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
