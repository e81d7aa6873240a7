//! token-refresh: the scheduled housekeeping of credentials and webhook subscriptions, and the
//! Secrets Manager rotation function of connection secrets.
//!
//! One Lambda, four kinds of input:
//! - `{"task": "refresh-tokens"}` (EventBridge Scheduler delivers only the target's `Input`), or
//!   the classic EventBridge scheduled event (`"detail-type": "Scheduled Event"`): refresh the
//!   OAuth2 access tokens of the connection secrets in `CONNECTION_SECRET_IDS` ([`refresh`]).
//! - `{"task": "token-health"}`: one cheap core and one B2B call per store secret, metric
//!   `TokenValid` ([`health`]).
//! - `{"task": "check-webhooks"}`: keep the store's webhook subscriptions active ([`webhooks`]).
//! - a Secrets Manager rotation event (`SecretId`, `ClientRequestToken`, `Step`): one step of the
//!   rotation protocol for a connection secret ([`rotation`]).
//!
//! Every environment variable is read in [`settings`]; [`handler`] builds the [`Handler`] they
//! describe.

pub mod connection;
pub mod health;
pub mod lease;
pub mod oauth;
pub mod refresh;
pub mod rotation;
pub mod settings;
pub mod webhooks;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::secretsmanager::SecretsManagerSecretRotationEvent;
use bigcommerce_b2b::BcClient;
use std::sync::Arc;

use b2b_shared::secrets::{SecretSource, SecretsApi};
use b2b_shared::setup;
use b2b_shared::stores::{NoStore, StoreClients, StoreSecrets};
use bigcommerce_b2b::BcError;
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::health::HealthChecker;
use crate::refresh::Refresher;
use crate::settings::Settings;
use crate::webhooks::HookSettings;

/// What a scheduled invocation is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Refresh connection tokens that expire soon.
    RefreshTokens,
    /// Check that the store tokens are still accepted.
    TokenHealth,
    /// Keep webhook subscriptions active.
    CheckWebhooks,
}

/// The scheduled input: `{"task": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduledInput {
    /// The task.
    pub task: Task,
}

const EXPECTED: &str = "expected {\"task\": \"refresh-tokens\" | \"token-health\" | \"check-webhooks\"}, an EventBridge scheduled event, or a Secrets Manager rotation event";

impl ScheduledInput {
    /// Parses a scheduled input with a clear error.
    pub fn parse(input: &Value) -> Result<Self, String> {
        serde_json::from_value(input.clone()).map_err(|e| format!("{EXPECTED}: {e}"))
    }
}

/// One invocation's input, recognised by its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// A scheduled task.
    Task(Task),
    /// One step of a Secrets Manager rotation.
    Rotation(SecretsManagerSecretRotationEvent),
}

impl Invocation {
    /// Recognises the input: a rotation event has `Step`, a classic scheduled event has
    /// `detail-type: Scheduled Event` (meaning refresh-tokens), anything else must be a task.
    pub fn parse(input: &Value) -> Result<Self, String> {
        if input.get("Step").is_some() {
            let event: SecretsManagerSecretRotationEvent = serde_json::from_value(input.clone())
                .map_err(|e| format!("malformed rotation event: {e}"))?;
            if event.secret_id.is_empty() || event.client_request_token.is_empty() {
                return Err("rotation event without SecretId or ClientRequestToken".into());
            }
            return Ok(Invocation::Rotation(event));
        }
        if input.get("detail-type").is_some() {
            let event: EventBridgeEvent = serde_json::from_value(input.clone())
                .map_err(|e| format!("malformed EventBridge event: {e}"))?;
            if event.detail_type == "Scheduled Event" {
                return Ok(Invocation::Task(Task::RefreshTokens));
            }
            return Err(format!(
                "EventBridge event of type `{}` is not handled; {EXPECTED}",
                event.detail_type
            ));
        }
        ScheduledInput::parse(input).map(|i| Invocation::Task(i.task))
    }
}

/// Everything an invocation may need, built once per cold start.
#[derive(Debug, Clone)]
pub struct Handler {
    /// Refreshes and rotates connection secrets.
    pub refresher: Refresher,
    /// Checks store tokens.
    pub health: HealthChecker,
    /// Reads store secrets for the health check.
    pub fetcher: SecretsApi,
    /// `CONNECTION_SECRET_IDS`.
    pub connection_secret_ids: Vec<String>,
    /// `STORE_SECRET_IDS`.
    pub store_secret_ids: Vec<String>,
    /// The `BC_SECRET_ID` store's client (webhook check).
    pub store_client: BcClient,
    /// The `BC_SECRET_ID` store's secret (the webhook header secret), read through the same
    /// cache as the client's credentials.
    pub store_secret: Arc<dyn SecretSource>,
    /// Webhook settings, when configured.
    pub hooks: Option<HookSettings>,
    /// Serving many stores: every served store's client and secret (the health check and the
    /// webhook check run over all of them). `None`: the one store of `store_client`.
    pub stores: Option<Arc<StoreClients>>,
}

/// Why the [`Handler`] could not be built at cold start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The token endpoints' HTTP client could not be built.
    #[error("{0}")]
    Http(String),
    /// The store's client could not be built.
    #[error(transparent)]
    Client(#[from] BcError),
}

/// The handler that `settings` describe, with AWS clients from `sdk`. Nothing is fetched until
/// the first invocation.
pub fn handler(settings: &Settings, sdk: &aws_config::SdkConfig) -> Result<Handler, StartError> {
    let sm = aws_sdk_secretsmanager::Client::new(sdk);
    let config = &settings.config;
    type Parts = (
        Arc<dyn bigcommerce_b2b::Credentials>,
        Arc<dyn SecretSource>,
        Option<Arc<StoreClients>>,
    );
    let (credentials, store_secret, stores): Parts =
        match (config.stores.single_secret_id(), &settings.state_table) {
            (None, Some(table)) => {
                let state = Arc::new(b2b_shared::state::DynamoState::new(
                    aws_sdk_dynamodb::Client::new(sdk),
                    table.clone(),
                ));
                let directory = setup::store_directory(config, sdk, Some(state));
                let clients = StoreClients::new(directory, config.clone(), None);
                (
                    Arc::new(NoStore),
                    Arc::new(NoStore),
                    Some(Arc::new(clients)),
                )
            }
            _ => {
                let cache = setup::store_secret(config, sdk)?;
                (cache.clone(), cache, None)
            }
        };
    Ok(Handler {
        refresher: Refresher {
            secrets: SecretsApi::new(sm.clone()),
            http: oauth::http_client(settings.config.trust_roots).map_err(StartError::Http)?,
            lead_seconds: settings.lead_seconds,
            lease_seconds: settings.lease_seconds,
        },
        health: HealthChecker {
            bc_api_url: settings.config.bc_api_url.clone(),
            b2b_api_url: settings.config.b2b_api_url.clone(),
            core_probe: settings.core_probe.clone(),
            b2b_probe: settings.b2b_probe.clone(),
            trust_roots: settings.config.trust_roots,
        },
        fetcher: SecretsApi::new(sm),
        connection_secret_ids: settings.connection_secret_ids.clone(),
        store_secret_ids: settings.store_secret_ids.clone(),
        store_client: setup::client_for(&settings.config, credentials, Default::default())?,
        store_secret,
        hooks: settings.hooks.clone(),
        stores,
    })
}

impl Handler {
    /// The store secrets whose tokens are checked: `STORE_SECRET_IDS`, and, serving many stores,
    /// every served store's secret.
    async fn store_secret_ids_now(&self) -> Vec<String> {
        let mut ids = self.store_secret_ids.clone();
        let Some(stores) = &self.stores else {
            return ids;
        };
        let directory = stores.directory();
        match directory.stores().await {
            Ok(hashes) => {
                for hash in hashes {
                    match directory.cache_of(&hash).await {
                        Ok(Some(cache)) if !ids.iter().any(|i| i == cache.secret_id()) => {
                            ids.push(cache.secret_id().to_owned())
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(store = %hash, error = %e, "store not checked"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "the stores served could not be listed"),
        }
        ids
    }

    /// The webhook check of every served store; one store's failure does not stop the others,
    /// and the invocation fails (with the first error) only after all were checked.
    async fn check_every_store(
        &self,
        stores: &StoreClients,
        settings: &HookSettings,
        deadline: Option<Instant>,
    ) -> Result<Value, HandlerError> {
        let directory = stores.directory();
        let hashes = directory
            .stores()
            .await
            .map_err(|e| HandlerError::Webhooks(BcError::Credentials(lookup_error(e))))?;
        let mut reports = serde_json::Map::new();
        let mut first_error = None;
        for hash in hashes {
            let checked = async {
                let lookup = |e| BcError::Credentials(lookup_error(e));
                let client = stores.client_of(&hash).await.map_err(lookup)?;
                let secret = directory.secret_of(&hash).await.map_err(lookup)?;
                let (Some(client), Some(secret)) = (client, secret) else {
                    return Ok(None);
                };
                let client = match deadline {
                    Some(d) => client.with_deadline(d),
                    None => client,
                };
                webhooks::check(&client, &secret, settings).await.map(Some)
            };
            match checked.await {
                Ok(Some(report)) => {
                    let report = serde_json::to_value(report).unwrap_or(Value::Null);
                    reports.insert(hash.to_string(), report);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(store = %hash, error = %e, "webhook check failed");
                    reports.insert(
                        hash.to_string(),
                        serde_json::json!({"error": e.to_string()}),
                    );
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(HandlerError::Webhooks(e)),
            None => Ok(serde_json::json!({ "stores": reports })),
        }
    }
}

fn lookup_error(e: b2b_shared::stores::LookupError) -> bigcommerce_b2b::CredentialsError {
    if e.is_retryable() {
        bigcommerce_b2b::CredentialsError::retryable(e)
    } else {
        bigcommerce_b2b::CredentialsError::permanent(e)
    }
}

/// Why an invocation failed (the Lambda reports it; Secrets Manager retries a failed step).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The input is not one we handle (permanent).
    #[error("{0}")]
    BadInput(String),
    /// A rotation step failed.
    #[error(transparent)]
    Rotation(#[from] rotation::RotationError),
    /// The webhook check failed.
    #[error(transparent)]
    Webhooks(#[from] bigcommerce_b2b::BcError),
    /// The task needs settings that are not configured (permanent).
    #[error("{0}")]
    NotConfigured(&'static str),
}

impl HandlerError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            HandlerError::BadInput(_) | HandlerError::NotConfigured(_) => false,
            HandlerError::Rotation(e) => e.is_retryable(),
            HandlerError::Webhooks(e) => e.is_retryable(),
        }
    }
}

impl Handler {
    /// Runs one invocation. Refresh failures are reported in the answer and in metrics rather
    /// than failing the invocation (the next scheduled run tries again); rotation failures fail it.
    pub async fn handle(
        &self,
        input: &Value,
        deadline: Option<Instant>,
    ) -> Result<Value, HandlerError> {
        let to_value = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
        match Invocation::parse(input).map_err(HandlerError::BadInput)? {
            Invocation::Task(Task::RefreshTokens) => {
                if self.connection_secret_ids.is_empty() {
                    tracing::warn!("refresh-tokens: CONNECTION_SECRET_IDS is empty; nothing to do");
                }
                let report = self
                    .refresher
                    .refresh_all(&self.connection_secret_ids)
                    .await;
                Ok(to_value(serde_json::to_value(report)))
            }
            Invocation::Task(Task::TokenHealth) => {
                let mut stores = Vec::new();
                for id in &self.store_secret_ids_now().await {
                    let health = match self.health.client_for(self.fetcher.clone(), id) {
                        Ok(client) => self.health.check(&client, id, deadline).await,
                        Err(e) => health::StoreHealth {
                            secret_id: id.clone(),
                            store_hash: None,
                            verdict: health::Verdict::Inconclusive {
                                reason: e.to_string(),
                            },
                        },
                    };
                    stores.push(health);
                }
                Ok(serde_json::json!({ "stores": to_value(serde_json::to_value(stores)) }))
            }
            Invocation::Task(Task::CheckWebhooks) => {
                let settings = self.hooks.as_ref().ok_or(HandlerError::NotConfigured(
                    "check-webhooks needs WEBHOOK_DESTINATION and WEBHOOK_SCOPES",
                ))?;
                if let Some(stores) = &self.stores {
                    return self.check_every_store(stores, settings, deadline).await;
                }
                let client = match deadline {
                    Some(d) => self.store_client.with_deadline(d),
                    None => self.store_client.clone(),
                };
                let secret = self
                    .store_secret
                    .current()
                    .await
                    .map_err(|e| HandlerError::Webhooks(BcError::Credentials(e.into())))?;
                let report = webhooks::check(&client, &secret, settings).await?;
                Ok(to_value(serde_json::to_value(report)))
            }
            Invocation::Rotation(event) => {
                let step = rotation::rotate(&self.refresher, &event).await?;
                Ok(serde_json::json!({ "secret_id": event.secret_id, "step": format!("{step:?}") }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_fixture_is_recognised() {
        let cases = [
            (
                "schedule-refresh-tokens.json",
                Invocation::Task(Task::RefreshTokens),
            ),
            (
                "schedule-token-health.json",
                Invocation::Task(Task::TokenHealth),
            ),
            (
                "schedule-check-webhooks.json",
                Invocation::Task(Task::CheckWebhooks),
            ),
            (
                "eventbridge-scheduled-event.json",
                Invocation::Task(Task::RefreshTokens),
            ),
        ];
        for (name, want) in cases {
            assert_eq!(Invocation::parse(&fixture(name)).unwrap(), want, "{name}");
        }
        for (name, step) in [
            ("rotation-create-secret.json", "createSecret"),
            ("rotation-set-secret.json", "setSecret"),
            ("rotation-test-secret.json", "testSecret"),
            ("rotation-finish-secret.json", "finishSecret"),
        ] {
            match Invocation::parse(&fixture(name)).unwrap() {
                Invocation::Rotation(e) => {
                    assert_eq!(e.step, step, "{name}");
                    assert!(!e.secret_id.is_empty() && !e.client_request_token.is_empty());
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let listed: usize = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
            .unwrap()
            .count();
        assert_eq!(listed, 8, "every fixture in events/ is checked here");
    }

    #[test]
    fn the_handler_is_built_from_the_settings() {
        let settings = Settings::from_lookup(|k| match k {
            "BC_SECRET_ID" => Some("bigcommerce/store/abc123".into()),
            "REFRESH_LEAD_SECONDS" => Some("900".into()),
            "CONNECTION_SECRET_IDS" => Some("erp/netsuite".into()),
            "WEBHOOK_DESTINATION" => Some("https://hooks.example.com/webhooks/bigcommerce".into()),
            "WEBHOOK_SCOPES" => Some("store/order/*".into()),
            _ => None,
        })
        .unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let h = handler(&settings, &sdk).unwrap();
        assert_eq!(h.refresher.lead_seconds, 900);
        assert_eq!(h.refresher.lease_seconds, 120);
        assert_eq!(h.connection_secret_ids, ["erp/netsuite"]);
        assert_eq!(h.store_secret_ids, ["bigcommerce/store/abc123"]);
        assert_eq!(h.health.bc_api_url, settings.config.bc_api_url);
        assert_eq!(h.hooks, settings.hooks);
    }

    #[test]
    fn unknown_inputs_are_refused_clearly() {
        let e = Invocation::parse(&serde_json::json!({"task": "reboot"})).unwrap_err();
        assert!(e.contains("refresh-tokens"), "{e}");
        let e = Invocation::parse(&serde_json::json!({
            "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}
        }))
        .unwrap_err();
        assert!(e.contains("not handled"), "{e}");
        let e = Invocation::parse(
            &serde_json::json!({"Step": "createSecret", "SecretId": "", "ClientRequestToken": ""}),
        )
        .unwrap_err();
        assert!(e.contains("SecretId"), "{e}");
    }
}
