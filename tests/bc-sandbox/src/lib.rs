//! `bc-sandbox`: a local, stateful, in-memory stand-in for the BigCommerce management API
//! (v2/v3) and the B2B Edition API, for tests, demos and benchmarks.
//!
//! Start it in-process with [`start`] and a [`SandboxOptions`], or run the `bc-sandbox` binary.

#![recursion_limit = "256"]
// Handlers build early-return `Response`s in `Result::Err`; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod app;
pub mod b2b;
pub mod core_api;
pub mod middleware;
pub mod model;
pub mod ratelimit;
pub mod reply;
pub mod seed;
pub mod store;
pub mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use app::App;

/// Everything that configures one sandbox instance (the CLI options map 1:1 onto these fields).
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The store hash expected in core paths and in the B2B `X-Store-Hash` header.
    pub store_hash: String,
    /// The only `X-Auth-Token` accepted.
    pub token: String,
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
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store_hash: "sandbox".to_string(),
            token: "sandbox-token".to_string(),
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

/// A sandbox serving in the background; it shuts down on drop or with [`RunningSandbox::shutdown`].
pub struct RunningSandbox {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSandbox {
    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL of the core API: `http://ADDR/stores/{hash}`.
    pub fn core_base_url(&self) -> String {
        format!("http://{}/stores/{}", self.addr, self.app.opts.store_hash)
    }

    /// Base URL of the B2B API: `http://ADDR/api/v3/io`.
    pub fn b2b_base_url(&self) -> String {
        format!("http://{}/api/v3/io", self.addr)
    }

    /// The shared application state (for in-process inspection).
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Waits until the server stops (used by the binary).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Builds the state, binds the listener and serves in a background task.
pub async fn start(opts: SandboxOptions) -> Result<RunningSandbox, Error> {
    if opts.latency_ms.0 > opts.latency_ms.1 {
        return Err(Error::Option(format!(
            "latency range {}-{} has min above max",
            opts.latency_ms.0, opts.latency_ms.1
        )));
    }
    for (name, v) in [
        ("fault-rate", opts.fault_rate),
        ("headerless-429-rate", opts.headerless_429_rate),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::Option(format!(
                "{name} must be within 0..1, got {v}"
            )));
        }
    }
    let app = App::new(opts.clone())?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: opts.listen,
        source,
    })?;
    webhooks::spawn_dispatcher(app.clone());
    let router = app::router(app.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "sandbox server stopped with an error");
        }
    });
    Ok(RunningSandbox {
        addr,
        app,
        stop: Some(stop_tx),
        task: Some(task),
    })
}
