//! The export library: what changed in BigCommerce since the last run, as versioned documents,
//! delivered before any position moves. order-export runs it on a schedule; upsert-worker uses it
//! to export a webhook's entity at once.
//!
//! # Layout
//! - [`documents`]: the order, quote and company documents (schemas in `schemas/`), each with a
//!   dedupe key (`{kind}:{id}:{modified}`) consumers drop repeats by.
//! - [`cursor`]: the keyset position of one stream, saved in the state table only after
//!   everything up to it was delivered.
//! - [`export`]: one run over the streams, stopping cleanly before the deadline, and the export
//!   of single entities named by webhooks.
//! - [`receivables`]: the Invoice Portal's payments and receipts streams.
//! - [`archive`]: the optional NDJSON archive, one object per stream and run, written in parts
//!   to a [`archive::PartStore`].
//! - [`settings`]: how an export runs (streams, overlap, page size, invoice payments).

pub mod accounts;
pub mod archive;
pub mod cursor;
pub mod documents;
pub mod export;
pub mod receivables;
pub mod settings;
pub mod shopping_lists;

pub use export::{ExportError, Exporter, RunReport};
pub use settings::{ExportSettings, InvoicePayments, StreamKind};

/// The state-table key of `store`'s position in `stream` (`{store}#{stream}`): where the export
/// saves it and where status pages read it.
pub fn watermark_key(store: &str, stream: StreamKind) -> String {
    format!("{store}#{}", stream.as_str())
}
