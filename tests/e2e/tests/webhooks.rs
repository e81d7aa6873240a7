//! Webhooks end to end through the real `webhook-intake` binary (four instances under the tests'
//! Lambda Runtime API, as API Gateway HTTP API v2 events) on moto (the store secret, a real SQS
//! inbound queue and a DynamoDB state table): 1,000 deliveries of real-looking BigCommerce and
//! B2B Edition payloads, 20% of them exact redeliveries and 5% with a bad secret or signature,
//! while the inbound queue is unavailable for a slice of them (two instances of the same
//! deployment whose queue is gone answer 503, then BigCommerce redelivers).
//!
//! Every valid delivery ends up on the queue exactly once (counted by hash, with its own data),
//! every bad one is answered 401 and enqueues nothing, and every delivery that met the outage
//! was answered 503 first and accepted when redelivered.
//!
//! Needs moto: run with `scripts/with-moto.sh cargo test -p b2b-e2e` (or `make test`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use b2b_test_support::lambda::{function_binary, FunctionProcess, Invoked};
use common::{moto_config, unique};
use futures_util::StreamExt;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use webhook_intake::verify::{sign, signing_key};

const STORE: &str = "abc123";
const WEBHOOK_SECRET: &str = "hook-s3cret-e2e-0123456789abcdef0123";
const CLIENT_SECRET: &str = "app-client-secret-e2e-0123456789abcdef";
const DELIVERIES: usize = 1_000;
const DUPLICATES: usize = 200;
const BAD: usize = 50;
const WAVE: usize = 50;
const IN_FLIGHT: usize = 16;
/// Deliveries that meet an unavailable inbound queue.
const OUTAGE: std::ops::Range<usize> = 400..450;

/// How a delivery proves (or fails to prove) where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// The webhook secret in `X-Webhook-Secret`.
    Header,
    /// A Standard Webhooks signature by the app's client secret.
    Signature,
    /// A wrong secret in the header.
    WrongHeader,
    /// A prefix of the right secret in the header.
    TruncatedHeader,
    /// Signed with another key.
    WrongKey,
    /// Signed over another body.
    Tampered,
    /// Signed correctly, an hour ago.
    Stale,
    /// Nothing at all.
    None,
}

impl Auth {
    fn is_valid(self) -> bool {
        matches!(self, Auth::Header | Auth::Signature)
    }
}

#[derive(Debug, Clone)]
struct Delivery {
    n: usize,
    body: String,
    auth: Auth,
    /// The hash the event is known by on the queue (BigCommerce's, or the body's SHA-256).
    hash: String,
    /// For a redelivery: the delivery it repeats.
    original: Option<usize>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn payload(n: usize, rng: &mut fastrand::Rng) -> (String, String) {
    let hash = format!("{:040x}", (u128::from(rng.u64(..)) << 32) | n as u128);
    let id = 100 + n as i64;
    let (scope, data) = match n % 9 {
        0 => ("store/order/created", json!({"type":"order","id":id})),
        1 => (
            "store/order/statusUpdated",
            json!({"type":"order","id":id,"status":{"previous_status_id":1,"new_status_id":11}}),
        ),
        2 => ("store/company/created", json!({"company_id":id})),
        3 => (
            "store/company/user/created",
            json!({"company_id":id,"user_id":id * 10}),
        ),
        4 => (
            "store/company/address/updated",
            json!({"company_id":id.to_string(),"address_id":(id * 3).to_string()}),
        ),
        5 => (
            "store/quote/created",
            json!({"quote_id":id,"quote_uuid":format!("uuid-{id}")}),
        ),
        6 => ("store/customer/updated", json!({"type":"customer","id":id})),
        7 => (
            "store/priceList/records/updated",
            json!([{"price_list_id":1,"variant_id":id,"currency":"usd"}]),
        ),
        _ => (
            "store/cart/created",
            json!({"type":"cart","id":format!("cart-{id}")}),
        ),
    };
    let created_at = 1_764_160_000 + n as i64;
    if n % 50 == 7 {
        // No `hash`: the event is known by the SHA-256 of its body.
        let body = json!({"scope":scope,"store_id":"1025646","data":data,"created_at":created_at,"producer":format!("stores/{STORE}")}).to_string();
        let hash = Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        return (body, hash);
    }
    let store_id = if n.is_multiple_of(2) {
        json!("1025646")
    } else {
        json!(1025646)
    };
    let body = json!({"scope":scope,"store_id":store_id,"data":data,"hash":hash,"created_at":created_at,"producer":format!("stores/{STORE}")}).to_string();
    (body, hash)
}

/// The 1,000 deliveries: 750 distinct valid ones, 200 exact redeliveries of earlier ones, 50 bad.
fn deliveries() -> Vec<Delivery> {
    let mut rng = fastrand::Rng::with_seed(0x0eb_400c);
    let mut kinds: Vec<u8> = std::iter::repeat_n(0u8, DELIVERIES - DUPLICATES - BAD)
        .chain(std::iter::repeat_n(1, DUPLICATES))
        .chain(std::iter::repeat_n(2, BAD))
        .collect();
    rng.shuffle(&mut kinds);
    // The first wave has nothing earlier to repeat.
    for i in 0..WAVE {
        if kinds[i] == 1 {
            let j = (WAVE..DELIVERIES).find(|j| kinds[*j] == 0).unwrap();
            kinds.swap(i, j);
        }
    }
    let bad_kinds = [
        Auth::WrongHeader,
        Auth::TruncatedHeader,
        Auth::WrongKey,
        Auth::Tampered,
        Auth::Stale,
        Auth::None,
    ];
    let mut out: Vec<Delivery> = Vec::with_capacity(DELIVERIES);
    for (n, kind) in kinds.into_iter().enumerate() {
        let d = match kind {
            0 => {
                let (body, hash) = payload(n, &mut rng);
                let auth = if n.is_multiple_of(2) {
                    Auth::Header
                } else {
                    Auth::Signature
                };
                Delivery {
                    n,
                    body,
                    auth,
                    hash,
                    original: None,
                }
            }
            1 => {
                // An exact redelivery of a valid delivery from an earlier wave (BigCommerce
                // resends the same body; a signed one is signed again at send time).
                let wave_start = n - n % WAVE;
                let earlier: Vec<usize> = out[..wave_start]
                    .iter()
                    .filter(|d| d.original.is_none() && d.auth.is_valid())
                    .map(|d| d.n)
                    .collect();
                let o = &out[earlier[rng.usize(..earlier.len())]];
                Delivery {
                    n,
                    body: o.body.clone(),
                    auth: o.auth,
                    hash: o.hash.clone(),
                    original: Some(o.n),
                }
            }
            _ => {
                let auth = bad_kinds[n % bad_kinds.len()];
                // Half of the forgeries claim the hash of a real event, with other data: they
                // must not take its place.
                let victim = out
                    .iter()
                    .filter(|d| d.original.is_none() && d.auth.is_valid())
                    .nth(n % 7);
                let (mut body, mut hash) = payload(n, &mut rng);
                if let (Some(v), true) = (victim, n.is_multiple_of(2)) {
                    let mut forged: Value = serde_json::from_str(&v.body).unwrap();
                    forged["data"] = json!({"type":"order","id":666_666});
                    body = forged.to_string();
                    hash = v.hash.clone();
                }
                Delivery {
                    n,
                    body,
                    auth,
                    hash,
                    original: None,
                }
            }
        };
        out.push(d);
    }
    out
}

/// Instances of one deployment of the real webhook-intake binary; requests go round-robin, and
/// each instance takes one at a time, as Lambda's do.
struct Deployment {
    instances: Vec<FunctionProcess>,
    next: AtomicUsize,
}

impl Deployment {
    async fn start(binary: &std::path::Path, env: &[(&str, String)], instances: usize) -> Self {
        let mut all = Vec::new();
        for _ in 0..instances {
            all.push(
                FunctionProcess::start(binary, "webhook-intake", env, Duration::from_secs(30))
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        Self {
            instances: all,
            next: AtomicUsize::new(0),
        }
    }

    /// Sends `req` as an API Gateway HTTP API (v2) event; returns the status and JSON body.
    async fn handle(&self, req: Request) -> (StatusCode, Value) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.instances.len();
        let process = &self.instances[n];
        match process
            .invoke(&http_event(&req), Duration::from_secs(60))
            .await
        {
            Ok(Invoked::Response(r)) => status_and_body(&r),
            Ok(Invoked::Error(e)) => panic!("webhook-intake failed: {e}"),
            Err(e) => panic!("webhook-intake: {e} (log: {})", process.log.display()),
        }
    }
}

/// `req` as an API Gateway HTTP API (v2) event.
fn http_event(req: &Request) -> Value {
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or_default())))
        .collect();
    let body = match req.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        Body::Empty => String::new(),
        _ => String::new(),
    };
    let path = req.uri().path().to_owned();
    let method = req.method().as_str().to_owned();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000", "apiId": "e2e",
            "domainName": "e2e.execute-api.us-east-1.amazonaws.com", "domainPrefix": "e2e",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1", "userAgent": "bigcommerce-webhooks/1.0"},
            "requestId": "e2e", "routeKey": "$default", "stage": "$default",
            "time": "26/Nov/2026:00:00:00 +0000", "timeEpoch": now() * 1000
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// The status and JSON body of an HTTP API answer.
fn status_and_body(r: &Value) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(r["statusCode"].as_u64().unwrap_or(0) as u16)
        .unwrap_or_else(|_| panic!("no status: {r}"));
    let body = serde_json::from_str(r["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (status, body)
}

/// The HTTP request of a delivery, signed (when it is) at `now`.
fn request(d: &Delivery, now: i64) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/webhooks/bigcommerce")
        .header("content-type", "application/json");
    let msg_id = format!("msg_{:06}", d.original.unwrap_or(d.n));
    let key = signing_key(CLIENT_SECRET);
    let signed = |b: lambda_http::http::request::Builder, key: &[u8], ts: i64, body: &str| {
        b.header("webhook-id", &msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                format!("v1,{}", sign(key, &msg_id, ts, body.as_bytes())),
            )
    };
    b = match d.auth {
        Auth::Header => b.header("X-Webhook-Secret", WEBHOOK_SECRET),
        Auth::Signature => signed(b, &key, now, &d.body),
        Auth::WrongHeader => b.header("X-Webhook-Secret", "not-the-secret"),
        Auth::TruncatedHeader => b.header(
            "X-Webhook-Secret",
            &WEBHOOK_SECRET[..WEBHOOK_SECRET.len() - 1],
        ),
        Auth::WrongKey => signed(b, b"some-other-app-secret", now, &d.body),
        Auth::Tampered => signed(b, &key, now, &d.body.replace("stores/", "stores/x")),
        Auth::Stale => signed(b, &key, now - 3_600, &d.body),
        Auth::None => b,
    };
    b.body(Body::Text(d.body.clone())).unwrap()
}

async fn state_table(dynamo: &aws_sdk_dynamodb::Client) -> String {
    let name = unique("e2e-state");
    dynamo
        .create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("state table created in moto");
    name
}

/// Receives and deletes everything on the queue.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut empty = 0;
    while empty < 1 {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(600)
            .send()
            .await
            .expect("receive from moto");
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            empty += 1;
            continue;
        }
        empty = 0;
        let mut entries = Vec::new();
        for (i, m) in msgs.into_iter().enumerate() {
            out.push(serde_json::from_str(m.body.as_deref().unwrap()).expect("queued JSON"));
            entries.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.unwrap())
                    .build()
                    .unwrap(),
            );
        }
        sqs.delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("delete from moto");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_deliveries_with_duplicates_forgeries_and_a_queue_outage() {
    let started = Instant::now();
    let sdk = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = state_table(&dynamo).await;
    let queue = sqs
        .create_queue()
        .queue_name(unique("e2e-inbound"))
        .send()
        .await
        .expect("queue created in moto")
        .queue_url
        .unwrap();
    let secret_id = unique("e2e/webhooks");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&secret_id)
        .secret_string(format!(
            r#"{{"store_hash":"{STORE}","access_token":"t","webhook_secret":"{WEBHOOK_SECRET}","client_secret":"{CLIENT_SECRET}"}}"#
        ))
        .send()
        .await
        .expect("secret created in moto");
    let binary = function_binary("webhook-intake", false).unwrap_or_else(|e| panic!("{e}"));
    let env = |queue_url: &str| {
        vec![
            ("BC_SECRET_ID", secret_id.clone()),
            ("INBOUND_QUEUE_URL", queue_url.to_owned()),
            ("STATE_TABLE", table.clone()),
            ("WEBHOOK_AUTH", "either".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ]
    };
    let healthy = Deployment::start(&binary, &env(&queue), 4).await;
    // The same deployment while its queue is gone (deleted, renamed, or SQS unreachable).
    let broken = Deployment::start(&binary, &env(&format!("{queue}-gone")), 2).await;

    let all = deliveries();
    assert_eq!(all.len(), DELIVERIES);
    assert_eq!(
        all.iter().filter(|d| d.original.is_some()).count(),
        DUPLICATES
    );
    assert_eq!(all.iter().filter(|d| !d.auth.is_valid()).count(), BAD);

    // Deliveries arrive in waves of 50, each wave handled concurrently (redeliveries always
    // repeat a delivery of an earlier wave, as BigCommerce's retries come later).
    let mut first: BTreeMap<usize, (StatusCode, Value)> = BTreeMap::new();
    let mut queued: Vec<Value> = Vec::new();
    for wave in all.chunks(WAVE) {
        let answers: Vec<(usize, StatusCode, Value)> = futures_util::stream::iter(wave)
            .map(|d| {
                let handler = if OUTAGE.contains(&d.n) {
                    &broken
                } else {
                    &healthy
                };
                async move {
                    let (status, body) = handler.handle(request(d, now())).await;
                    (d.n, status, body)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        for (n, status, body) in answers {
            first.insert(n, (status, body));
        }
        // The worker consumes as webhooks arrive (and moto's receive slows down with the
        // queue's length).
        queued.extend(drain(&sqs, &queue).await);
    }

    // Check every first answer, and collect what BigCommerce must deliver again.
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    let mut retry = Vec::new();
    for d in &all {
        let (status, body) = &first[&d.n];
        let outage_original = d.original.is_some_and(|o| OUTAGE.contains(&o));
        if !d.auth.is_valid() {
            assert_eq!(
                *status,
                StatusCode::UNAUTHORIZED,
                "bad delivery {} ({:?})",
                d.n,
                d.auth
            );
            assert_eq!(*body, json!({"error": "unauthorized"}), "a bare 401 body");
        } else if OUTAGE.contains(&d.n) && d.original.is_none() {
            assert_eq!(
                *status,
                StatusCode::SERVICE_UNAVAILABLE,
                "delivery {} met the queue outage",
                d.n
            );
            retry.push(d);
        } else {
            assert_eq!(*status, StatusCode::OK, "delivery {}: {body}", d.n);
            let answer = body["status"].as_str().unwrap_or_default();
            match (d.original.is_some(), outage_original) {
                (false, _) => assert_eq!(answer, "accepted", "delivery {}", d.n),
                (true, false) => assert_eq!(answer, "duplicate", "delivery {}", d.n),
                // A repeat of a delivery that met the outage may come before BigCommerce's
                // retry of the original: then it is the one accepted.
                (true, true) => assert!(
                    answer == "accepted" || answer == "duplicate",
                    "delivery {}: {body}",
                    d.n
                ),
            }
            if answer == "accepted" {
                *accepted.entry(d.hash.clone()).or_default() += 1;
            }
        }
    }
    assert_eq!(
        retry.len(),
        all[OUTAGE]
            .iter()
            .filter(|d| d.auth.is_valid() && d.original.is_none())
            .count()
    );
    assert!(retry.len() >= 30, "the outage slice must matter");

    // BigCommerce retries after the 503: the queue is back, each is taken (or known) once.
    for d in &retry {
        let (status, body) = healthy.handle(request(d, now())).await;
        assert_eq!(status, StatusCode::OK, "redelivery of {}", d.n);
        match body["status"].as_str() {
            Some("accepted") => *accepted.entry(d.hash.clone()).or_default() += 1,
            Some("duplicate") => assert!(
                accepted.contains_key(&d.hash),
                "redelivery of {} called a duplicate of nothing accepted",
                d.n
            ),
            _ => panic!("redelivery of {}: {body}", d.n),
        }
    }
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "accepted more than once: {twice:?}");

    // The queue holds every valid event exactly once, with the data of the real delivery.
    queued.extend(drain(&sqs, &queue).await);
    let mut by_hash: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for m in &queued {
        by_hash
            .entry(m["hash"].as_str().expect("hash").to_owned())
            .or_default()
            .push(m);
    }
    let valid: Vec<&Delivery> = all
        .iter()
        .filter(|d| d.auth.is_valid() && d.original.is_none())
        .collect();
    let expected_hashes: BTreeSet<String> = valid.iter().map(|d| d.hash.clone()).collect();
    assert_eq!(expected_hashes.len(), valid.len(), "distinct hashes");
    let duplicated: Vec<_> = by_hash
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(h, v)| (h, v.len()))
        .collect();
    assert!(
        duplicated.is_empty(),
        "enqueued more than once: {duplicated:?}"
    );
    let queued_hashes: BTreeSet<String> = by_hash.keys().cloned().collect();
    let lost: Vec<_> = expected_hashes.difference(&queued_hashes).collect();
    let extra: Vec<_> = queued_hashes.difference(&expected_hashes).collect();
    assert!(lost.is_empty(), "valid deliveries lost: {lost:?}");
    assert!(extra.is_empty(), "bad deliveries enqueued: {extra:?}");
    for d in valid {
        let m = by_hash[&d.hash][0];
        let sent: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(m["type"], "webhook.event");
        assert_eq!(m["version"], 1);
        assert_eq!(m["store_hash"], STORE);
        assert_eq!(m["scope"], sent["scope"], "delivery {}", d.n);
        assert_eq!(
            m["data"], sent["data"],
            "delivery {}: data as delivered",
            d.n
        );
    }
    eprintln!(
        "webhooks: {} deliveries + {} redeliveries after the outage in {} ms; {} events queued",
        DELIVERIES,
        retry.len(),
        started.elapsed().as_millis(),
        queued.len()
    );
}

/// A socket that accepts connections and never answers (SQS unreachable behind something that
/// holds the connection open). Returns its URL and the count of connections it accepted.
async fn black_hole() -> (String, std::sync::Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("black hole bound");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

/// One invocation of `process` with `req`, answered.
async fn invoke_http(process: &FunctionProcess, req: &Request) -> (StatusCode, Value) {
    match process
        .invoke(&http_event(req), Duration::from_secs(30))
        .await
    {
        Ok(Invoked::Response(r)) => status_and_body(&r),
        other => panic!("webhook-intake: {other:?} (log: {})", process.log.display()),
    }
}

/// The fault of issue 16: webhook-intake killed (as Lambda does at its timeout) while its
/// enqueue hangs, after it had recorded the webhook's dedupe key. The redelivery must not be
/// taken for a duplicate: while the dead invocation's record could still be live it is answered
/// 503 (BigCommerce retries), and once the record has expired it is enqueued, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_whose_intake_was_killed_mid_enqueue_is_enqueued_once_on_redelivery() {
    const TIMEOUT: Duration = Duration::from_secs(4);
    let sdk = moto_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = state_table(&aws_sdk_dynamodb::Client::new(&sdk)).await;
    let queue = sqs
        .create_queue()
        .queue_name(unique("e2e-killed-intake"))
        .send()
        .await
        .expect("queue created in moto")
        .queue_url
        .unwrap();
    let secret_id = unique("e2e/killed-intake");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&secret_id)
        .secret_string(format!(
            r#"{{"store_hash":"{STORE}","access_token":"t","webhook_secret":"{WEBHOOK_SECRET}"}}"#
        ))
        .send()
        .await
        .expect("secret created in moto");
    let binary = function_binary("webhook-intake", false).unwrap_or_else(|e| panic!("{e}"));
    let env = vec![
        ("BC_SECRET_ID", secret_id),
        ("INBOUND_QUEUE_URL", queue.clone()),
        ("STATE_TABLE", table),
        ("WEBHOOK_AUTH", "header".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let (hole, accepted) = black_hole().await;
    let mut hung_env = env.clone();
    hung_env.push(("AWS_ENDPOINT_URL_SQS", hole));
    let dying = FunctionProcess::start(&binary, "webhook-intake", &hung_env, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (body, hash) = payload(7, &mut fastrand::Rng::with_seed(16));
    let delivery = Delivery {
        n: 7,
        body,
        auth: Auth::Header,
        hash: hash.clone(),
        original: None,
    };

    let first = http_event(&request(&delivery, now()));
    let invoked = Instant::now();
    tokio::select! {
        got = dying.invoke(&first, Duration::from_secs(30)) => {
            panic!("answered although SQS never does: {got:?} (log: {})", dying.log.display())
        }
        _ = async {
            while accepted.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        } => dying.kill(),
    }
    assert!(dying.exited().is_some(), "the first invocation was killed");

    let healthy = FunctionProcess::start(&binary, "webhook-intake", &env, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = invoke_http(&healthy, &request(&delivery, now())).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a redelivery while the dead invocation's record may be live: {body}"
    );
    assert!(drain(&sqs, &queue).await.is_empty(), "nothing enqueued yet");

    // The dead invocation's record lives until its deadline plus a margin, no longer.
    tokio::time::sleep_until((invoked + TIMEOUT + Duration::from_secs(4)).into()).await;
    let (status, body) = invoke_http(&healthy, &request(&delivery, now())).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{body}"
    );
    let (status, body) = invoke_http(&healthy, &request(&delivery, now())).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{body}"
    );
    let queued = drain(&sqs, &queue).await;
    assert_eq!(queued.len(), 1, "enqueued exactly once: {queued:?}");
    assert_eq!(queued[0]["hash"], hash.as_str());
}
