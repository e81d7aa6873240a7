//! What the examples share: a client for the store named by the environment.
//!
//! `BC_STORE_HASH` and `BC_ACCESS_TOKEN` name the store and its API token (a store-level token
//! with the B2B Edition scope). `BC_API_URL` and `B2B_API_URL` override BigCommerce's own URLs
//! (to point the examples at a local sandbox); unset, the examples call the real store.

use std::sync::Arc;

use bigcommerce_b2b::{
    BcClient, ClientOptions, StaticToken, StoreHash, DEFAULT_API_URL, DEFAULT_B2B_API_URL,
};

/// A client for the store of `BC_STORE_HASH` with `BC_ACCESS_TOKEN`; the error names every
/// missing or malformed variable.
pub fn client_from_env() -> Result<BcClient, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut problems = Vec::new();
    let hash = match var("BC_STORE_HASH").map(|h| StoreHash::parse(&h)) {
        Some(Ok(hash)) => Some(hash),
        Some(Err(e)) => {
            problems.push(format!("BC_STORE_HASH: {e}"));
            None
        }
        None => {
            problems.push("BC_STORE_HASH is not set (the store hash in stores/{hash})".into());
            None
        }
    };
    let token = var("BC_ACCESS_TOKEN");
    if token.is_none() {
        problems
            .push("BC_ACCESS_TOKEN is not set (an API token with the B2B Edition scope)".into());
    }
    let url = |name: &str, default: &str| {
        let raw = var(name).unwrap_or_else(|| default.to_owned());
        url::Url::parse(&raw).map_err(|e| format!("{name}: `{raw}` is not a URL: {e}"))
    };
    let core = url("BC_API_URL", DEFAULT_API_URL)
        .map_err(|e| problems.push(e))
        .ok();
    let b2b = url("B2B_API_URL", DEFAULT_B2B_API_URL)
        .map_err(|e| problems.push(e))
        .ok();
    match (hash, token, core, b2b) {
        (Some(hash), Some(token), Some(core), Some(b2b)) => {
            let credentials = Arc::new(StaticToken::new(hash, token));
            BcClient::new(&core, &b2b, credentials, ClientOptions::default())
                .map_err(|e| e.to_string())
        }
        _ => Err(problems.join("\n")),
    }
}
