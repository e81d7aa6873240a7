//! webhook-intake: the project's front door.
//!
//! - `POST /webhooks/bigcommerce`: BigCommerce and B2B Edition webhooks, authenticated by a shared
//!   header secret and/or a Standard Webhooks signature, deduped on scope + hash in the state
//!   table, enqueued as one normalized [`WebhookEvent`](b2b_shared::messages::WebhookEvent).
//! - `POST /inbound`: ERP/CRM commands (one or a batch), bearer-authenticated, each validated;
//!   all enqueued or none.
//! - `GET /health`.
//!
//! When the queue or the table fails the answer is 503 (BigCommerce retries) and the dedupe key
//! is released, so the retry is not swallowed. Nothing the caller sends produces a 500 or a panic.

pub mod intake;
pub mod settings;
pub mod verify;

pub use intake::Intake;
pub use settings::{AuthMode, Settings};
