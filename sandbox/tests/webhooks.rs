//! Webhook delivery: payload, Standard Webhooks signature, custom headers, retries, and
//! deactivation of a hook whose destination keeps failing.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Sink {
    got: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(State(s): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    {
        let mut f = s.fail_first.lock().unwrap_or_else(|e| e.into_inner());
        if *f > 0 {
            *f -= 1;
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.got
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((headers, v));
    StatusCode::OK
}

async fn sink(fail_first: u32) -> (String, Sink) {
    let s = Sink::default();
    *s.fail_first.lock().unwrap_or_else(|e| e.into_inner()) = fail_first;
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sink");
    let addr = l.local_addr().expect("sink addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}/hook"), s)
}

async fn wait_for(s: &Sink, n: usize) -> Vec<(HeaderMap, Value)> {
    for _ in 0..100 {
        let got = s.got.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    s.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[tokio::test]
async fn changes_fire_signed_webhooks_with_retries() {
    let (url, sink) = sink(2).await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let s = start(SandboxOptionsExt::with(|o| {
        o.webhook_url = Some(url);
        o.webhook_secret = Some(secret.into());
        o.webhook_retry_base_ms = 20;
    }))
    .await;
    let r = s
        .b2b_json(Method::POST, "/companies", company_body(1))
        .await;
    let company = r.json()["data"]["companyId"].clone();
    // company created, user created, customer created
    let got = wait_for(&sink, 3).await;
    let scopes: Vec<String> = got
        .iter()
        .map(|(_, v)| v["scope"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        scopes.contains(&"store/company/created".to_string()),
        "{scopes:?}"
    );
    assert!(scopes.contains(&"store/company/user/created".to_string()));
    assert!(scopes.contains(&"store/customer/created".to_string()));
    let (h, v) = got
        .iter()
        .find(|(_, v)| v["scope"] == "store/company/created")
        .cloned()
        .unwrap_or_default();
    assert_eq!(v["data"], json!({"company_id": company}));
    assert_eq!(v["producer"], format!("stores/{HASH}"));
    assert!(v["store_id"].is_string() && v["hash"].is_string() && v["created_at"].is_i64());
    // verify the Standard Webhooks signature independently
    let id = h
        .get("webhook-id")
        .and_then(|x| x.to_str().ok())
        .unwrap_or_default();
    let ts = h
        .get("webhook-timestamp")
        .and_then(|x| x.to_str().ok())
        .unwrap_or_default();
    let sig = h
        .get("webhook-signature")
        .and_then(|x| x.to_str().ok())
        .unwrap_or_default();
    let body = serde_json::to_string(&v).unwrap_or_default();
    let ts_num: i64 = ts.parse().unwrap_or(0);
    let key = bc_sandbox::webhooks::signing_key(secret);
    assert_eq!(
        sig,
        bc_sandbox::webhooks::sign(&key, id, ts_num, body.as_bytes())
    );
    assert!(sig.starts_with("v1,"));
    let st = s.admin_get("/stats").await;
    assert!(
        st["webhook_attempts_total"].as_u64() >= Some(5),
        "2 failures were retried: {st}"
    );
    // orders placed through the admin endpoint fire store/order/created
    let r = s.admin_post("/orders", json!({"count": 1})).await;
    let oid = r.json()["order_ids"][0].clone();
    let got = wait_for(&sink, 4).await;
    assert!(got.iter().any(|(_, v)| v["scope"] == "store/order/created"
        && v["data"] == json!({"type": "order", "id": oid})));
}

#[tokio::test]
async fn registered_hooks_get_headers_and_are_deactivated_after_failures() {
    let (url, sink) = sink(1_000).await;
    let s = start(SandboxOptionsExt::with(|o| {
        o.webhook_retry_base_ms = 10;
        o.webhook_max_attempts = 3;
    }))
    .await;
    let r = s
        .core_json(
            Method::POST,
            "/v3/hooks",
            json!({"scope": "store/order/*", "destination": url, "headers": {"X-Custom": "abc"}}),
        )
        .await;
    let id = r.json()["data"]["id"].as_i64().unwrap_or(0);
    s.admin_post("/orders", json!({"count": 1})).await;
    let mut deactivated = false;
    for _ in 0..100 {
        let a = s.core_get("/v3/hooks/admin").await.json();
        if a["data"]["hooks_list"][0]["id"] == id {
            assert_eq!(a["data"]["hooks_list"][0]["status"], "deactivated");
            assert!(!a["data"]["blocked_domains"]
                .as_array()
                .map(Vec::is_empty)
                .unwrap_or(true));
            deactivated = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    assert!(deactivated, "hook was not deactivated");
    // re-enable, unblock, and let the destination succeed
    *sink.fail_first.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    s.admin_post("/faults", json!({"unblock_domains": true}))
        .await;
    s.core_json(
        Method::PUT,
        &format!("/v3/hooks/{id}"),
        json!({"is_active": true}),
    )
    .await;
    s.admin_post("/orders", json!({"count": 1})).await;
    let got = wait_for(&sink, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].0.get("x-custom").and_then(|v| v.to_str().ok()),
        Some("abc")
    );
    assert!(
        got[0].0.get("webhook-signature").is_none(),
        "no secret configured"
    );
}

/// The payload schema of `scope` in the official webhook callbacks, closed against undeclared
/// fields.
fn callback_schema(scope: &str) -> jsonschema::Validator {
    let file = format!("docs/webhooks/callbacks/{}.yml", scope.replace('/', "_"));
    let path = bc_sandbox::specs::dir_or_panic().join(&file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let doc: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let schema = doc["properties"][scope].clone();
    assert!(schema.is_object(), "{file} has no {scope}");
    bc_sandbox::contract::openapi::validator(&bc_sandbox::contract::openapi::closed(&schema))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn fulfillment_webhooks_have_the_official_payload_shapes() {
    use bc_sandbox::model::{inventory, shipments, Events};
    let mut store = bc_sandbox::seed::generate(0, 3, 3);
    let (order, line) = store
        .order_products
        .iter()
        .find(|(id, _)| {
            matches!(
                store.orders[*id]["status_id"].as_i64(),
                Some(1 | 7 | 9 | 11)
            )
        })
        .map(|(id, l)| (*id, l[0].clone()))
        .unwrap_or_else(|| panic!("a shippable order"));
    let mut ev = Events::new();
    let made = shipments::create_shipment(
        &mut store,
        order,
        &json!({"order_address_id": line["order_address_id"], "tracking_number": "1Z",
            "items": [{"order_product_id": line["id"], "quantity": 1}]}),
        1,
        &mut ev,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let id = made["id"].as_i64().unwrap_or(0);
    shipments::update_shipment(&mut store, order, id, &json!({"comments": "x"}), &mut ev);
    shipments::delete_shipment(&mut store, order, id, 2, &mut ev);
    inventory::adjust(
        &mut store,
        &[json!({"location_id": 2, "variant_id": 1, "quantity": 4})],
        true,
        &mut ev,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let scopes: Vec<&str> = ev.iter().map(|(s, _)| s.as_str()).collect();
    for scope in [
        "store/shipment/created",
        "store/shipment/updated",
        "store/shipment/deleted",
        "store/sku/inventory/updated",
        "store/order/statusUpdated",
    ] {
        assert!(scopes.contains(&scope), "{scope} not fired: {scopes:?}");
    }
    for (scope, data) in ev {
        let event = bc_sandbox::state::Event {
            scope: scope.clone(),
            data,
            created_at: 1,
        };
        let payload = bc_sandbox::webhooks::payload("abc123", &event);
        let errors: Vec<String> = callback_schema(&scope)
            .iter_errors(&payload)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{scope}: {errors:?}\n{payload:#}");
    }
}
