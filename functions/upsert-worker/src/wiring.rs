//! The [`Worker`] that the [`Settings`] describe: the store client, the state table, the
//! dead-letter queue, visibility control on the inbound queue, the field mapping and, with an
//! outbound queue, the near-real-time export of webhook events.

use std::sync::Arc;

use b2b_shared::permits::{StatePermits, DEFAULT_PERMIT_LEASE};
use b2b_shared::queue::SqsQueue;
use b2b_shared::setup;
use b2b_shared::state::DynamoState;
use bigcommerce_b2b::{BcClient, BcError};

use crate::engine::Engine;
use crate::partners::Partners;
use crate::reactions::export::ExportEvents;
use crate::reactions::EventSink;
use crate::settings::Settings;
use crate::stores::{ManyStores, SinkFactory};
use crate::worker::SqsVisibility;
use crate::Worker;
use b2b_shared::stores::{NoStore, StoreClients, StoreSecrets};

/// Price-list record upserts BigCommerce allows in flight per store, across every instance.
pub const PRICELIST_UPSERT_SLOTS: u32 = 2;

/// Records (or FIFO groups) a worker processes at once.
pub const CONCURRENCY: usize = 4;

/// The worker that `settings` describe, with AWS clients from `sdk`. Nothing is fetched until
/// the first batch. With many stores (no `BC_SECRET_ID`), each store's client is made when its
/// first record arrives (see [`crate::stores`]).
pub fn worker(settings: &Settings, sdk: &aws_config::SdkConfig) -> Result<Worker, BcError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let state = Arc::new(DynamoState::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.state_table().to_owned(),
    ));
    // BigCommerce's 2 price-list upserts in flight are per store: every instance shares them.
    let permits = Arc::new(StatePermits::new(
        state.clone(),
        PRICELIST_UPSERT_SLOTS,
        DEFAULT_PERMIT_LEASE,
    ));
    let config = &settings.config;
    let many = config.stores.single_secret_id().is_none();
    let directory = setup::store_directory(config, sdk, Some(state.clone()));
    // The secrets trading partners are read from: the one store's cache, or the directory.
    let (client, store_secrets): (BcClient, Arc<dyn StoreSecrets>) = if many {
        let client = setup::client_for(config, Arc::new(NoStore), Default::default())?;
        (client, directory.clone())
    } else {
        let secret = setup::store_secret(config, sdk)?;
        let client = setup::client_for(config, secret.clone(), Default::default())?;
        (client, secret)
    };
    let client = client.with_store_permits(permits.clone());
    // With an outbound queue, webhook events are exported right away (the order-export code).
    let sinks: Option<SinkFactory> = settings.events.as_ref().map(|e| {
        let outbound = Arc::new(SqsQueue::new(sqs.clone(), e.outbound_queue_url.clone()));
        let (state, fifo, export) = (state.clone(), e.fifo(), e.export.clone());
        Arc::new(move |client: BcClient| {
            Arc::new(ExportEvents(b2b_export::Exporter {
                client,
                state: state.clone(),
                fifo,
                archive: None,
                outbound: outbound.clone(),
                settings: export.clone(),
            })) as Arc<dyn EventSink>
        }) as SinkFactory
    });
    let stores = many.then(|| {
        let permits: Arc<dyn bigcommerce_b2b::permits::StorePermits> = permits;
        Arc::new(ManyStores {
            clients: StoreClients::new(directory, config.clone(), Some(permits)),
            sinks: sinks.clone(),
        })
    });
    let events = if many {
        None
    } else {
        sinks.map(|make| make(client.clone()))
    };
    let mut engine = Engine::new(client, state, settings.external_id_field.clone());
    engine.context.store_mirror = settings.store_mirror;
    engine.context.mirror_max_age = settings.mirror_max_age;
    engine.context.currencies = settings.currencies.clone();
    engine.context.kept = settings.families.clone();
    engine.context.keep(Partners {
        store_secrets: Some(store_secrets),
        http: Some(partner_http(config)?),
    });
    Ok(Worker {
        engine,
        mapping: settings.mapping.clone(),
        dead_letters: Arc::new(SqsQueue::new(
            sqs.clone(),
            settings.dead_letter_queue_url().to_owned(),
        )),
        visibility: Some(Arc::new(SqsVisibility {
            client: sqs,
            queue_url: settings.inbound_queue_url().to_owned(),
        })),
        events,
        concurrency: CONCURRENCY,
        max_receives: settings.max_receives,
        stores,
    })
}

/// The HTTP client cXML documents go to trading partners with: the shared TLS configuration of
/// `TLS_ROOTS`, no redirects (a document with a shared secret goes only where it was sent).
fn partner_http(config: &b2b_shared::Config) -> Result<reqwest::Client, BcError> {
    let tls = |e: &dyn std::fmt::Display| {
        BcError::InvalidRequest(format!("the HTTP client for trading partners: {e}"))
    };
    bigcommerce_b2b::tls::reqwest_builder(config.trust_roots)
        .map_err(|e| tls(&e))?
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| tls(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_is_built_from_the_settings() {
        let settings = Settings::from_lookup(|k| match k {
            "BC_SECRET_ID" => Some("bigcommerce/store/abc123".into()),
            "INBOUND_QUEUE_URL" => Some("https://sqs/in".into()),
            "STATE_TABLE" => Some("state".into()),
            "DEAD_LETTER_QUEUE_URL" => Some("https://sqs/dlq".into()),
            "EXTERNAL_ID_FIELD" => Some("erp_id".into()),
            _ => None,
        })
        .unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let w = worker(&settings, &sdk).unwrap();
        assert_eq!(w.engine.context.external_id_field, "erp_id");
        assert!(w.mapping.is_none() && w.events.is_none() && w.visibility.is_some());
        assert_eq!(w.concurrency, CONCURRENCY);
        assert!(w.stores.is_none(), "one store");
        let many = Settings::from_lookup(|k| match k {
            "STORES" => Some("abc123,def456".into()),
            "INBOUND_QUEUE_URL" => Some("https://sqs/in".into()),
            "STATE_TABLE" => Some("state".into()),
            "DEAD_LETTER_QUEUE_URL" => Some("https://sqs/dlq".into()),
            _ => None,
        })
        .unwrap();
        assert!(worker(&many, &sdk).unwrap().stores.is_some());
    }
}
