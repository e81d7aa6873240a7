//! token-refresh's Lambda entry point: validates the configuration (every bad variable named at
//! once), wires Secrets Manager, the token-endpoint client and the store client once per cold
//! start, then runs what the input asks for (see the crate documentation).

use std::time::Duration;

use b2b_shared::config::{ConfigError, ConfigProblem};
use b2b_shared::deadline::from_epoch_millis;
use b2b_shared::secrets::SecretsApi;
use b2b_shared::{setup, telemetry, Config};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use token_refresh::health::HealthChecker;
use token_refresh::refresh::Refresher;
use token_refresh::settings::Settings;
use token_refresh::webhooks::HookSettings;
use token_refresh::{oauth, Handler};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let env = |k: &str| std::env::var(k).ok();
    let mut problems: Vec<ConfigProblem> = Vec::new();
    let config = Config::from_env(&[])
        .map_err(|e| problems.extend(e.problems))
        .ok();
    let settings = Settings::from_lookup(env)
        .map_err(|p| problems.extend(p))
        .ok();
    let hooks = HookSettings::from_lookup(env)
        .map_err(|reason| {
            let variable = if reason.starts_with("WEBHOOK_SCOPES") {
                "WEBHOOK_SCOPES"
            } else {
                "WEBHOOK_DESTINATION"
            };
            problems.push(ConfigProblem { variable, reason });
        })
        .ok()
        .flatten();
    let (Some(config), Some(settings)) = (config, settings) else {
        return Err(ConfigError { problems }.into());
    };
    if !problems.is_empty() {
        return Err(ConfigError { problems }.into());
    }

    let sdk = setup::aws_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let store_secret = setup::store_secret(&config, &sdk);
    let handler = Handler {
        refresher: Refresher {
            secrets: SecretsApi::new(sm.clone()),
            http: oauth::http_client()?,
            lead_seconds: settings.lead_seconds,
            lease_seconds: settings.lease_seconds,
        },
        health: HealthChecker {
            bc_api_url: config.bc_api_url.clone(),
            b2b_api_url: config.b2b_api_url.clone(),
            core_probe: settings.core_probe.clone(),
            b2b_probe: settings.b2b_probe.clone(),
        },
        fetcher: SecretsApi::new(sm),
        connection_secret_ids: settings.connection_secret_ids.clone(),
        store_secret_ids: settings.store_secret_ids.clone(),
        store_client: setup::client_for(&config, store_secret.clone(), Default::default())?,
        store_secret,
        hooks,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move {
            let deadline = from_epoch_millis(event.context.deadline, Duration::from_secs(2));
            // Boxed: the handler's future is deep enough to overflow the layout query otherwise.
            Box::pin(handler.handle(&event.payload, Some(deadline)))
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
