//! order-export: exports what changed in BigCommerce since the last run, as versioned documents.
//!
//! - [`documents`]: the order, quote and company documents (schemas in `schemas/`), each with a
//!   dedupe key (`{kind}:{id}:{modified}`) consumers drop repeats by.
//! - [`cursor`]: the keyset position of one stream, saved in the state table only after
//!   everything up to it was delivered.
//! - [`export`]: one run over the streams, stopping cleanly before the deadline.
//! - [`archive`]: the optional NDJSON archive in S3, one object per stream and run.
//! - [`settings`]: configuration and the schedule input.

pub mod archive;
pub mod cursor;
pub mod documents;
pub mod export;
pub mod settings;

pub use export::{ExportError, Exporter, RunReport};
pub use settings::{ExportSettings, InvoicePayments, StreamKind};
