//! Several stores on one sandbox: each store hash has its own data, token and quota, chosen by
//! the core path's hash or the `X-Store-Hash` header.

mod common;

use common::*;
use reqwest::Method;
use serde_json::Value;

async fn two_stores(quota_a: u32) -> (bc_sandbox::RunningSandbox, reqwest::Client) {
    let a = SandboxOptionsExt::with(|o| {
        o.store_hash = "storea".into();
        o.token = "token-a".into();
        o.b2b_quota = quota_a;
        o.seed_companies = 0;
    });
    let b = SandboxOptionsExt::with(|o| {
        o.store_hash = "storeb".into();
        o.token = "token-b".into();
        o.seed_companies = 0;
    });
    let sb = bc_sandbox::start_many(vec![a, b])
        .await
        .expect("sandbox starts");
    (sb, reqwest::Client::new())
}

fn b2b(
    sb: &bc_sandbox::RunningSandbox,
    http: &reqwest::Client,
    method: Method,
    path: &str,
    store: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    http.request(method, format!("{}{path}", sb.b2b_base_url()))
        .header("X-Auth-Token", token)
        .header("X-Store-Hash", store)
}

async fn status_and_json(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.expect("request sent");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_store_has_its_own_data_and_token() {
    let (sb, http) = two_stores(0).await;
    let (status, _) = status_and_json(
        b2b(&sb, &http, Method::POST, "/companies", "storea", "token-a").json(&company_body(1)),
    )
    .await;
    assert_eq!(status, 200);
    let count = |store: &'static str, token: &'static str| {
        let req = b2b(&sb, &http, Method::GET, "/companies", store, token);
        async move { status_and_json(req).await.1["meta"]["pagination"]["totalCount"].clone() }
    };
    assert_eq!(count("storea", "token-a").await, 1);
    assert_eq!(
        count("storeb", "token-b").await,
        0,
        "store b sees nothing of store a"
    );
    // One store's token is refused by the other.
    let (status, _) = status_and_json(b2b(
        &sb,
        &http,
        Method::GET,
        "/companies",
        "storeb",
        "token-a",
    ))
    .await;
    assert_eq!(status, 401);
    // Core paths choose the store by their hash.
    for (store, token, expected) in [("storea", "token-a", 200), ("storeb", "token-a", 401)] {
        let r = http
            .get(format!("{}/v3/customers", sb.core_base_url_of(store)))
            .header("X-Auth-Token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expected, "{store} with token-a");
    }
    assert_eq!(sb.store("storeb").unwrap().opts.token, "token-b");
    assert!(sb.store("nostore").is_none());
}

#[tokio::test]
async fn each_store_has_its_own_quota() {
    let (sb, http) = two_stores(2).await;
    let mut a = Vec::new();
    for _ in 0..3 {
        let req = b2b(&sb, &http, Method::GET, "/companies", "storea", "token-a");
        a.push(status_and_json(req).await.0);
    }
    assert_eq!(a, [200, 200, 429], "store a spends its own quota");
    let req = b2b(&sb, &http, Method::GET, "/companies", "storeb", "token-b");
    assert_eq!(
        status_and_json(req).await.0,
        200,
        "store b is not limited by store a"
    );
}

#[tokio::test]
async fn a_store_hash_served_twice_is_refused() {
    let a = SandboxOptionsExt::with(|o| o.store_hash = "same".into());
    let again = a.clone();
    let e = bc_sandbox::start_many(vec![a, again])
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("served twice"), "{e}");
}
