//! The warm cache of one store secret, and the sources the functions read it through.
//!
//! [`SecretCache`] reads the secret at stage `AWSCURRENT` through a [`SecretFetcher`] (in
//! production [`SecretsApi`](super::SecretsApi)), trusts it for a TTL across warm invocations,
//! serves a stale copy while Secrets Manager is unavailable, and re-reads it at most once for
//! concurrent 401s. It hands the whole secret to webhook and inbound authentication
//! ([`SecretSource`]) and the store hash and token to the BigCommerce client
//! ([`Credentials`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bigcommerce_b2b::{Credentials, CredentialsError, StoreAuth, StoreHash};
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::credential::UnusableCredential;
use super::manager::{SecretError, SecretsApi, AWSCURRENT};
use super::store_secret::StoreSecret;

/// How long a secret read from Secrets Manager is trusted before it is read again.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

/// Reads the raw text of a secret at stage `AWSCURRENT`.
pub trait SecretFetcher: Send + Sync + 'static {
    /// Fetches the secret's current string value.
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>>;
}

impl SecretFetcher for SecretsApi {
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        let id = secret_id.to_owned();
        Box::pin(async move { Ok(self.get_stage(&id, AWSCURRENT).await?.value) })
    }
}

/// Where the whole store secret comes from (webhook secrets, the inbound API key).
pub trait SecretSource: fmt::Debug + Send + Sync + 'static {
    /// The secret to use now (cached).
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>>;
}

impl From<SecretError> for CredentialsError {
    fn from(e: SecretError) -> Self {
        if e.is_retryable() {
            CredentialsError::retryable(e)
        } else {
            CredentialsError::permanent(e)
        }
    }
}

/// Fixed credentials that never change (tests, or a secret handed in by the caller): a
/// [`SecretSource`] and a client [`Credentials`] source at once.
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub Arc<StoreSecret>);

impl SecretSource for StaticCredentials {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>> {
        let s = self.0.clone();
        Box::pin(async move { Ok(s) })
    }
}

impl Credentials for StaticCredentials {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        let auth = self
            .0
            .auth()
            .map(Arc::new)
            .map_err(CredentialsError::permanent);
        Box::pin(async move { auth })
    }
    fn refresh<'a>(
        &'a self,
        _rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        Credentials::current(self)
    }
}

/// The client's view of a secret: its store and token, or why the token may not be sent.
type Auth = Result<Arc<StoreAuth>, UnusableCredential>;

/// One read of the secret: the whole secret and the client's view of it, read together.
struct Entry {
    secret: Arc<StoreSecret>,
    auth: Auth,
    read_at: Instant,
}

/// A TTL cache of one store secret in front of a [`SecretFetcher`].
///
/// Concurrent callers share one read. When a read fails with a retryable error while a stale copy
/// exists, the stale copy is served (and logged) rather than failing the invocation.
pub struct SecretCache<F> {
    fetcher: F,
    secret_id: String,
    /// The store the secret must belong to, when known in advance (a registered store's secret).
    expected_store: Option<StoreHash>,
    ttl: Duration,
    slot: Mutex<Option<Entry>>,
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
            expected_store: None,
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// A cache of `secret_id` that must hold `store`'s credentials: a secret naming another
    /// store is refused as malformed, so one store's token is never used for another's calls.
    pub fn for_store(
        fetcher: F,
        secret_id: impl Into<String>,
        store: StoreHash,
        ttl: Duration,
    ) -> Self {
        Self {
            expected_store: Some(store),
            ..Self::new(fetcher, secret_id, ttl)
        }
    }

    /// The Secrets Manager id this cache reads.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    async fn read(&self) -> Result<Entry, SecretError> {
        let raw = self.fetcher.fetch(&self.secret_id).await?;
        let secret = StoreSecret::from_json(raw.expose_secret())
            .map_err(|reason| SecretError::Malformed {
                what: format!("secret `{}`", self.secret_id),
                reason,
            })?
            .with_secret_id(&self.secret_id);
        if let Some(expected) = &self.expected_store {
            if &secret.store_hash != expected {
                return Err(SecretError::Malformed {
                    what: format!("secret `{}`", self.secret_id),
                    reason: format!(
                        "it holds store `{}`'s credentials, not store `{expected}`'s",
                        secret.store_hash
                    ),
                });
            }
        }
        tracing::debug!(secret_id = %self.secret_id, "store secret read");
        let auth = secret.auth().map(Arc::new);
        if let Err(e) = &auth {
            tracing::error!(secret_id = %self.secret_id, field = %e.field, error = %e, "the store secret's token is unusable; no BigCommerce call is made with it");
        }
        Ok(Entry {
            auth,
            secret: Arc::new(secret),
            read_at: Instant::now(),
        })
    }

    /// The cached entry, read again when older than the TTL; a stale one while reads fail
    /// retryably. Returns (secret, auth).
    async fn fresh(&self) -> Result<(Arc<StoreSecret>, Auth), SecretError> {
        let mut slot = self.slot.lock().await;
        if let Some(e) = slot.as_ref() {
            if e.read_at.elapsed() < self.ttl {
                return Ok((e.secret.clone(), e.auth.clone()));
            }
        }
        match self.read().await {
            Ok(entry) => {
                let out = (entry.secret.clone(), entry.auth.clone());
                *slot = Some(entry);
                Ok(out)
            }
            Err(e) if e.is_retryable() => match slot.as_ref() {
                Some(stale) => {
                    tracing::warn!(secret_id = %self.secret_id, error = %e, "serving a stale store secret");
                    Ok((stale.secret.clone(), stale.auth.clone()))
                }
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Reads the secret again after `rejected` was refused, unless another caller already did.
    async fn reread(&self, rejected: &Arc<StoreAuth>) -> Result<Auth, SecretError> {
        let mut slot = self.slot.lock().await;
        if let Some(e) = slot.as_ref() {
            if !e.auth.as_ref().is_ok_and(|a| Arc::ptr_eq(a, rejected)) {
                return Ok(e.auth.clone());
            }
        }
        let entry = self.read().await?;
        let auth = entry.auth.clone();
        *slot = Some(entry);
        Ok(auth)
    }
}

impl<F: SecretFetcher> SecretSource for SecretCache<F> {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>> {
        Box::pin(async move { Ok(self.fresh().await?.0) })
    }
}

impl<F: SecretFetcher> Credentials for SecretCache<F> {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        Box::pin(async move { self.fresh().await?.1.map_err(CredentialsError::permanent) })
    }

    fn refresh<'a>(
        &'a self,
        rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        Box::pin(async move {
            self.reread(rejected)
                .await?
                .map_err(CredentialsError::permanent)
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
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
                            what: "x".into(),
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
        let a = SecretSource::current(&cache).await.unwrap();
        let b = SecretSource::current(&cache).await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let auth = Credentials::current(&cache).await.unwrap();
        assert_eq!(auth.access_token.expose_secret(), "t1");
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        let c = SecretSource::current(&cache).await.unwrap();
        assert_eq!(c.access_token.expose_secret(), "t2");
        let auth = Credentials::current(&cache).await.unwrap();
        assert_eq!(auth.access_token.expose_secret(), "t2");
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn stale_secret_is_served_when_secrets_manager_is_down() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![
                Ok(secret_json("abc", "t1")),
                Err(SecretError::Unavailable {
                    what: "id".into(),
                    reason: "throttled".into(),
                }),
            ]),
            "id",
            Duration::from_secs(1),
        );
        SecretSource::current(&cache).await.unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        let s = SecretSource::current(&cache).await.unwrap();
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
        let old = Credentials::current(&cache).await.unwrap();
        let first = cache.refresh(&old).await.unwrap();
        let second = cache.refresh(&old).await.unwrap();
        assert_eq!(first.access_token.expose_secret(), "new");
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.fetcher.reads.load(Ordering::SeqCst), 2);
        let whole = SecretSource::current(&cache).await.unwrap();
        assert_eq!(whole.access_token.expose_secret(), "new");
    }

    #[tokio::test]
    async fn a_malformed_secret_is_a_permanent_credentials_error() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![Ok("{not json".into())]),
            "store",
            Duration::from_secs(600),
        );
        let e = Credentials::current(&cache).await.unwrap_err();
        assert!(!e.is_retryable());
        assert!(matches!(
            e.inner().downcast_ref::<SecretError>(),
            Some(SecretError::Malformed { .. })
        ));
    }

    #[tokio::test]
    async fn a_placeholder_token_fails_the_client_permanently_naming_the_secret() {
        let cache = SecretCache::new(
            ScriptedFetcher::new(vec![Ok(secret_json("abc", "REPLACE_ME"))]),
            "stack/bigcommerce/store/abc",
            Duration::from_secs(600),
        );
        let e = Credentials::current(&cache).await.unwrap_err();
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert!(
            text.contains("`access_token` in secret `stack/bigcommerce/store/abc`"),
            "{text}"
        );
        // The rest of the secret is still served (webhook and inbound authentication).
        let whole = SecretSource::current(&cache).await.unwrap();
        assert_eq!(whole.secret_name(), "stack/bigcommerce/store/abc");
    }

    #[tokio::test]
    async fn a_secret_of_another_store_is_refused_for_this_one() {
        let cache = SecretCache::for_store(
            ScriptedFetcher::new(vec![Ok(secret_json("other9", "tok"))]),
            "bigcommerce/store/abc123",
            StoreHash::parse("abc123").unwrap(),
            DEFAULT_SECRET_TTL,
        );
        let e = SecretSource::current(&cache).await.unwrap_err();
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert!(
            text.contains("store `other9`") && text.contains("`abc123`"),
            "{text}"
        );
        assert!(!text.contains("tok"), "{text}");
        assert_eq!(cache.secret_id(), "bigcommerce/store/abc123");
    }
}
