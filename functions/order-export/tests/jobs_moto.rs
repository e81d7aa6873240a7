//! order-export serving two stores, with its real peers: moto (the store secrets, the registry
//! and the positions in the state table, the FIFO jobs queue, the outbound queue) and one
//! sandbox serving both stores. A tick queues one job per store (once, even when the schedule
//! fires twice), each job exports its own store's orders with its own position, and a store
//! uninstalled since is neither queued nor exported.
//!
//! Needs moto (`make test`).

use std::collections::BTreeMap;

use b2b_shared::state::{DynamoState, Watermarks};
use b2b_shared::stores::{StoreRegistry, StoreStatus};
use b2b_test_support as support;
use b2b_test_support::stores;
use serde_json::{json, Value};

struct Rig {
    sdk: aws_config::SdkConfig,
    sqs: aws_sdk_sqs::Client,
    state: DynamoState,
    jobs: String,
    outbound: String,
    env: BTreeMap<&'static str, String>,
    _sandbox: bc_sandbox::RunningSandbox,
}

async fn rig() -> Rig {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = support::state_table(&sdk).await;
    let jobs = support::fifo_queue(&sdk, "export-jobs").await;
    let outbound = support::queue(&sdk, "export-out").await;
    let prefix = format!("{}/", support::unique("export-stores"));
    let secrets = ["storea", "storeb"].map(|s| (s, stores::store_secret_json(s)));
    stores::create_secrets(&sdk, &prefix, &secrets).await;
    let state = DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    state
        .put_store(&stores::app_store(&prefix, "storeb", StoreStatus::Active))
        .await
        .unwrap();
    let base = bc_sandbox::SandboxOptions {
        seed_companies: 2,
        ..support::unlimited().strict()
    };
    let sandbox = stores::sandbox_of(&[("storea", 4), ("storeb", 2)], base).await;
    let env = BTreeMap::from([
        ("STORES", "storea".to_owned()),
        ("STORE_SECRET_PREFIX", prefix),
        ("STATE_TABLE", table),
        ("OUTBOUND_QUEUE_URL", outbound.clone()),
        ("EXPORT_JOBS_QUEUE_URL", jobs.clone()),
        ("EXPORT_STREAMS", "orders".to_owned()),
        ("EXPORT_START_DAYS", "3650".to_owned()),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
    ]);
    Rig {
        sdk,
        sqs,
        state,
        jobs,
        outbound,
        env,
        _sandbox: sandbox,
    }
}

impl Rig {
    /// A fresh function instance (a cold start: nothing cached).
    fn function(&self) -> order_export::OrderExport {
        let settings = order_export::Settings::from_lookup(|k| self.env.get(k).cloned()).unwrap();
        order_export::order_export(&settings, &self.sdk).unwrap()
    }

    /// The queued jobs as the SQS batch Lambda would deliver (received, then deleted).
    async fn job_batch(&self) -> Value {
        let got = self
            .sqs
            .receive_message()
            .queue_url(&self.jobs)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let mut records = Vec::new();
        for m in got.messages.unwrap_or_default() {
            records.push(
                json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle,
                "body": m.body, "attributes": {}, "eventSource": "aws:sqs"}),
            );
            self.sqs
                .delete_message()
                .queue_url(&self.jobs)
                .set_receipt_handle(m.receipt_handle)
                .send()
                .await
                .unwrap();
        }
        json!({ "Records": records })
    }

    /// How many documents each store exported.
    async fn exported(&self) -> BTreeMap<String, usize> {
        let mut per_store = BTreeMap::new();
        for doc in support::drain(&self.sqs, &self.outbound).await {
            *per_store
                .entry(doc["store_hash"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
        per_store
    }
}

fn until() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(60)
}

#[tokio::test]
async fn a_tick_exports_every_store_once_each_with_its_own_position() {
    let rig = rig().await;
    let f = rig.function();
    for _ in 0..2 {
        let queued = f.handle(&json!({}), until()).await.unwrap();
        assert_eq!(queued["jobs_queued"], json!(["storea", "storeb"]));
    }
    let batch = rig.job_batch().await;
    assert_eq!(
        batch["Records"].as_array().unwrap().len(),
        2,
        "the second tick deduplicated"
    );
    let answer = f.handle(&batch, until()).await.unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]));
    let exported = rig.exported().await;
    assert_eq!(
        exported,
        BTreeMap::from([("storea".into(), 4), ("storeb".into(), 2)])
    );
    for store in ["storea", "storeb"] {
        let key = b2b_export::watermark_key(store, b2b_export::StreamKind::Orders);
        let position = rig.state.get_watermark(&key).await.unwrap();
        assert_eq!(position.expect("a position per store")["complete"], true);
    }
}

#[tokio::test]
async fn a_store_uninstalled_since_the_tick_is_not_exported_nor_queued_again() {
    let rig = rig().await;
    let queued = rig.function().handle(&json!({}), until()).await.unwrap();
    assert_eq!(queued["jobs_queued"], json!(["storea", "storeb"]));
    let prefix = rig.env["STORE_SECRET_PREFIX"].clone();
    rig.state
        .put_store(&stores::app_store(
            &prefix,
            "storeb",
            StoreStatus::Uninstalled,
        ))
        .await
        .unwrap();
    let f = rig.function();
    let batch = rig.job_batch().await;
    let answer = f.handle(&batch, until()).await.unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(rig.exported().await, BTreeMap::from([("storea".into(), 4)]));
    let queued = f.handle(&json!({}), until()).await.unwrap();
    assert_eq!(queued["jobs_queued"], json!(["storea"]));
}
