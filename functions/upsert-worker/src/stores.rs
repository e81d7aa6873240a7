//! Many stores in one worker: a BigCommerce client per store (so one pacer and the store's own
//! price-list permits per store), and its export sink, created on first use from the store's
//! secret and dropped when the store has been idle or is no longer served.
//!
//! The batch is split by store in [`crate::worker`]; this module only answers "which client and
//! sink for this store", or that the store is not served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use b2b_shared::config::Config;
use b2b_shared::secrets::{SecretCache, SecretsApi};
use b2b_shared::setup;
use b2b_shared::stores::{LookupError, StoreDirectory, IDLE_EVICTION};
use bigcommerce_b2b::permits::StorePermits;
use bigcommerce_b2b::{BcClient, BcError, Credentials, CredentialsError, StoreAuth, StoreHash};
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::worker::EventSink;

/// Builds a store's export sink from its client.
pub type SinkFactory = Arc<dyn Fn(BcClient) -> Arc<dyn EventSink> + Send + Sync>;

/// What a store's records are applied with.
#[derive(Clone)]
pub struct StoreParts {
    /// The store's client.
    pub client: BcClient,
    /// Its export sink, when the worker exports webhook events.
    pub events: Option<Arc<dyn EventSink>>,
}

struct Known {
    cache: Arc<SecretCache<SecretsApi>>,
    parts: StoreParts,
    used: Instant,
}

/// The clients of every store a many-store worker has met.
pub struct StoreClients {
    directory: Arc<StoreDirectory<SecretsApi>>,
    config: Config,
    permits: Arc<dyn StorePermits>,
    sinks: Option<SinkFactory>,
    known: Mutex<HashMap<StoreHash, Known>>,
}

impl StoreClients {
    /// Clients for the stores of `directory`, built from `config`'s URLs, taking `permits`, with
    /// export sinks from `sinks`.
    pub fn new(
        directory: Arc<StoreDirectory<SecretsApi>>,
        config: Config,
        permits: Arc<dyn StorePermits>,
        sinks: Option<SinkFactory>,
    ) -> Self {
        Self {
            directory,
            config,
            permits,
            sinks,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The client and sink of `store`, or `None` when this deployment does not serve it.
    pub async fn parts_of(&self, store: &StoreHash) -> Result<Option<StoreParts>, LookupError> {
        let Some(cache) = self.directory.cache_of(store).await? else {
            self.lock().remove(store);
            return Ok(None);
        };
        let mut known = self.lock();
        let now = Instant::now();
        known.retain(|_, k| now.duration_since(k.used) < IDLE_EVICTION);
        if let Some(k) = known.get_mut(store) {
            if Arc::ptr_eq(&k.cache, &cache) {
                k.used = now;
                return Ok(Some(k.parts.clone()));
            }
        }
        let client = setup::client_for(&self.config, cache.clone(), Default::default())
            .map_err(|e| LookupError::Secret(client_error(store, e)))?
            .with_store_permits(self.permits.clone());
        let parts = StoreParts {
            events: self.sinks.as_ref().map(|make| make(client.clone())),
            client,
        };
        known.insert(
            store.clone(),
            Known {
                cache,
                parts: parts.clone(),
                used: now,
            },
        );
        Ok(Some(parts))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StoreHash, Known>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn client_error(store: &StoreHash, e: BcError) -> b2b_shared::secrets::SecretError {
    b2b_shared::secrets::SecretError::Permanent {
        what: format!("the client of store `{store}`"),
        reason: e.to_string(),
    }
}

/// The credentials of a many-store worker's own client, which serves no store: the records it
/// handles (those naming no served store) are dead-lettered before any call, and a call made
/// anyway fails, permanently, instead of reaching a store with a guessed token.
#[derive(Debug, Clone, Copy)]
pub struct NoStore;

impl Credentials for NoStore {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        Box::pin(async {
            Err(CredentialsError::permanent(
                "this worker serves many stores: a record must name its store",
            ))
        })
    }

    fn refresh<'a>(
        &'a self,
        _rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        self.current()
    }
}
