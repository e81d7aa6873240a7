//! What configures a sandbox ([`SandboxOptions`], the CLI options map 1:1 onto its fields) and
//! the errors starting one can give ([`Error`]). Plain data: it knows nothing of state or routing.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::contract::ContractMode;

/// Everything that configures one sandbox instance (the CLI options map 1:1 onto these fields).
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The store hash expected in core paths and in the B2B `X-Store-Hash` header.
    pub store_hash: String,
    /// The only `X-Auth-Token` accepted.
    pub token: String,
    /// The app's client id: the `iss` a customer login token must carry.
    pub app_client_id: String,
    /// The app's client secret: the key customer login tokens are signed with.
    pub app_client_secret: String,
    /// Core API requests per window (0 = unlimited).
    pub quota: u32,
    /// Core API window length in milliseconds.
    pub window_ms: u64,
    /// B2B API requests per window (0 = unlimited).
    pub b2b_quota: u32,
    /// B2B API window length in milliseconds.
    pub b2b_window_ms: u64,
    /// Number of generated companies.
    pub seed_companies: usize,
    /// Number of generated core orders.
    pub seed_orders: usize,
    /// Products in the generated catalog (2 variants each; at least 50), for large price lists.
    pub catalog_products: usize,
    /// A JSON seed file (same shape as `GET /__sandbox/state`); replaces generated data.
    pub seed_file: Option<PathBuf>,
    /// Share of API requests answered with 500/502/503.
    pub fault_rate: f64,
    /// Added latency range in milliseconds (min, max); (0, 0) for none.
    pub latency_ms: (u64, u64),
    /// Share of 429s sent without rate-limit headers.
    pub headerless_429_rate: f64,
    /// Destination that receives every webhook event.
    pub webhook_url: Option<String>,
    /// Standard Webhooks secret (`whsec_` + base64, or raw bytes) used to sign deliveries.
    pub webhook_secret: Option<String>,
    /// First retry delay of a failed webhook delivery in milliseconds (doubles each attempt).
    pub webhook_retry_base_ms: u64,
    /// Delivery attempts per webhook event and destination before giving up.
    pub webhook_max_attempts: u32,
    /// How long a price-list batch upsert is held in flight, in milliseconds; `None` means
    /// proportional to the record count (1 ms per 20 records).
    pub records_hold_ms: Option<u64>,
    /// What a request that breaks BigCommerce's official spec does (`crate::contract`).
    pub contract: ContractMode,
    /// For test harnesses: dropping the [`crate::RunningSandbox`] (or shutting it down) panics
    /// when contract violations were recorded and not taken, unless a panic is already under
    /// way, so the test that caused them fails.
    pub panic_on_violations: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store_hash: "sandbox".to_string(),
            token: "sandbox-token".to_string(),
            app_client_id: "sandbox-client".to_string(),
            app_client_secret: "sandbox-client-secret".to_string(),
            quota: 150,
            window_ms: 30_000,
            b2b_quota: 150,
            b2b_window_ms: 60_000,
            seed_companies: 0,
            seed_orders: 0,
            catalog_products: 50,
            seed_file: None,
            fault_rate: 0.0,
            latency_ms: (0, 0),
            headerless_429_rate: 0.0,
            webhook_url: None,
            webhook_secret: None,
            webhook_retry_base_ms: 1_000,
            webhook_max_attempts: 5,
            records_hold_ms: None,
            contract: ContractMode::Record,
            panic_on_violations: false,
        }
    }
}

impl SandboxOptions {
    /// These options judged strictly, as test harnesses want them: requests that break the
    /// official contract are refused as BigCommerce would refuse them, and the handle panics
    /// on drop when any was recorded and not taken.
    pub fn strict(self) -> Self {
        SandboxOptions {
            contract: ContractMode::Reject,
            panic_on_violations: true,
            ..self
        }
    }
}

/// Errors from starting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The seed file could not be read or parsed.
    #[error("seed file {path}: {message}")]
    Seed {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An option value is invalid.
    #[error("invalid option: {0}")]
    Option(String),
}
