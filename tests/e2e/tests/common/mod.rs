//! Helpers shared by the end-to-end tests (each test file uses a different subset).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use bc_sandbox::RunningSandbox;
use bigcommerce_b2b::Credentials;
use bigcommerce_b2b::{BcClient, ClientOptions, RetryPolicy};
use serde_json::{json, Value};

/// A queue in memory: what was sent, and a switch to make it unavailable.
#[allow(unused_imports)] // each test file uses its own subset of these helpers
pub use b2b_shared::queue::MemoryQueue;

/// Fixed credentials from the secret's JSON.
pub fn credentials(secret_json: &str) -> Arc<StaticCredentials> {
    Arc::new(StaticCredentials(Arc::new(
        StoreSecret::from_json(secret_json).expect("test secret parses"),
    )))
}

/// Retries fast enough for a test, with enough attempts to ride out injected faults.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(60),
        shed_base: Duration::from_millis(20),
        shed_cap: Duration::from_millis(200),
        reset_jitter: Duration::from_millis(20),
        min_attempt_time: Duration::ZERO,
    }
}

/// A client for the sandbox with `credentials` and `options`.
pub fn sandbox_client(
    sandbox: &RunningSandbox,
    credentials: Arc<dyn Credentials>,
    options: ClientOptions,
) -> BcClient {
    let url = url::Url::parse(&sandbox.base_url()).unwrap();
    BcClient::new(&url, &url, credentials, options).expect("client builds")
}

/// `GET /__sandbox/{path}` (admin routes need no auth and are never faulted).
pub async fn admin_get(sandbox: &RunningSandbox, path: &str) -> Value {
    reqwest::get(format!("{}/__sandbox/{path}", sandbox.base_url()))
        .await
        .unwrap_or_else(|e| panic!("GET /__sandbox/{path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET /__sandbox/{path} is not JSON: {e}"))
}

/// Every entity of one kind in a sandbox state dump.
pub fn all(state: &Value, key: &str) -> Vec<Value> {
    match &state[key] {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.values().cloned().collect(),
        _ => Vec::new(),
    }
}

/// An integer field that may come as a number or a numeric string.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One SQS record as Lambda delivers it; `body` is sent as is (it may be malformed on purpose).
pub fn sqs_record(id: &str, body: &str, receive_count: u32) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("rh-{id}-{receive_count}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": receive_count.to_string()},
        "eventSource": "aws:sqs",
    })
}

/// An SQS event of `records`.
pub fn sqs_event(records: &[Value]) -> SqsEvent {
    serde_json::from_value(json!({ "Records": records })).expect("a valid SQS event")
}

/// The message ids a batch response reports as failed.
pub fn failed_ids(resp: &SqsBatchResponse) -> Vec<String> {
    resp.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// The AWS configuration of the moto server `scripts/with-moto.sh` started. Fails (never skips)
/// without one.
pub async fn moto_config() -> aws_config::SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: this test needs moto; run it with \
         `scripts/with-moto.sh cargo test -p b2b-e2e` or `make test`"
    );
    aws_config::load_from_env().await
}

/// A name unique to this test run.
pub fn unique(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), fastrand::u32(..))
}

/// A secret for `STORE` holding the sandbox's token, under a fresh prefix `{name}-…/` in moto's
/// Secrets Manager: the secret id (`BC_SECRET_ID`).
pub async fn sandbox_store_secret(sdk: &aws_config::SdkConfig, name: &str) -> String {
    sandbox_store_secret_with(sdk, name, json!({})).await
}

/// Like [`sandbox_store_secret`], with the fields of `extra` (an object) added to the secret.
pub async fn sandbox_store_secret_with(
    sdk: &aws_config::SdkConfig,
    name: &str,
    extra: Value,
) -> String {
    use b2b_test_support::{stores, STORE};
    let prefix = format!("{}/", b2b_test_support::unique(name));
    let mut secret = stores::store_secret_json(STORE);
    secret["access_token"] = json!(b2b_test_support::TOKEN);
    if let (Some(s), Value::Object(extra)) = (secret.as_object_mut(), extra) {
        s.extend(extra);
    }
    stores::create_secrets(sdk, &prefix, &[(STORE, secret)]).await;
    format!("{prefix}{STORE}")
}

/// The debug binary of function `name`, started under the Lambda runtime API with `env`
/// (30 s an invocation).
pub async fn start_function(
    name: &str,
    env: &[(&str, String)],
) -> b2b_test_support::lambda::FunctionProcess {
    use b2b_test_support::lambda::{function_binary, FunctionProcess};
    let binary = function_binary(name, false).unwrap_or_else(|e| panic!("{e}"));
    FunctionProcess::start(&binary, name, env, Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Has `worker` apply `bodies` (inbound messages), redelivering what fails as SQS would, until
/// nothing fails; how many deliveries it took (panics after 4).
#[allow(dead_code)] // each test binary compiles this module; not all of them run the worker
pub async fn work_off(
    worker: &b2b_test_support::lambda::FunctionProcess,
    bodies: Vec<Value>,
) -> usize {
    use b2b_test_support::lambda::answer_of;
    let mut pending: Vec<(String, Value)> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| (format!("m{i}"), b))
        .collect();
    for round in 1..=4 {
        let records: Vec<Value> = pending
            .iter()
            .map(|(id, b)| sqs_record(id, &b.to_string(), round))
            .collect();
        let answer = answer_of(worker, &json!({ "Records": records })).await;
        let failed: Vec<&str> = answer["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str())
            .collect();
        if failed.is_empty() {
            return round as usize;
        }
        pending.retain(|(id, _)| failed.contains(&id.as_str()));
    }
    panic!("still failing after 4 deliveries: {pending:?}");
}

/// The ERP makes Northwind Traders (procurement identity `NORTHWIND-AN01`, administrator
/// nancy@northwind.example) through `intake`'s `/inbound`, and `worker` applies it from
/// `inbound`: the buyer of the cXML samples.
#[allow(dead_code)] // each test binary compiles this module; not all of them trade in cXML
pub async fn northwind_company(
    intake: &b2b_test_support::lambda::FunctionProcess,
    worker: &b2b_test_support::lambda::FunctionProcess,
    sqs: &aws_sdk_sqs::Client,
    inbound: &str,
) {
    use b2b_test_support::lambda::{answer_of, http_post};
    use b2b_test_support::STORE;
    let company = json!({"type": "company.upsert", "version": 1, "store_hash": STORE,
        "external_id": "NW", "idempotency_key": unique("k"),
        "company": {"name": "Northwind Traders", "email": "ap@northwind.example", "phone": "555-0100",
        "country": "US", "extra_fields": {"procurement_id": "NORTHWIND-AN01"},
        "admin": {"first_name": "Nancy", "last_name": "Davolio", "email": "nancy@northwind.example"}}});
    let answer = answer_of(
        intake,
        &http_post(
            "/inbound",
            &b2b_test_support::stores::inbound_key(STORE),
            &json!([company]),
        ),
    )
    .await;
    assert_eq!(answer["statusCode"], 202, "{answer}");
    work_off(worker, b2b_test_support::drain(sqs, inbound).await).await;
}
