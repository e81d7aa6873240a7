//! order-export: exports what changed in BigCommerce to the ERP on a schedule.
//!
//! Wired here: configuration and the store client, validated at cold start. The export streams,
//! watermarks and delivery arrive with the order-export issue.

use b2b_shared::{setup, telemetry, Config, Need};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::OutboundQueue, Need::StateTable])?;
    let sdk = setup::aws_config().await;
    let _client = setup::store_client(&config, &sdk, Default::default())?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        tracing::info!(request_id = %event.context.request_id, "order-export invoked; export not implemented yet");
        Ok::<Value, Error>(serde_json::json!({ "exported": 0 }))
    }))
    .await
}
