//! The router with in-memory queue and state: unknown routes, wrong methods, oversized bodies,
//! health, the invocation's deadline, and the console fixtures in `events/`.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use b2b_shared::queue::{MemoryQueue, OutgoingMessage, Queue};
use lambda_http::http::StatusCode;
use lambda_http::Request;

use crate::intake::{Intake, MAX_BODY_BYTES};
use crate::settings::AuthMode;
use crate::test_harness::{body_json, harness, request, AUTH, ORDER, SIGNED_AT};

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
