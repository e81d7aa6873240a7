//! The SQS batch: parse, map, apply, and report exactly the retryable failures.
//!
//! - A permanent failure (malformed message, validation, other 4xx) is sent at once to the
//!   dead-letter queue with its reason and original body, and acknowledged: it never fails the
//!   batch and is never retried. If the dead-letter queue cannot take it, it stays on the queue.
//! - A retryable failure is listed in `batchItemFailures`; when BigCommerce announced when to come
//!   back, the message's visibility timeout is set to that.
//! - FIFO (a `MessageGroupId` on the record): a group's messages run in order, and after a
//!   retryable failure the rest of that group is reported failed too, so order is kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use b2b_shared::messages::{Action, Command, InboundMessage, WebhookEvent};
use b2b_shared::queue::{OutgoingMessage, Queue};
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::b2b::B2B_BULK_MAX;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::apply::{Applier, ApplyError, Begun, BulkCreate, HeldCreate, Lease, Outcome, Step};
use crate::mapping::Mapping;

/// Changes a message's visibility timeout (to retry after a rate-limit reset).
pub trait Visibility: Send + Sync + 'static {
    /// Makes the message with `receipt_handle` visible again after `after`.
    fn delay<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: Duration,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// [`Visibility`] on SQS.
#[derive(Debug, Clone)]
pub struct SqsVisibility {
    /// The SQS client.
    pub client: aws_sdk_sqs::Client,
    /// The inbound queue's URL.
    pub queue_url: String,
}

impl Visibility for SqsVisibility {
    fn delay<'a>(
        &'a self,
        receipt_handle: &'a str,
        after: Duration,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.client
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(receipt_handle)
                .visibility_timeout(after.as_secs().clamp(1, 43_200) as i32)
                .send()
                .await
                .map(drop)
                .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
        })
    }
}

/// Where normalized webhook events go (the export path); `None` ignores them knowingly.
pub trait EventSink: Send + Sync + 'static {
    /// Handles one event.
    fn handle<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<(), ApplyError>>;

    /// Events with the same key are handled alike (the export of one company, say), so a batch
    /// handles each key once; `None` (the default) handles every event.
    fn coalesce_key(&self, _event: &WebhookEvent) -> Option<String> {
        None
    }
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordResult {
    /// Applied (or knowingly ignored): acknowledge.
    Done {
        /// Command type or `webhook.event`.
        kind: String,
        /// What happened.
        outcome: &'static str,
    },
    /// Sent to the dead-letter queue: acknowledge.
    DeadLettered {
        /// Command type, if known.
        kind: String,
        /// Why.
        reason: String,
    },
    /// Leave on the queue for a retry.
    Retry {
        /// Command type, if known.
        kind: String,
        /// Why.
        reason: String,
        /// When to come back, if known.
        after: Option<Duration>,
        /// Only because its company did not exist yet (worth another try once the batch's own
        /// companies are created).
        missing_company: bool,
    },
}

/// The upsert-worker's batch handler.
#[derive(Clone)]
pub struct Worker {
    /// Applies commands.
    pub applier: Applier,
    /// Optional field mapping for raw source-system records.
    pub mapping: Option<Arc<Mapping>>,
    /// The dead-letter queue.
    pub dead_letters: Arc<dyn Queue>,
    /// Visibility control for rate-limited retries.
    pub visibility: Option<Arc<dyn Visibility>>,
    /// Where webhook events go.
    pub events: Option<Arc<dyn EventSink>>,
    /// Records (or FIFO groups) processed at once.
    pub concurrency: usize,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A `company.upsert` or `user.upsert` whose entity was missing: leased and looked up, its
/// create held back.
struct Deferred<'r> {
    record: &'r SqsMessage,
    cmd: Box<Command>,
    lease: Lease,
    create: HeldCreate,
}

/// Splits records after a pass into the finished and the deferred.
fn split_processed<'r>(
    processed: impl IntoIterator<Item = (&'r SqsMessage, Processed<'r>)>,
) -> (Vec<(&'r SqsMessage, RecordResult)>, Vec<Deferred<'r>>) {
    let mut finished = Vec::new();
    let mut deferred = Vec::new();
    for (record, p) in processed {
        match p {
            Processed::Finished(r) => finished.push((record, r)),
            Processed::Deferred(d) => deferred.push(d),
        }
    }
    (finished, deferred)
}

/// A record after its first pass.
enum Processed<'r> {
    Finished(RecordResult),
    Deferred(Deferred<'r>),
}

enum Parsed {
    Command(Box<Command>),
    Event(Box<WebhookEvent>),
}

impl Worker {
    fn parse(&self, body: &str) -> Result<Parsed, (String, String)> {
        let value: Value = serde_json::from_str(body)
            .map_err(|e| ("unknown".to_owned(), format!("not valid JSON: {e}")))?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let is_message = value.get("version").is_some() && value.get("type").is_some();
        let value = match (&self.mapping, is_message) {
            (Some(mapping), false) => mapping
                .apply(&value)
                .map_err(|e| ("mapped".to_owned(), format!("field mapping: {e}")))?,
            _ => value,
        };
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or(kind);
        match InboundMessage::from_value(value) {
            Ok(InboundMessage::Command(c)) => Ok(Parsed::Command(c)),
            Ok(InboundMessage::Webhook(e)) => Ok(Parsed::Event(e)),
            Err(e) => Err((kind, e.to_string())),
        }
    }

    /// Processes one record to a result (dead-lettering it when permanent).
    pub async fn process(&self, record: &SqsMessage) -> RecordResult {
        match self.process_deferring(record, false).await {
            Processed::Finished(r) => r,
            // Not reachable with `defer == false`; finish it on its own all the same.
            Processed::Deferred(d) => self.finish_one_by_one(d).await.1,
        }
    }

    /// Processes one record; with `defer`, a `company.upsert` or `user.upsert` whose entity does
    /// not exist comes back [`Processed::Deferred`] (leased, looked up, not created) for a bulk
    /// create.
    async fn process_deferring<'r>(&self, record: &'r SqsMessage, defer: bool) -> Processed<'r> {
        let body = record.body.as_deref().unwrap_or("");
        let (kind, result) = match self.parse(body) {
            Err((kind, reason)) => (kind, Err(ApplyError::Permanent(reason))),
            Ok(Parsed::Command(cmd))
                if defer
                    && matches!(
                        cmd.action,
                        Action::CompanyUpsert { .. } | Action::UserUpsert { .. }
                    ) =>
            {
                let kind = cmd.kind().to_owned();
                let result = match self.applier.begin(&cmd).await {
                    Ok(Begun::Replayed) => Ok(Outcome::Replayed),
                    Err(e) => Err(e),
                    Ok(Begun::Leased(lease)) => {
                        let result = match self.applier.apply_deferring_create(&cmd).await {
                            Ok(Step::Create(create)) => {
                                return Processed::Deferred(Deferred {
                                    record,
                                    cmd,
                                    lease,
                                    create,
                                })
                            }
                            Ok(Step::Done(outcome)) => Ok(outcome),
                            Err(e) => Err(e),
                        };
                        self.applier.finish(lease, result).await
                    }
                };
                (kind, result.map(Outcome::as_str))
            }
            Ok(Parsed::Command(cmd)) => (
                cmd.kind().to_owned(),
                self.applier.apply(&cmd).await.map(Outcome::as_str),
            ),
            Ok(Parsed::Event(event)) => {
                let r = match &self.events {
                    Some(sink) => sink.handle(&event).await.map(|()| "exported"),
                    None => Ok("ignored"),
                };
                (format!("webhook:{}", event.scope), r)
            }
        };
        Processed::Finished(self.conclude(record, kind, result).await)
    }

    /// Logs a record's result and turns it into a [`RecordResult`], dead-lettering a permanent
    /// failure.
    async fn conclude(
        &self,
        record: &SqsMessage,
        kind: String,
        result: Result<&'static str, ApplyError>,
    ) -> RecordResult {
        let id = record.message_id.as_deref().unwrap_or("");
        match result {
            Ok(outcome) => {
                tracing::info!(message_id = %id, %kind, outcome, "command done");
                RecordResult::Done { kind, outcome }
            }
            Err(e @ (ApplyError::Retryable { .. } | ApplyError::MissingCompany(_))) => {
                let reason = e.to_string();
                tracing::warn!(message_id = %id, %kind, outcome = "retry", %reason, "command will be retried");
                RecordResult::Retry {
                    kind,
                    reason,
                    after: match e {
                        ApplyError::Retryable { after, .. } => after,
                        _ => None,
                    },
                    missing_company: matches!(e, ApplyError::MissingCompany(_)),
                }
            }
            Err(ApplyError::Permanent(reason)) => self.dead_letter(record, kind, reason).await,
        }
    }

    /// Creates the held-back companies, and the held-back buyers, of a pass: up to
    /// [`B2B_BULK_MAX`] of a kind per request, and finishes each command.
    async fn create_all_deferred<'r>(
        &self,
        deferred: Vec<Deferred<'r>>,
    ) -> Vec<(&'r SqsMessage, RecordResult)> {
        let (mut companies, mut users): (Vec<_>, Vec<_>) = deferred
            .into_iter()
            .partition(|d| matches!(d.create, HeldCreate::Company(_)));
        let mut chunks = Vec::new();
        for list in [&mut companies, &mut users] {
            while !list.is_empty() {
                let rest = list.split_off(list.len().min(B2B_BULK_MAX));
                chunks.push(std::mem::replace(list, rest));
            }
        }
        let created: Vec<Vec<(&SqsMessage, RecordResult)>> = futures_util::stream::iter(chunks)
            .map(|chunk| self.create_deferred(chunk))
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        created.into_iter().flatten().collect()
    }

    /// Creates the entities of up to [`B2B_BULK_MAX`] deferred commands of one kind in one
    /// request and finishes each command. When BigCommerce refuses the bulk request (one bad
    /// entity refuses it), each command is applied again on its own, looking its entity up
    /// first: whatever the refused request did create is found, not duplicated, and only the
    /// bad command fails.
    async fn create_deferred<'r>(
        &self,
        chunk: Vec<Deferred<'r>>,
    ) -> Vec<(&'r SqsMessage, RecordResult)> {
        let held: Vec<&HeldCreate> = chunk.iter().map(|d| &d.create).collect();
        let created = self.applier.create_held(&held).await;
        let results: Vec<Result<Outcome, ApplyError>> = match created {
            BulkCreate::Created(results) => results,
            BulkCreate::Retry(e) => vec![Err(e); chunk.len()],
            BulkCreate::Refused(reason) => {
                tracing::warn!(commands = chunk.len(), %reason, "bulk create refused; creating one by one");
                let each = chunk.into_iter().map(|d| self.finish_one_by_one(d));
                return futures_util::future::join_all(each).await;
            }
        };
        let mut out = Vec::with_capacity(chunk.len());
        for (d, result) in chunk.into_iter().zip(results) {
            let result = self.applier.finish(d.lease, result).await;
            let kind = d.cmd.kind().to_owned();
            out.push((
                d.record,
                self.conclude(d.record, kind, result.map(Outcome::as_str))
                    .await,
            ));
        }
        out
    }

    /// Applies a deferred command on its own (lookup, then create) and finishes it.
    async fn finish_one_by_one<'r>(&self, d: Deferred<'r>) -> (&'r SqsMessage, RecordResult) {
        let result = self.applier.apply_leased(&d.cmd).await;
        let result = self.applier.finish(d.lease, result).await;
        let kind = d.cmd.kind().to_owned();
        (
            d.record,
            self.conclude(d.record, kind, result.map(Outcome::as_str))
                .await,
        )
    }

    async fn dead_letter(&self, record: &SqsMessage, kind: String, reason: String) -> RecordResult {
        let id = record.message_id.clone().unwrap_or_default();
        let doc = json!({
            "error": reason,
            "kind": kind,
            "message_id": id,
            "failed_at": now_secs(),
            "receive_count": record.attributes.get("ApproximateReceiveCount"),
            "original": record.body,
        });
        let mut msg = OutgoingMessage::new("0", doc.to_string());
        if let Some(group) = record.attributes.get("MessageGroupId") {
            msg.group_id = Some(group.clone());
            msg.dedup_id = Some(format!("dlq-{id}").chars().take(128).collect());
        }
        match self.dead_letters.send_all(std::slice::from_ref(&msg)).await {
            Ok(()) => {
                tracing::error!(message_id = %id, %kind, outcome = "dead_lettered", %reason, "command refused permanently");
                RecordResult::DeadLettered { kind, reason }
            }
            Err(e) => {
                tracing::error!(message_id = %id, %kind, error = %e, %reason, "dead-letter queue unavailable; leaving the message on the queue");
                RecordResult::Retry {
                    kind,
                    reason: format!("{reason} (dead-letter queue unavailable: {e})"),
                    after: None,
                    missing_company: false,
                }
            }
        }
    }

    /// The coalescing key of a record that is a webhook event outside a FIFO group.
    fn coalesce_key(&self, record: &SqsMessage) -> Option<String> {
        let sink = self.events.as_ref()?;
        if record.attributes.contains_key("MessageGroupId") {
            return None;
        }
        let event: WebhookEvent = serde_json::from_str(record.body.as_deref()?).ok()?;
        if event.kind != "webhook.event" {
            return None;
        }
        sink.coalesce_key(&event)
            .map(|k| format!("{}\n{k}", event.store_hash))
    }

    /// Results for the events that share their export target with an earlier record of the
    /// batch: done when that one was, retried when it is retried; handled on their own when it
    /// was dead-lettered (each event then gets its own dead letter and reason).
    async fn follow<'r>(
        &self,
        event: &'r SqsEvent,
        results: &[(&'r SqsMessage, RecordResult)],
        followers: Vec<(&'r SqsMessage, usize)>,
    ) -> Vec<(&'r SqsMessage, RecordResult)> {
        let mut out = Vec::with_capacity(followers.len());
        for (record, leader) in followers {
            let leader_record = &event.records[leader];
            let leader_result = results
                .iter()
                .find(|(r, _)| std::ptr::eq(*r, leader_record))
                .map(|(_, result)| result);
            let kind = || {
                serde_json::from_str::<WebhookEvent>(record.body.as_deref().unwrap_or(""))
                    .map(|e| format!("webhook:{}", e.scope))
                    .unwrap_or_else(|_| "webhook".into())
            };
            let result = match leader_result {
                Some(RecordResult::Done { .. }) => {
                    let id = record.message_id.as_deref().unwrap_or("");
                    let kind = kind();
                    tracing::info!(message_id = %id, %kind, outcome = "coalesced", "command done");
                    RecordResult::Done {
                        kind,
                        outcome: "coalesced",
                    }
                }
                Some(RecordResult::Retry { reason, after, .. }) => RecordResult::Retry {
                    kind: kind(),
                    reason: format!("the same export failed for another event: {reason}"),
                    after: *after,
                    missing_company: false,
                },
                Some(RecordResult::DeadLettered { .. }) | None => self.process(record).await,
            };
            out.push((record, result));
        }
        out
    }

    /// Handles one SQS batch.
    ///
    /// Records without a FIFO group run concurrently, and the companies that their
    /// `company.upsert`s find missing are created together, up to [`B2B_BULK_MAX`] per request
    /// (each still looked up first under its lease, so a bulk create never duplicates one).
    /// Records that failed only because their company did not exist yet are then tried once
    /// more, so a company and its buyers can arrive in one batch. A FIFO group's records run in
    /// order, one by one.
    pub async fn handle(&self, event: &SqsEvent) -> SqsBatchResponse {
        let batch = Worker {
            applier: self.applier.for_batch(),
            ..self.clone()
        };
        batch.handle_batch(event).await
    }

    async fn handle_batch(&self, event: &SqsEvent) -> SqsBatchResponse {
        // Webhook events (outside FIFO groups) for the same export target: the first is
        // handled, the rest take its result.
        let mut leaders: HashMap<String, usize> = HashMap::new();
        let mut followers: Vec<(&SqsMessage, usize)> = Vec::new();
        // Records keep their order within a FIFO group; without groups each record is its own.
        let mut groups: BTreeMap<String, Vec<&SqsMessage>> = BTreeMap::new();
        for (i, record) in event.records.iter().enumerate() {
            if let Some(key) = self.coalesce_key(record) {
                match leaders.get(&key) {
                    Some(&leader) => {
                        followers.push((record, leader));
                        continue;
                    }
                    None => {
                        leaders.insert(key, i);
                    }
                }
            }
            let group = record
                .attributes
                .get("MessageGroupId")
                .cloned()
                .unwrap_or_else(|| format!("#{i:06}"));
            groups.entry(group).or_default().push(record);
        }
        let processed: Vec<Vec<(&SqsMessage, Processed)>> =
            futures_util::stream::iter(groups.into_values())
                .map(|records| async move {
                    let mut out = Vec::with_capacity(records.len());
                    let fifo = records
                        .first()
                        .is_some_and(|r| r.attributes.contains_key("MessageGroupId"));
                    let mut blocked = None;
                    for record in records {
                        if let Some(reason) = &blocked {
                            out.push((
                                record,
                                Processed::Finished(RecordResult::Retry {
                                    kind: "blocked".into(),
                                    reason: format!(
                                        "an earlier message of its FIFO group failed: {reason}"
                                    ),
                                    after: None,
                                    missing_company: false,
                                }),
                            ));
                            continue;
                        }
                        let r = self.process_deferring(record, !fifo).await;
                        if let Processed::Finished(RecordResult::Retry { reason, .. }) = &r {
                            blocked = Some(reason.clone());
                        }
                        out.push((record, r));
                    }
                    out
                })
                .buffer_unordered(self.concurrency.max(1))
                .collect()
                .await;
        let (mut results, deferred) = split_processed(processed.into_iter().flatten());
        results.extend(self.create_all_deferred(deferred).await);

        // A buyer, address or quote that came with its new company in the same batch was looked
        // up before the company was created: now that the batch's companies exist, try those
        // once more (buyers again held back for a bulk create) instead of sending them back to
        // wait out the visibility timeout.
        let created_any = results.iter().any(|(_, r)| {
            matches!(r, RecordResult::Done { kind, outcome: "created" } if kind == "company.upsert")
        });
        if created_any {
            let (waiting, done): (Vec<_>, Vec<_>) = results.into_iter().partition(|(record, r)| {
                matches!(
                    r,
                    RecordResult::Retry {
                        missing_company: true,
                        ..
                    }
                ) && !record.attributes.contains_key("MessageGroupId")
            });
            let again: Vec<(&SqsMessage, Processed)> =
                futures_util::stream::iter(waiting)
                    .map(|(record, _)| async move {
                        (record, self.process_deferring(record, true).await)
                    })
                    .buffer_unordered(self.concurrency.max(1))
                    .collect()
                    .await;
            let (finished, deferred) = split_processed(again);
            results = done;
            results.extend(finished);
            results.extend(self.create_all_deferred(deferred).await);
        }

        if !followers.is_empty() {
            let again = self.follow(event, &results, followers).await;
            results.extend(again);
        }

        let mut response = SqsBatchResponse::default();
        let mut counts: BTreeMap<(String, &'static str), u32> = BTreeMap::new();
        for (record, result) in results {
            let (kind, outcome) = match &result {
                RecordResult::Done { kind, outcome } => (kind.clone(), *outcome),
                RecordResult::DeadLettered { kind, .. } => (kind.clone(), "dead_lettered"),
                RecordResult::Retry { kind, .. } => (kind.clone(), "failed"),
            };
            *counts.entry((kind, outcome)).or_default() += 1;
            if let RecordResult::Retry { after, .. } = result {
                let Some(id) = record.message_id.clone() else {
                    continue;
                };
                if let (Some(after), Some(vis), Some(handle)) =
                    (after, &self.visibility, record.receipt_handle.as_deref())
                {
                    if let Err(e) = vis.delay(handle, after).await {
                        tracing::warn!(message_id = %id, error = %e, "visibility timeout not changed");
                    }
                }
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
        let stats = self.applier.client.stats();
        for ((kind, outcome), n) in &counts {
            emit_metrics(
                &[
                    ("Function", "upsert-worker"),
                    ("Kind", kind.as_str()),
                    ("Outcome", outcome),
                ],
                &[Metric {
                    name: "Commands",
                    value: f64::from(*n),
                    unit: "Count",
                }],
            );
        }
        emit_metrics(
            &[("Function", "upsert-worker")],
            &[
                Metric {
                    name: "BigCommerceRequests",
                    value: stats.requests as f64,
                    unit: "Count",
                },
                Metric {
                    name: "RateLimitWaitMs",
                    value: stats.waited_ms as f64,
                    unit: "Milliseconds",
                },
                Metric {
                    name: "RateLimited",
                    value: stats.rate_limited as f64,
                    unit: "Count",
                },
            ],
        );
        response
    }
}
