//! Helpers shared by the worker's integration tests.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::MemoryQueue;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

/// A worker as the tests run it: one store, no mapping, webhook export or visibility control,
/// 4 records at once, the default receive count, dead letters into `dead_letters`.
pub fn worker(engine: Engine, dead_letters: Arc<MemoryQueue>) -> Worker {
    Worker {
        engine,
        mapping: None,
        dead_letters,
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    }
}

/// Has `worker` handle `bodies` as one SQS batch received `receives` times; the ids of the
/// records that failed (to retry).
#[allow(dead_code)] // each test binary compiles this module; not all of them send batches
pub async fn handle_received(worker: &Worker, bodies: &[Value], receives: u32) -> Vec<String> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({"messageId": format!("m{i}"), "receiptHandle": "rh", "body": b.to_string(),
            "attributes": {"ApproximateReceiveCount": receives.to_string()}, "eventSource": "aws:sqs"})
        })
        .collect();
    handle_records(worker, &records).await
}

/// Has `worker` handle `records` (SQS records as JSON) as one batch; the ids of the records
/// that failed (to retry).
#[allow(dead_code)] // each test binary compiles this module; not all of them send batches
pub async fn handle_records(worker: &Worker, records: &[Value]) -> Vec<String> {
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
    let resp = worker.handle(&event).await;
    resp.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}
