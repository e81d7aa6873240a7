//! A BigCommerce client per served store (so one pacer and one set of store-wide permits per
//! store), made on the store's first use from its own secret, dropped when the store has been
//! idle or is no longer served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bigcommerce_b2b::permits::StorePermits;
use bigcommerce_b2b::{BcClient, StoreHash};
use tokio::time::Instant;

use super::{LookupError, StoreDirectory, IDLE_EVICTION};
use crate::config::Config;
use crate::secrets::{SecretCache, SecretError, SecretsApi};
use crate::setup;

struct Known {
    cache: Arc<SecretCache<SecretsApi>>,
    client: BcClient,
    used: Instant,
}

/// The clients of every store a many-store function has met.
pub struct StoreClients {
    directory: Arc<StoreDirectory<SecretsApi>>,
    config: Config,
    permits: Option<Arc<dyn StorePermits>>,
    known: Mutex<HashMap<StoreHash, Known>>,
}

impl std::fmt::Debug for StoreClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreClients")
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl StoreClients {
    /// Clients for the stores of `directory`, on `config`'s URLs, each taking `permits`.
    pub fn new(
        directory: Arc<StoreDirectory<SecretsApi>>,
        config: Config,
        permits: Option<Arc<dyn StorePermits>>,
    ) -> Self {
        Self {
            directory,
            config,
            permits,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The directory the stores come from.
    pub fn directory(&self) -> &StoreDirectory<SecretsApi> {
        &self.directory
    }

    /// The client of `store`, or `None` when this deployment does not serve it.
    pub async fn client_of(&self, store: &StoreHash) -> Result<Option<BcClient>, LookupError> {
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
                return Ok(Some(k.client.clone()));
            }
        }
        let mut client = setup::client_for(&self.config, cache.clone(), Default::default())
            .map_err(|e| SecretError::Permanent {
                what: format!("the client of store `{store}`"),
                reason: e.to_string(),
            })?;
        if let Some(permits) = &self.permits {
            client = client.with_store_permits(permits.clone());
        }
        known.insert(
            store.clone(),
            Known {
                cache,
                client: client.clone(),
                used: now,
            },
        );
        Ok(Some(client))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StoreHash, Known>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}
