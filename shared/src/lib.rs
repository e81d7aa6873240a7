//! The shared crate of the BigCommerce B2B Edition integration toolkit.
//!
//! Every Lambda function in `functions/` is a thin `main` over this crate.
//!
//! # Layout
//! - [`config`]: typed configuration from environment variables, validated at cold start.
//! - [`secrets`]: the store secret (format, Secrets Manager fetcher, TTL cache, re-read on 401).
//! - [`secrets_api`]: the Secrets Manager calls that write secrets (versions, stages, creation),
//!   with errors classified retryable vs permanent.
//! - [`bigcommerce`]: the HTTP core (auth, pacing, retries, deadline), pagination streams,
//!   typed errors, and the B2B Edition and management API resources.
//! - [`messages`]: inbound commands and normalized webhook events, versioned.
//! - [`deadline`]: Lambda deadlines as instants the client respects.
//! - [`queue`]: SQS batch sending.
//! - [`state`]: the DynamoDB state table (dedupe keys).
//! - [`setup`]: cold-start wiring (AWS configuration, the store's client).
//! - [`subscriptions`]: keeps webhook subscriptions active (re-enable, create, blocked domains).
//! - [`telemetry`]: JSON logging and Embedded Metric Format metrics.

pub mod bigcommerce;
pub mod config;
pub mod deadline;
pub mod messages;
pub mod queue;
pub mod secrets;
pub mod secrets_api;
pub mod setup;
pub mod state;
pub mod subscriptions;
pub mod telemetry;

#[cfg(test)]
mod spec_examples;

pub use bigcommerce::{BcClient, BcError};
pub use config::{Config, ConfigError, Need};
pub use secrets::{SecretCache, SecretsManagerFetcher, StoreCredentials, StoreSecret};
