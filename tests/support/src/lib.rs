//! Helpers shared by the integration tests of every crate: AWS resources in moto, the sandbox
//! and a client for it. Tests that need moto call [`moto`], which fails (never skips) without it.

pub mod lambda;
pub mod stores;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::{BcClient, ClientOptions};
use serde_json::Value;

/// The sandbox store hash and token every helper uses.
pub const STORE: &str = "abc123";
/// The sandbox token.
pub const TOKEN: &str = "tok";

/// A name no other test of this run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The AWS configuration of the moto server `make test` started; panics with a clear message
/// when there is none.
pub async fn moto() -> aws_config::SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test` (it starts moto)"
    );
    aws_config::load_from_env().await
}

/// A new state table (partition key `pk`), as the SAM template defines it.
pub async fn state_table(sdk: &aws_config::SdkConfig) -> String {
    let name = unique("state");
    let key = |k: KeyType| {
        KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(k)
            .build()
    };
    let attr = AttributeDefinition::builder()
        .attribute_name("pk")
        .attribute_type(ScalarAttributeType::S)
        .build();
    let (Ok(key), Ok(attr)) = (key(KeyType::Hash), attr) else {
        panic!("table definition");
    };
    aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(&name)
        .attribute_definitions(attr)
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create table: {e}"));
    name
}

/// A new store secret (`{store_hash: STORE, access_token: TOKEN}`) named after `prefix`; returns
/// its id.
pub async fn store_secret(sdk: &aws_config::SdkConfig, prefix: &str) -> String {
    let id = unique(prefix);
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(&id)
        .secret_string(serde_json::json!({"store_hash": STORE, "access_token": TOKEN}).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create secret: {e}"));
    id
}

/// A new active price list `Wholesale` in the sandbox; returns its id.
pub async fn price_list(sandbox: &RunningSandbox) -> i64 {
    let body = serde_json::json!({"name": "Wholesale", "active": true});
    let resp = core_post(sandbox, "/v3/pricelists", &body).await;
    resp["data"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no price list id in {resp}"))
}

/// A new standard queue; returns its URL.
pub async fn queue(sdk: &aws_config::SdkConfig, prefix: &str) -> String {
    aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(unique(prefix))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create queue: {e}"))
        .queue_url
        .unwrap_or_default()
}

/// A new FIFO queue (name ending `.fifo`); returns its URL.
pub async fn fifo_queue(sdk: &aws_config::SdkConfig, prefix: &str) -> String {
    aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(format!("{}.fifo", unique(prefix)))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create FIFO queue: {e}"))
        .queue_url
        .unwrap_or_default()
}

/// Receives and deletes every message on the queue; returns the bodies as JSON.
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receive: {e}"));
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            out.push(
                serde_json::from_str(m.body.as_deref().unwrap_or("null")).unwrap_or(Value::Null),
            );
            sqs.delete_message()
                .queue_url(url)
                .set_receipt_handle(m.receipt_handle)
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete: {e}"));
        }
    }
}

/// A sandbox for [`STORE`] and [`TOKEN`] that refuses, as BigCommerce would, any request
/// breaking the official contract, and fails the test that sent it when it is dropped (a test
/// that means to send one takes it with `take_contract_violations`).
pub async fn sandbox(opts: SandboxOptions) -> RunningSandbox {
    bc_sandbox::start(SandboxOptions {
        store_hash: STORE.into(),
        token: TOKEN.into(),
        ..opts.strict()
    })
    .await
    .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// Sandbox options without rate limits.
pub fn unlimited() -> SandboxOptions {
    SandboxOptions {
        quota: 0,
        b2b_quota: 0,
        ..SandboxOptions::default()
    }
}

/// A client for the sandbox, with fixed credentials.
pub fn client(sandbox: &RunningSandbox, options: ClientOptions) -> BcClient {
    let secret = StoreSecret::from_json(&format!(
        r#"{{"store_hash":"{STORE}","access_token":"{TOKEN}"}}"#
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let url = url::Url::parse(&sandbox.base_url()).unwrap_or_else(|e| panic!("{e}"));
    BcClient::new(
        &url,
        &url,
        Arc::new(StaticCredentials(Arc::new(secret))),
        options,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// `GET /__sandbox/{path}` as JSON (`state`, `stats`).
pub async fn admin(sandbox: &RunningSandbox, path: &str) -> Value {
    reqwest::get(format!("{}/__sandbox/{path}", sandbox.base_url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `POST /__sandbox/{path}` with `body` (`settings`, `sales-staff`, ...): its JSON answer
/// (`null` when it has none); anything but a success fails the test.
pub async fn admin_post(sandbox: &RunningSandbox, path: &str, body: &Value) -> Value {
    let req = reqwest::Client::new().post(format!("{}/__sandbox/{path}", sandbox.base_url()));
    json_answer(req.json(body), path).await
}

/// `req`'s JSON answer (`null` when it has none); anything but a success fails the test.
async fn json_answer(req: reqwest::RequestBuilder, what: &str) -> Value {
    let r = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(r.status().is_success(), "{what}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// `POST {core API}{path}` (`/v3/pricelists`, `/v2/customer_groups`, ...) with the store's
/// token, as the control panel or another app would write: its JSON answer; anything but a
/// success fails the test.
pub async fn core_post(sandbox: &RunningSandbox, path: &str, body: &Value) -> Value {
    let req = reqwest::Client::new()
        .post(format!("{}{path}", sandbox.core_base_url()))
        .header("X-Auth-Token", TOKEN);
    json_answer(req.json(body), path).await
}

/// A B2B API request (`/companies/roles`, `/shopping-list`, ...) with the store's token and
/// hash: its JSON answer; anything but a success fails the test.
pub async fn b2b_send(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> Value {
    let req = reqwest::Client::new()
        .request(method, format!("{}{path}", sandbox.b2b_base_url()))
        .header("X-Auth-Token", TOKEN)
        .header("X-Store-Hash", STORE);
    json_answer(req.json(body), path).await
}

/// All entities of one kind in a sandbox state document (an object keyed by id, or an array).
pub fn all(state: &Value, key: &str) -> Vec<Value> {
    match &state[key] {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.values().cloned().collect(),
        _ => Vec::new(),
    }
}

/// What a procurement system's browser receives from a punch-out return page (the form
/// `b2b_cxml::auto_post_form` writes): where it posts, and the `cxml-urlencoded` document,
/// unescaped. Panics, showing the page, when it is not such a form: for tests.
pub fn self_posting_form(page: &str) -> (String, String) {
    let attr = |name: &str| {
        let raw = page
            .split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no {name} in {page}"));
        quick_xml::escape::unescape(raw)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .into_owned()
    };
    (attr("action"), attr("value"))
}
