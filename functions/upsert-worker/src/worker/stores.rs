//! A batch in a many-store worker: its records split by the store they name, each store's share
//! handled as one batch with that store's client and export sink (the stores in parallel: each
//! has its own quota), and the records that name no served store dead-lettered with the reason
//! (and counted in `UnknownStore`). A store whose secret or registry entry cannot be read now has
//! its records retried.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::StoreHash;

use super::record::Incoming;
use super::{RecordResult, Worker};
use bigcommerce_b2b::BcClient;

use crate::stores::ManyStores;

impl Worker {
    /// Handles one SQS batch of a many-store worker.
    pub(super) async fn handle_stores(
        &self,
        stores: &ManyStores,
        event: &SqsEvent,
    ) -> SqsBatchResponse {
        let mut by_store: BTreeMap<StoreHash, Vec<Incoming>> = BTreeMap::new();
        let mut unserved: Vec<Incoming> = Vec::new();
        for item in self.incoming(event).await {
            match item.store() {
                Some(store) => by_store.entry(store).or_default().push(item),
                None => unserved.push(item),
            }
        }
        let mut served = Vec::new();
        let mut unavailable = Vec::new();
        for (store, items) in by_store {
            match stores.clients.client_of(&store).await {
                Ok(Some(client)) => served.push((self.for_store(client, stores), items)),
                Ok(None) => {
                    count_unknown_store(&store, items.len());
                    let reason = format!("store `{store}` is not served by this deployment");
                    unserved.extend(items.into_iter().map(|i| i.refused(&reason)));
                }
                Err(e) => {
                    tracing::warn!(%store, error = %e, "store unavailable; its records are retried");
                    let reason = format!("store `{store}`: {e}");
                    unavailable.extend(items.into_iter().map(|i| (i, reason.clone())));
                }
            }
        }
        let runs = served.iter().map(|(worker, items)| {
            worker.handle_batch(items, worker.engine.context.client.stats())
        });
        let mut responses = futures_util::future::join_all(runs).await;
        let base = Worker {
            engine: self.engine.for_batch(),
            ..self.clone()
        };
        if !unserved.is_empty() {
            let before = base.engine.context.client.stats();
            responses.push(base.handle_batch(&unserved, before).await);
        }
        if !unavailable.is_empty() {
            let retries = unavailable
                .iter()
                .map(|(item, reason)| (item, retry(item, reason)))
                .collect();
            responses.push(
                base.respond(retries, base.engine.context.client.stats())
                    .await,
            );
        }
        let mut response = SqsBatchResponse::default();
        for failure in responses.into_iter().flat_map(|r| r.batch_item_failures) {
            // The items of one record's array may name several stores: the record once.
            let listed = response
                .batch_item_failures
                .iter()
                .any(|f| f.item_identifier == failure.item_identifier);
            if !listed {
                response.batch_item_failures.push(failure);
            }
        }
        response
    }

    /// This worker for one store's records: its client (with this invocation's deadline) and
    /// its export sink.
    fn for_store(&self, client: BcClient, stores: &ManyStores) -> Worker {
        let client = match self.engine.context.client.deadline() {
            Some(deadline) => client.with_deadline(deadline),
            None => client,
        };
        Worker {
            events: stores.sinks.as_ref().map(|make| make(client.clone())),
            engine: self.engine.with_client(client),
            stores: None,
            ..self.clone()
        }
    }
}

fn retry(item: &Incoming, reason: &str) -> RecordResult {
    RecordResult::Retry {
        kind: item.kind(),
        reason: reason.to_owned(),
        after: None,
        missing_company: false,
    }
}

fn count_unknown_store(store: &StoreHash, records: usize) {
    tracing::warn!(%store, records, outcome = "unknown_store", "records for a store this deployment does not serve are dead-lettered");
    emit_metrics(
        &[("Function", "upsert-worker")],
        &[Metric {
            name: "UnknownStore",
            value: records as f64,
            unit: "Count",
        }],
    );
}
