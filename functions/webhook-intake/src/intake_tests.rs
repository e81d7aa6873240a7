//! Handler tests with in-memory queue and state: every route, every bad input, and the
//! console fixtures in `events/`.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::MemoryState;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use serde_json::{json, Value};

use super::*;
use crate::verify::sign;

const SIGNED_AT: i64 = 1764160000;

struct Harness {
    intake: Intake,
    queue: Arc<MemoryQueue>,
    state: Arc<MemoryState>,
}

fn harness(auth: AuthMode) -> Harness {
    let secret = StoreSecret::from_json(
        r#"{"store_hash":"abc123","access_token":"t","client_secret":"local-client-secret",
            "webhook_secret":"local-webhook-secret","inbound_api_key":"local-inbound-key",
            "procurement":{"supplier":[{"domain":"NetworkID","identity":"ACME-SUPPLY"}],
              "partners":[{"name":"northwind","sender":{"domain":"NetworkID","identity":"NORTHWIND-AN01"},
                "shared_secret":"s3cret-for-tests","deployment_mode":"test"}]}}"#,
    )
    .unwrap();
    let queue = Arc::new(MemoryQueue::default());
    let state = Arc::new(MemoryState::default());
    let intake = Intake {
        credentials: Arc::new(StaticCredentials(Arc::new(secret))),
        queue: queue.clone(),
        state: state.clone(),
        options: IntakeOptions {
            auth,
            ..IntakeOptions::default()
        },
        precheck: None,
        punchout: None,
    };
    Harness {
        intake,
        queue,
        state,
    }
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::Text(body.to_owned())).unwrap()
}

fn body_json(resp: &lambda_http::Response<Body>) -> Value {
    let bytes: &[u8] = resp.body().as_ref();
    serde_json::from_slice(bytes).unwrap()
}

const ORDER: &str = r#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"}"#;
const AUTH: (&str, &str) = ("x-webhook-secret", "local-webhook-secret");

impl Harness {
    async fn send(&self, req: Request) -> lambda_http::Response<Body> {
        self.intake.handle_at(req, SIGNED_AT).await
    }
    fn sent(&self) -> Vec<Value> {
        self.queue
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|m| serde_json::from_str(&m.body).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn a_webhook_is_enqueued_once_and_a_redelivery_is_answered_200() {
    let h = harness(AuthMode::Header);
    let first = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(body_json(&first)["status"], "accepted");
    let again = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(body_json(&again)["status"], "duplicate");
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["type"], "webhook.event");
    assert_eq!(sent[0]["resource"], json!({"type": "order", "id": 250}));
    assert_eq!(sent[0]["store_hash"], "abc123");
}

#[tokio::test]
async fn one_store_refuses_a_webhook_another_store_produced_even_with_its_secret() {
    let h = harness(AuthMode::Header);
    let other = ORDER.replace("stores/abc123", "stores/other9");
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], &other))
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(&resp)["error"],
        "store `other9` is not served by this deployment"
    );
    let unnamed = ORDER.replace(r#","producer":"stores/abc123""#, "");
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], &unnamed))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "one store: the producer may be left out"
    );
    assert_eq!(h.sent().len(), 1);
}

#[tokio::test]
async fn signatures_are_verified_and_bad_ones_get_a_bare_401() {
    let h = harness(AuthMode::Signature);
    let sig = sign(b"local-client-secret", "msg_1", SIGNED_AT, ORDER.as_bytes());
    let ts = SIGNED_AT.to_string();
    let good = [
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", &format!("v1,{sig}")),
    ];
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &good, ORDER))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let tampered = ORDER.replace("250", "251");
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &good, &tampered))
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(&resp), json!({"error": "unauthorized"}));
    // The header secret alone does not pass in signature mode.
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(h.sent().len(), 1);
}

#[tokio::test]
async fn auth_modes_either_and_both() {
    let sig = sign(b"local-client-secret", "m", SIGNED_AT, ORDER.as_bytes());
    let ts = SIGNED_AT.to_string();
    let sig_headers = [
        ("webhook-id", "m"),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", &format!("v1,{sig}")),
    ];
    let mut all = sig_headers.to_vec();
    all.push(AUTH);

    let either = harness(AuthMode::Either);
    assert_eq!(
        either
            .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
            .await
            .status(),
        StatusCode::OK
    );
    let either = harness(AuthMode::Either);
    assert_eq!(
        either
            .send(request(
                "POST",
                "/webhooks/bigcommerce",
                &sig_headers,
                ORDER
            ))
            .await
            .status(),
        StatusCode::OK
    );

    let both = harness(AuthMode::Both);
    assert_eq!(
        both.send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        both.send(request(
            "POST",
            "/webhooks/bigcommerce",
            &sig_headers,
            ORDER
        ))
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        both.send(request("POST", "/webhooks/bigcommerce", &all, ORDER))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401() {
    let h = harness(AuthMode::Header);
    for headers in [
        vec![],
        vec![("x-webhook-secret", "local-webhook-secreT")],
        vec![("x-webhook-secret", "")],
    ] {
        let resp = h
            .send(request("POST", "/webhooks/bigcommerce", &headers, ORDER))
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(h.sent().is_empty());
}

#[tokio::test]
async fn malformed_payloads_are_400_with_a_reason() {
    let h = harness(AuthMode::Header);
    for (body, needle) in [
        ("{not json", "not a BigCommerce webhook payload"),
        (r#"{"data":{}}"#, "missing field `scope`"),
        (r#"{"scope":"  ","data":{}}"#, "`scope` must not be empty"),
        ("[1,2]", "not a BigCommerce webhook payload"),
    ] {
        let resp = h
            .send(request("POST", "/webhooks/bigcommerce", &[AUTH], body))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        let msg = body_json(&resp)["error"].as_str().unwrap().to_owned();
        assert!(msg.contains(needle), "{msg}");
    }
    assert!(h.sent().is_empty());
}

#[tokio::test]
async fn oversized_bodies_routes_and_methods() {
    let h = harness(AuthMode::Header);
    let big = format!(r#"{{"scope":"x","data":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
    assert_eq!(
        h.send(request("POST", "/webhooks/bigcommerce", &[AUTH], &big))
            .await
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        h.send(request("POST", "/nope", &[AUTH], ORDER))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let resp = h
        .send(request("GET", "/webhooks/bigcommerce", &[AUTH], ""))
        .await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    assert_eq!(
        h.send(request("DELETE", "/inbound", &[], ""))
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        h.send(request("POST", "/health", &[], "")).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let health = h.send(request("GET", "/prod/health", &[], "")).await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(body_json(&health)["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn a_queue_failure_is_503_and_the_retry_is_not_swallowed() {
    let h = harness(AuthMode::Header);
    h.queue.down.store(true, Ordering::SeqCst);
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.state.claims(), 0, "the dedupe key must be released");
    h.queue.down.store(false, Ordering::SeqCst);
    let retry = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(body_json(&retry)["status"], "accepted");
    assert_eq!(h.sent().len(), 1);
}

/// A queue that accepts the request and never answers (SQS unreachable behind a socket that
/// accepts connections).
struct HangingQueue;
impl Queue for HangingQueue {
    fn send_all<'a>(
        &'a self,
        _: &'a [OutgoingMessage],
    ) -> futures_util::future::BoxFuture<'a, Result<(), b2b_shared::queue::QueueError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_hung_queue_is_given_up_before_the_deadline_and_the_retry_is_accepted() {
    let h = harness(AuthMode::Header);
    let hung = Intake {
        queue: Arc::new(HangingQueue),
        ..h.intake.clone()
    };
    let resp = hung
        .handle_within(
            request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER),
            SIGNED_AT,
            Some(Duration::from_millis(1600)),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        h.state.claims(),
        0,
        "the in-progress record must be released"
    );
    let retry = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(body_json(&retry)["status"], "accepted");
    assert_eq!(h.sent().len(), 1);
}

/// A queue that answers after 50 ms.
struct SlowQueue(Arc<MemoryQueue>);
impl Queue for SlowQueue {
    fn send_all<'a>(
        &'a self,
        messages: &'a [OutgoingMessage],
    ) -> futures_util::future::BoxFuture<'a, Result<(), b2b_shared::queue::QueueError>> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.send_all(messages).await
        })
    }
}

#[tokio::test]
async fn the_invocation_deadline_is_read_from_lambda_and_from_emulators() {
    use lambda_http::RequestExt;
    let h = harness(AuthMode::Header);
    // A queue that takes a moment, as SQS does: a deadline read as already past gives up on it.
    let slow = Intake {
        queue: Arc::new(SlowQueue(h.queue.clone())),
        ..h.intake.clone()
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // Lambda's epoch deadline, and cargo-lambda's relative timeout (30 s as a "deadline").
    for (n, deadline) in [(1, now_ms + 10_000), (2, 30_000)] {
        let mut context = lambda_http::Context::default();
        context.deadline = deadline;
        let body = ORDER.replace("dd70c0976e06b67aaf671e73f49dcb79230ebf9d", &format!("h{n}"));
        let req =
            request("POST", "/webhooks/bigcommerce", &[AUTH], &body).with_lambda_context(context);
        let resp = slow.handle_at(req, SIGNED_AT).await;
        assert_eq!(resp.status(), StatusCode::OK, "deadline {deadline}");
    }
    assert_eq!(h.sent().len(), 2);
}

#[tokio::test]
async fn a_redelivery_while_the_first_is_being_enqueued_gets_503_not_duplicate() {
    let h = harness(AuthMode::Header);
    let hung = Intake {
        queue: Arc::new(HangingQueue),
        ..h.intake.clone()
    };
    // The first delivery is stuck in its enqueue (and will die there).
    let first = tokio::spawn(async move {
        hung.handle_at(
            request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER),
            SIGNED_AT,
        )
        .await
    });
    while h.state.claims() == 0 {
        tokio::task::yield_now().await;
    }
    let again = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(again.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.sent().is_empty());
    first.abort();
}

#[tokio::test]
async fn a_state_failure_is_503_and_nothing_is_enqueued() {
    let h = harness(AuthMode::Header);
    h.state.fail.store(true, Ordering::SeqCst);
    let resp = h
        .send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.sent().is_empty());
}

#[tokio::test]
async fn b2b_batch_and_unknown_scopes_are_accepted() {
    let h = harness(AuthMode::Header);
    for body in [
        r#"{"scope":"store/company/user/created","store_id":1,"data":{"company_id":1,"user_id":2},"hash":"a","created_at":1,"producer":"stores/abc123"}"#,
        r#"{"scope":"store/priceList/record/updated","data":[{"price_list_id":1},{"price_list_id":1}],"producer":"stores/abc123"}"#,
        r#"{"scope":"store/brandNew/thing","data":{"x":1},"hash":"c"}"#,
    ] {
        let resp = h
            .send(request("POST", "/webhooks/bigcommerce", &[AUTH], body))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{body}");
    }
    let sent = h.sent();
    assert_eq!(sent[0]["resource"], json!({"type": "user", "id": 2}));
    assert!(sent[1]["data"].is_array());
    assert_eq!(
        sent[1]["hash"].as_str().unwrap().len(),
        64,
        "no hash: the body's SHA-256 is the dedupe key"
    );
    assert_eq!(sent[2]["scope"], "store/brandNew/thing");
}

#[tokio::test]
async fn fifo_messages_are_grouped_by_resource() {
    let mut h = harness(AuthMode::Header);
    h.intake.options.fifo = true;
    h.send(request("POST", "/webhooks/bigcommerce", &[AUTH], ORDER))
        .await;
    let sent = h.queue.sent.lock().unwrap().clone();
    assert_eq!(sent[0].group_id.as_deref(), Some("abc123#order#250"));
    assert_eq!(sent[0].dedup_id.as_ref().unwrap().len(), 40);
}

fn company(external_id: &str) -> Value {
    json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":external_id,
        "company":{"name":"Acme","email":"a@acme.example","phone":"1","country":"US",
        "admin":{"first_name":"A","last_name":"B","email":"ab@acme.example"}}})
}

const BEARER: (&str, &str) = ("authorization", "Bearer local-inbound-key");

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
            &[("authorization", "local-inbound-key")],
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

fn fixture(name: &str) -> Request {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/events/").to_owned() + name;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn console_fixtures_get_the_answers_they_document() {
    let expectations = [
        ("health.json", 200),
        ("webhook-order-created.json", 200),
        ("webhook-order-updated.json", 200),
        ("webhook-order-statusUpdated.json", 200),
        ("webhook-customer-created.json", 200),
        ("webhook-b2b-company-created.json", 200),
        ("webhook-b2b-company-status-updated.json", 200),
        ("webhook-b2b-company-user-created.json", 200),
        ("webhook-b2b-quote-created.json", 200),
        ("webhook-batch-pricelist-records.json", 200),
        ("webhook-unknown-scope.json", 200),
        ("webhook-signed-order-created.json", 200),
        ("webhook-bad-secret.json", 401),
        ("webhook-malformed.json", 400),
        ("inbound-single.json", 202),
        ("inbound-batch.json", 202),
        ("inbound-invalid.json", 400),
        ("inbound-no-auth.json", 401),
        ("procurement-order-request.json", 200),
        // This harness's store offers no punch-out: cXML 450 (a start page where it does).
        ("procurement-punchout-setup.json", 200),
        ("punchout-return-unknown-session.json", 404),
    ];
    let mut seen = 0;
    for (name, status) in expectations {
        // A fresh handler per fixture: order-created appears twice (header and signed) on purpose.
        let h = harness(AuthMode::Either);
        let resp = h.send(fixture(name)).await;
        assert_eq!(resp.status().as_u16(), status, "{name}: {:?}", resp.body());
        if name.starts_with("procurement-") {
            // cXML answers HTTP 200 whatever it says: the document's status is what counts.
            let text = std::str::from_utf8(resp.body().as_ref()).unwrap_or_default();
            let code = if name.contains("punchout") {
                "450"
            } else {
                "200"
            };
            assert!(
                text.contains(&format!(r#"<Status code="{code}""#)),
                "{name}: {text}"
            );
        }
        seen += 1;
    }
    // The console events (`*.json`; raw documents such as `events/cxml/` are bodies, not events).
    let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .count();
    assert_eq!(
        seen, on_disk,
        "every console event in events/ has an expectation here"
    );
}
