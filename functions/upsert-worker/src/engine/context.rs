//! What every family's code works with while it applies a command: the store's client, the
//! state table, the settings the shared lookups read (the external-id field, the store mirror,
//! the store's currencies), what is kept for the container's life (families' settings and
//! caches, by type) and this batch's memo (by type).

use std::sync::Arc;
use std::time::Duration;

use b2b_shared::state::StateStore;
use bigcommerce_b2b::BcClient;

use super::outcome::ApplyError;
use super::type_map::TypeMap;

/// How old a store mirror may be for a command to diff against it (`MIRROR_MAX_AGE_SECS`).
pub const DEFAULT_MIRROR_MAX_AGE: Duration = Duration::from_secs(60);

/// How long one instance's delta read of a kind holds the store's read lease: the others wait
/// for its result instead of reading the same pages. Short, because it is also how long an
/// instance killed mid-read delays the others; a read that takes longer (a first listing of a
/// large store) is read a second time by the next waiter, which costs quota, never correctness.
pub const DEFAULT_MIRROR_READ_LEASE: Duration = Duration::from_secs(10);

/// The context of one batch's commands (cheap to clone: everything in it is shared).
#[derive(Clone)]
pub struct Context {
    /// The store's client (bound to the invocation's deadline by the caller).
    pub client: BcClient,
    /// The state table.
    pub state: Arc<dyn StateStore>,
    /// The company extra field that carries the external id (`EXTERNAL_ID_FIELD`).
    pub external_id_field: String,
    /// `STORE_MIRROR`: resolve companies, buyers and addresses through the store mirror.
    pub store_mirror: bool,
    /// `MIRROR_MAX_AGE_SECS`: how old a mirror may be to diff against (older: a delta read).
    pub mirror_max_age: Duration,
    /// How long a delta read holds the read lease of its kind: instances that find it held
    /// wait for that read, at most this long.
    pub mirror_read_lease: Duration,
    /// `STORE_CURRENCIES`: the currencies invoices and purchase orders may be in (empty: any).
    pub currencies: Arc<Vec<String>>,
    /// What lives as long as the container: each family's settings and caches, each lookup's
    /// cache, by type.
    pub(crate) kept: TypeMap,
    /// This batch's memo, by type (empty for each batch).
    pub(crate) batch: TypeMap,
}

impl Context {
    /// A context for one store, with the store mirror on (as `STORE_MIRROR` defaults) and every
    /// family at its defaults.
    pub fn new(client: BcClient, state: Arc<dyn StateStore>, external_id_field: String) -> Self {
        Self {
            client,
            state,
            external_id_field,
            store_mirror: true,
            mirror_max_age: DEFAULT_MIRROR_MAX_AGE,
            mirror_read_lease: DEFAULT_MIRROR_READ_LEASE,
            currencies: Arc::default(),
            kept: TypeMap::default(),
            batch: TypeMap::default(),
        }
    }

    /// The value of type `T` kept for the container's life (a family's settings and caches):
    /// its defaults when none was put in.
    pub fn kept<T: std::any::Any + Default + Send + Sync>(&self) -> Arc<T> {
        self.kept.get::<T>()
    }

    /// Keeps `value` for the container's life, in place of the value of its type (a family's
    /// settings, read at cold start).
    pub fn keep<T: std::any::Any + Send + Sync>(&self, value: T) {
        self.kept.put(value);
    }

    /// This batch's memo of type `T`.
    pub fn memo<T: std::any::Any + Default + Send + Sync>(&self) -> Arc<T> {
        self.batch.get::<T>()
    }

    /// Refuses `code` (the command's `field`) unless the store sells in it (`STORE_CURRENCIES`;
    /// unset: any code goes to BigCommerce).
    pub fn check_currency(&self, field: &str, code: &str) -> Result<(), ApplyError> {
        if self.currencies.is_empty() || self.currencies.iter().any(|c| c == code) {
            return Ok(());
        }
        Err(ApplyError::Permanent(format!(
            "`{field}` `{code}` is not a currency of the store ({})",
            self.currencies.join(", ")
        )))
    }
}
