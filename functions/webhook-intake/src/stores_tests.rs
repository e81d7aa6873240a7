//! The handler serving many stores: each delivery and command authenticated with the secret of
//! the store it names, unknown stores refused and counted, nothing enqueued for them.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use b2b_shared::config::StoreSetting;
use b2b_shared::queue::MemoryQueue;
use b2b_shared::secrets::{SecretError, SecretFetcher};
use b2b_shared::state::MemoryState;
use b2b_shared::stores::{StoreDirectory, StoreRecord, StoreRegistry, StoreSource, StoreStatus};
use b2b_shared::telemetry::{capture_metrics, metric_values};
use b2b_test_support::stores::{inbound_key, webhook_secret};
use futures_util::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::intake::Intake;
use crate::settings::{AuthMode, IntakeOptions};

const NOW: i64 = 1764160000;

/// Store secrets by Secrets Manager id.
#[derive(Clone, Default)]
struct Secrets(Arc<Mutex<HashMap<String, String>>>);

impl SecretFetcher for Secrets {
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        let found = self.0.lock().unwrap().get(secret_id).cloned();
        let what = secret_id.to_owned();
        Box::pin(async move {
            found
                .map(SecretString::from)
                .ok_or(SecretError::NotFound { what })
        })
    }
}

fn secret_json(store: &str) -> String {
    json!({"store_hash": store, "access_token": format!("tok-{store}"),
        "webhook_secret": webhook_secret(store), "inbound_api_key": inbound_key(store)})
    .to_string()
}

struct Rig {
    intake: Intake,
    queue: Arc<MemoryQueue>,
}

/// `declared` in `STORES`, `installed` in the registry; every one of them has its secret.
async fn rig(declared: &[&str], installed: &[&str]) -> Rig {
    let secrets = Secrets::default();
    for store in declared.iter().chain(installed) {
        secrets
            .0
            .lock()
            .unwrap()
            .insert(format!("bc/{store}"), secret_json(store));
    }
    let state = Arc::new(MemoryState::default());
    for store in installed {
        let record = StoreRecord {
            store_hash: (*store).into(),
            secret_id: format!("bc/{store}"),
            source: StoreSource::App,
            status: StoreStatus::Active,
            since: NOW,
        };
        state.put_store(&record).await.unwrap();
    }
    let setting = StoreSetting::Many {
        secret_prefix: "bc/".into(),
        declared: declared.iter().map(|s| s.parse().unwrap()).collect(),
    };
    let queue = Arc::new(MemoryQueue::default());
    let intake = Intake {
        credentials: Arc::new(StoreDirectory::new(
            setting,
            secrets,
            Some(state.clone() as _),
        )),
        queue: queue.clone(),
        state,
        options: IntakeOptions {
            auth: AuthMode::Header,
            ..IntakeOptions::default()
        },
        precheck: None,
        punchout: None,
    };
    Rig { intake, queue }
}

fn post(path: &str, headers: &[(&str, String)], body: &str) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method("POST")
        .uri(path);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::Text(body.to_owned())).unwrap()
}

fn webhook(producer: Option<&str>, id: i64) -> String {
    let mut body = json!({"scope": "store/order/created", "data": {"type": "order", "id": id},
        "hash": format!("h{id}"), "created_at": NOW});
    if let Some(p) = producer {
        body["producer"] = json!(format!("stores/{p}"));
    }
    body.to_string()
}

fn hook_secret(store: &str) -> (&'static str, String) {
    ("x-webhook-secret", webhook_secret(store))
}

fn bearer(store: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {}", inbound_key(store)))
}

fn command(store: &str, external_id: &str) -> Value {
    json!({"type": "company.status", "version": 1, "store_hash": store, "external_id": external_id,
        "status": "approved"})
}

fn status_and_body(resp: &Response<Body>) -> (u16, Value) {
    let bytes: &[u8] = resp.body().as_ref();
    (
        resp.status().as_u16(),
        serde_json::from_slice(bytes).unwrap_or(Value::Null),
    )
}

impl Rig {
    async fn send(&self, req: Request) -> (u16, Value) {
        status_and_body(&self.intake.handle_at(req, NOW).await)
    }

    fn stores_enqueued(&self) -> Vec<String> {
        let sent = self.queue.sent.lock().unwrap();
        sent.iter()
            .map(|m| serde_json::from_str::<Value>(&m.body).unwrap()["store_hash"].to_string())
            .collect()
    }
}

#[tokio::test]
async fn each_webhook_is_verified_with_the_secret_of_the_store_that_produced_it() {
    let rig = rig(&["dec1"], &["app2"]).await;
    let path = "/webhooks/bigcommerce";
    for store in ["dec1", "app2"] {
        let (status, body) = rig
            .send(post(path, &[hook_secret(store)], &webhook(Some(store), 1)))
            .await;
        assert_eq!((status, body["status"].clone()), (200, json!("accepted")));
    }
    assert_eq!(rig.stores_enqueued(), [r#""dec1""#, r#""app2""#]);
    // Store app2's delivery with store dec1's secret: the producer and the secret disagree.
    let (status, _) = rig
        .send(post(
            path,
            &[hook_secret("dec1")],
            &webhook(Some("app2"), 2),
        ))
        .await;
    assert_eq!(status, 401);
    // Serving many stores, a delivery must say which one it is from.
    let (status, body) = rig
        .send(post(path, &[hook_secret("dec1")], &webhook(None, 3)))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("producer"),
        "{body}"
    );
    assert_eq!(rig.stores_enqueued().len(), 2, "nothing else enqueued");
}

#[tokio::test]
async fn a_store_not_served_is_refused_with_its_reason_and_counted() {
    let rig = rig(&["dec1"], &[]).await;
    let req = post(
        "/webhooks/bigcommerce",
        &[hook_secret("dec1")],
        &webhook(Some("zz9"), 1),
    );
    let ((status, body), docs) = capture_metrics(rig.send(req)).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"],
        "store `zz9` is not served by this deployment"
    );
    let counted = metric_values(&docs, "UnknownStore");
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0].0, 1.0);
    assert_eq!(counted[0].1["Route"], "webhook");
    let batch = json!([command("zz9", "C-1")]).to_string();
    let ((status, _), docs) =
        capture_metrics(rig.send(post("/inbound", &[bearer("dec1")], &batch))).await;
    assert_eq!(status, 401);
    assert_eq!(
        metric_values(&docs, "UnknownStore")[0].1["Route"],
        "inbound"
    );
    assert!(rig.stores_enqueued().is_empty());
}

#[tokio::test]
async fn inbound_commands_need_the_key_of_every_store_they_name() {
    let rig = rig(&["dec1"], &["app2"]).await;
    let one = json!([command("dec1", "C-1"), command("dec1", "C-2")]).to_string();
    let (status, body) = rig.send(post("/inbound", &[bearer("dec1")], &one)).await;
    assert_eq!(status, 202, "{body}");
    // Store dec1's key does not write to store app2, alone or mixed in.
    let other = json!([command("app2", "C-3")]).to_string();
    assert_eq!(
        rig.send(post("/inbound", &[bearer("dec1")], &other))
            .await
            .0,
        401
    );
    let mixed = json!([command("dec1", "C-4"), command("app2", "C-5")]).to_string();
    assert_eq!(
        rig.send(post("/inbound", &[bearer("dec1")], &mixed))
            .await
            .0,
        401
    );
    assert_eq!(
        rig.send(post("/inbound", &[bearer("app2")], &other))
            .await
            .0,
        202
    );
    let unnamed = json!([{"type": "company.status", "external_id": "C-6"}]).to_string();
    let (status, body) = rig
        .send(post("/inbound", &[bearer("dec1")], &unnamed))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("store_hash"),
        "{body}"
    );
    assert_eq!(
        rig.stores_enqueued(),
        [r#""dec1""#, r#""dec1""#, r#""app2""#]
    );
}

/// A record meant for the field mapping names no store: the refusal says where it goes, as it
/// does for one store.
#[tokio::test]
async fn a_mapped_record_without_a_store_is_pointed_at_the_inbound_queue() {
    let rig = rig(&["dec1"], &[]).await;
    let record = json!({"record_type": "customer", "entity_id": "CUST-1"}).to_string();
    let (status, body) = rig.send(post("/inbound", &[bearer("dec1")], &record)).await;
    assert_eq!(status, 400);
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("store_hash"), "{body}");
    assert!(error.contains("docs/erp/mapping.md"), "{body}");
    assert!(rig.stores_enqueued().is_empty());
}
