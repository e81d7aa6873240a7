//! The webhook subscription check against the BigCommerce sandbox: creates what is missing,
//! leaves active hooks alone, re-enables a deactivated hook, reports blocked domains.

use std::sync::Arc;

use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use bc_sandbox::{start, SandboxOptions};
use bigcommerce_b2b::{BcClient, ClientOptions};
use serde_json::{json, Value};
use token_refresh::webhooks::{check, HookSettings};

const DESTINATION: &str = "http://127.0.0.1:9/webhooks/bigcommerce";

async fn sandbox() -> bc_sandbox::RunningSandbox {
    start(SandboxOptions {
        store_hash: "abc123".into(),
        token: "tok".into(),
        quota: 0,
        b2b_quota: 0,
        ..SandboxOptions::default().strict()
    })
    .await
    .unwrap()
}

fn secret() -> StoreSecret {
    StoreSecret::from_json(r#"{"store_hash":"abc123","access_token":"tok","webhook_secret":"ws"}"#)
        .unwrap()
}

fn client(sb: &bc_sandbox::RunningSandbox) -> BcClient {
    let secret = secret();
    let url = url::Url::parse(&sb.base_url()).unwrap();
    BcClient::new(
        &url,
        &url,
        Arc::new(StaticCredentials(Arc::new(secret))),
        ClientOptions::default(),
    )
    .unwrap()
}

fn settings() -> HookSettings {
    HookSettings {
        destination: DESTINATION.into(),
        scopes: vec!["store/order/*".into(), "store/company/created".into()],
        auth_header: "X-Webhook-Secret".into(),
    }
}

async fn hooks(sb: &bc_sandbox::RunningSandbox) -> Vec<Value> {
    let resp: Value = reqwest::Client::new()
        .get(format!("{}/v3/hooks", sb.core_base_url()))
        .header("X-Auth-Token", "tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    resp["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn missing_hooks_are_created_with_the_auth_header_and_deactivated_ones_reenabled() {
    let sb = sandbox().await;
    let client = client(&sb);
    let first = check(&client, &secret(), &settings()).await.unwrap();
    assert_eq!(first.created, ["store/order/*", "store/company/created"]);
    let created = hooks(&sb).await;
    assert_eq!(created.len(), 2);
    assert!(created
        .iter()
        .all(|h| h["is_active"] == true && h["headers"]["X-Webhook-Secret"] == "ws"));

    let again = check(&client, &secret(), &settings()).await.unwrap();
    assert_eq!(
        (again.active, again.created.len(), again.reenabled.len()),
        (2, 0, 0)
    );

    let victim = created[0]["id"].as_i64().unwrap();
    let admin = reqwest::Client::new();
    admin
        .post(format!("{}/__sandbox/faults", sb.base_url()))
        .json(&json!({"deactivate_hook": victim, "block_domain": "http://127.0.0.1:9", "block_seconds": 180}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let fixed = check(&client, &secret(), &settings()).await.unwrap();
    assert_eq!(fixed.reenabled, [victim]);
    assert_eq!(fixed.active, 1);
    assert_eq!(fixed.blocked_domains.len(), 1, "{fixed:?}");
    assert!(hooks(&sb).await.iter().all(|h| h["is_active"] == true));
    assert_eq!(
        hooks(&sb).await.len(),
        2,
        "re-enabling must not create a duplicate"
    );
}
