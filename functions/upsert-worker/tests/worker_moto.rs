//! upsert-worker with its real AWS peers (moto: DynamoDB state table, SQS dead-letter and inbound
//! queues) and the BigCommerce sandbox: the poison message lands in the real dead-letter queue
//! with its reason, the replay writes nothing, and `redrive` moves the fixed message back.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it these tests fail.

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

#[tokio::test]
async fn poison_goes_to_the_real_dead_letter_queue_and_redrive_brings_it_back() {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = support::state_table(&sdk).await;
    let dlq = support::queue(&sdk, "dlq").await;
    let inbound = support::queue(&sdk, "inbound").await;
    let sandbox = support::sandbox(support::unlimited()).await;
    let client = support::client(&sandbox, ClientOptions::default());
    let worker = Worker {
        engine: Engine::new(
            client,
            Arc::new(DynamoState::new(dynamo.clone(), &table)),
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: Arc::new(SqsQueue::new(sqs.clone(), &dlq)),
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    };
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
