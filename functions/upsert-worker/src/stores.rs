//! Many stores in one worker: each store's client comes from the shared
//! [`StoreClients`] (one pacer and the store's own price-list permits per store), and its export
//! sink is made from that client. The batch is split by store in [`crate::worker`].

use std::sync::Arc;

use b2b_shared::stores::StoreClients;
use bigcommerce_b2b::BcClient;

use crate::reactions::EventSink;

/// Builds a store's export sink from its client.
pub type SinkFactory = Arc<dyn Fn(BcClient) -> Arc<dyn EventSink> + Send + Sync>;

/// What a many-store worker applies each store's records with.
pub struct ManyStores {
    /// Each store's client.
    pub clients: StoreClients,
    /// Each store's export sink, when the worker exports webhook events.
    pub sinks: Option<SinkFactory>,
}
