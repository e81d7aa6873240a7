//! Permits shared by every process that writes to one store.
//!
//! Some BigCommerce limits hold per store, whoever calls: at most 2 price-list record upserts in
//! flight. The client's own semaphore keeps one process within them; a [`StorePermits`] given
//! with [`BcClient::with_store_permits`](crate::BcClient::with_store_permits) keeps every
//! process within them together (the upsert-worker's are leases in its state table). The crate
//! only defines the contract: where the permits live is the caller's.

use tokio::time::Instant;

use futures_util::future::BoxFuture;

use crate::BcError;

/// The name of the store-wide limit on price-list record upserts in flight.
pub const PRICELIST_UPSERTS: &str = "pricelist-upserts";

/// Permits for a store-wide limit, shared by every process.
pub trait StorePermits: Send + Sync {
    /// Takes one of store `store`'s permits for `limit`, waiting while all are taken, but not
    /// past `deadline` (then [`BcError::DeadlineExceeded`], retryable). Returns the permit, for
    /// [`release`](Self::release).
    fn acquire<'a>(
        &'a self,
        store: &'a str,
        limit: &'a str,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<String, BcError>>;

    /// Gives `permit` back. A permit never given back (the process died) expires by itself.
    fn release(&self, permit: String) -> BoxFuture<'_, ()>;
}
