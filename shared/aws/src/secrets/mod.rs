//! Secrets Manager, in one place: the store secret's format, the warm cache the BigCommerce
//! client reads its credentials through, and the one wrapper of the Secrets Manager API with one
//! error type ([`SecretError`]) that says whether to retry.
//!
//! - [`StoreSecret`]: the per-store JSON secret (`store_hash`, `access_token`, optional
//!   `client_id`, `client_secret`, `webhook_secret`, `inbound_api_key`), redacted in `Debug`.
//! - `credential`: which credentials may be used at all: a shared key that is a
//!   placeholder, empty or shorter than [`MIN_SHARED_KEY_BYTES`] is refused with an
//!   [`UnusableCredential`] naming the secret and the field.
//! - [`SecretCache`]: a TTL cache of one store secret, read at stage `AWSCURRENT` and re-read at
//!   most once after BigCommerce answers 401. It is a [`SecretSource`] (the whole secret, for
//!   webhook and inbound authentication) and a [`bigcommerce_b2b::Credentials`] source (the store
//!   hash and token, for the client).
//! - [`SecretsApi`]: reads by stage or version, writes with idempotent request tokens, creates,
//!   moves stages ([`derived_token`] makes the tokens).

mod cache;
pub mod credential;
mod manager;
mod procurement;
mod store_secret;

pub use cache::{SecretCache, SecretFetcher, SecretSource, StaticCredentials, DEFAULT_SECRET_TTL};
pub use credential::{UnusableCredential, Weakness, MIN_SHARED_KEY_BYTES};
pub use manager::{derived_token, SecretError, SecretVersion, SecretsApi, AWSCURRENT, AWSPENDING};
pub use procurement::{
    acceptable_destination, DeploymentMode, PartyIdentity, ProcurementConfig, PunchOutConfig,
    TotalCheckMode, TradingPartner,
};
pub use store_secret::StoreSecret;
