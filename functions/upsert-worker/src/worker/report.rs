//! The batch's answer to Lambda (exactly the retryable failures in `batchItemFailures`, with
//! rate-limited ones delayed by their visibility timeout) and its metrics.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use b2b_shared::telemetry::{emit_metrics, Metric};

use super::bulk::Finished;
use super::{RecordResult, Worker};

impl Worker {
    /// The batch response for `results`; emits the per-kind command counts and the client's
    /// request figures.
    pub(super) async fn respond(&self, results: Vec<Finished<'_>>) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        let mut counts: BTreeMap<(String, &'static str), u32> = BTreeMap::new();
        for (item, result) in results {
            let (kind, outcome) = match &result {
                RecordResult::Done { kind, outcome } => (kind.clone(), *outcome),
                RecordResult::DeadLettered { kind, .. } => (kind.clone(), "dead_lettered"),
                RecordResult::Retry { kind, .. } => (kind.clone(), "failed"),
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
        self.emit_batch_metrics(&counts);
        response
    }

    fn emit_batch_metrics(&self, counts: &BTreeMap<(String, &'static str), u32>) {
        for ((kind, outcome), n) in counts {
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
        let stats = self.applier.client.stats();
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
