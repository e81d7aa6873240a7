//! Cold-start wiring shared by every function: the AWS configuration and the store's client.

use std::sync::Arc;

use crate::bigcommerce::{BcClient, BcError, ClientOptions};
use crate::config::Config;
use crate::secrets::{SecretCache, SecretsManagerFetcher, DEFAULT_SECRET_TTL};

/// The AWS SDK configuration from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}

/// A BigCommerce client for the store whose secret `config.secret_id` names, reading the secret
/// from Secrets Manager through a TTL cache. Nothing is fetched until the first call.
pub fn store_client(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    options: ClientOptions,
) -> Result<BcClient, BcError> {
    let fetcher = SecretsManagerFetcher::new(aws_sdk_secretsmanager::Client::new(sdk));
    let credentials = Arc::new(SecretCache::new(
        fetcher,
        config.secret_id.clone(),
        DEFAULT_SECRET_TTL,
    ));
    BcClient::from_config(config, credentials, options)
}
