//! order-export with its real AWS peers (moto): watermarks in DynamoDB, documents on SQS.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it this test fails.

use std::collections::BTreeSet;
use std::sync::Arc;

use b2b_export::archive::Archive;
use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::SqsQueue;
use b2b_shared::state::{DynamoState, Watermarks};
use b2b_test_support as support;
use bc_sandbox::SandboxOptions;
use bigcommerce_b2b::ClientOptions;
use order_export::s3::S3Parts;
use serde_json::Value;

#[tokio::test]
async fn documents_reach_sqs_and_the_watermark_lives_in_dynamodb() {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = support::state_table(&sdk).await;
    let queue = support::queue(&sdk, "outbound").await;
    let sandbox = support::sandbox(SandboxOptions {
        seed_companies: 3,
        seed_orders: 25,
        ..support::unlimited()
    })
    .await;
    let state = Arc::new(DynamoState::new(dynamo, &table));
    let exporter = Exporter {
        client: support::client(&sandbox, ClientOptions::default()),
        state: state.clone(),
        outbound: Arc::new(SqsQueue::new(sqs.clone(), &queue)),
        settings: ExportSettings {
            first_run_days: 3_650,
            streams: vec![StreamKind::Orders],
            page_size: 10,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    let report = exporter.run(None, None).await;
    assert!(report.complete, "{report:?}");
    assert_eq!(report.streams["orders"].exported, 25);
    let ids: BTreeSet<i64> = support::drain(&sqs, &queue)
        .await
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 25);
    let wm = state
        .get_watermark("abc123#orders")
        .await
        .unwrap()
        .expect("a saved watermark");
    assert_eq!(wm["complete"], true);
    assert_eq!(wm["t"].as_i64(), Some(report.streams["orders"].watermark));
}

#[tokio::test]
async fn each_run_writes_one_ndjson_object_per_stream_to_s3() {
    let sdk = support::moto().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = support::unique("exports");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let sandbox = support::sandbox(SandboxOptions {
        seed_companies: 2,
        seed_orders: 40,
        ..support::unlimited()
    })
    .await;
    let exporter = Exporter {
        client: support::client(&sandbox, ClientOptions::default()),
        state: Arc::new(b2b_shared::state::MemoryState::default()),
        outbound: Arc::new(b2b_shared::queue::MemoryQueue::default()),
        settings: ExportSettings {
            first_run_days: 3_650,
            streams: vec![StreamKind::Orders],
            page_size: 10,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: Some(Archive {
            store: Arc::new(S3Parts {
                client: s3.clone(),
                bucket: bucket.clone(),
            }),
            prefix: "exports/".into(),
        }),
    };
    let report = exporter.run(None, None).await;
    assert!(report.complete, "{report:?}");
    let key = report.streams["orders"]
        .archive_key
        .clone()
        .expect("an archive object");
    assert!(
        key.starts_with("exports/abc123/orders/") && key.ends_with(".ndjson"),
        "{key}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("exports/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.contents.unwrap_or_default().len(),
        1,
        "one object per stream and run"
    );
    let body = s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let lines: Vec<Value> = std::str::from_utf8(&body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    assert!(lines
        .iter()
        .all(|d| d["type"] == "order" && d["dedupe_key"].is_string()));
}
