//! What the handler's tests share: a handler for one store with in-memory queue and state, the
//! requests they send it, and the webhook they send most.
// Test-only: compiled under #[cfg(test)] from lib.rs.

use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::MemoryState;
use lambda_http::{Body, Request};
use serde_json::Value;

use crate::intake::Intake;
use crate::settings::{AuthMode, IntakeOptions};

/// A handler for the one store of `secret` with `options`, and its in-memory queue and state;
/// no store checks, no punch-out.
pub(crate) fn in_memory(
    secret: StoreSecret,
    options: IntakeOptions,
) -> (Intake, Arc<MemoryQueue>, Arc<MemoryState>) {
    let queue = Arc::new(MemoryQueue::default());
    let state = Arc::new(MemoryState::default());
    let intake = Intake {
        credentials: Arc::new(StaticCredentials(Arc::new(secret))),
        queue: queue.clone(),
        state: state.clone(),
        options,
        precheck: None,
        punchout: None,
    };
    (intake, queue, state)
}

pub(crate) const SIGNED_AT: i64 = 1764160000;

pub(crate) struct Harness {
    pub(crate) intake: Intake,
    pub(crate) queue: Arc<MemoryQueue>,
    pub(crate) state: Arc<MemoryState>,
}

pub(crate) fn harness(auth: AuthMode) -> Harness {
    let secret = StoreSecret::from_json(
        r#"{"store_hash":"abc123","access_token":"t","client_secret":"local-client-secret-0123456789abcdef",
            "webhook_secret":"local-webhook-secret-0123456789abcdef","inbound_api_key":"local-inbound-key-0123456789abcdefgh",
            "procurement":{"supplier":[{"domain":"NetworkID","identity":"ACME-SUPPLY"}],
              "partners":[{"name":"northwind","sender":{"domain":"NetworkID","identity":"NORTHWIND-AN01"},
                "shared_secret":"s3cret-for-tests-0123456789abcdefgh","deployment_mode":"test"}]}}"#,
    )
    .unwrap();
    let options = IntakeOptions {
        auth,
        ..IntakeOptions::default()
    };
    let (intake, queue, state) = in_memory(secret, options);
    Harness {
        intake,
        queue,
        state,
    }
}

pub(crate) fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::Text(body.to_owned())).unwrap()
}

pub(crate) fn body_json(resp: &lambda_http::Response<Body>) -> Value {
    let bytes: &[u8] = resp.body().as_ref();
    serde_json::from_slice(bytes).unwrap()
}

pub(crate) const ORDER: &str = r#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"}"#;
pub(crate) const AUTH: (&str, &str) = ("x-webhook-secret", "local-webhook-secret-0123456789abcdef");

impl Harness {
    pub(crate) async fn send(&self, req: Request) -> lambda_http::Response<Body> {
        self.intake.handle_at(req, SIGNED_AT).await
    }
    pub(crate) fn sent(&self) -> Vec<Value> {
        self.queue
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|m| serde_json::from_str(&m.body).unwrap())
            .collect()
    }
}
