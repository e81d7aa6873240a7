//! Helpers for tests of many stores: store secrets in moto, registry records, one sandbox
//! serving several stores, and what a store's data holds.

use b2b_shared::stores::{StoreRecord, StoreSource, StoreStatus};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{json, Value};

/// Creates, in moto's Secrets Manager, `{prefix}{store}` for each `(store, secret)`.
pub async fn create_secrets(sdk: &aws_config::SdkConfig, prefix: &str, secrets: &[(&str, Value)]) {
    let sm = aws_sdk_secretsmanager::Client::new(sdk);
    for (store, secret) in secrets {
        sm.create_secret()
            .name(format!("{prefix}{store}"))
            .secret_string(secret.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("create secret for {store}: {e}"));
    }
}

/// The inbound API key of `store`'s secret (as long as a deployed one must be).
pub fn inbound_key(store: &str) -> String {
    format!("key-{store}-for-the-tests-0123456789abcdef")
}

/// The webhook header secret of `store`'s secret (as long as a deployed one must be).
pub fn webhook_secret(store: &str) -> String {
    format!("hook-{store}-for-the-tests-0123456789abcdef")
}

/// A store secret with the sandbox's token for `store` (`token-{store}`), its
/// [`inbound_key`] and [`webhook_secret`].
pub fn store_secret_json(store: &str) -> Value {
    json!({"store_hash": store, "access_token": format!("token-{store}"),
        "inbound_api_key": inbound_key(store), "webhook_secret": webhook_secret(store)})
}

/// The registry record of `store` installed as an app, its secret `{prefix}{store}`.
pub fn app_store(prefix: &str, store: &str, status: StoreStatus) -> StoreRecord {
    StoreRecord {
        store_hash: store.into(),
        secret_id: format!("{prefix}{store}"),
        source: StoreSource::App,
        status,
        since: 1,
    }
}

/// One sandbox serving `stores` (`(hash, seeded orders)`), each accepting `token-{hash}`, with
/// `base`'s other options.
pub async fn sandbox_of(stores: &[(&str, usize)], base: SandboxOptions) -> RunningSandbox {
    let options = stores
        .iter()
        .map(|(hash, orders)| SandboxOptions {
            store_hash: (*hash).into(),
            token: format!("token-{hash}"),
            seed_orders: *orders,
            ..base.clone()
        })
        .collect();
    bc_sandbox::start_many(options)
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// The names of the companies in `store`'s data, sorted.
pub async fn company_names(sandbox: &RunningSandbox, store: &str) -> Vec<String> {
    let state: Value = reqwest::Client::new()
        .get(format!("{}/__sandbox/state", sandbox.base_url()))
        .header("X-Store-Hash", store)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<String> = state["companies"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|c| c["companyName"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
