//! BigCommerce management API (v2/v3) and B2B Edition API clients.
//!
//! [`BcClient`] is the one HTTP core (auth headers, pacing, retries, in-flight cap, deadline);
//! [`pagination`] turns list endpoints into streams of items; [`b2b`] and [`core`] are the typed
//! resources on top. Every failure is a [`BcError`] that says whether it is retryable.

pub mod b2b;
pub mod client;
pub mod core;
pub mod error;
pub mod lenient;
pub mod pagination;
pub mod ratelimit;
pub mod retry;

pub use client::{ApiRequest, ApiResponse, BcClient, ClientOptions, ClientStats};
pub use error::{Api, ApiError, BcError};
pub use retry::RetryPolicy;

#[cfg(test)]
mod spec_tests;
