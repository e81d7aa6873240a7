//! The store secret: its format, how it is read from AWS Secrets Manager, and the warm cache.
//!
//! The secret is JSON (`store_hash`, `access_token`, optional `client_id`, `client_secret`,
//! `webhook_secret`, `inbound_api_key`). It is always read at stage `AWSCURRENT`, cached across
//! warm invocations for a TTL, and re-read at most once after BigCommerce answers 401.
//! Credentials are [`SecretString`]s: their `Debug` output is redacted and they are never logged.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How long a secret read from Secrets Manager is trusted before it is read again.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

/// A BigCommerce store hash: the short alphanumeric id in `stores/{hash}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct StoreHash(String);

impl StoreHash {
    /// Validates a store hash: 1 to 64 ASCII letters and digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok =
            !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(StoreHash(raw.to_owned()))
        } else {
            Err("a store hash is 1 to 64 ASCII letters and digits".into())
        }
    }

    /// The hash as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreHash({})", self.0)
    }
}

impl fmt::Display for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StoreHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        StoreHash::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The per-store secret. `Debug` shows which fields are present, never their values.
#[derive(Debug, Deserialize)]
pub struct StoreSecret {
    /// The store this secret belongs to.
    pub store_hash: StoreHash,
    /// Store-level or app API token (`X-Auth-Token`), with the B2B Edition scope for B2B calls.
    pub access_token: SecretString,
    /// The app's client id (app installs, Standard Webhooks).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app's client secret: the Standard Webhooks signing key.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// The value BigCommerce echoes in a custom header on every webhook delivery.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// Bearer key ERP/CRM systems present to `POST /inbound`.
    #[serde(default)]
    pub inbound_api_key: Option<SecretString>,
}

impl StoreSecret {
    /// Parses the secret's JSON. Errors name the problem but never echo a value.
    pub fn from_json(raw: &str) -> Result<Self, String> {
        serde_json::from_str(raw).map_err(|e| describe_json_error(&e))
    }
}

/// Describes a JSON error without quoting the input (serde's messages can contain values).
fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("missing field") || msg.starts_with("a store hash") {
        // These quote only field names or our own text.
        msg.split(" at line").next().unwrap_or(&msg).to_owned()
    } else {
        format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secret does not exist (permanent until someone creates it).
    #[error("secret `{id}` was not found")]
    NotFound {
        /// The secret id asked for.
        id: String,
    },
    /// Secrets Manager refused access (permanent until the policy is fixed).
    #[error("access to secret `{id}` was denied")]
    AccessDenied {
        /// The secret id asked for.
        id: String,
    },
    /// The secret exists but is not the expected JSON (permanent until it is fixed).
    #[error("secret `{id}` is malformed: {reason}")]
    Malformed {
        /// The secret id.
        id: String,
        /// What is wrong, never quoting the value.
        reason: String,
    },
    /// Secrets Manager could not be reached or throttled us (retryable).
    #[error("secret `{id}` could not be read: {reason}")]
    Unavailable {
        /// The secret id.
        id: String,
        /// The service's error.
        reason: String,
    },
}

impl SecretError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Unavailable { .. })
    }
}

/// Reads the raw text of a secret at stage `AWSCURRENT`.
pub trait SecretFetcher: Send + Sync + 'static {
    /// Fetches the secret's current string value.
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>>;
}

/// [`SecretFetcher`] backed by AWS Secrets Manager (or moto through `AWS_ENDPOINT_URL`).
#[derive(Clone, Debug)]
pub struct SecretsManagerFetcher {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManagerFetcher {
    /// Wraps a Secrets Manager client.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self { client }
    }

    /// Builds a client from the standard AWS environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
    pub async fn from_env() -> Self {
        let cfg = aws_config::load_from_env().await;
        Self::new(aws_sdk_secretsmanager::Client::new(&cfg))
    }
}

impl SecretFetcher for SecretsManagerFetcher {
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        let id = secret_id.to_owned();
        Box::pin(async move {
            use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
            let out = self
                .client
                .get_secret_value()
                .secret_id(&id)
                .version_stage("AWSCURRENT")
                .send()
                .await
                .map_err(|e| {
                    let service = e.as_service_error();
                    match service {
                        Some(GetSecretValueError::ResourceNotFoundException(_)) => {
                            SecretError::NotFound { id: id.clone() }
                        }
                        Some(GetSecretValueError::InvalidRequestException(_))
                        | Some(GetSecretValueError::InvalidParameterException(_)) => {
                            SecretError::Malformed {
                                id: id.clone(),
                                reason: format!(
                                    "{}",
                                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                                ),
                            }
                        }
                        Some(other) if other.meta().code() == Some("AccessDeniedException") => {
                            SecretError::AccessDenied { id: id.clone() }
                        }
                        _ => SecretError::Unavailable {
                            id: id.clone(),
                            reason: format!(
                                "{}",
                                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                            ),
                        },
                    }
                })?;
            out.secret_string
                .map(SecretString::from)
                .ok_or(SecretError::Malformed {
                    id,
                    reason: "it has no SecretString (binary secrets are not supported)".into(),
                })
        })
    }
}

/// Where BigCommerce credentials come from. The HTTP client asks for [`current`](Self::current)
/// before each request and calls [`refresh`](Self::refresh) once after a 401.
pub trait StoreCredentials: Send + Sync + 'static {
    /// The secret to use now (cached).
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>>;
    /// Re-reads the secret after `rejected` got a 401, unless another caller already did.
    fn refresh<'a>(
        &'a self,
        rejected: &'a Arc<StoreSecret>,
    ) -> BoxFuture<'a, Result<Arc<StoreSecret>, SecretError>>;
}

/// Fixed credentials that never change (tests, or a token handed in by the caller).
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub Arc<StoreSecret>);

impl StoreCredentials for StaticCredentials {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>> {
        let s = self.0.clone();
        Box::pin(async move { Ok(s) })
    }
    fn refresh<'a>(
        &'a self,
        _rejected: &'a Arc<StoreSecret>,
    ) -> BoxFuture<'a, Result<Arc<StoreSecret>, SecretError>> {
        self.current()
    }
}

/// A TTL cache of one store secret in front of a [`SecretFetcher`].
///
/// Concurrent callers share one read. When a read fails with a retryable error while a stale copy
/// exists, the stale copy is served (and logged) rather than failing the invocation.
pub struct SecretCache<F> {
    fetcher: F,
    secret_id: String,
    ttl: Duration,
    slot: Mutex<Option<(Arc<StoreSecret>, Instant)>>,
}

impl<F> fmt::Debug for SecretCache<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretCache")
            .field("secret_id", &self.secret_id)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<F: SecretFetcher> SecretCache<F> {
    /// A cache of `secret_id` read through `fetcher`, trusted for `ttl`.
    pub fn new(fetcher: F, secret_id: impl Into<String>, ttl: Duration) -> Self {
        Self {
            fetcher,
            secret_id: secret_id.into(),
            ttl,
            slot: Mutex::new(None),
        }
    }

    async fn read(&self) -> Result<Arc<StoreSecret>, SecretError> {
        use secrecy::ExposeSecret;
        let raw = self.fetcher.fetch(&self.secret_id).await?;
        let secret = StoreSecret::from_json(raw.expose_secret()).map_err(|reason| {
            SecretError::Malformed {
                id: self.secret_id.clone(),
                reason,
            }
        })?;
        tracing::debug!(secret_id = %self.secret_id, "store secret read");
        Ok(Arc::new(secret))
    }
}

impl<F: SecretFetcher> StoreCredentials for SecretCache<F> {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>> {
        Box::pin(async move {
            let mut slot = self.slot.lock().await;
            if let Some((secret, read_at)) = slot.as_ref() {
                if read_at.elapsed() < self.ttl {
                    return Ok(secret.clone());
                }
            }
            match self.read().await {
                Ok(fresh) => {
                    *slot = Some((fresh.clone(), Instant::now()));
                    Ok(fresh)
                }
                Err(e) if e.is_retryable() => match slot.as_ref() {
                    Some((stale, _)) => {
                        tracing::warn!(secret_id = %self.secret_id, error = %e, "serving a stale store secret");
                        Ok(stale.clone())
                    }
                    None => Err(e),
                },
                Err(e) => Err(e),
            }
        })
    }

    fn refresh<'a>(
        &'a self,
        rejected: &'a Arc<StoreSecret>,
    ) -> BoxFuture<'a, Result<Arc<StoreSecret>, SecretError>> {
        Box::pin(async move {
            let mut slot = self.slot.lock().await;
            if let Some((cached, _)) = slot.as_ref() {
                if !Arc::ptr_eq(cached, rejected) {
                    return Ok(cached.clone());
                }
            }
            let fresh = self.read().await?;
            *slot = Some((fresh.clone(), Instant::now()));
            Ok(fresh)
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex as StdMutex;

    /// A fetcher that hands out queued answers and counts reads.
    pub(crate) struct ScriptedFetcher {
        pub answers: StdMutex<Vec<Result<String, SecretError>>>,
        pub reads: AtomicUsize,
    }

    impl ScriptedFetcher {
        pub(crate) fn new(answers: Vec<Result<String, SecretError>>) -> Self {
            Self {
                answers: StdMutex::new(answers),
                reads: AtomicUsize::new(0),
            }
        }
    }

    impl SecretFetcher for ScriptedFetcher {
        fn fetch(&self, _id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let next = {
                let mut a = self.answers.lock().unwrap();
                if a.len() > 1 {
                    a.remove(0)
                } else {
                    match a.first() {
                        Some(Ok(s)) => Ok(s.clone()),
                        _ => Err(SecretError::Unavailable {
                            id: "x".into(),
                            reason: "down".into(),
                        }),
                    }
                }
            };
            Box::pin(async move { next.map(SecretString::from) })
        }
    }

    pub(crate) fn secret_json(hash: &str, token: &str) -> String {
        format!(
            r#"{{"store_hash":"{hash}","access_token":"{token}","webhook_secret":"hook-s3cret","inbound_api_key":"k3y"}}"#
        )
    }

    #[test]
    fn debug_output_never_shows_a_credential() {
        let s = StoreSecret::from_json(
            r#"{"store_hash":"abc123","access_token":"tok-SECRET","client_id":"cid",
                "client_secret":"cs-SECRET","webhook_secret":"wh-SECRET","inbound_api_key":"ik-SECRET"}"#,
        )
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("abc123"));
        assert_eq!(s.access_token.expose_secret(), "tok-SECRET");
    }

    #[test]
    fn malformed_secret_errors_do_not_echo_values() {
        let err = StoreSecret::from_json(r#"{"store_hash":"abc","access_token":42}"#).unwrap_err();
        assert!(!err.contains("42"), "{err}");
        let err = StoreSecret::from_json(r#"{"store_hash":"abc"}"#).unwrap_err();
        assert_eq!(err, "missing field `access_token`");
        let err = StoreSecret::from_json(r#"{"store_hash":"a/b","access_token":"t"}"#).unwrap_err();
        assert!(err.contains("store hash"), "{err}");
        assert!(StoreSecret::from_json("tok-SECRET")
            .unwrap_err()
            .contains("Syntax"));
    }

    #[tokio::test(start_paused = true)]
    async fn cache_reads_once_within_ttl_and_again_after() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![
                Ok(secret_json("abc", "t1")),
                Ok(secret_json("abc", "t2")),
            ]),
            "id",
            Duration::from_secs(60),
        );
        let a = cache.current().await.unwrap();
        let b = cache.current().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        let c = cache.current().await.unwrap();
        assert_eq!(c.access_token.expose_secret(), "t2");
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn stale_secret_is_served_when_secrets_manager_is_down() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![
                Ok(secret_json("abc", "t1")),
                Err(SecretError::Unavailable {
                    id: "id".into(),
                    reason: "throttled".into(),
                }),
            ]),
            "id",
            Duration::from_secs(1),
        );
        cache.current().await.unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        let s = cache.current().await.unwrap();
        assert_eq!(s.access_token.expose_secret(), "t1");
    }

    #[tokio::test]
    async fn refresh_reads_once_for_concurrent_401s() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![
                Ok(secret_json("abc", "old")),
                Ok(secret_json("abc", "new")),
            ]),
            "id",
            Duration::from_secs(600),
        );
        let old = cache.current().await.unwrap();
        let first = cache.refresh(&old).await.unwrap();
        let second = cache.refresh(&old).await.unwrap();
        assert_eq!(first.access_token.expose_secret(), "new");
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 2);
    }
}
