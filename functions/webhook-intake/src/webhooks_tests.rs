//! `POST /webhooks/bigcommerce` with in-memory queue and state: deliveries accepted once,
//! authenticated in every mode, bad ones refused, and a queue or table that fails answered 503
//! with nothing lost.
// Test-only: compiled under #[cfg(test)] from its parent module.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use b2b_shared::queue::{OutgoingMessage, Queue};
use lambda_http::http::StatusCode;
use serde_json::json;

use b2b_shared::secrets::StoreSecret;

use crate::intake::Intake;
use crate::settings::{AuthMode, IntakeOptions};
use crate::test_harness::{body_json, harness, in_memory, request, AUTH, ORDER, SIGNED_AT};
use crate::verify::sign;

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
    let sig = sign(
        b"local-client-secret-0123456789abcdef",
        "msg_1",
        SIGNED_AT,
        ORDER.as_bytes(),
    );
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
    let sig = sign(
        b"local-client-secret-0123456789abcdef",
        "m",
        SIGNED_AT,
        ORDER.as_bytes(),
    );
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

/// A header secret or signing secret that is a placeholder, empty or short is never used: a
/// mode that needs it answers 503 (BigCommerce retries once the secret is fixed) and nothing is
/// enqueued, even for a caller who sends that very value; in `either` mode the other, usable
/// credential still authenticates.
#[tokio::test]
async fn an_unusable_webhook_credential_is_503_and_nothing_is_enqueued() {
    const STRONG: &str = "q7JcVh2LxP9mWbT4sKzR8nYdF3gA6eU1oHiC5vQ0wXyZ";
    let signed = |key: &str| {
        let sig = sign(key.as_bytes(), "m", SIGNED_AT, ORDER.as_bytes());
        vec![
            ("webhook-id".to_owned(), "m".to_owned()),
            ("webhook-timestamp".to_owned(), SIGNED_AT.to_string()),
            ("webhook-signature".to_owned(), format!("v1,{sig}")),
        ]
    };
    let header = |value: &str| vec![("x-webhook-secret".to_owned(), value.to_owned())];
    let cases = [
        // (mode, webhook_secret, client_secret, headers, expected)
        (
            AuthMode::Header,
            Some("REPLACE_ME"),
            None,
            header("REPLACE_ME"),
            503,
        ),
        (AuthMode::Header, Some(""), None, header(""), 503),
        (AuthMode::Header, None, None, header("x"), 503),
        (
            AuthMode::Signature,
            None,
            Some("short"),
            signed("short"),
            503,
        ),
        (
            AuthMode::Signature,
            None,
            Some("REPLACE_ME"),
            signed("REPLACE_ME"),
            503,
        ),
        (
            AuthMode::Either,
            Some("REPLACE_ME"),
            None,
            header("REPLACE_ME"),
            503,
        ),
        (
            AuthMode::Either,
            Some("REPLACE_ME"),
            Some(STRONG),
            signed(STRONG),
            200,
        ),
        (
            AuthMode::Either,
            Some("REPLACE_ME"),
            Some(STRONG),
            header("REPLACE_ME"),
            401,
        ),
        (AuthMode::Both, Some(STRONG), Some(""), header(STRONG), 503),
    ];
    for (i, (mode, webhook_secret, client_secret, headers, expected)) in
        cases.into_iter().enumerate()
    {
        let field = |name: &str, v: Option<&str>| {
            v.map(|v| format!(r#","{name}":"{v}""#)).unwrap_or_default()
        };
        let secret = StoreSecret::from_json(&format!(
            r#"{{"store_hash":"abc123","access_token":"t"{}{}}}"#,
            field("webhook_secret", webhook_secret),
            field("client_secret", client_secret)
        ))
        .unwrap();
        let options = IntakeOptions {
            auth: mode,
            ..IntakeOptions::default()
        };
        let (intake, queue, _) = in_memory(secret, options);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = intake
            .handle_at(
                request("POST", "/webhooks/bigcommerce", &headers, ORDER),
                SIGNED_AT,
            )
            .await;
        assert_eq!(resp.status().as_u16(), expected, "case {i}");
        assert_eq!(
            queue.bodies().len(),
            usize::from(expected == 200),
            "case {i}"
        );
    }
}
