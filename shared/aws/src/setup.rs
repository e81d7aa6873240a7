//! Cold-start wiring shared by every function: the AWS configuration and the store's client.

use std::sync::Arc;

use bigcommerce_b2b::tls::{root_certificates_pem, TlsError, TrustRoots};
use bigcommerce_b2b::{BcClient, BcError, ClientOptions, Credentials};

use crate::config::Config;
use crate::secrets::{SecretCache, SecretsApi, DEFAULT_SECRET_TTL};
use crate::stores::{StoreDirectory, StoreRegistry};

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
    log_step(step, started);
    out
}

/// The debug line of one cold-start step: how long it took and the RSS after it.
fn log_step(step: &'static str, started: std::time::Instant) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            step,
            micros = started.elapsed().as_micros() as u64,
            rss_kib = resident_kib(),
            "cold start step"
        );
    }
}

/// This process's resident memory now (`VmRSS`, in KiB), for the debug log of where memory
/// goes; 0 where it cannot be read.
pub fn resident_kib() -> u64 {
    proc_status_kib("self", "VmRSS").unwrap_or(0)
}

/// A memory field of `/proc/{process}/status` (`VmRSS`, `VmHWM`, ...; `process` is a pid or
/// `self`), in KiB; `None` where it cannot be read (the process exited, not Linux).
pub fn proc_status_kib(process: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The AWS SDK configuration from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
/// ...), with one HTTP client for every SDK client made from it, trusting `roots` (the same root
/// store the BigCommerce client uses; see [`bigcommerce_b2b::tls`]).
///
/// When the environment holds the credentials and the region, as Lambda's does, they are taken
/// from it directly: no profile file is read and no instance metadata is probed. Otherwise the
/// SDK's default chains run, lazily, at the first call.
pub async fn aws_config(roots: TrustRoots) -> Result<aws_config::SdkConfig, TlsError> {
    aws_config_from(roots, |name| std::env::var(name).ok()).await
}

/// [`aws_config()`] with the environment read through `lookup`.
pub async fn aws_config_from(
    roots: TrustRoots,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<aws_config::SdkConfig, TlsError> {
    use aws_config::{BehaviorVersion, Region};
    let started = std::time::Instant::now();
    let http = sdk_http_client(roots)?;
    log_step("tls", started);
    let started = std::time::Instant::now();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    if let Some(region) = set("AWS_REGION").or_else(|| set("AWS_DEFAULT_REGION")) {
        loader = loader.region(Region::new(region));
    }
    if set("AWS_ACCESS_KEY_ID").is_some() && set("AWS_SECRET_ACCESS_KEY").is_some() {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    let sdk = loader.load().await;
    log_step("aws config", started);
    Ok(sdk)
}

/// The one HTTPS client the SDK clients of a process share, trusting `roots`.
fn sdk_http_client(roots: TrustRoots) -> Result<aws_sdk_sqs::config::SharedHttpClient, TlsError> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let store =
        TrustStore::empty().with_pem_certificate(root_certificates_pem(roots)?.into_bytes());
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// A BigCommerce client for the one store of a single-store `config` (`BC_SECRET_ID`), reading
/// the secret from Secrets Manager through a TTL cache. Nothing is fetched until the first call.
pub fn store_client(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    options: ClientOptions,
) -> Result<BcClient, BcError> {
    client_for(config, store_secret(config, sdk)?, options)
}

/// The TTL cache of the one store secret of a single-store `config` (`BC_SECRET_ID`), read
/// from Secrets Manager. One cache can serve both the client ([`client_for`]) and code that
/// needs the whole secret. A many-store `config` is refused: its functions use
/// [`store_directory`] instead.
pub fn store_secret(
    config: &Config,
    sdk: &aws_config::SdkConfig,
) -> Result<Arc<SecretCache<SecretsApi>>, BcError> {
    let secret_id = config.stores.single_secret_id().ok_or_else(|| {
        BcError::Credentials(bigcommerce_b2b::CredentialsError::permanent(
            "this function serves one store: set BC_SECRET_ID",
        ))
    })?;
    let fetcher = SecretsApi::new(aws_sdk_secretsmanager::Client::new(sdk));
    Ok(Arc::new(SecretCache::new(
        fetcher,
        secret_id,
        DEFAULT_SECRET_TTL,
    )))
}

/// The directory of the stores `config` serves (see [`crate::stores`]), reading secrets from
/// Secrets Manager and app installs from `registry` (the state table). Nothing is fetched until
/// the first lookup.
pub fn store_directory(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    registry: Option<Arc<dyn StoreRegistry>>,
) -> Arc<StoreDirectory<SecretsApi>> {
    let fetcher = SecretsApi::new(aws_sdk_secretsmanager::Client::new(sdk));
    Arc::new(StoreDirectory::new(
        config.stores.clone(),
        fetcher,
        registry,
    ))
}

/// A BigCommerce client for the URLs of `config`, authenticated by `credentials`, trusting the
/// roots `config` names (`TLS_ROOTS`), whatever `options.trust_roots` says.
pub fn client_for(
    config: &Config,
    credentials: Arc<dyn Credentials>,
    options: ClientOptions,
) -> Result<BcClient, BcError> {
    let options = ClientOptions {
        trust_roots: config.trust_roots,
        ..options
    };
    BcClient::new(
        &config.bc_api_url,
        &config.b2b_api_url,
        credentials,
        options,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_fields_are_read_by_exact_name() {
        let rss = proc_status_kib("self", "VmRSS").unwrap();
        let peak = proc_status_kib("self", "VmHWM").unwrap();
        assert!(rss > 0 && peak >= rss, "rss {rss}, peak {peak}");
        assert_eq!(
            proc_status_kib("self", "VmRS"),
            None,
            "a prefix is not the field"
        );
        assert_eq!(proc_status_kib("0", "VmRSS"), None);
    }

    #[tokio::test]
    async fn the_environment_gives_region_and_credentials_without_the_default_chains() {
        let env = |name: &str| match name {
            "AWS_REGION" => Some("eu-west-1".to_owned()),
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("x".to_owned()),
            _ => None,
        };
        let sdk = aws_config_from(TrustRoots::Bundled, env).await.unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(sdk.credentials_provider().is_some());
        assert!(sdk.http_client().is_some(), "one shared HTTP client");
    }

    #[tokio::test]
    async fn a_blank_region_falls_back_to_the_default_region_variable() {
        let env = |name: &str| match name {
            "AWS_REGION" => Some(" ".to_owned()),
            "AWS_DEFAULT_REGION" => Some("us-west-2".to_owned()),
            _ => None,
        };
        let sdk = aws_config_from(TrustRoots::Bundled, env).await.unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-west-2"));
    }
}
