//! A many-store worker with its real peers: moto (store secrets, the registry in the state
//! table, the dead-letter queue) and one sandbox serving two stores, each with its own token.
//! Each store's commands reach that store with that store's token; a command for a store the
//! deployment does not serve is dead-lettered with the reason and counted; a store whose secret
//! names another store has its records dead-lettered with that reason (a misconfiguration, like
//! any malformed secret), never applied with the other store's token.
//!
//! Needs moto (`make test`).

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_shared::state::{DeadLetterCounts, DynamoState};
use b2b_shared::stores::{StoreRegistry, StoreStatus};
use b2b_shared::telemetry::{capture_metrics, metric_values};
use b2b_test_support as support;
use b2b_test_support::stores;
use serde_json::{json, Value};
use upsert_worker::settings::Settings;

struct Rig {
    worker: upsert_worker::Worker,
    sandbox: bc_sandbox::RunningSandbox,
    sqs: aws_sdk_sqs::Client,
    dlq: String,
    state: DynamoState,
}

/// Stores `storea` (declared) and `storeb` (installed); `storeb`'s secret names `b_names`.
async fn rig(b_names: &str) -> Rig {
    let sdk = support::moto().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = support::state_table(&sdk).await;
    let dlq = support::queue(&sdk, "stores-dlq").await;
    let inbound = support::queue(&sdk, "stores-in").await;
    let prefix = format!("{}/", support::unique("stores"));
    let mut b_secret = stores::store_secret_json("storeb");
    b_secret["store_hash"] = json!(b_names);
    let secrets = [
        ("storea", stores::store_secret_json("storea")),
        ("storeb", b_secret),
    ];
    stores::create_secrets(&sdk, &prefix, &secrets).await;
    let state = DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    state
        .put_store(&stores::app_store(&prefix, "storeb", StoreStatus::Active))
        .await
        .unwrap();
    let base = support::unlimited().strict();
    let sandbox = stores::sandbox_of(&[("storea", 0), ("storeb", 0)], base).await;
    let settings = Settings::from_lookup(|k| match k {
        "STORES" => Some("storea".into()),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "STATE_TABLE" => Some(table.clone()),
        "INBOUND_QUEUE_URL" => Some(inbound.clone()),
        "DEAD_LETTER_QUEUE_URL" => Some(dlq.clone()),
        "BC_API_URL" | "B2B_API_URL" => Some(sandbox.base_url()),
        "EXTERNAL_ID_FIELD" => Some("externalId".into()),
        _ => None,
    })
    .unwrap();
    let worker = upsert_worker::wiring::worker(&settings, &sdk).unwrap();
    Rig {
        worker,
        sandbox,
        sqs,
        dlq,
        state,
    }
}

fn company(store: &str, ext: &str) -> Value {
    json!({"type": "company.upsert", "version": 1, "store_hash": store, "external_id": ext,
        "company": {"name": format!("Co {ext}"), "email": format!("{}@stores.example", ext.to_lowercase()),
        "phone": "1", "country": "US",
        "admin": {"first_name": "A", "last_name": "B", "email": format!("admin-{}@stores.example", ext.to_lowercase())}}})
}

fn batch(commands: &[Value]) -> SqsEvent {
    let records: Vec<Value> = commands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"messageId": format!("m{i}"), "receiptHandle": format!("rh{i}"),
                "body": c.to_string(), "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"})
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

impl Rig {
    async fn companies(&self, store: &str) -> Vec<String> {
        stores::company_names(&self.sandbox, store).await
    }

    async fn dead_letters(&self) -> Vec<Value> {
        support::drain(&self.sqs, &self.dlq).await
    }
}

#[tokio::test]
async fn each_store_gets_its_own_commands_and_an_unknown_store_is_dead_lettered() {
    let rig = rig("storeb").await;
    let commands = [
        company("storea", "A-1"),
        company("storeb", "B-1"),
        company("zz9", "Z-1"),
        company("storea", "A-2"),
        json!({"type": "company.upsert", "version": 1, "store_hash": "storea", "external_id": "A-3"}),
        {
            let mut bad = company("storeb", "B-2");
            bad["company"]["email"] = json!("broken");
            bad
        },
    ];
    let (resp, metrics) = capture_metrics(rig.worker.handle(&batch(&commands))).await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "{:?}",
        resp.batch_item_failures
    );
    assert_eq!(rig.companies("storea").await, ["Co A-1", "Co A-2"]);
    assert_eq!(rig.companies("storeb").await, ["Co B-1"]);
    let mut dead = rig.dead_letters().await;
    dead.sort_by_key(|d| d["message_id"].as_str().map(str::to_owned));
    let ids: Vec<&str> = dead
        .iter()
        .filter_map(|d| d["message_id"].as_str())
        .collect();
    assert_eq!(ids, ["m2", "m4", "m5"], "{dead:?}");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.contains("store `zz9` is not served by this deployment"),
        "{reason}"
    );
    // Each served store's status page counts its own; the unserved store gets no counter.
    let a = rig.state.dead_letters("storea").await.unwrap().unwrap();
    assert_eq!(a.count, 1);
    assert!(a.last_reason.contains("company"), "{a:?}");
    let b = rig.state.dead_letters("storeb").await.unwrap().unwrap();
    assert_eq!(b.count, 1);
    assert_eq!(rig.state.dead_letters("zz9").await.unwrap(), None);
    let unknown = metric_values(&metrics, "UnknownStore");
    assert_eq!(unknown.iter().map(|v| v.0).sum::<f64>(), 1.0);
}

#[tokio::test]
async fn a_store_whose_secret_names_another_store_is_never_applied_with_that_token() {
    let rig = rig("storea").await;
    let resp = rig
        .worker
        .handle(&batch(&[
            company("storeb", "B-9"),
            company("storea", "A-9"),
        ]))
        .await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(
        rig.companies("storea").await,
        ["Co A-9"],
        "nothing of store b in store a"
    );
    assert!(rig.companies("storeb").await.is_empty());
    let dead = rig.dead_letters().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["message_id"], "m0");
    let reason = dead[0]["error"].as_str().unwrap();
    assert!(
        reason.contains("holds store `storea`'s credentials, not store `storeb`'s"),
        "{reason}"
    );
}
