//! The AWS side of the BigCommerce B2B Edition integration toolkit: everything the Lambda
//! functions share that is not the BigCommerce client itself.
//!
//! Every Lambda function in `functions/` is a thin `main` over this crate and the
//! [`bigcommerce_b2b`] client, which knows nothing of AWS.
//!
//! # Layout
//! - [`env`](mod@env): the one reader of environment variables every function's settings use (trimming,
//!   bounds, flags, lists, URLs), collecting every problem into one error.
//! - [`config`]: the configuration every function shares, read through [`env`](mod@env) and validated at
//!   cold start.
//! - [`secrets`]: Secrets Manager in one place: the store secret's format, the TTL cache the
//!   client reads its credentials through (re-read on 401), and the one API wrapper with one
//!   error type (reads, versioned writes, creation, stages).
//! - [`deadline`]: Lambda deadlines as instants the client respects.
//! - [`queue`]: SQS batch sending.
//! - [`state`]: the DynamoDB state table (dedupe keys, claims, id maps, watermarks).
//! - [`permits`]: store-wide permits (BigCommerce's per-store limits) as state-table leases.
//! - [`stores`]: the stores a deployment serves (one, or many in the store registry) and each
//!   one's secret.
//! - [`setup`]: cold-start wiring (AWS configuration, the store's client).
//! - [`telemetry`]: JSON logging and Embedded Metric Format metrics.

pub mod config;
pub mod deadline;
pub mod env;
pub mod permits;
pub mod queue;
pub mod secrets;
pub mod setup;
pub mod state;
pub mod stores;
pub mod telemetry;

pub use config::{Config, ConfigError, Need};
pub use secrets::{SecretCache, SecretSource, SecretsApi, StoreSecret};
