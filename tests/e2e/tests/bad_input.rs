//! Bad input: property tests over every parser that reads what others send us, which must never
//! panic and must always explain a refusal.
//!
//! - the inbound message and command parsers (`InboundMessage::parse`, `Command::from_value`),
//! - the webhook payload (`WebhookPayload`),
//! - the B2B Edition models (`Company`, `User`, `Address`, `Quote`, `B2bOrder`),
//! - BigCommerce error bodies (`ApiError::parse`),
//! - webhook-intake's whole handler (`Intake::handle_at`): any method, path, headers and body get
//!   one of the documented answers (200, 202, 400, 401, 404, 405, 413; 503 only for outages),
//!   never a 500 and never a panic.
//!
//! Inputs are arbitrary bytes, arbitrary JSON, and real payloads mutated (a field deleted, its
//! type flipped, garbage inserted).

mod common;

use std::sync::{Arc, OnceLock};

use b2b_commands::{Command, InboundMessage, WebhookPayload, COMMAND_TYPES};
use b2b_shared::state::MemoryState;
use bigcommerce_b2b::b2b::{Address, B2bOrder, Company, Quote, User};
use bigcommerce_b2b::{Api, ApiError};
use common::{credentials, MemoryQueue};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{json, Map, Value};
use webhook_intake::verify::{sign, signing_key};
use webhook_intake::{AuthMode, Intake, IntakeOptions};

const WEBHOOK_SECRET: &str = "hook-secret-bad-input-0123456789abcdef";
const CLIENT_SECRET: &str = "client-secret-bad-input-0123456789abcdef";
const INBOUND_KEY: &str = "inbound-key-bad-input-0123456789abcdef";
const NOW: i64 = 1_764_160_000;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Real payloads to mutate.

fn real_commands() -> Vec<Value> {
    vec![
        json!({"type":"company.upsert","version":1,"store_hash":"abc123","external_id":"C-1001",
            "company":{"name":"Acme Supply","email":"ap@acme.example","phone":"555-0100","country":"US",
            "address":{"line1":"1 Main St","city":"Austin","state":"Texas","zip_code":"78701"},
            "admin":{"first_name":"Ada","last_name":"Lovelace","email":"ada@acme.example"},
            "extra_fields":{"erp_id":"C-1001"},"price_lists":[{"channel_id":1,"price_list_id":3}],"status":"approved"}}),
        json!({"type":"company.status","version":1,"store_hash":"abc123","external_id":"C-1001","status":"inactive"}),
        json!({"type":"user.upsert","version":1,"store_hash":"abc123","external_id":"U-77","company_external_id":"C-1001",
            "user":{"first_name":"Grace","last_name":"Hopper","email":"grace@acme.example","role":"senior_buyer"}}),
        json!({"type":"address.upsert","version":1,"store_hash":"abc123","external_id":"A-5","company_external_id":"C-1001",
            "address":{"first_name":"Receiving","last_name":"Dock","line1":"9 Pier Rd","city":"Austin","zip_code":"78702",
            "country_code":"US","is_shipping":true,"is_default_shipping":true}}),
        json!({"type":"pricelist.records.upsert","version":1,"store_hash":"abc123","external_id":"PL-3-2026-11",
            "price_list_id":3,"records":[{"sku":"BOLT-M8","currency":"usd","price":0.42},{"variant_id":101,"currency":"usd","price":1.1}]}),
        json!({"type":"pricelist.assign","version":1,"store_hash":"abc123","external_id":"PL-3-group-4","price_list_id":3,"customer_group_id":4}),
        json!({"type":"quote.upsert","version":1,"store_hash":"abc123","external_id":"Q-2026-001","company_external_id":"C-1001",
            "quote":{"buyer_email":"grace@acme.example","currency":"USD","expires_on":"2026-12-31",
            "lines":[{"sku":"SKU-001-1","product_id":1,"quantity":100,"base_price":11.0,"offered_price":9.9}]}}),
        json!({"type":"webhook.event","version":1,"scope":"store/order/created","store_hash":"abc123","producer":"stores/abc123",
            "store_id":"1025646","resource":{"type":"order","id":250},"data":{"type":"order","id":250},"hash":"h-250",
            "created_at":1561479335,"received_at":1561479336}),
    ]
}

fn real_webhooks() -> Vec<Value> {
    vec![
        json!({"scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},
            "hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"}),
        json!({"scope":"store/company/user/created","store_id":1025646,"data":{"company_id":1,"user_id":2},
            "hash":"h2","created_at":1,"producer":"stores/abc123"}),
        json!({"scope":"store/priceList/records/updated","data":[{"price_list_id":1}],"producer":"stores/abc123"}),
        json!({"scope":"store/quote/statusUpdated","store_id":"1","data":{"quote_id":"12","quote_uuid":"u"},"hash":"q","created_at":"1700000000"}),
    ]
}

fn real_company() -> Value {
    json!({"companyId":"12","companyName":"Acme Supply","companyEmail":"ap@acme.example","companyPhone":"555-0100",
        "companyStatus":"1","bcGroupId":7,"catalogId":"","uuid":"c0-12","createdAt":"1767225600","updatedAt":1767225601,
        "addressLine1":"1 Main St","addressLine2":"","city":"Austin","state":"Texas","zipCode":"78701","country":"US",
        "extraFields":[{"fieldName":"external_id","fieldValue":"C-1001"},{"fieldName":"tier","fieldValue":3}],
        "priceListAssign":[{"channelId":1,"priceListId":"3","priceListName":"Wholesale"}],"parentCompany":{"id":0,"name":""}})
}

fn real_user() -> Value {
    json!({"id":"45","customerId":1001,"companyId":"12","email":"grace@acme.example","firstName":"Grace","lastName":"Hopper",
        "phoneNumber":"","role":"1","companyRoleId":2,"uuid":"a5-45","createdAt":1767225600,"updatedAt":"1767225601",
        "extraFields":null,"channelList":[{"channelId":1,"channelName":"Default"}]})
}

fn real_address() -> Value {
    json!({"addressId":"9","companyId":12,"externalId":"A-5","firstName":"Receiving","lastName":"Dock","addressLine1":"9 Pier Rd",
        "city":"Austin","countryCode":"US","isShipping":true,"isDefaultShipping":"1"})
}

fn real_quote() -> Value {
    json!({"quoteId":"31","status":"2","quoteNumber":"Q00031","bcOrderId":"","createdAt":1767225600,"updatedAt":"1767225700",
        "referenceNumber":"Q-2026-001","company":"Acme Supply","grandTotal":"990.00","expiredAt":1798761600})
}

fn real_b2b_order() -> Value {
    json!({"bcOrderId":"101","companyId":"12","poNumber":"PO-7","createdAt":"1767225600","updatedAt":1767225601,
        "totalIncTax":"123.45","isInvoiceOrder":1,"status":"Pending"})
}

// ---------------------------------------------------------------------------------------------
// Strategies.

/// Keys that reach deep into our parsers, plus arbitrary ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "type", "version", "store_hash", "external_id", "idempotency_key", "company", "user",
            "address", "status", "records", "price_list_id", "customer_group_id",
            "company_external_id", "quote", "lines", "scope", "data", "hash", "name", "email",
            "admin", "currency", "price", "sku", "variant_id", "role", "channel_ids",
            "country_code", "expires_on", "resource", "received_at", "companyId", "id",
            "extraFields", "meta", "code", "message", "errMsg", "errors", "batch_errors",
            "field_errors", "title", "details", "_detail",
        ]).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{0,10}",
        1 => ".{0,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        (-3i64..5).prop_map(Value::from),
    ]
}

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "company.upsert",
            "user.upsert",
            "webhook.event",
            "abc123",
            "approved",
            "usd",
            "a@b.example",
            "2026-12-31",
            "12",
            "-1",
            "1e400",
            "null",
            "\u{0}",
            "\u{202e}",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,24}".prop_map(Value::String),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text(),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a JSON document.
#[derive(Debug, Clone)]
enum Mutation {
    /// Deletes the field (or array item) at the path.
    Delete(usize),
    /// Replaces the value at the path by another type's value.
    Flip(usize),
    /// Replaces the value at the path by arbitrary JSON.
    Replace(usize, Value),
    /// Inserts a garbage field into the object at the path.
    Insert(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Flip),
        (any::<usize>(), arb_json()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        (any::<usize>(), key(), arb_json()).prop_map(|(p, k, v)| Mutation::Insert(p, k, v)),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path in `v`, the root included.
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                here.push(Step::Key(k.clone()));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                here.push(Step::Index(i));
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

fn flip(v: &Value) -> Value {
    match v {
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(s.len())),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Null => json!({}),
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        Value::Object(_) => json!([v.clone()]),
    }
}

fn mutate(mut doc: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut all = Vec::new();
        paths(&doc, &mut Vec::new(), &mut all);
        let pick = |n: usize| all[n % all.len()].clone();
        match m {
            Mutation::Delete(n) => {
                let path = pick(*n);
                if let Some((last, parent)) = path.split_last() {
                    match (at(&mut doc, parent), last) {
                        (Value::Object(o), Step::Key(k)) => {
                            o.remove(k);
                        }
                        (Value::Array(a), Step::Index(i)) if *i < a.len() => {
                            a.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Flip(n) => {
                let target = at(&mut doc, &pick(*n));
                *target = flip(target);
            }
            Mutation::Replace(n, v) => *at(&mut doc, &pick(*n)) = v.clone(),
            Mutation::Insert(n, k, v) => {
                if let Value::Object(o) = at(&mut doc, &pick(*n)) {
                    o.insert(k.clone(), v.clone());
                }
            }
        }
    }
    doc
}

fn mutated(base: Vec<Value>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(base),
        prop::collection::vec(mutation(), 1..4),
    )
        .prop_map(|(doc, ms)| mutate(doc, &ms))
}

/// Bytes: arbitrary, or JSON text cut or spliced.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        (mutated(real_commands()), any::<usize>()).prop_map(|(v, cut)| {
            let s = v.to_string().into_bytes();
            let cut = cut % (s.len() + 1);
            s[..cut].to_vec()
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the properties.

fn assert_clear(what: &str, err: &str) {
    assert!(!err.trim().is_empty(), "{what}: an empty error message");
    assert!(
        !err.contains("panicked"),
        "{what}: the error talks about a panic: {err}"
    );
}

fn assert_message_error(e: &b2b_commands::MessageError) {
    assert!(
        !e.problems.is_empty(),
        "a refusal names at least one problem"
    );
    for p in &e.problems {
        assert_clear("problem", p);
    }
    assert_clear("message error", &e.to_string());
}

// ---------------------------------------------------------------------------------------------
// Parsers.

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn inbound_messages_from_any_bytes_parse_or_explain(body in bytes()) {
        match InboundMessage::parse(&body) {
            Ok(InboundMessage::Command(c)) => prop_assert!(COMMAND_TYPES.contains(&c.kind())),
            Ok(InboundMessage::Webhook(e)) => prop_assert_eq!(e.kind.as_str(), "webhook.event"),
            Err(e) => assert_message_error(&e),
        }
    }

    #[test]
    fn commands_from_any_json_parse_or_explain(value in arb_json(), kind in prop::sample::select(COMMAND_TYPES.to_vec())) {
        // As generated, and with a known type forced in (to get past the type check).
        let mut typed = value.clone();
        if let Value::Object(o) = &mut typed {
            o.insert("type".into(), json!(kind));
            o.insert("version".into(), json!(1));
        }
        for v in [value, typed] {
            match Command::from_value(v.clone()) {
                // Whatever is accepted survives a round trip unchanged.
                Ok(c) => {
                    let again = Command::from_value(serde_json::to_value(&c).unwrap());
                    prop_assert_eq!(again.as_ref(), Ok(&c), "round trip of {}", v);
                }
                Err(e) => assert_message_error(&e),
            }
        }
    }

    #[test]
    fn mutated_real_commands_parse_or_explain(v in mutated(real_commands())) {
        match Command::from_value(v.clone()) {
            Ok(c) => prop_assert!(!c.external_id.trim().is_empty()),
            Err(e) => assert_message_error(&e),
        }
        match InboundMessage::from_value(v) {
            Ok(_) => {}
            Err(e) => assert_message_error(&e),
        }
    }

    #[test]
    fn webhook_payloads_from_any_bytes_parse_or_explain(body in prop_oneof![
        bytes(),
        mutated(real_webhooks()).prop_map(|v| v.to_string().into_bytes()),
    ]) {
        match serde_json::from_slice::<WebhookPayload>(&body) {
            Ok(p) => {
                // A payload that parses can be normalized and re-encoded.
                let e = b2b_commands::WebhookEvent::normalize(p, "abc123", "body-hash", NOW);
                prop_assert!(serde_json::to_string(&e).is_ok());
                prop_assert!(!e.hash.is_empty());
            }
            Err(e) => assert_clear("webhook payload", &e.to_string()),
        }
    }

    #[test]
    fn b2b_models_decode_or_explain(
        company in mutated(vec![real_company()]),
        user in mutated(vec![real_user()]),
        address in mutated(vec![real_address()]),
        quote in mutated(vec![real_quote()]),
        order in mutated(vec![real_b2b_order()]),
        junk in arb_json(),
    ) {
        fn check<T: serde::de::DeserializeOwned>(what: &str, v: &Value) {
            if let Err(e) = serde_json::from_value::<T>(v.clone()) {
                assert_clear(what, &e.to_string());
            }
        }
        for v in [&company, &junk] { check::<Company>("Company", v); }
        for v in [&user, &junk] { check::<User>("User", v); }
        for v in [&address, &junk] { check::<Address>("Address", v); }
        for v in [&quote, &junk] { check::<Quote>("Quote", v); }
        for v in [&order, &junk] { check::<B2bOrder>("B2bOrder", v); }
    }

    #[test]
    fn api_error_bodies_never_fail_to_parse(body in prop_oneof![
        bytes(),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        mutated(vec![
            json!({"status":422,"title":"JSON data is missing or invalid","type":"https://x","errors":{"name":"name is required"}}),
            json!({"batch_errors":[{"data":{"sku":"A-1","currency":"usd"},"field_errors":{"price":"must be positive"}}]}),
            json!([{"status":400,"message":"The field 'name' is invalid.","details":{"invalid_reason":"too long"}}]),
            json!({"code":400,"data":{"errors":[{"id":2,"_detail":"companyEmail is invalid"}]},"meta":{"message":"Bad Request"}}),
            json!({"code":400,"data":{"errMsg":"Email already exists"},"meta":{"message":"Bad Request"}}),
        ]).prop_map(|v| v.to_string().into_bytes()),
    ]) {
        for api in [Api::Core, Api::B2b] {
            let e = ApiError::parse(api, &body);
            let text = e.to_string();
            // Never empty, not even for whitespace-only bodies.
            prop_assert!(!text.trim().is_empty(), "a blank ApiError for {:?}", String::from_utf8_lossy(&body));
            // Bodies are cut to a readable length.
            prop_assert!(text.chars().count() <= 2_000 || body.len() > 2_000, "{} chars", text.chars().count());
        }
    }
}

#[test]
fn mutations_really_change_documents() {
    // The mutation machinery must do something, or the properties above test the originals only.
    let base = real_company();
    let deleted = mutate(base.clone(), &[Mutation::Delete(1)]);
    assert_ne!(deleted, base);
    let flipped = mutate(base.clone(), &[Mutation::Flip(1)]);
    assert_ne!(flipped, base);
    let inserted = mutate(base.clone(), &[Mutation::Insert(0, "zz".into(), json!(1))]);
    assert_eq!(inserted["zz"], 1);
    // And the parsers do refuse broken real payloads, with the reason.
    let mut cmd = real_commands()[2].clone();
    cmd["user"]["email"] = json!(42);
    let err = Command::from_value(cmd).unwrap_err().to_string();
    assert!(
        err.starts_with("`user.email`") && err.contains("\"string\""),
        "{err}"
    );
    let err = serde_json::from_value::<Company>(json!({"companyId":"twelve"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("integer or a numeric string"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// webhook-intake's handler.

struct Rig {
    runtime: tokio::runtime::Runtime,
    intake: Intake,
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| Rig {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        intake: Intake {
            credentials: credentials(&format!(
                r#"{{"store_hash":"abc123","access_token":"t","webhook_secret":"{WEBHOOK_SECRET}","client_secret":"{CLIENT_SECRET}","inbound_api_key":"{INBOUND_KEY}"}}"#
            )),
            queue: Arc::new(MemoryQueue::default()),
            state: Arc::new(MemoryState::default()),
            options: IntakeOptions {
                auth: AuthMode::Either,
                ..IntakeOptions::default()
            },
            precheck: None,
            punchout: None,
        },
    })
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Header(String),
    Bearer(String),
    /// Standard Webhooks headers: id, timestamp (raw text), whether the signature is right.
    Signature(String, String, bool),
}

fn auth() -> impl Strategy<Value = Auth> {
    let timestamp = prop_oneof![
        // Realistic: close to `NOW`, or hours off.
        (-400i64..400).prop_map(|d| (NOW + d).to_string()),
        (-1_000_000_000i64..1_000_000_000).prop_map(|d| (NOW + d).to_string()),
        "[0-9a-z .+-]{0,12}",
    ];
    prop_oneof![
        1 => Just(Auth::None),
        3 => Just(Auth::Header(WEBHOOK_SECRET.to_owned())),
        1 => "[ -~]{0,30}".prop_map(Auth::Header),
        3 => Just(Auth::Bearer(INBOUND_KEY.to_owned())),
        1 => "[ -~]{0,30}".prop_map(Auth::Bearer),
        3 => ("[ -~]{0,20}", timestamp, any::<bool>()).prop_map(|(id, ts, ok)| Auth::Signature(id, ts, ok)),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => bytes(),
        2 => prop::sample::select(real_webhooks()).prop_map(|v| v.to_string().into_bytes()),
        2 => prop::collection::vec(prop::sample::select(real_commands()[..7].to_vec()), 1..4)
            .prop_map(|v| Value::Array(v).to_string().into_bytes()),
        4 => mutated(real_webhooks()).prop_map(|v| v.to_string().into_bytes()),
        4 => mutated(real_commands()).prop_map(|v| v.to_string().into_bytes()),
        2 => prop::collection::vec(mutated(real_commands()), 0..4)
            .prop_map(|v| Value::Array(v).to_string().into_bytes()),
        2 => Just(vec![b' '; webhook_intake::intake::MAX_BODY_BYTES + 1]),
    ]
}

fn request(method: &str, path: &str, auth: &Auth, body: Vec<u8>, binary: bool) -> Request {
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    b = match auth {
        Auth::None => b,
        Auth::Header(v) => b.header("X-Webhook-Secret", v.as_str()),
        Auth::Bearer(v) => b.header("Authorization", format!("Bearer {v}")),
        Auth::Signature(id, ts, ok) => {
            let key = if *ok {
                signing_key(CLIENT_SECRET)
            } else {
                b"wrong".to_vec()
            };
            let sig = sign(&key, id, ts.parse().unwrap_or(0), &body);
            b.header("webhook-id", id.as_str())
                .header("webhook-timestamp", ts.as_str())
                .header("webhook-signature", format!("v1,{sig}"))
        }
    };
    let body = if binary {
        Body::Binary(body)
    } else {
        match String::from_utf8(body) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    b.body(body).expect("the test builds valid requests")
}

#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    path: String,
    auth: Auth,
    body: Vec<u8>,
    binary: bool,
}

fn call() -> impl Strategy<Value = Call> {
    let random = (
        prop_oneof![
            8 => Just("POST"),
            2 => prop::sample::select(vec!["GET", "PUT", "DELETE", "PATCH", "HEAD"]),
        ],
        prop_oneof![
            4 => prop::sample::select(vec![
                "/webhooks/bigcommerce", "/inbound", "/health", "/prod/inbound/",
                "/lambda-url/x/webhooks/bigcommerce",
            ]).prop_map(str::to_owned),
            1 => "/[a-zA-Z0-9/_.-]{0,30}",
        ],
        auth(),
        body(),
        any::<bool>(),
    )
        .prop_map(|(method, path, auth, body, binary)| Call {
            method,
            path,
            auth,
            body,
            binary,
        });
    // Requests a real sender would make (right route, right credentials), with real or mutated
    // bodies: these reach the parsers, the dedupe and the queue, not only the front checks.
    let webhook = (
        prop_oneof![
            Just(Auth::Header(WEBHOOK_SECRET.to_owned())),
            "[ -~]{0,20}".prop_map(|id| Auth::Signature(id, NOW.to_string(), true)),
        ],
        prop_oneof![
            prop::sample::select(real_webhooks()),
            mutated(real_webhooks()),
            (mutated(real_webhooks()), "[a-z0-9]{8}").prop_map(|(mut v, h)| {
                if let Some(o) = v.as_object_mut() {
                    o.insert("hash".into(), json!(h));
                }
                v
            }),
        ],
    )
        .prop_map(|(auth, v)| Call {
            method: "POST",
            path: "/webhooks/bigcommerce".into(),
            auth,
            body: v.to_string().into_bytes(),
            binary: false,
        });
    let inbound = prop_oneof![
        prop::collection::vec(prop::sample::select(real_commands()[..7].to_vec()), 1..4),
        prop::collection::vec(mutated(real_commands()[..7].to_vec()), 1..4),
    ]
    .prop_map(|cmds| Call {
        method: "POST",
        path: "/inbound".into(),
        auth: Auth::Bearer(INBOUND_KEY.to_owned()),
        body: Value::Array(cmds).to_string().into_bytes(),
        binary: false,
    });
    prop_oneof![4 => random, 1 => webhook, 1 => inbound]
}

#[test]
fn intake_answers_anything_without_a_500_or_a_panic() {
    let r = rig();
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, u32>::new());
    let mut runner = proptest::test_runner::TestRunner::new(config(512));
    runner
        .run(&call(), |c| {
            let req = request(c.method, &c.path, &c.auth, c.body.clone(), c.binary);
            let resp = r.runtime.block_on(r.intake.handle_at(req, NOW));
            let status = resp.status();
            *seen.lock().unwrap().entry(status.as_u16()).or_default() += 1;
            prop_assert!(
                [200, 202, 400, 401, 404, 405, 413].contains(&status.as_u16()),
                "{} {} answered {}",
                c.method,
                c.path,
                status
            );
            let answer: Value = serde_json::from_slice(resp.body().as_ref())
                .map_err(|e| TestCaseError::fail(format!("an answer that is not JSON: {e}")))?;
            if !status.is_success() {
                assert_clear("intake error", answer["error"].as_str().unwrap_or_default());
            }
            if status == StatusCode::UNAUTHORIZED {
                // A refusal of credentials says nothing more.
                prop_assert_eq!(answer, json!({"error": "unauthorized"}));
            }
            if c.body.len() > webhook_intake::intake::MAX_BODY_BYTES {
                // Only routing (404, 405) and the health check come before the size check.
                prop_assert!(
                    matches!(status.as_u16(), 404 | 405 | 413)
                        || (c.method == "GET" && status == StatusCode::OK),
                    "{} {} with a body over 256 KiB answered {}",
                    c.method,
                    c.path,
                    status
                );
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The generated requests reach every answer, accepted ones included: otherwise the property
    // only exercised the front of the handler.
    let seen = seen.into_inner().unwrap();
    eprintln!("intake answers: {seen:?}");
    for status in [200, 202, 400, 401, 404, 405, 413] {
        assert!(
            seen.get(&status).copied().unwrap_or(0) > 0,
            "no {status} among {seen:?}"
        );
    }
}

/// The deterministic cases the properties above only sample: every route's refusals.
#[test]
fn intake_refusals_are_the_documented_ones() {
    let r = rig();
    let call = |method: &str, path: &str, auth: Auth, body: &str| {
        let req = request(method, path, &auth, body.as_bytes().to_vec(), false);
        r.runtime
            .block_on(r.intake.handle_at(req, NOW))
            .status()
            .as_u16()
    };
    let hook = real_webhooks()[0].to_string();
    let header = || Auth::Header(WEBHOOK_SECRET.into());
    assert_eq!(call("POST", "/nowhere", Auth::None, ""), 404);
    assert_eq!(call("GET", "/inbound", Auth::None, ""), 405);
    assert_eq!(call("GET", "/health", Auth::None, ""), 200);
    assert_eq!(
        call("POST", "/webhooks/bigcommerce", Auth::None, &hook),
        401
    );
    assert_eq!(call("POST", "/webhooks/bigcommerce", header(), "{"), 400);
    assert_eq!(
        call(
            "POST",
            "/webhooks/bigcommerce",
            header(),
            r#"{"scope":"  "}"#
        ),
        400
    );
    assert_eq!(call("POST", "/webhooks/bigcommerce", header(), &hook), 200);
    let signed = Auth::Signature("msg_1".into(), NOW.to_string(), true);
    assert_eq!(call("POST", "/webhooks/bigcommerce", signed, &hook), 200);
    let stale = Auth::Signature("msg_1".into(), (NOW - 301).to_string(), true);
    assert_eq!(call("POST", "/webhooks/bigcommerce", stale, &hook), 401);
    let bearer = || Auth::Bearer(INBOUND_KEY.into());
    assert_eq!(call("POST", "/inbound", bearer(), "[]"), 400);
    assert_eq!(call("POST", "/inbound", bearer(), "7"), 400);
    assert_eq!(
        call(
            "POST",
            "/inbound",
            bearer(),
            &real_commands()[1].to_string()
        ),
        202
    );
    let mut other_store = real_commands()[1].clone();
    other_store["store_hash"] = json!("zzz999");
    assert_eq!(
        call("POST", "/inbound", bearer(), &other_store.to_string()),
        400
    );
    let big = format!("[{}]", vec![real_commands()[1].to_string(); 501].join(","));
    assert_eq!(call("POST", "/inbound", bearer(), &big), 413);
}

/// `verify_signature` computes `(now - ts).abs()` on a timestamp the caller chose: an extreme
/// one overflows (a panic where overflow checks are on, as in debug and test builds).
#[test]
fn an_extreme_signature_timestamp_is_a_401_not_a_panic() {
    let r = rig();
    let hook = real_webhooks()[0].to_string();
    for ts in [
        i64::MIN.to_string(),
        (i64::MIN + 1).to_string(),
        i64::MAX.to_string(),
    ] {
        let auth = Auth::Signature("msg_1".into(), ts.clone(), true);
        let req = request(
            "POST",
            "/webhooks/bigcommerce",
            &auth,
            hook.clone().into_bytes(),
            false,
        );
        let status = r.runtime.block_on(r.intake.handle_at(req, NOW)).status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "timestamp {ts}");
    }
}

/// `lenient::to_i64` refuses `1.5` as "a fractional or too large number" and refuses
/// `"99999999999999999999"`, but a too-large *number* is cast with `f as i64`, which saturates:
/// an id of 18446744073709551615 or 1e300 silently becomes 9223372036854775807.
#[test]
fn too_large_numeric_ids_are_refused_not_saturated() {
    for raw in [
        r#"{"companyId":18446744073709551615}"#,
        r#"{"companyId":1e300}"#,
        r#"{"companyId":9.3e18}"#,
    ] {
        let got = serde_json::from_str::<Company>(raw).map(|c| c.company_id);
        assert!(got.is_err(), "{raw} decoded as {got:?}");
    }
    // The string form is already refused.
    assert!(serde_json::from_str::<Company>(r#"{"companyId":"99999999999999999999"}"#).is_err());
}

/// An error body of only whitespace (a proxy's `502` with `"\r\n"`), or a whitespace-only
/// `title` / `meta.message`, gives an error whose text is blank: the reason in a dead letter or a
/// log line reads `... server error 502 after 3 attempt(s): ` followed by nothing.
#[test]
fn blank_error_bodies_are_described_not_echoed() {
    let cases: [(Api, &[u8]); 4] = [
        (Api::Core, b"\t"),
        (Api::Core, b"\r\n"),
        (Api::Core, br#"{"status":502,"title":"  "}"#),
        (Api::B2b, br#"{"code":502,"meta":{"message":" "}}"#),
    ];
    for (api, body) in cases {
        let text = ApiError::parse(api, body).to_string();
        assert!(
            !text.trim().is_empty(),
            "{:?} displays as {text:?}",
            String::from_utf8_lossy(body)
        );
    }
}
