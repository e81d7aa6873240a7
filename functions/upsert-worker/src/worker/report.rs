//! The batch's answer to Lambda (exactly the retryable failures in `batchItemFailures`, with
//! rate-limited ones delayed by their visibility timeout) and its metrics.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use b2b_commands::metric_kind;
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::{ClientStats, StoreHash};

use super::record::Finished;
use super::{RecordResult, Worker};

impl Worker {
    /// The batch response for `results`; emits the per-kind command counts and the client's
    /// request figures for this batch (since `before`).
    pub(super) async fn respond(
        &self,
        results: Vec<Finished<'_>>,
        before: ClientStats,
    ) -> SqsBatchResponse {
        let results = self.give_up_on_last_receives(results).await;
        self.count_dead_letters(&results).await;
        let mut response = SqsBatchResponse::default();
        let mut counts: BTreeMap<(&'static str, &'static str), u32> = BTreeMap::new();
        for (item, result) in results {
            let (kind, outcome) = match &result {
                RecordResult::Done { kind, outcome } => (metric_kind(kind), *outcome),
                RecordResult::DeadLettered { kind, .. } => (metric_kind(kind), "dead_lettered"),
                RecordResult::Retry { kind, .. } => (metric_kind(kind), "failed"),
            };
            *counts.entry((kind, outcome)).or_default() += 1;
            let RecordResult::Retry { after, .. } = result else {
                continue;
            };
            let Some(id) = item.record.message_id.clone() else {
                continue;
            };
            if let (Some(after), Some(vis), Some(handle)) = (
                after,
                &self.visibility,
                item.record.receipt_handle.as_deref(),
            ) {
                if let Err(e) = vis.delay(handle, after).await {
                    tracing::warn!(message_id = %id, error = %e, "visibility timeout not changed");
                }
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        self.emit_batch_metrics(&counts, before);
        response
    }

    /// Dead-letters, with its last reason, every record that would be retried although this was
    /// its last receive (`ApproximateReceiveCount` ≥ [`max_receives`](Worker::max_receives)):
    /// SQS would move it to the dead-letter queue raw, without a reason.
    async fn give_up_on_last_receives<'r>(&self, results: Vec<Finished<'r>>) -> Vec<Finished<'r>> {
        let mut out = Vec::with_capacity(results.len());
        for (item, result) in results {
            let receives = item
                .record
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            let result = match result {
                RecordResult::Retry { kind, reason, .. } if receives >= self.max_receives => {
                    let mut reason = format!(
                        "still failing after {receives} receives (the queue's limit): {reason}"
                    );
                    if let Some(cmd) = item.command() {
                        if let Some(note) = self.engine.before_dead_letter(cmd, &reason).await {
                            reason = format!("{reason} ({note})");
                        }
                    }
                    self.dead_letter(item.record, kind, reason, None).await
                }
                other => other,
            };
            out.push((item, result));
        }
        out
    }

    /// Adds this batch's dead letters to the count of the store this worker serves (shown on
    /// its status page), once for the batch. Records naming another store, or none, are not
    /// counted; a count that cannot be written is logged, the records stay parked.
    async fn count_dead_letters(&self, results: &[Finished<'_>]) {
        if !results.iter().any(|r| parked(r).is_some()) {
            return;
        }
        let served = match self.engine.context.client.store_hash().await {
            Ok(store) => store,
            Err(e) => {
                tracing::warn!(error = %e, "dead letters not counted: the served store is unknown");
                return;
            }
        };
        let mine: Vec<&str> = results
            .iter()
            .filter_map(parked)
            .filter(|(store, _)| store.as_ref() == Some(&served))
            .map(|(_, reason)| reason)
            .collect();
        let Some(last_reason) = mine.last() else {
            return;
        };
        let (store, at) = (served.as_str(), crate::now_secs());
        let added =
            self.engine
                .context
                .state
                .add_dead_letters(store, mine.len() as u64, at, last_reason);
        if let Err(e) = added.await {
            tracing::warn!(%store, records = mine.len(), error = %e, "dead letters parked but not counted");
        }
    }

    fn emit_batch_metrics(
        &self,
        counts: &BTreeMap<(&'static str, &'static str), u32>,
        before: ClientStats,
    ) {
        for ((kind, outcome), n) in counts {
            emit_metrics(
                &[
                    ("Function", "upsert-worker"),
                    ("Kind", kind),
                    ("Outcome", outcome),
                ],
                &[Metric {
                    name: "Commands",
                    value: f64::from(*n),
                    unit: "Count",
                }],
            );
        }
        let invoices: u32 = counts
            .iter()
            .filter(|((kind, outcome), _)| {
                *kind == "invoice.upsert" && matches!(*outcome, "created" | "updated" | "unchanged")
            })
            .map(|(_, n)| *n)
            .sum();
        if invoices > 0 {
            // `InvoicesSynced`: the ERP's invoices the portal now matches.
            emit_metrics(
                &[("Function", "upsert-worker")],
                &[Metric {
                    name: "InvoicesSynced",
                    value: f64::from(invoices),
                    unit: "Count",
                }],
            );
        }
        let stats = self.engine.context.client.stats().since(&before);
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
    }
}

/// A dead-lettered record's store (as far as known) and reason.
fn parked<'a>((item, result): &'a Finished<'_>) -> Option<(Option<StoreHash>, &'a str)> {
    match result {
        RecordResult::DeadLettered { reason, .. } => Some((item.store(), reason.as_str())),
        _ => None,
    }
}
