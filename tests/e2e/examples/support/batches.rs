//! Shared by the benchmarks: commands through upsert-worker instances the way Lambda's SQS
//! poller feeds them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{json, Value};

/// Runs `commands` through `instances` concurrent invocations of `worker`, in SQS batches of
/// `batch` records; a batch's retryable failures are handled again until none fails, as SQS
/// redelivers them.
pub async fn run_batches(
    worker: &upsert_worker::Worker,
    commands: &[Value],
    batch: usize,
    instances: usize,
) {
    let batches: VecDeque<Vec<Value>> = commands
        .chunks(batch.max(1))
        .enumerate()
        .map(|(b, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({"messageId": format!("b{b}-{i}"), "receiptHandle": "rh",
                    "body": c.to_string(), "attributes": {"ApproximateReceiveCount": "1"},
                    "eventSource": "aws:sqs"})
                })
                .collect()
        })
        .collect();
    let batches = Arc::new(Mutex::new(batches));
    let runs = (0..instances.max(1)).map(|_| {
        let batches = batches.clone();
        async move {
            loop {
                let next = batches.lock().ok().and_then(|mut b| b.pop_front());
                let Some(records) = next else { return };
                let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut answer = worker.handle(&event).await;
                // Retryable failures (a rate limit reached) come back, as SQS redelivers them.
                while !answer.batch_item_failures.is_empty() {
                    let failed: Vec<&str> = answer
                        .batch_item_failures
                        .iter()
                        .map(|f| f.item_identifier.as_str())
                        .collect();
                    let mut again = event.clone();
                    again.records.retain(|r| {
                        r.message_id
                            .as_deref()
                            .is_some_and(|id| failed.contains(&id))
                    });
                    answer = worker.handle(&again).await;
                }
            }
        }
    });
    futures_util::future::join_all(runs).await;
}
