//! webhook-intake against real AWS protocol peers (moto): dedupe through a DynamoDB conditional
//! write, enqueueing through SQS, and the 503 path releasing the dedupe key.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it these tests fail.

use std::sync::Arc;

use b2b_shared::queue::SqsQueue;
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::DynamoState;
use b2b_test_support as support;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use webhook_intake::{AuthMode, Intake, IntakeOptions};

struct Aws {
    sdk: aws_config::SdkConfig,
    sqs: aws_sdk_sqs::Client,
    dynamo: aws_sdk_dynamodb::Client,
}

async fn aws() -> Aws {
    let sdk = support::moto().await;
    Aws {
        sqs: aws_sdk_sqs::Client::new(&sdk),
        dynamo: aws_sdk_dynamodb::Client::new(&sdk),
        sdk,
    }
}

async fn table(aws: &Aws) -> String {
    support::state_table(&aws.sdk).await
}

fn intake(aws: &Aws, queue_url: &str, table: &str) -> Intake {
    let secret = StoreSecret::from_json(
        r#"{"store_hash":"abc123","access_token":"t","webhook_secret":"s3cret-of-the-moto-tests-0123456789"}"#,
    )
    .unwrap();
    Intake {
        credentials: Arc::new(StaticCredentials(Arc::new(secret))),
        queue: Arc::new(SqsQueue::new(aws.sqs.clone(), queue_url)),
        state: Arc::new(DynamoState::new(aws.dynamo.clone(), table)),
        options: IntakeOptions {
            auth: AuthMode::Header,
            ..IntakeOptions::default()
        },
        precheck: None,
        punchout: None,
    }
}

fn webhook(hash: &str) -> Request {
    let body = format!(
        r#"{{"scope":"store/order/created","store_id":"1","data":{{"type":"order","id":250}},"hash":"{hash}","created_at":1,"producer":"stores/abc123"}}"#
    );
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/webhooks/bigcommerce")
        .header("x-webhook-secret", "s3cret-of-the-moto-tests-0123456789")
        .body(Body::Text(body))
        .unwrap()
}

async fn drain(aws: &Aws, url: &str) -> Vec<serde_json::Value> {
    support::drain(&aws.sqs, url).await
}

#[tokio::test]
async fn a_redelivered_webhook_is_enqueued_once() {
    let aws = aws().await;
    let table = table(&aws).await;
    let queue = support::queue(&aws.sdk, "inbound").await;
    let intake = intake(&aws, &queue, &table);
    for _ in 0..3 {
        assert_eq!(intake.handle(webhook("h-1")).await.status(), StatusCode::OK);
    }
    assert_eq!(intake.handle(webhook("h-2")).await.status(), StatusCode::OK);
    let messages = drain(&aws, &queue).await;
    let hashes: Vec<_> = messages
        .iter()
        .map(|m| m["hash"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hashes.len(), 2, "{hashes:?}");
    assert!(hashes.contains(&"h-1".to_owned()) && hashes.contains(&"h-2".to_owned()));
}

#[tokio::test]
async fn a_queue_outage_is_503_and_the_redelivery_is_accepted() {
    let aws = aws().await;
    let table = table(&aws).await;
    let good = support::queue(&aws.sdk, "inbound").await;
    let missing = good.replace("inbound-", "missing-");
    let broken = intake(&aws, &missing, &table);
    assert_eq!(
        broken.handle(webhook("h-9")).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // BigCommerce retries once the queue is back: the released key lets it through, once.
    let healthy = intake(&aws, &good, &table);
    assert_eq!(
        healthy.handle(webhook("h-9")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        healthy.handle(webhook("h-9")).await.status(),
        StatusCode::OK
    );
    assert_eq!(drain(&aws, &good).await.len(), 1);
}

#[tokio::test]
async fn a_table_outage_is_503_and_nothing_is_enqueued() {
    let aws = aws().await;
    let queue = support::queue(&aws.sdk, "inbound").await;
    let no_table = intake(&aws, &queue, "no-such-table");
    assert_eq!(
        no_table.handle(webhook("h-5")).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(drain(&aws, &queue).await.is_empty());
}

#[tokio::test]
async fn dynamodb_records_are_in_progress_then_completed_and_a_dead_ones_is_taken_over() {
    use b2b_shared::state::{Begin, DedupeStore};
    use std::time::Duration;
    let aws = aws().await;
    let state = DynamoState::new(aws.dynamo.clone(), table(&aws).await);
    let short = Duration::from_secs(60);
    assert_eq!(state.begin("w", short).await.unwrap(), Begin::Started);
    assert_eq!(state.begin("w", short).await.unwrap(), Begin::InProgress);
    state
        .complete("w", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(state.begin("w", short).await.unwrap(), Begin::Completed);
    // A caller that died: once its record's time has passed, the next caller takes it over.
    assert_eq!(
        state.begin("d", Duration::from_secs(1)).await.unwrap(),
        Begin::Started
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(state.begin("d", short).await.unwrap(), Begin::Started);
    // A record written by a plain claim (an older version's dedupe key) counts as completed.
    state.claim("old", short).await.unwrap();
    assert_eq!(state.begin("old", short).await.unwrap(), Begin::Completed);
}

fn delivery(store: &str, secret_of: &str, hash: &str) -> Request {
    let body = serde_json::json!({"scope": "store/order/created", "data": {"type": "order", "id": 7},
        "hash": hash, "created_at": 1, "producer": format!("stores/{store}")});
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/webhooks/bigcommerce")
        .header(
            "x-webhook-secret",
            support::stores::webhook_secret(secret_of),
        )
        .body(Body::Text(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn one_deployment_serves_declared_and_installed_stores_from_the_registry() {
    use b2b_shared::stores::{StoreRegistry, StoreStatus};
    use b2b_test_support::stores;
    let aws = aws().await;
    let table = table(&aws).await;
    let queue = support::queue(&aws.sdk, "inbound").await;
    let prefix = format!("{}/", support::unique("multi"));
    let secrets = ["dec1", "app2", "gone3"].map(|s| (s, stores::store_secret_json(s)));
    stores::create_secrets(&aws.sdk, &prefix, &secrets).await;
    let registry = DynamoState::new(aws.dynamo.clone(), table.clone());
    let record = |store: &str, status| stores::app_store(&prefix, store, status);
    for store in ["app2", "gone3"] {
        registry
            .put_store(&record(store, StoreStatus::Active))
            .await
            .unwrap();
    }
    registry
        .put_store(&record("gone3", StoreStatus::Uninstalled))
        .await
        .unwrap();
    assert_eq!(registry.active_stores().await.unwrap(), ["app2"]);
    let gone = registry.get_store("gone3").await.unwrap().unwrap();
    assert_eq!(gone.status, StoreStatus::Uninstalled);

    let settings = webhook_intake::Settings::from_lookup(|k| match k {
        "STORES" => Some("dec1".into()),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "INBOUND_QUEUE_URL" => Some(queue.clone()),
        "STATE_TABLE" => Some(table.clone()),
        "WEBHOOK_AUTH" => Some("header".into()),
        _ => None,
    })
    .unwrap();
    let intake = webhook_intake::intake(&settings, &aws.sdk);
    let status = |r: lambda_http::Response<Body>| r.status();
    assert_eq!(
        status(intake.handle(delivery("dec1", "dec1", "m1")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(intake.handle(delivery("app2", "app2", "m2")).await),
        StatusCode::OK
    );
    for (store, secret) in [("app2", "dec1"), ("gone3", "gone3"), ("new4", "dec1")] {
        let refused = intake.handle(delivery(store, secret, "m3")).await;
        assert_eq!(status(refused), StatusCode::UNAUTHORIZED, "{store}");
    }
    let stores: Vec<_> = drain(&aws, &queue)
        .await
        .iter()
        .map(|m| m["store_hash"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stores, ["dec1", "app2"]);
}

#[tokio::test]
async fn an_expiring_record_carries_the_tables_ttl_and_a_plain_one_none() {
    use b2b_shared::state::Watermarks;
    let aws = aws().await;
    let table = table(&aws).await;
    let state = DynamoState::new(aws.dynamo.clone(), &table);
    let value = serde_json::json!({"customer_id": 7});
    state
        .put_watermark_until("punchout#abc", &value, 1_900_000_000)
        .await
        .unwrap();
    state.put_watermark("plain", &value).await.unwrap();
    assert_eq!(
        state.get_watermark("punchout#abc").await.unwrap(),
        Some(value)
    );
    let ttl_of = |pk: &'static str| {
        let dynamo = aws.dynamo.clone();
        let table = table.clone();
        async move {
            let item = dynamo
                .get_item()
                .table_name(table)
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap();
            item.get("expires_at").and_then(|v| v.as_n().ok()).cloned()
        }
    };
    assert_eq!(
        ttl_of("wm#punchout#abc").await.as_deref(),
        Some("1900000000")
    );
    assert_eq!(ttl_of("wm#plain").await, None);
}
