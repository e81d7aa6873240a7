//! Cold-start wiring shared by every function: the AWS configuration and the store's client.

use std::sync::Arc;

use bigcommerce_b2b::{BcClient, BcError, ClientOptions, Credentials};

use crate::config::Config;
use crate::secrets::{SecretCache, SecretsApi, DEFAULT_SECRET_TTL};

/// The value of a start-up step, or the end of a function that cannot start: one log line
/// naming every problem (the error's sentence, never a `Debug` dump of its struct), then exit
/// status 1, which Lambda reports as an init failure.
pub fn or_exit<T, E: std::fmt::Display>(step: Result<T, E>) -> T {
    match step {
        Ok(value) => value,
        Err(e) => {
            tracing::error!(error = %e, "the function cannot start");
            std::process::exit(1)
        }
    }
}

/// Runs one wiring step of a cold start and logs how long it took, at debug level
/// (`RUST_LOG=debug`): where a function's init time goes.
pub fn timed<T>(step: &'static str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    tracing::debug!(
        step,
        micros = started.elapsed().as_micros() as u64,
        "cold start step"
    );
    out
}

/// The AWS SDK configuration from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
pub async fn aws_config() -> aws_config::SdkConfig {
    let started = std::time::Instant::now();
    let sdk = aws_config::load_from_env().await;
    tracing::debug!(
        step = "aws config",
        micros = started.elapsed().as_micros() as u64,
        "cold start step"
    );
    sdk
}

/// A BigCommerce client for the store whose secret `config.secret_id` names, reading the secret
/// from Secrets Manager through a TTL cache. Nothing is fetched until the first call.
pub fn store_client(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    options: ClientOptions,
) -> Result<BcClient, BcError> {
    client_for(config, store_secret(config, sdk), options)
}

/// The TTL cache of the store secret that `config.secret_id` names, read from Secrets Manager.
/// One cache can serve both the client ([`client_for`]) and code that needs the whole secret.
pub fn store_secret(config: &Config, sdk: &aws_config::SdkConfig) -> Arc<SecretCache<SecretsApi>> {
    let fetcher = SecretsApi::new(aws_sdk_secretsmanager::Client::new(sdk));
    Arc::new(SecretCache::new(
        fetcher,
        config.secret_id.clone(),
        DEFAULT_SECRET_TTL,
    ))
}

/// A BigCommerce client for the URLs of `config`, authenticated by `credentials`.
pub fn client_for(
    config: &Config,
    credentials: Arc<dyn Credentials>,
    options: ClientOptions,
) -> Result<BcClient, BcError> {
    BcClient::new(
        &config.bc_api_url,
        &config.b2b_api_url,
        credentials,
        options,
    )
}
