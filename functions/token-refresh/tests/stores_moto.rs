//! token-refresh serving many stores, with its real peers: moto (the store secrets, the
//! registry) and one sandbox serving the stores. The token health check runs over every served
//! store, each with its own token, and names the one whose token is refused.
//!
//! Needs moto (`make test`).

use b2b_shared::state::DynamoState;
use b2b_shared::stores::{StoreRegistry, StoreStatus};
use b2b_test_support as support;
use b2b_test_support::stores;
use serde_json::json;

#[tokio::test]
async fn token_health_covers_every_served_store() {
    let sdk = support::moto().await;
    let table = support::state_table(&sdk).await;
    let prefix = format!("{}/", support::unique("health-stores"));
    // storec's secret holds a token its store does not accept.
    let mut stale = stores::store_secret_json("storec");
    stale["access_token"] = json!("stale");
    let secrets = [
        ("storea", stores::store_secret_json("storea")),
        ("storeb", stores::store_secret_json("storeb")),
        ("storec", stale),
    ];
    stores::create_secrets(&sdk, &prefix, &secrets).await;
    let registry = DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    for store in ["storeb", "storec"] {
        let record = stores::app_store(&prefix, store, StoreStatus::Active);
        registry.put_store(&record).await.unwrap();
    }
    let all = [("storea", 0), ("storeb", 0), ("storec", 0)];
    let sandbox = stores::sandbox_of(&all, support::unlimited()).await;
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
