//! A typed client for the **BigCommerce** management API (v2/v3) and the **B2B Edition** API.
//!
//! One [`BcClient`] per store sends every call through one HTTP core that adds the auth headers
//! (`X-Auth-Token`, plus `X-Store-Hash` on B2B calls), paces requests by the rate-limit headers of
//! both APIs (their quota is shared by every app on the store), retries what can be retried with
//! capped, jittered back-off, never repeats a `POST` that may have reached the server, and never
//! starts an attempt that cannot finish before a deadline. List endpoints are streams that follow
//! every page; every failure is a [`BcError`] that says whether it is retryable and keeps
//! BigCommerce's own error detail ([`ApiError`]).
//!
//! The crate knows nothing of where credentials are kept: a [`Credentials`] source hands the
//! client a [`StoreAuth`] (store hash and token) and is asked once for fresh ones after a 401.
//! [`StaticToken`] is the simple source; a secrets store implements the trait itself.
//!
//! # Quickstart
//!
//! ```no_run
//! use std::sync::Arc;
//! use bigcommerce_b2b::b2b::CompanyFilter;
//! use bigcommerce_b2b::{BcClient, ClientOptions, StaticToken, StoreHash};
//! use futures_util::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let token = StaticToken::new(StoreHash::parse("abc123")?, "your-api-token");
//! let client = BcClient::for_store(Arc::new(token), ClientOptions::default())?;
//! let companies: Vec<_> = client.b2b().companies(&CompanyFilter::default()).try_collect().await?;
//! for company in &companies {
//!     println!("{} {}", company.company_id, company.company_name.as_deref().unwrap_or(""));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`client`]: the HTTP core ([`BcClient`], [`ApiRequest`], [`ClientOptions`], counters).
//! - [`credentials`]: [`StoreHash`], [`StoreAuth`], the [`Credentials`] trait, [`StaticToken`].
//! - [`error`]: [`BcError`] (retryable or permanent) and BigCommerce's error bodies ([`ApiError`]).
//! - [`ratelimit`] and [`retry`]: pacing by the rate-limit headers; back-off and retry limits.
//! - [`pagination`]: v2, v3 and B2B list endpoints as streams of pages and items.
//! - [`b2b`]: B2B Edition resources (companies, users, addresses, quotes, orders).
//! - [`core`]: management API resources (price lists, customer groups, orders, webhooks).
//! - [`storefront`]: the Customer Login API (a shopper signed in by a JWT) and carts.
//! - [`oauth`]: the app install's code exchange for a store token.
//! - [`subscriptions`]: keeps webhook subscriptions active (re-enable, create, blocked domains).
//! - [`tls`]: the one TLS configuration and root store every HTTP client of a process shares.
//! - [`lenient`]: decoders for fields whose type drifts between endpoints (string or number).

#![deny(missing_docs)]

pub mod b2b;
pub mod client;
pub mod core;
pub mod credentials;
pub mod error;
pub mod fulfillment;
pub mod hierarchy;
pub mod inventory;
pub mod lenient;
pub mod money;
pub mod oauth;
pub mod pagination;
pub mod permits;
pub mod ratelimit;
pub mod receivables;
pub mod retry;
pub mod shopping_lists;
pub mod staff;
pub mod storefront;
pub mod subscriptions;
pub mod terms;
pub mod tls;

pub use client::{
    ApiRequest, ApiResponse, BcClient, ClientOptions, ClientStats, DEFAULT_API_URL,
    DEFAULT_B2B_API_URL,
};
pub use credentials::{Credentials, CredentialsError, StaticToken, StoreAuth, StoreHash};
pub use error::{Api, ApiError, BcError};
pub use retry::RetryPolicy;

#[cfg(test)]
mod spec_examples;
#[cfg(test)]
mod spec_replay_tests;
#[cfg(test)]
mod spec_tests;
