//! Many stores in one worker: each store's client comes from the shared
//! [`StoreClients`] (one pacer and the store's own price-list permits per store), and its export
//! sink is made from that client. The batch is split by store in [`crate::worker`].

use std::sync::Arc;

use b2b_shared::stores::StoreClients;
use bigcommerce_b2b::{BcClient, Credentials, CredentialsError, StoreAuth};
use futures_util::future::BoxFuture;

use crate::worker::EventSink;

/// Builds a store's export sink from its client.
pub type SinkFactory = Arc<dyn Fn(BcClient) -> Arc<dyn EventSink> + Send + Sync>;

/// What a many-store worker applies each store's records with.
pub struct ManyStores {
    /// Each store's client.
    pub clients: StoreClients,
    /// Each store's export sink, when the worker exports webhook events.
    pub sinks: Option<SinkFactory>,
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
