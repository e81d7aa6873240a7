//! token-refresh's Lambda entry point: wires configuration and the store client once per cold
//! start, then runs the task the schedule names.

use b2b_shared::{setup, telemetry, Config};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use token_refresh::webhooks::{self, HookSettings};
use token_refresh::{ScheduledInput, Task};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[])?;
    let hooks = HookSettings::from_lookup(|k| std::env::var(k).ok())?;
    let sdk = setup::aws_config().await;
    let client = setup::store_client(&config, &sdk, Default::default())?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let client = client.clone();
        let hooks = hooks.clone();
        async move {
            let input = ScheduledInput::parse(&event.payload)?;
            match input.task {
                Task::CheckWebhooks => {
                    let settings = hooks
                        .ok_or("check-webhooks needs WEBHOOK_DESTINATION and WEBHOOK_SCOPES")?;
                    let report = webhooks::check(&client, &settings).await?;
                    Ok::<Value, Error>(serde_json::to_value(report)?)
                }
            }
        }
    }))
    .await
}
