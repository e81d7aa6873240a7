//! token-refresh: keeps credentials fresh (EventBridge schedule and Secrets Manager rotation).
//!
//! Wired here: configuration and the store client, validated at cold start. Refresh, rotation and
//! token health arrive with the token-refresh issue.

use b2b_shared::{setup, telemetry, Config};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[])?;
    let sdk = setup::aws_config().await;
    let _client = setup::store_client(&config, &sdk, Default::default())?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        tracing::info!(request_id = %event.context.request_id, "token-refresh invoked; nothing to refresh yet");
        Ok::<Value, Error>(serde_json::json!({ "refreshed": 0 }))
    }))
    .await
}
