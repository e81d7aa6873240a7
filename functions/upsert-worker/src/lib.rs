//! upsert-worker: applies inbound commands from SQS to BigCommerce B2B Edition.
//!
//! # Layout (each layer uses only the ones above it)
//! - [`engine`]: what every command shares: outcomes and errors, leases and done markers, the
//!   id map's keys, the [`Context`](engine::context::Context) families work with, the
//!   [`Family`](engine::family::Family) and [`Apply`](engine::family::Apply) traits, and the
//!   dispatch generated from the command registry ([`Engine`]).
//! - [`lookups`]: what several families look up: the store mirror, companies, buyers, the
//!   store's definitions, the catalog.
//! - [`partners`]: cXML documents back to buyers' procurement systems (confirmations, ship
//!   notices), used by the purchase-order and fulfillment families and the reactions.
//! - [`families`]: one module per command family: what its commands do to BigCommerce, its
//!   settings and caches.
//! - [`reactions`]: what a webhook event sets off (mirror staleness, ship notices, status
//!   confirmations, the export of its documents), in one list.
//! - [`worker`]: the SQS batch: partial batch failures, dead-lettering of permanent failures with
//!   their reason, FIFO ordering, held-back bulk creates, many stores, metrics.
//! - [`mapping`]: turns a source system's own records into commands (no code changes);
//!   [`mapping_source`]: where the mapping comes from (a bundled file or S3), read at cold start.
//! - [`redrive`]: moves dead-lettered messages back after a fix (`make redrive`).
//! - [`stores`]: what a many-store worker applies each store's records with.
//! - [`settings`]: every environment variable the worker and `redrive` read, validated at cold
//!   start (each family reads its own); [`wiring`]: the [`Worker`] they describe.
//!
//! Adding a command: `docs/extending/adding-a-command.md`.

pub mod engine;
pub mod families;
pub mod lookups;
pub mod mapping;
pub mod mapping_source;
pub mod partners;
pub mod reactions;
pub mod redrive;
pub mod settings;
pub mod stores;
pub mod wiring;
pub mod worker;

/// The current time in unix seconds.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub use engine::context::DEFAULT_MIRROR_MAX_AGE;
pub use engine::outcome::{ApplyError, Outcome};
pub use engine::Engine;
pub use partners::procurement_key;
pub use settings::DEFAULT_MAX_RECEIVES;
pub use worker::Worker;
