//! upsert-worker with its real AWS peers (moto: DynamoDB state table, SQS dead-letter and inbound
//! queues) and the BigCommerce sandbox: the poison message lands in the real dead-letter queue
//! with its reason, the replay writes nothing, and `redrive` moves the fixed message back; a dead
//! letter moved back as it is (the console's redrive) is processed, and an idempotency key is
//! bound to its command in the real table.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it these tests fail.

mod common;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::queue::SqsQueue;
use b2b_shared::state::DynamoState;
use b2b_test_support as support;
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::redrive::redrive;
use upsert_worker::{Engine, Worker};

fn record(id: &str, body: &Value) -> Value {
    json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body.to_string(), "attributes": {}, "eventSource": "aws:sqs"})
}

fn company(ext: &str, email: &str) -> Value {
    json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":ext,
        "company":{"name":"Moto Co","email":email,"phone":"1","country":"US",
        "admin":{"first_name":"A","last_name":"B","email":"ab@moto.example"}}})
}

/// A worker for `sandbox` with moto's state table and dead-letter queue `dlq`.
async fn moto_worker(
    sdk: &aws_config::SdkConfig,
    sandbox: &bc_sandbox::RunningSandbox,
    dlq: &str,
) -> Worker {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let table = support::state_table(sdk).await;
    let client = support::client(sandbox, ClientOptions::default());
    let engine = Engine::new(
        client,
        Arc::new(DynamoState::new(dynamo, &table)),
        "external_id".into(),
    );
    common::worker(engine, Arc::new(SqsQueue::new(sqs, dlq)))
}

/// Every message on `url` now, as the worker receives them (received `receives` times).
async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str, receives: u32) -> Vec<Value> {
    let got = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    got.messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                "attributes": {"ApproximateReceiveCount": receives.to_string()}, "eventSource": "aws:sqs"})
        })
        .collect()
}

#[tokio::test]
async fn a_dead_letter_moved_back_as_it_is_is_applied_and_a_reused_key_is_refused() {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = support::queue(&sdk, "dlq").await;
    let inbound = support::queue(&sdk, "inbound").await;
    let sandbox = support::sandbox(support::unlimited()).await;
    let worker = moto_worker(&sdk, &sandbox, &dlq).await;

    // A buyer whose company never came is dead-lettered on its last receive.
    let buyer = json!({"type":"user.upsert","version":1,"store_hash":"abc123","external_id":"U-M",
        "company_external_id":"M-LATE","user":{"first_name":"M","last_name":"B",
        "email":"mb@moto.example","role":"senior_buyer"}});
    let mut last = record("u", &buyer);
    last["attributes"]["ApproximateReceiveCount"] = json!(worker.max_receives.to_string());
    assert!(common::handle_records(&worker, &[last]).await.is_empty());
    // The company comes; the console's redrive moves the dead letter back as it is.
    let the_company = record("c", &company("M-LATE", "late@moto.example"));
    assert!(common::handle_records(&worker, &[the_company])
        .await
        .is_empty());
    let dead = receive_all(&sqs, &dlq, 1).await;
    assert_eq!(dead.len(), 1);
    for d in &dead {
        sqs.send_message()
            .queue_url(&inbound)
            .message_body(d["body"].as_str().unwrap())
            .send()
            .await
            .unwrap();
    }
    let back = receive_all(&sqs, &inbound, 1).await;
    assert_eq!(back.len(), 1);
    assert!(common::handle_records(&worker, &back).await.is_empty());
    let state = support::admin(&sandbox, "state").await;
    let buyers = support::all(&state, "users")
        .into_iter()
        .filter(|u| u["email"] == "mb@moto.example")
        .count();
    assert_eq!(buyers, 1, "the redriven buyer was created");

    // An idempotency key bound in the real table: other content under it is refused.
    let mut first = company("M-K1", "k1@moto.example");
    first["idempotency_key"] = json!("moto-key");
    first["company"]["admin"]["email"] = json!("admin-k1@moto.example");
    let mut other = company("M-K2", "k2@moto.example");
    other["idempotency_key"] = json!("moto-key");
    other["company"]["admin"]["email"] = json!("admin-k2@moto.example");
    assert!(common::handle_records(&worker, &[record("k1", &first)])
        .await
        .is_empty());
    assert!(common::handle_records(&worker, &[record("k2", &other)])
        .await
        .is_empty());
    let dead = receive_all(&sqs, &dlq, 1).await;
    let reasons: Vec<&str> = dead.iter().filter_map(|d| d["body"].as_str()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("`idempotency_key` `moto-key`"),
        "{}",
        reasons[0]
    );
}

#[tokio::test]
async fn poison_goes_to_the_real_dead_letter_queue_and_redrive_brings_it_back() {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = support::queue(&sdk, "dlq").await;
    let inbound = support::queue(&sdk, "inbound").await;
    let sandbox = support::sandbox(support::unlimited()).await;
    let worker = moto_worker(&sdk, &sandbox, &dlq).await;
    let batch: SqsEvent = serde_json::from_value(json!({"Records": [
        record("ok", &company("M-1", "ok@moto.example")),
        record("poison", &company("M-2", "broken")),
    ]}))
    .unwrap();
    let resp = worker.handle(&batch).await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "a bad message never fails its batch"
    );

    let stats = |sb: &bc_sandbox::RunningSandbox| {
        let url = format!("{}/__sandbox/stats", sb.base_url());
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["writes_total"]
                .as_u64()
                .unwrap()
        }
    };
    let writes = stats(&sandbox).await;
    let replay = worker
        .handle(
            &serde_json::from_value(
                json!({"Records": [record("ok2", &company("M-1", "ok@moto.example"))]}),
            )
            .unwrap(),
        )
        .await;
    assert!(replay.batch_item_failures.is_empty());
    assert_eq!(stats(&sandbox).await, writes, "replay wrote to BigCommerce");

    let got = sqs
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let dead = got.messages.unwrap_or_default();
    assert_eq!(dead.len(), 1);
    let doc: Value = serde_json::from_str(dead[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(doc["message_id"], "poison");
    assert!(doc["error"]
        .as_str()
        .unwrap()
        .contains("`company.email` is not an email address"));
    // Make it visible again for the redrive.
    sqs.change_message_visibility()
        .queue_url(&dlq)
        .receipt_handle(dead[0].receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();

    let moved = redrive(&sqs, &dlq, &inbound, 100).await.unwrap();
    assert_eq!(moved.moved, 1);
    let back = sqs
        .receive_message()
        .queue_url(&inbound)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(back.len(), 1);
    let original: Value = serde_json::from_str(back[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(original, company("M-2", "broken"));
    let left = sqs
        .receive_message()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert!(left.is_empty());
}
