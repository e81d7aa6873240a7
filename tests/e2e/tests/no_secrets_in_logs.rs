//! Secret hygiene: the logs of a full run, captured at TRACE level as the functions write them
//! (JSON), contain no token or secret, in clear or base64.
//!
//! The run: webhook-intake accepts webhooks (header secret and Standard Webhooks signature) and
//! refuses forged ones, accepts and refuses `POST /inbound` batches, and answers 503 when the
//! store secret it reads is malformed; the upsert-worker applies the commands with a store secret
//! that was revoked (BigCommerce answers 401, the worker re-reads the secret once and goes on)
//! and dead-letters a poison message; order-export runs a full export. Every secret is a
//! distinctive value that cannot appear by accident.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use b2b_export::{ExportSettings, Exporter};
use b2b_shared::secrets::{
    SecretCache, SecretError, SecretFetcher, SecretSource, StaticCredentials, StoreSecret,
};
use b2b_shared::state::MemoryState;
use base64::Engine;
use bc_sandbox::{start, SandboxOptions};
use bigcommerce_b2b::{BcClient, ClientOptions};
use common::{fast_retry, sqs_event, sqs_record, MemoryQueue};
use futures_util::future::BoxFuture;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use secrecy::SecretString;
use serde_json::{json, Value};
use upsert_worker::Worker;
use webhook_intake::verify::{sign, signing_key};
use webhook_intake::{AuthMode, Intake, IntakeOptions};

const STORE: &str = "abc123";
const STORE_TOKEN: &str = "stk-Q7hW2mLx9RpZ4vKc";
const REVOKED_TOKEN: &str = "stk-revoked-Jd83nBq1Ls";
const WEBHOOK_SECRET: &str = "whk-Ff3Kd92LqaTy7Uo-Hs81Kd02Mx6Qp4Lz";
const CLIENT_SECRET: &str = "csk-Pp0Ws7Ee4RtNb6Mz-Ty3Ui8Op1As5Df";
const INBOUND_KEY: &str = "ibk-Zz5Yy6Xx7WwVv8Uu-Tt9Ss0Rr1Qq2Pp";
/// A near miss of the webhook secret a forger sends: refused, and not logged either.
const FORGED_SECRET: &str = "whk-Ff3Kd92LqaTy7Uo-Hs81Kd02Mx6Qp4L2";
const SECRETS: [&str; 6] = [
    STORE_TOKEN,
    REVOKED_TOKEN,
    WEBHOOK_SECRET,
    CLIENT_SECRET,
    INBOUND_KEY,
    FORGED_SECRET,
];

fn secret_json(token: &str) -> String {
    format!(
        r#"{{"store_hash":"{STORE}","access_token":"{token}","client_id":"app-1","client_secret":"{CLIENT_SECRET}","webhook_secret":"{WEBHOOK_SECRET}","inbound_api_key":"{INBOUND_KEY}"}}"#
    )
}

/// The log sink: every line the subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Secrets Manager as seen after a rotation the cache has not noticed: the first read returns
/// the revoked token, later reads the current one.
struct Rotated {
    reads: AtomicUsize,
}

impl SecretFetcher for Rotated {
    fn fetch(&self, _secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        let n = self.reads.fetch_add(1, Ordering::SeqCst);
        let token = if n == 0 { REVOKED_TOKEN } else { STORE_TOKEN };
        Box::pin(async move { Ok(SecretString::from(secret_json(token))) })
    }
}

/// A secret someone broke by hand: not JSON any more, with the token in it.
struct Broken;

impl SecretFetcher for Broken {
    fn fetch(&self, _secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        let raw = format!(r#"{{"store_hash":"{STORE}","access_token":{STORE_TOKEN}}}"#);
        Box::pin(async move { Ok(SecretString::from(raw)) })
    }
}

fn webhook(body: &str, headers: &[(&str, String)]) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/webhooks/bigcommerce");
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::Text(body.to_owned())).unwrap()
}

fn inbound(key: &str, body: &Value) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/inbound")
        .header("Authorization", format!("Bearer {key}"))
        .body(Body::Text(body.to_string()))
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Every form a secret could take in a log line.
fn forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let b = secret.as_bytes();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    vec![
        secret.to_owned(),
        STANDARD.encode(b),
        STANDARD_NO_PAD.encode(b),
        URL_SAFE.encode(b),
        URL_SAFE_NO_PAD.encode(b),
        hex,
        // `Debug` of a string escapes nothing here, but a JSON log could quote it.
        format!("{secret:?}"),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        for form in forms(secret) {
            assert!(
                !text.contains(&form),
                "{what} contains the secret `{secret}` (as `{form}`):\n{}",
                text.lines()
                    .filter(|l| l.contains(&form))
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_run_logs_no_token_or_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = start(SandboxOptions {
        store_hash: STORE.into(),
        token: STORE_TOKEN.into(),
        quota: 0,
        b2b_quota: 0,
        seed_companies: 3,
        seed_orders: 12,
        ..SandboxOptions::default().strict()
    })
    .await
    .expect("sandbox starts");

    // webhook-intake: accepted, duplicate, refused, and a store secret that is broken.
    let queue = Arc::new(MemoryQueue::default());
    let static_secret: Arc<dyn b2b_shared::stores::StoreSecrets> = Arc::new(StaticCredentials(
        Arc::new(StoreSecret::from_json(&secret_json(STORE_TOKEN)).unwrap()),
    ));
    let intake = Intake {
        credentials: static_secret.clone(),
        queue: queue.clone(),
        state: Arc::new(MemoryState::default()),
        options: IntakeOptions {
            auth: AuthMode::Either,
            ..IntakeOptions::default()
        },
        precheck: None,
        punchout: None,
    };
    let hook = |n: i64| {
        json!({"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":n},
            "hash":format!("hash-{n}"),"created_at":1764160000,"producer":format!("stores/{STORE}")})
        .to_string()
    };
    let by_header = [("X-Webhook-Secret", WEBHOOK_SECRET.to_owned())];
    let b1 = hook(1);
    assert_eq!(
        intake.handle(webhook(&b1, &by_header)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        intake.handle(webhook(&b1, &by_header)).await.status(),
        StatusCode::OK,
        "duplicate"
    );
    let b2 = hook(2);
    let ts = now();
    let sig = sign(&signing_key(CLIENT_SECRET), "msg_2", ts, b2.as_bytes());
    let signed = [
        ("webhook-id", "msg_2".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", format!("v1,{sig}")),
    ];
    assert_eq!(
        intake.handle(webhook(&b2, &signed)).await.status(),
        StatusCode::OK
    );
    let forged = [("X-Webhook-Secret", FORGED_SECRET.to_owned())];
    assert_eq!(
        intake.handle(webhook(&hook(3), &forged)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let bad_sig = [
        ("webhook-id", "msg_4".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        (
            "webhook-signature",
            format!("v1,{}", sign(FORGED_SECRET.as_bytes(), "msg_4", ts, b"{}")),
        ),
    ];
    assert_eq!(
        intake.handle(webhook(&hook(4), &bad_sig)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let commands = json!([
        {"type":"company.upsert","version":1,"store_hash":STORE,"external_id":"C-S1",
         "company":{"name":"Secret Safe Co","email":"ap@safe.example","phone":"555-0101","country":"US",
          "admin":{"first_name":"Ada","last_name":"Admin","email":"ada@safe.example"}}},
        {"type":"company.status","version":1,"store_hash":STORE,"external_id":"C-S1","status":"approved"},
        {"type":"user.upsert","version":1,"store_hash":STORE,"external_id":"U-S1","company_external_id":"C-S1",
         "user":{"first_name":"Bea","last_name":"Buyer","email":"bea@safe.example","role":"junior_buyer"}},
        {"type":"address.upsert","version":1,"store_hash":STORE,"external_id":"A-S1","company_external_id":"C-S1",
         "address":{"first_name":"Dock","last_name":"One","line1":"1 Quay","city":"Austin","zip_code":"78701","country_code":"US"}}
    ]);
    assert_eq!(
        intake
            .handle(inbound(INBOUND_KEY, &commands))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        intake
            .handle(inbound(FORGED_SECRET, &commands))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        intake
            .handle(inbound(
                INBOUND_KEY,
                &json!([{"type":"user.upsert","version":1}])
            ))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let broken = Intake {
        credentials: Arc::new(SecretCache::new(
            Broken,
            "b2b/abc123",
            Duration::from_secs(60),
        )),
        ..intake.clone()
    };
    assert_eq!(
        broken.handle(webhook(&hook(5), &by_header)).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    // upsert-worker: the cached secret was revoked (401), it is re-read once and the work goes
    // on; a poison message is dead-lettered.
    let rotated = Arc::new(SecretCache::new(
        Rotated {
            reads: AtomicUsize::new(0),
        },
        "b2b/abc123",
        Duration::from_secs(600),
    ));
    let url = url::Url::parse(&sandbox.base_url()).unwrap();
    let client = BcClient::new(
        &url,
        &url,
        rotated.clone(),
        ClientOptions {
            retry: fast_retry(),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let dlq = Arc::new(MemoryQueue::default());
    let worker = Worker {
        engine: upsert_worker::Engine::new(
            client.clone(),
            Arc::new(MemoryState::default()),
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: dlq.clone(),
        visibility: None,
        events: None,
        concurrency: 1,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    };
    let mut records: Vec<Value> = queue
        .sent
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, m)| sqs_record(&format!("m{i}"), &m.body, 1))
        .collect();
    assert_eq!(
        records.len(),
        6,
        "2 webhook events and 4 commands were enqueued"
    );
    records.push(sqs_record(
        "poison",
        r#"{"type":"company.upsert","version":1,"store_hash":"abc123"}"#,
        1,
    ));
    let mut pending = records;
    for _ in 0..5 {
        let resp = worker.handle(&sqs_event(&pending)).await;
        let failed = common::failed_ids(&resp);
        pending.retain(|r| failed.iter().any(|f| r["messageId"] == f.as_str()));
        if pending.is_empty() {
            break;
        }
    }
    assert!(pending.is_empty(), "still failing: {pending:#?}");
    assert_eq!(dlq.bodies().len(), 1, "the poison message is dead-lettered");
    let state = common::admin_get(&sandbox, "state").await;
    assert!(
        common::all(&state, "users")
            .iter()
            .any(|u| u["email"] == "bea@safe.example"),
        "the commands were applied"
    );

    // order-export: a full run.
    let outbound = Arc::new(MemoryQueue::default());
    let exporter = Exporter {
        client: client.clone(),
        state: Arc::new(MemoryState::default()),
        outbound: outbound.clone(),
        settings: ExportSettings {
            first_run_days: 3_650,
            page_size: 50,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    let report = exporter.run(None, None).await;
    assert!(report.complete, "{report:#?}");
    assert!(outbound.sent.lock().unwrap().len() >= 12, "orders exported");

    // The 401 really happened, and was answered by one re-read of the secret.
    let logs = capture.text();
    drop(_guard);
    assert!(
        logs.contains("credentials refused; asking for fresh credentials once"),
        "the revoked token was refused and the secret re-read"
    );
    assert!(
        logs.contains("store secret unavailable"),
        "the broken secret was reported"
    );
    assert!(logs.contains("dead_lettered"), "the poison was logged");
    assert!(logs.contains("webhook accepted"), "intake logged");
    assert!(
        logs.contains(r#""level":"DEBUG""#) && logs.contains(r#""level":"TRACE""#),
        "debug and trace lines are captured too"
    );
    assert!(logs.contains("BigCommerce call done") && logs.contains("export stream done"));
    let lines = logs.lines().count();
    assert!(
        lines > 50,
        "too few log lines captured ({lines}) to prove anything"
    );
    for line in logs.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
    }
    eprintln!(
        "no_secrets_in_logs: {lines} log lines, {} bytes",
        logs.len()
    );

    assert_no_secret("the logs", &logs);

    // Debug output of everything that holds a secret.
    let secret = StoreSecret::from_json(&secret_json(STORE_TOKEN)).unwrap();
    assert_no_secret("Debug of StoreSecret", &format!("{secret:?} {secret:#?}"));
    assert_no_secret(
        "Debug of StaticCredentials",
        &format!("{:?}", StaticCredentials(Arc::new(secret))),
    );
    assert_no_secret("Debug of SecretCache", &format!("{rotated:?} {rotated:#?}"));
    assert_no_secret("Debug of BcClient", &format!("{client:?} {client:#?}"));
    let current = SecretSource::current(&*rotated).await.unwrap();
    assert_no_secret("Debug of the cached secret", &format!("{current:?}"));
    let malformed = SecretSource::current(&SecretCache::new(
        Broken,
        "b2b/abc123",
        Duration::from_secs(1),
    ))
    .await
    .unwrap_err();
    assert_no_secret(
        "a malformed-secret error",
        &format!("{malformed} {malformed:?}"),
    );
}

/// The detector itself: a secret logged in base64 (here by a careless `tracing` call) is found.
#[test]
fn the_detector_finds_a_leaked_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let encoded = base64::engine::general_purpose::STANDARD.encode(CLIENT_SECRET);
        tracing::debug!(header = %format!("Basic {encoded}"), "careless");
    });
    let logs = capture.text();
    assert!(logs.contains("careless"), "{logs}");
    let found = std::panic::catch_unwind(|| assert_no_secret("canary", &logs));
    assert!(found.is_err(), "a base64-encoded secret went unnoticed");
    assert_no_secret("clean text", "nothing to see here");
}
