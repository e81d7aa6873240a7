//! The stores a deployment serves: one (`BC_SECRET_ID`) or many (declared in `STORES`, or
//! installed as an app and kept in the [`registry`]), and, per store, the secret its calls and
//! its webhooks are authenticated with.
//!
//! [`StoreDirectory`] answers "is this store served, and with which secret?" for every function:
//! a store absent from it is refused, and each store's secret is read through its own
//! [`SecretCache`] that refuses a secret naming another store, so one store's credentials are
//! never used for another's calls.

pub mod clients;
pub mod dead_letters;
pub mod registry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bigcommerce_b2b::{Credentials, CredentialsError, StoreAuth, StoreHash};
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::config::StoreSetting;
use crate::secrets::{
    SecretCache, SecretError, SecretFetcher, SecretSource, StaticCredentials, StoreSecret,
    DEFAULT_SECRET_TTL,
};
use crate::state::StateError;
pub use clients::StoreClients;
pub use registry::{StoreRecord, StoreRegistry, StoreSource, StoreStatus};

/// How long a registry answer (served or not) is trusted before the registry is read again: an
/// install or an uninstall reaches every warm instance within this time.
pub const REGISTRY_TTL: Duration = Duration::from_secs(30);

/// A store not used for this long is forgotten (its cached secret dropped).
pub const IDLE_EVICTION: Duration = Duration::from_secs(15 * 60);

/// Why it could not be told whether a store is served.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The store registry could not be read (retryable).
    #[error(transparent)]
    Registry(#[from] StateError),
    /// The store's secret could not be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl LookupError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Registry(_) => true,
            Self::Secret(e) => e.is_retryable(),
        }
    }
}

/// The secrets of the stores a deployment serves.
pub trait StoreSecrets: Send + Sync + 'static {
    /// The secret of `store`, or `None` when this deployment does not serve it.
    fn secret_of<'a>(
        &'a self,
        store: &'a StoreHash,
    ) -> BoxFuture<'a, Result<Option<Arc<StoreSecret>>, LookupError>>;

    /// The secret of the one store of a single-store deployment (what a delivery that does not
    /// name its store belongs to); `None` when it serves many.
    fn only_store(&self) -> BoxFuture<'_, Result<Option<Arc<StoreSecret>>, LookupError>>;
}

impl StoreSecrets for StaticCredentials {
    fn secret_of<'a>(
        &'a self,
        store: &'a StoreHash,
    ) -> BoxFuture<'a, Result<Option<Arc<StoreSecret>>, LookupError>> {
        let secret = self.0.clone();
        Box::pin(async move { Ok((&secret.store_hash == store).then_some(secret)) })
    }

    fn only_store(&self) -> BoxFuture<'_, Result<Option<Arc<StoreSecret>>, LookupError>> {
        let secret = self.0.clone();
        Box::pin(async move { Ok(Some(secret)) })
    }
}

/// One store secret read through its cache (a single-store deployment's).
impl<F: SecretFetcher> StoreSecrets for SecretCache<F> {
    fn secret_of<'a>(
        &'a self,
        store: &'a StoreHash,
    ) -> BoxFuture<'a, Result<Option<Arc<StoreSecret>>, LookupError>> {
        Box::pin(async move {
            let secret = SecretSource::current(self).await?;
            Ok((&secret.store_hash == store).then_some(secret))
        })
    }

    fn only_store(&self) -> BoxFuture<'_, Result<Option<Arc<StoreSecret>>, LookupError>> {
        Box::pin(async move { Ok(Some(SecretSource::current(self).await?)) })
    }
}

/// The credentials of a many-store function's own client, which serves no store: what it
/// handles without a served store (records naming none, a schedule's fan-out) makes no
/// BigCommerce call, and a call made anyway fails, permanently, instead of reaching a store with
/// a guessed token.
#[derive(Debug, Clone, Copy)]
pub struct NoStore;

impl Credentials for NoStore {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        Box::pin(async {
            Err(CredentialsError::permanent(
                "this function serves many stores: nothing names the store to call",
            ))
        })
    }

    fn refresh<'a>(
        &'a self,
        _rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        Credentials::current(self)
    }
}

impl SecretSource for NoStore {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreSecret>, SecretError>> {
        Box::pin(async {
            Err(SecretError::Permanent {
                what: "the store secret".into(),
                reason: "this function serves many stores: nothing names the store".into(),
            })
        })
    }
}

/// What is known of one store.
struct Known<F> {
    /// Its secret's cache, or `None`: not served.
    cache: Option<Arc<SecretCache<F>>>,
    /// When the registry said so (`None`: declared in the settings, never re-read).
    checked: Option<Instant>,
    used: Instant,
}

/// The stores a deployment serves, from its [`StoreSetting`] and the store registry, with a
/// secret cache per store created on first use and dropped when idle.
pub struct StoreDirectory<F> {
    setting: StoreSetting,
    fetcher: F,
    registry: Option<Arc<dyn StoreRegistry>>,
    single: Option<Arc<SecretCache<F>>>,
    known: Mutex<HashMap<StoreHash, Known<F>>>,
}

impl<F> std::fmt::Debug for StoreDirectory<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreDirectory")
            .field("setting", &self.setting)
            .finish_non_exhaustive()
    }
}

impl<F: SecretFetcher + Clone> StoreDirectory<F> {
    /// The directory of `setting`, reading secrets through `fetcher` and, for many stores, app
    /// installs from `registry` (without one, only the declared stores are served).
    pub fn new(
        setting: StoreSetting,
        fetcher: F,
        registry: Option<Arc<dyn StoreRegistry>>,
    ) -> Self {
        let single = setting
            .single_secret_id()
            .map(|id| Arc::new(SecretCache::new(fetcher.clone(), id, DEFAULT_SECRET_TTL)));
        Self {
            setting,
            fetcher,
            registry,
            single,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The secret cache of `store` (it implements the client's
    /// [`Credentials`]), or `None` when it is not served.
    pub async fn cache_of(
        &self,
        store: &StoreHash,
    ) -> Result<Option<Arc<SecretCache<F>>>, LookupError> {
        if let Some(single) = &self.single {
            let secret = SecretSource::current(single.as_ref()).await?;
            return Ok((&secret.store_hash == store).then(|| single.clone()));
        }
        if let Some(known) = self.remembered(store) {
            return Ok(known);
        }
        let record = match &self.registry {
            Some(registry) => registry.get_store(store.as_str()).await?,
            None => None,
        };
        let secret_id = record
            .filter(|r| r.status == StoreStatus::Active)
            .map(|r| r.secret_id)
            .filter(|id| !id.is_empty());
        Ok(self.remember(store, secret_id))
    }

    /// What is known of `store` and still trusted; declared stores are known from the start.
    fn remembered(&self, store: &StoreHash) -> Option<Option<Arc<SecretCache<F>>>> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        known.retain(|_, k| now.duration_since(k.used) < IDLE_EVICTION);
        if let Some(k) = known.get_mut(store) {
            if k.checked
                .is_none_or(|at| now.duration_since(at) < REGISTRY_TTL)
            {
                k.used = now;
                return Some(k.cache.clone());
            }
        }
        if let StoreSetting::Many {
            secret_prefix,
            declared,
        } = &self.setting
        {
            if declared.contains(store) {
                let cache = self.cache(format!("{secret_prefix}{store}"), store);
                known.insert(
                    store.clone(),
                    Known {
                        cache: Some(cache.clone()),
                        checked: None,
                        used: now,
                    },
                );
                return Some(Some(cache));
            }
        }
        None
    }

    /// Records the registry's answer for `store`: served from `secret_id`, or not served. A
    /// store still served from the same secret keeps its warm cache.
    fn remember(
        &self,
        store: &StoreHash,
        secret_id: Option<String>,
    ) -> Option<Arc<SecretCache<F>>> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let previous = known.remove(store).and_then(|k| k.cache);
        let cache = secret_id.map(|id| match previous {
            Some(p) if p.secret_id() == id => p,
            _ => self.cache(id, store),
        });
        known.insert(
            store.clone(),
            Known {
                cache: cache.clone(),
                checked: Some(now),
                used: now,
            },
        );
        cache
    }

    fn cache(&self, secret_id: String, store: &StoreHash) -> Arc<SecretCache<F>> {
        Arc::new(SecretCache::for_store(
            self.fetcher.clone(),
            secret_id,
            store.clone(),
            DEFAULT_SECRET_TTL,
        ))
    }

    /// Every store served now, sorted: the one store, or the declared and the active installed
    /// ones.
    pub async fn stores(&self) -> Result<Vec<StoreHash>, LookupError> {
        if let Some(single) = &self.single {
            let secret = SecretSource::current(single.as_ref()).await?;
            return Ok(vec![secret.store_hash.clone()]);
        }
        let StoreSetting::Many { declared, .. } = &self.setting else {
            return Ok(Vec::new());
        };
        let mut stores = declared.clone();
        if let Some(registry) = &self.registry {
            for hash in registry.active_stores().await? {
                match StoreHash::parse(&hash) {
                    Ok(h) if !stores.contains(&h) => stores.push(h),
                    Ok(_) => {}
                    Err(reason) => {
                        tracing::warn!(store = %hash, %reason, "the store index holds an invalid hash; skipped")
                    }
                }
            }
        }
        stores.sort();
        Ok(stores)
    }
}

impl<F: SecretFetcher + Clone> StoreSecrets for StoreDirectory<F> {
    fn secret_of<'a>(
        &'a self,
        store: &'a StoreHash,
    ) -> BoxFuture<'a, Result<Option<Arc<StoreSecret>>, LookupError>> {
        Box::pin(async move {
            match self.cache_of(store).await? {
                Some(cache) => Ok(Some(SecretSource::current(cache.as_ref()).await?)),
                None => Ok(None),
            }
        })
    }

    fn only_store(&self) -> BoxFuture<'_, Result<Option<Arc<StoreSecret>>, LookupError>> {
        Box::pin(async move {
            match &self.single {
                Some(single) => Ok(Some(SecretSource::current(single.as_ref()).await?)),
                None => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests;
