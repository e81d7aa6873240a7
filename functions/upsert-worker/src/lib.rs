//! upsert-worker: applies inbound commands from SQS to BigCommerce B2B Edition.
//!
//! - [`mapping`]: turns a source system's own records into commands (no code changes).
//! - [`apply`]: idempotent upserts by external id (the store mirror, else the id map and a
//!   search; create or change only what differs), with a lease against concurrent deliveries
//!   and a done marker for replays.
//! - [`worker`]: the SQS batch: partial batch failures, dead-lettering of permanent failures with
//!   their reason, FIFO ordering, metrics.
//! - [`export_events`]: webhook events → the export's documents, right away.
//! - [`redrive`]: moves dead-lettered messages back after a fix (`make redrive`).
//! - [`settings`]: every environment variable the worker and `redrive` read, validated at cold
//!   start; [`wiring`]: the [`Worker`] they describe.

pub mod apply;
pub mod export_events;
pub mod mapping;
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

pub use apply::{procurement_key, Applier, ApplyError, Outcome, DEFAULT_MIRROR_MAX_AGE};
pub use settings::DEFAULT_MAX_RECEIVES;
pub use worker::Worker;
