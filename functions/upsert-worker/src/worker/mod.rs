//! The SQS batch: parse, map, apply, and report exactly the retryable failures.
//!
//! - A permanent failure (malformed message, validation, other 4xx) is sent at once to the
//!   dead-letter queue with its reason and original body, and acknowledged: it never fails the
//!   batch and is never retried. If the dead-letter queue cannot take it, it stays on the queue.
//! - A retryable failure is listed in `batchItemFailures`; when BigCommerce announced when to come
//!   back, the message's visibility timeout is set to that.
//! - FIFO (a `MessageGroupId` on the record): a group's messages run in order, and after a
//!   retryable failure the rest of that group is reported failed too, so order is kept.
//!
//! - A record's body may hold one message or an array of them: each is an item of the batch,
//!   processed or refused on its own; the record is retried when any of its items is (its
//!   finished items are then replays, its dead-lettered ones are not dead-lettered again). A
//!   dead letter of ours sent back as it is (the SQS console's redrive) is opened and its
//!   original processed.
//!
//! This module holds the batch mechanics (grouping, FIFO order, the passes); each record's body
//! is parsed once into its items (`parse`), an item is applied and concluded (`record`),
//! held-back creates go in bulk (`bulk`), webhook events for one export target are handled once
//! (`coalesce`), and `report` answers Lambda and emits the metrics (trace ids of the refused
//! and retried items as a property, never a dimension). What one command does to BigCommerce is its family's ([`crate::engine`], [`crate::families`]).

mod bulk;
mod coalesce;
mod parse;
mod record;
mod report;
mod stores;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::queue::Queue;
use bigcommerce_b2b::ClientStats;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;

use crate::engine::Engine;
use crate::mapping::Mapping;
use crate::reactions::EventSink;
use record::{split_processed, Incoming, Processed};

/// Puts a group's commands of one version line (the same store, type and external id, each
/// with a source version) newest first, in the places they held: the newest is applied and
/// records its version, the older ones then find themselves stale, so a batch with several
/// versions of one entity applies only the newest. Other records keep their places.
fn newest_first(group: &mut [&Incoming<'_>]) {
    let mut lines: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, item) in group.iter().enumerate() {
        if let Some(cmd) = item.command().filter(|c| c.source().is_some()) {
            lines.entry(cmd.version_key()).or_default().push(i);
        }
    }
    for places in lines.values().filter(|places| places.len() > 1) {
        let mut line: Vec<&Incoming> = places.iter().map(|&i| group[i]).collect();
        // A total order (number, then time; absent first), stable for equal versions.
        line.sort_by_key(|item| {
            let v = item.command().and_then(|c| c.source()).unwrap_or_default();
            std::cmp::Reverse((v.version, v.updated_at))
        });
        for (&i, item) in places.iter().zip(line) {
            group[i] = item;
        }
    }
}

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
    pub engine: Engine,
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
    /// The inbound queue's `maxReceiveCount`: a message that fails retryably on its last
    /// receive is dead-lettered by the worker, with its reason, before SQS would move it raw.
    pub max_receives: u32,
    /// Serving many stores: each store's client and sink. `None`: the one store of `engine`.
    pub stores: Option<Arc<crate::stores::ManyStores>>,
}

/// The batch's records in their processing groups (a FIFO group's records in order; one order's
/// fulfillment commands in order; one version line's commands newest first; every other record
/// alone), and the webhook events that follow
/// an earlier one's result.
struct Plan<'r> {
    groups: Vec<Vec<&'r Incoming<'r>>>,
    followers: Vec<(&'r Incoming<'r>, usize)>,
}

impl Worker {
    /// Handles one SQS batch.
    ///
    /// Records without a FIFO group run concurrently, and the companies that their
    /// `company.upsert`s find missing are created together, up to
    /// [`B2B_BULK_MAX`](bigcommerce_b2b::b2b::B2B_BULK_MAX) per request (each still looked up
    /// first under its lease, so a bulk create never duplicates one). Records that failed only
    /// because their company did not exist yet are then tried once more, so a company and its
    /// buyers can arrive in one batch. A FIFO group's records run in order, one by one.
    ///
    /// A many-store worker splits the batch by store first (see `stores`).
    pub async fn handle(&self, event: &SqsEvent) -> SqsBatchResponse {
        if let Some(stores) = &self.stores {
            return self.handle_stores(stores, event).await;
        }
        let batch = Worker {
            engine: self.engine.for_batch(),
            ..self.clone()
        };
        let before = self.engine.context.client.stats();
        let items: Vec<Incoming> = batch.incoming(event).await;
        batch.handle_batch(&items, before).await
    }

    async fn handle_batch<'r>(
        &self,
        items: &'r [Incoming<'r>],
        before: ClientStats,
    ) -> SqsBatchResponse {
        let plan = self.plan(items);
        let processed: Vec<Vec<(&Incoming, Processed)>> = futures_util::stream::iter(plan.groups)
            .map(|group| self.run_group(group))
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        let (mut results, deferred) = split_processed(processed.into_iter().flatten());
        results.extend(self.create_all_deferred(deferred).await);
        let mut results = self.retry_missing_companies(results).await;
        if !plan.followers.is_empty() {
            let again = self.follow(items, &results, plan.followers).await;
            results.extend(again);
        }
        self.respond(results, before).await
    }

    /// Groups the records and sets the coalesced webhook events apart.
    fn plan<'r>(&self, items: &'r [Incoming<'r>]) -> Plan<'r> {
        let mut leaders: HashMap<String, usize> = HashMap::new();
        let mut followers = Vec::new();
        let mut groups: BTreeMap<String, Vec<&Incoming>> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(key) = self.coalesce_key(item) {
                if let Some(&leader) = leaders.get(&key) {
                    followers.push((item, leader));
                    continue;
                }
                leaders.insert(key, i);
            }
            let group = item
                .record
                .attributes
                .get("MessageGroupId")
                .cloned()
                .or_else(|| item.order_group())
                .or_else(|| item.version_group())
                .unwrap_or_else(|| format!("#{i:06}"));
            groups.entry(group).or_default().push(item);
        }
        let mut groups: Vec<Vec<&Incoming>> = groups.into_values().collect();
        for group in &mut groups {
            newest_first(group);
        }
        Plan { groups, followers }
    }

    /// Runs one group's records in order. A FIFO group creates one by one, and after a
    /// retryable failure the rest of it is retried too, so its order holds.
    async fn run_group<'r>(
        &self,
        group: Vec<&'r Incoming<'r>>,
    ) -> Vec<(&'r Incoming<'r>, Processed<'r>)> {
        let fifo = group.first().is_some_and(|item| item.in_fifo_group());
        let mut out = Vec::with_capacity(group.len());
        let mut blocked: Option<String> = None;
        for item in group {
            if let Some(reason) = &blocked {
                let result = RecordResult::Retry {
                    kind: "blocked".into(),
                    reason: format!("an earlier message of its FIFO group failed: {reason}"),
                    after: None,
                    missing_company: false,
                };
                out.push((item, Processed::Finished(result)));
                continue;
            }
            let r = self.process(item, !fifo).await;
            if let Processed::Finished(RecordResult::Retry { reason, .. }) = &r {
                // Only a FIFO group's order is a promise; one order's commands on a standard
                // queue just avoid racing for its lease.
                if fifo {
                    blocked = Some(reason.clone());
                }
            }
            out.push((item, r));
        }
        out
    }
}
