//! The batch's answer to Lambda (exactly the records with a retryable failure in
//! `batchItemFailures`, each once, with rate-limited ones delayed by their visibility timeout)
//! and its metrics (the trace ids of refused and retried items as the `TraceIds` property of
//! their `Commands` document, never a dimension).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use b2b_commands::metric_kind;
use b2b_shared::telemetry::{emit_metrics, emit_metrics_in_sets, Metric};
use bigcommerce_b2b::{ClientStats, StoreHash};

use super::record::Finished;
use super::{RecordResult, Worker};

/// The trace ids a `Commands` document names at most (the log lines name every one).
const TRACE_IDS_SHOWN: usize = 100;

/// How many items of a kind ended with an outcome, and the trace ids of those refused or
/// retried.
#[derive(Default)]
struct Tally {
    n: u32,
    traces: Vec<String>,
}

impl Worker {
    /// The batch response for `results`: each record with an item to retry listed once (with
    /// the longest wait any of its items was told); emits the per-kind command counts and the
    /// client's request figures for this batch (since `before`).
    pub(super) async fn respond(
        &self,
        results: Vec<Finished<'_>>,
        before: ClientStats,
    ) -> SqsBatchResponse {
        let results = self.give_up_on_last_receives(results).await;
        self.count_dead_letters(&results).await;
        let mut counts: BTreeMap<(&'static str, &'static str), Tally> = BTreeMap::new();
        let mut retried: Vec<(&SqsMessage, Option<Duration>)> = Vec::new();
        for (item, result) in &results {
            let (kind, outcome) = match result {
                RecordResult::Done { kind, outcome } => (metric_kind(kind), *outcome),
                RecordResult::DeadLettered { kind, .. } => (metric_kind(kind), "dead_lettered"),
                RecordResult::Retry { kind, .. } => (metric_kind(kind), "failed"),
            };
            let tally = counts.entry((kind, outcome)).or_default();
            tally.n += 1;
            if matches!(outcome, "dead_lettered" | "failed") && tally.traces.len() < TRACE_IDS_SHOWN
            {
                tally.traces.push(item.trace_id());
            }
            let RecordResult::Retry { after, .. } = result else {
                continue;
            };
            match retried
                .iter_mut()
                .find(|(r, _)| std::ptr::eq(*r, item.record))
            {
                Some((_, wait)) => *wait = (*wait).max(*after),
                None => retried.push((item.record, *after)),
            }
        }
        let mut response = SqsBatchResponse::default();
        for (record, after) in retried {
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
        self.emit_batch_metrics(&counts, before);
        response
    }

    /// Dead-letters, with its last reason, every record that would be retried although this was
    /// its last receive (`ApproximateReceiveCount` ≥ [`max_receives`](Worker::max_receives)):
    /// SQS would move it to the dead-letter queue raw, without a reason.
    async fn give_up_on_last_receives<'r>(&self, results: Vec<Finished<'r>>) -> Vec<Finished<'r>> {
        let mut out = Vec::with_capacity(results.len());
        for (item, result) in results {
            let receives = item.receives();
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
                    self.dead_letter(item, kind, reason, None).await
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
        counts: &BTreeMap<(&'static str, &'static str), Tally>,
        before: ClientStats,
    ) {
        const DIMENSIONS: &[&str] = &["Function", "Kind", "Outcome"];
        for ((kind, outcome), tally) in counts {
            let traces = tally.traces.join(",");
            let mut fields = vec![
                ("Function", "upsert-worker"),
                ("Kind", *kind),
                ("Outcome", *outcome),
            ];
            // A property of the document, outside every dimension set: one series per trace id
            // would be one metric per command.
            if !traces.is_empty() {
                fields.push(("TraceIds", traces.as_str()));
            }
            emit_metrics_in_sets(
                &fields,
                &[DIMENSIONS],
                &[Metric {
                    name: "Commands",
                    value: f64::from(tally.n),
                    unit: "Count",
                }],
            );
        }
        let invoices: u32 = counts
            .iter()
            .filter(|((kind, outcome), _)| {
                *kind == "invoice.upsert" && matches!(*outcome, "created" | "updated" | "unchanged")
            })
            .map(|(_, tally)| tally.n)
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
