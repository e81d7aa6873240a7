//! token-refresh serving many stores, with its real peers: moto (the store secrets, the
//! registry) and one sandbox serving the stores. The token health check runs over every served
//! store, each with its own token, and names the one whose token is refused.
//!
//! Needs moto (`make test`).

use b2b_shared::state::DynamoState;
use b2b_shared::stores::{StoreRecord, StoreRegistry, StoreSource, StoreStatus};
use b2b_test_support as support;
use serde_json::json;

#[tokio::test]
async fn token_health_covers_every_served_store() {
    let sdk = support::moto().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let table = support::state_table(&sdk).await;
    let prefix = format!("{}/", support::unique("health-stores"));
    // storec's secret holds a token its store does not accept.
    for (store, token) in [
        ("storea", "token-storea"),
        ("storeb", "token-storeb"),
        ("storec", "stale"),
    ] {
        let secret = json!({"store_hash": store, "access_token": token});
        sm.create_secret()
            .name(format!("{prefix}{store}"))
            .secret_string(secret.to_string())
            .send()
            .await
            .unwrap();
    }
    let registry = DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    for store in ["storeb", "storec"] {
        let record = StoreRecord {
            store_hash: store.into(),
            secret_id: format!("{prefix}{store}"),
            source: StoreSource::App,
            status: StoreStatus::Active,
            since: 1,
        };
        registry.put_store(&record).await.unwrap();
    }
    let store = |hash: &str| bc_sandbox::SandboxOptions {
        store_hash: hash.into(),
        token: format!("token-{hash}"),
        ..support::unlimited()
    };
    let sandbox = bc_sandbox::start_many(vec![store("storea"), store("storeb"), store("storec")])
        .await
        .unwrap();
    let settings = token_refresh::settings::Settings::from_lookup(|k| match k {
        "STORES" => Some("storea".into()),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "STATE_TABLE" => Some(table.clone()),
        "BC_API_URL" | "B2B_API_URL" => Some(sandbox.base_url()),
        _ => None,
    })
    .unwrap();
    let handler = token_refresh::handler(&settings, &sdk).unwrap();
    let out = handler
        .handle(&json!({"task": "token-health"}), None)
        .await
        .unwrap();
    let verdicts: Vec<(String, String)> = out["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let status = s["status"].as_str().unwrap_or("?").to_owned();
            (s["store_hash"].as_str().unwrap_or("?").to_owned(), status)
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("storea", "valid"),
        ("storeb", "valid"),
        ("storec", "rejected"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(verdicts, expected, "{out}");
}
