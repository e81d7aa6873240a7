//! Helpers shared by the worker's integration tests.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::{MemoryQueue, Queue};
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

/// A worker as the tests run it: one store, no mapping, webhook export or visibility control,
/// 4 records at once, the default receive count, dead letters into `dead_letters`.
pub fn worker(engine: Engine, dead_letters: Arc<dyn Queue>) -> Worker {
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

/// The names of the sandbox's companies whose `external_id` extra field is `ext`.
#[allow(dead_code)] // each test binary compiles this module; not all of them look companies up
pub async fn company_names(sandbox: &bc_sandbox::RunningSandbox, ext: &str) -> Vec<String> {
    let state = b2b_test_support::admin(sandbox, "state").await;
    b2b_test_support::all(&state, "companies")
        .into_iter()
        .filter(|c| {
            c["extraFields"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|f| f["fieldName"] == "external_id" && f["fieldValue"] == ext)
            })
        })
        .map(|c| c["companyName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// How many writes the sandbox has answered so far.
#[allow(dead_code)] // each test binary compiles this module; not all of them count writes
pub async fn sandbox_writes(sandbox: &bc_sandbox::RunningSandbox) -> u64 {
    b2b_test_support::admin(sandbox, "stats").await["writes_total"]
        .as_u64()
        .unwrap_or_default()
}

/// A sandbox and a worker for it (through [`worker`]), with its dead-letter queue and state
/// table, reading the store mirror every batch (the tests look at the store between batches).
#[allow(dead_code)] // each test binary compiles this module; not all of them use it
pub async fn sandbox_worker() -> (
    bc_sandbox::RunningSandbox,
    Worker,
    Arc<MemoryQueue>,
    Arc<b2b_shared::state::MemoryState>,
) {
    let sandbox = b2b_test_support::sandbox(b2b_test_support::unlimited()).await;
    let client = b2b_test_support::client(&sandbox, bigcommerce_b2b::ClientOptions::default());
    let dlq = Arc::new(MemoryQueue::default());
    let state = Arc::new(b2b_shared::state::MemoryState::default());
    let mut engine = Engine::new(client, state.clone(), "external_id".into());
    engine.context.mirror_max_age = std::time::Duration::ZERO;
    let worker = worker(engine, dlq.clone());
    (sandbox, worker, dlq, state)
}
