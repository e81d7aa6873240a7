//! `bc-sandbox`: a local, stateful, in-memory stand-in for the BigCommerce management API
//! (v2/v3) and the B2B Edition API, for tests, demos and benchmarks.
//!
//! Start it in-process with [`start`] and a [`SandboxOptions`], or run the `bc-sandbox` binary.
//!
//! Modules, from the top; each imports only modules listed below it, so there is no circle:
//!
//! - `router`: assembles every route and the fallback; imports the handlers.
//! - The HTTP handlers: `admin`, `b2b`, `core_api`, `fulfillment`, `receivables`,
//!   `company_terms`, `hierarchy`, `staff`, `shopping_lists`, `roles`, `storefront`,
//!   `middleware`. They take the shared state, change data through `model` and answer with
//!   `reply` (`admin` also blocks webhook domains through `webhooks`; `fulfillment` serves its
//!   shipments list with `core_api`'s order-list handler). `b2b` and `core_api` are split by
//!   resource family; a family module imports its family's request helpers and the layers
//!   below, never its parent file.
//! - `webhooks`: the delivery task draining the state's event queue.
//! - `state`: the shared [`state::App`] (options, data, limits, stats, faults, event queue).
//! - `seed`: the generated data, built through `model`.
//! - `model`: entity constructors and mutations over `store`, knowing nothing of HTTP; one
//!   module per entity, each importing its sibling entities and `events`/`fields`, never
//!   `model.rs`.
//! - `options`: [`SandboxOptions`] and the start [`Error`]; imports `contract` for its mode.
//! - `contract`: the official specs' operations and the check of a request against them.
//! - `store`, `ratelimit`, `reply` (HTTP answers and request helpers), `specs`, `sync`: the
//!   bottom, importing nothing of the crate.
//!
//! This file wires them: [`start`] builds the state, the router and the webhook dispatcher and
//! hands back a [`RunningSandbox`].

#![recursion_limit = "256"]
// Handlers build early-return `Response`s in `Result::Err`; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod b2b;
pub mod company_terms;
pub mod contract;
pub mod core_api;
pub mod fulfillment;
pub mod hierarchy;
pub mod middleware;
pub mod model;
mod options;
pub mod ratelimit;
pub mod receivables;
pub mod reply;
pub mod roles;
pub mod router;
pub mod seed;
pub mod shopping_lists;
pub mod specs;
pub mod staff;
pub mod state;
pub mod store;
pub mod storefront;
mod sync;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

pub use options::{Error, SandboxOptions};
use state::App;

/// A sandbox serving in the background; it shuts down on drop or with [`RunningSandbox::shutdown`].
///
/// It serves one store, or several ([`start_many`]): each with its own data, quotas, faults and
/// webhook deliveries, told apart by the store hash in core paths (`/stores/{hash}/...`) and by
/// the `X-Store-Hash` header on B2B and `/__sandbox` admin requests.
pub struct RunningSandbox {
    addr: SocketAddr,
    app: Arc<App>,
    /// Every store's state, the first one being `app`.
    apps: Vec<Arc<App>>,
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

    /// The shared application state (for in-process inspection); the first store's when it
    /// serves several.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// The state of store `store_hash`, when it is served.
    pub fn store(&self, store_hash: &str) -> Option<&Arc<App>> {
        self.apps.iter().find(|a| a.opts.store_hash == store_hash)
    }

    /// The core API base URL of store `store_hash`: `http://ADDR/stores/{hash}`.
    pub fn core_base_url_of(&self, store_hash: &str) -> String {
        format!("http://{}/stores/{store_hash}", self.addr)
    }

    /// The contract violations recorded so far (`crate::contract`) in every store, oldest first
    /// per store.
    pub fn contract_violations(&self) -> Vec<contract::Violation> {
        self.apps
            .iter()
            .flat_map(|a| state::lock(&a.violations).clone())
            .collect()
    }

    /// The recorded contract violations of every store, removed from the record.
    pub fn take_contract_violations(&self) -> Vec<contract::Violation> {
        self.apps
            .iter()
            .flat_map(|a| std::mem::take(&mut *state::lock(&a.violations)))
            .collect()
    }

    /// With [`SandboxOptions::panic_on_violations`]: panics listing the violations not taken
    /// (or, when a panic is already under way, prints them).
    fn fail_on_violations(&self) {
        if !self.app.opts.panic_on_violations {
            return;
        }
        let found = self.take_contract_violations();
        if !found.is_empty() {
            let lines: Vec<String> = found.iter().map(|v| format!("  - {v}")).collect();
            if std::thread::panicking() {
                // The test failed already; its violations may be why.
                eprintln!("contract violations recorded:\n{}", lines.join("\n"));
                return;
            }
            panic!(
                "{} request(s) broke BigCommerce's official contract (fix the request, or list a \
                 documented difference in sandbox/contract-exceptions.json):\n{}",
                found.len(),
                lines.join("\n")
            );
        }
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.fail_on_violations();
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
        self.fail_on_violations();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Builds the state, binds the listener and serves in a background task.
pub async fn start(opts: SandboxOptions) -> Result<RunningSandbox, Error> {
    start_many(vec![opts]).await
}

fn check(opts: &SandboxOptions) -> Result<(), Error> {
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
    Ok(())
}

/// Serves several stores on one listener (the first one's `listen`), each from its own options:
/// its hash, token, data, quotas and webhooks. A request naming no served store goes to the
/// first, which answers it as a store that does not exist.
pub async fn start_many(stores: Vec<SandboxOptions>) -> Result<RunningSandbox, Error> {
    let Some(first) = stores.first() else {
        return Err(Error::Option("no store to serve".into()));
    };
    let listen = first.listen;
    let mut apps = Vec::with_capacity(stores.len());
    for opts in stores {
        check(&opts)?;
        if apps
            .iter()
            .any(|a: &Arc<App>| a.opts.store_hash == opts.store_hash)
        {
            return Err(Error::Option(format!(
                "store hash {} is served twice",
                opts.store_hash
            )));
        }
        apps.push(App::new(opts)?);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| Error::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: listen,
        source,
    })?;
    for app in &apps {
        webhooks::spawn_dispatcher(app.clone());
    }
    let router = router::stores_router(&apps);
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
        app: apps[0].clone(),
        apps,
        stop: Some(stop_tx),
        task: Some(task),
    })
}
