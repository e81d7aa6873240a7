//! The handler's own work per webhook (verify, parse, dedupe decision; AWS calls excluded).
//! Run with `cargo bench -p webhook-intake`.

use std::sync::Arc;

use b2b_shared::queue::{OutgoingMessage, Queue, QueueError};
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::MemoryState;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::future::BoxFuture;
use lambda_http::http::{HeaderMap, HeaderValue};
use webhook_intake::verify::sign;
use webhook_intake::webhooks::{self, WebhookDecision};
use webhook_intake::{AuthMode, Intake, IntakeOptions};

struct Nowhere;
impl Queue for Nowhere {
    fn send_all<'a>(&'a self, _: &'a [OutgoingMessage]) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async { Ok(()) })
    }
}
const ORDER: &str = r#"{"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},"hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"}"#;

fn bench(c: &mut Criterion) {
    let secret = Arc::new(
        StoreSecret::from_json(
            r#"{"store_hash":"abc123","access_token":"t","client_secret":"client-secret-of-the-benchmark-0123","webhook_secret":"webhook-secret-of-the-benchmark-0123"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    for (name, auth) in [
        ("header", AuthMode::Header),
        ("signature", AuthMode::Signature),
        ("both", AuthMode::Both),
    ] {
        let intake = Intake {
            credentials: Arc::new(StaticCredentials(secret.clone())),
            queue: Arc::new(Nowhere),
            state: Arc::new(MemoryState::default()),
            options: IntakeOptions {
                auth,
                ..IntakeOptions::default()
            },
            precheck: None,
            punchout: None,
        };
        let now = 1_764_160_000;
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-webhook-secret",
            HeaderValue::from_static("webhook-secret-of-the-benchmark-0123"),
        );
        headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
        headers.insert("webhook-timestamp", HeaderValue::from_static("1764160000"));
        let sig = format!(
            "v1,{}",
            sign(
                b"client-secret-of-the-benchmark-0123",
                "msg_1",
                now,
                ORDER.as_bytes()
            )
        );
        headers.insert(
            "webhook-signature",
            HeaderValue::from_str(&sig).unwrap_or_else(|e| panic!("{e}")),
        );
        c.bench_function(&format!("webhook decision ({name})"), |b| {
            b.iter(
                || match webhooks::decide(&intake, &headers, ORDER.as_bytes(), &secret, now) {
                    WebhookDecision::Accept { .. } => {}
                    WebhookDecision::Refuse(r) => panic!("refused: {:?}", r.status()),
                },
            )
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
