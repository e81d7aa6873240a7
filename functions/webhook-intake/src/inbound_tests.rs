//! `POST /inbound` with in-memory queue and state: one command or a batch accepted with an id
//! each, an invalid command refusing the whole batch, and every bad input refused.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::atomic::Ordering;

use lambda_http::http::StatusCode;
use serde_json::{json, Value};

use b2b_shared::secrets::StoreSecret;

use crate::settings::{AuthMode, IntakeOptions};
use crate::test_harness::{body_json, harness, in_memory, request, SIGNED_AT};

fn company(external_id: &str) -> Value {
    json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":external_id,
        "company":{"name":"Acme","email":"a@acme.example","phone":"1","country":"US",
        "admin":{"first_name":"A","last_name":"B","email":"ab@acme.example"}}})
}

const BEARER: (&str, &str) = (
    "authorization",
    "Bearer local-inbound-key-0123456789abcdefgh",
);

#[tokio::test]
async fn inbound_accepts_one_or_a_batch_with_an_id_each() {
    let h = harness(AuthMode::Header);
    let one = h
        .send(request(
            "POST",
            "/inbound",
            &[BEARER],
            &company("C-1").to_string(),
        ))
        .await;
    assert_eq!(one.status(), StatusCode::ACCEPTED);
    let batch = json!([company("C-2"), company("C-3")]).to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &batch)).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted = body_json(&resp)["accepted"].as_array().unwrap().clone();
    assert_eq!(accepted.len(), 2);
    assert_eq!(accepted[1]["external_id"], "C-3");
    assert_ne!(accepted[0]["id"], accepted[1]["id"]);
    let sent = h.sent();
    assert_eq!(
        sent.iter()
            .map(|m| m["external_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["C-1", "C-2", "C-3"]
    );
}

#[tokio::test]
async fn an_invalid_command_rejects_the_whole_batch_naming_each_problem() {
    let h = harness(AuthMode::Header);
    let mut bad = company("C-9");
    bad["company"]["email"] = json!("nope");
    let mut other_store = company("C-10");
    other_store["store_hash"] = json!("zzz999");
    let batch = json!([company("C-8"), bad, other_store, {"type": "mystery"}]).to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &batch)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = body_json(&resp);
    let invalid = body["invalid"].as_array().unwrap();
    assert_eq!(
        invalid
            .iter()
            .map(|i| i["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        invalid[0]["problems"][0],
        "`company.email` is not an email address"
    );
    assert!(invalid[1]["problems"][0]
        .as_str()
        .unwrap()
        .contains("not this deployment's store"));
    assert!(
        h.sent().is_empty(),
        "nothing is enqueued from a batch with an invalid command"
    );
}

/// A source system's own record (for the worker's field mapping) is not a command: the 400 says
/// where such records go instead; a command of a known type with a bad field gets no such hint.
#[tokio::test]
async fn a_record_for_the_field_mapping_is_refused_pointing_at_the_inbound_queue() {
    let h = harness(AuthMode::Header);
    let record =
        json!({"record_type": "customer", "entity_id": "CUST-1", "company_name": "Northwind"});
    let mut bad = company("C-11");
    bad["company"]["email"] = json!("nope");
    let batch = json!([record, {"type": "mystery", "version": 1}, bad]).to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &batch)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = body_json(&resp);
    let problems = |i: usize| body["invalid"][i]["problems"].to_string();
    for i in [0, 1] {
        let text = problems(i);
        assert!(
            text.contains("POST /inbound takes commands only")
                && text.contains("inbound queue directly")
                && text.contains("docs/erp/mapping.md"),
            "{i}: {text}"
        );
    }
    assert!(
        !problems(2).contains("docs/erp/mapping.md"),
        "{}",
        problems(2)
    );
    assert!(h.sent().is_empty(), "nothing is enqueued");
}

#[tokio::test]
async fn inbound_bad_input() {
    let h = harness(AuthMode::Header);
    let body = company("C-1").to_string();
    assert_eq!(
        h.send(request("POST", "/inbound", &[], &body))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.send(request(
            "POST",
            "/inbound",
            &[("authorization", "Bearer wrong")],
            &body
        ))
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.send(request(
            "POST",
            "/inbound",
            &[("authorization", "local-inbound-key-0123456789abcdefgh")],
            &body
        ))
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    for bad in ["[]", "42", "{oops"] {
        assert_eq!(
            h.send(request("POST", "/inbound", &[BEARER], bad))
                .await
                .status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    h.queue.down.store(true, Ordering::SeqCst);
    assert_eq!(
        h.send(request("POST", "/inbound", &[BEARER], &body))
            .await
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

/// An inbound key that is missing, a placeholder, empty or short is never compared: even a
/// caller who sends that very value gets 503 (the deployment is not set up yet, so the ERP
/// retries) and nothing is enqueued.
#[tokio::test]
async fn an_unusable_inbound_key_is_503_and_nothing_is_enqueued() {
    for key in [
        Some("REPLACE_ME"),
        Some(""),
        Some("short-inbound-key"),
        None,
    ] {
        let field = key
            .map(|k| format!(r#","inbound_api_key":"{k}""#))
            .unwrap_or_default();
        let secret = StoreSecret::from_json(&format!(
            r#"{{"store_hash":"abc123","access_token":"t"{field}}}"#
        ))
        .unwrap();
        let (intake, queue, _) = in_memory(secret, IntakeOptions::default());
        let bearer = format!("Bearer {}", key.unwrap_or_default());
        let resp = intake
            .handle_at(
                request(
                    "POST",
                    "/inbound",
                    &[("authorization", bearer.as_str())],
                    &company("C-1").to_string(),
                ),
                SIGNED_AT,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{key:?}");
        assert!(queue.bodies().is_empty(), "{key:?}");
    }
}

fn keyed(external_id: &str, key: &str) -> Value {
    let mut c = company(external_id);
    c["idempotency_key"] = json!(key);
    c
}

#[tokio::test]
async fn the_accepted_id_is_the_trace_id_the_queued_command_carries() {
    let h = harness(AuthMode::Header);
    let mut own = company("C-2");
    own["trace_id"] = json!("erp-run-5-line-2");
    let batch = json!([company("C-1"), own]).to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &batch)).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted = body_json(&resp)["accepted"].as_array().unwrap().clone();
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    assert!(accepted[0]["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(sent[0]["trace_id"], accepted[0]["id"]);
    assert_eq!(
        accepted[1]["id"], "erp-run-5-line-2",
        "a sender's own trace id is kept"
    );
    assert_eq!(sent[1]["trace_id"], "erp-run-5-line-2");
}

#[tokio::test]
async fn a_key_reused_for_other_content_in_one_request_is_409_and_nothing_is_enqueued() {
    let h = harness(AuthMode::Header);
    let batch = json!([
        keyed("C-1", "k-1"),
        keyed("C-1", "k-1"),
        keyed("C-2", "k-1")
    ])
    .to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &batch)).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = body_json(&resp);
    let invalid = body["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 1, "{body}");
    assert_eq!(invalid[0]["index"], 2, "an identical repeat is no conflict");
    assert!(
        invalid[0]["problems"][0]
            .as_str()
            .unwrap()
            .contains("`idempotency_key` `k-1`"),
        "{body}"
    );
    assert!(h.sent().is_empty());
}

#[tokio::test]
async fn a_key_the_state_table_binds_to_other_content_is_409() {
    let h = harness(AuthMode::Header);
    let first = b2b_commands::Command::from_value(keyed("C-1", "k-2")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let bound = b2b_commands::KeyBinding::of(&first, now);
    b2b_shared::state::Watermarks::put_watermark_until(
        h.state.as_ref(),
        &first.key_record().unwrap(),
        &bound.to_record(),
        bound.expires_at,
    )
    .await
    .unwrap();
    let same = keyed("C-1", "k-2").to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &same)).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "a replay is accepted");
    let other = keyed("C-9", "k-2").to_string();
    let resp = h.send(request("POST", "/inbound", &[BEARER], &other)).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = body_json(&resp);
    assert!(
        body["invalid"][0]["problems"][0]
            .as_str()
            .unwrap()
            .contains("`idempotency_key` `k-2`"),
        "{body}"
    );
    assert_eq!(h.sent().len(), 1, "only the replay was enqueued");
}
