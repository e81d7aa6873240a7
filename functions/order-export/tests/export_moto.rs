//! order-export with its real AWS peers (moto): watermarks in DynamoDB, documents on SQS.
//!
//! `make test` starts moto and sets `AWS_ENDPOINT_URL`; without it this test fails.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use b2b_shared::bigcommerce::{BcClient, ClientOptions};
use b2b_shared::queue::SqsQueue;
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::{DynamoState, Watermarks};
use bc_sandbox::{start, SandboxOptions};
use order_export::{ExportSettings, Exporter, StreamKind};
use serde_json::Value;

#[tokio::test]
async fn documents_reach_sqs_and_the_watermark_lives_in_dynamodb() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test` (it starts moto)"
    );
    let sdk = aws_config::load_from_env().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let suffix = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let table = format!("export-state-{suffix}");
    dynamo
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let queue = sqs
        .create_queue()
        .queue_name(format!("outbound-{suffix}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let sandbox = start(SandboxOptions {
        store_hash: "abc123".into(),
        token: "tok".into(),
        quota: 0,
        b2b_quota: 0,
        seed_companies: 3,
        seed_orders: 25,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let url = url::Url::parse(&sandbox.base_url()).unwrap();
    let secret = StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"tok"}"#).unwrap();
    let state = Arc::new(DynamoState::new(dynamo, &table));
    let exporter = Exporter {
        client: BcClient::new(
            &url,
            &url,
            Arc::new(StaticCredentials(Arc::new(secret))),
            ClientOptions::default(),
        )
        .unwrap(),
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
    let mut ids = BTreeSet::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            break;
        }
        for m in msgs {
            let doc: Value = serde_json::from_str(m.body.as_deref().unwrap()).unwrap();
            ids.insert(doc["id"].as_i64().unwrap());
            sqs.delete_message()
                .queue_url(&queue)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
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
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test` (it starts moto)"
    );
    let sdk = aws_config::load_from_env().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("exports-{}", std::process::id());
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let sandbox = start(SandboxOptions {
        store_hash: "abc123".into(),
        token: "tok".into(),
        quota: 0,
        b2b_quota: 0,
        seed_companies: 2,
        seed_orders: 40,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let url = url::Url::parse(&sandbox.base_url()).unwrap();
    let secret = StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"tok"}"#).unwrap();
    #[derive(Default)]
    struct Nowhere;
    impl b2b_shared::queue::Queue for Nowhere {
        fn send_all<'a>(
            &'a self,
            _: &'a [b2b_shared::queue::OutgoingMessage],
        ) -> futures_util::future::BoxFuture<'a, Result<(), b2b_shared::queue::QueueError>>
        {
            Box::pin(async { Ok(()) })
        }
    }
    let exporter = Exporter {
        client: BcClient::new(
            &url,
            &url,
            Arc::new(StaticCredentials(Arc::new(secret))),
            ClientOptions::default(),
        )
        .unwrap(),
        state: Arc::new(b2b_shared::state::MemoryState::default()),
        outbound: Arc::new(Nowhere),
        settings: ExportSettings {
            first_run_days: 3_650,
            streams: vec![StreamKind::Orders],
            page_size: 10,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: Some(order_export::archive::S3Archive {
            client: s3.clone(),
            bucket: bucket.clone(),
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
