//! The shared application state every handler sees: options, data, limiters, statistics, fault
//! profile and the webhook event queue. It knows nothing of routing or HTTP handlers; the
//! router (`crate::router`) and the handlers build on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::contract::{Contract, ContractMode, Violation};
use crate::options::{Error, SandboxOptions};
use crate::ratelimit::FixedWindow;
use crate::store::Store;
pub use crate::sync::lock;

/// One change to announce, queued by [`App::fire`] and delivered by `crate::webhooks`.
#[derive(Debug, Clone)]
pub struct Event {
    /// `store/order/created`, `store/company/updated`, ...
    pub scope: String,
    /// The scope's `data` object.
    pub data: Value,
    /// Unix seconds.
    pub created_at: i64,
}

/// The fault profile, changeable at run time through `POST /__sandbox/faults`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of API requests answered 500/502/503.
    pub fault_rate: f64,
    /// Share of 429s sent without rate-limit headers.
    pub headerless_429_rate: f64,
    /// Added latency range in milliseconds.
    pub latency_ms: (u64, u64),
}

/// Counters reported by `GET /__sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// API requests received.
    pub requests_total: AtomicU64,
    /// Requests per "METHOD /route/template".
    pub by_route: Mutex<HashMap<String, u64>>,
    /// Writes that changed state: non-GET requests that succeeded, a bulk create counting each
    /// company or buyer it created (also when it answered 400 for others).
    pub writes_total: AtomicU64,
    /// 429 responses sent (quota and concurrency).
    pub rate_limited_total: AtomicU64,
    /// 429 responses sent without rate-limit headers.
    pub headerless_429_total: AtomicU64,
    /// 5xx responses injected.
    pub faults_injected_total: AtomicU64,
    /// Requests being served right now.
    pub in_flight: AtomicUsize,
    /// Highest `in_flight` seen.
    pub peak_concurrent_requests: AtomicUsize,
    /// Price-list batch upserts being served right now.
    pub pricelist_upserts_in_flight: AtomicUsize,
    /// Highest `pricelist_upserts_in_flight` seen.
    pub peak_concurrent_pricelist_upserts: AtomicUsize,
    /// Price-list upserts refused with 429 for being a third one in flight.
    pub pricelist_concurrency_refusals: AtomicU64,
    /// Webhook events queued.
    pub webhook_events_total: AtomicU64,
    /// Webhook delivery attempts made.
    pub webhook_attempts_total: AtomicU64,
    /// Webhook deliveries answered 2xx.
    pub webhook_delivered_total: AtomicU64,
    /// Webhook deliveries abandoned after the last retry.
    pub webhook_failed_total: AtomicU64,
}

impl Stats {
    /// The stats JSON.
    pub fn to_json(&self) -> Value {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let by_route: serde_json::Map<String, Value> = lock(&self.by_route)
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "requests_total": l(&self.requests_total),
            "requests_by_route": by_route,
            "writes_total": l(&self.writes_total),
            "rate_limited_total": l(&self.rate_limited_total),
            "headerless_429_total": l(&self.headerless_429_total),
            "faults_injected_total": l(&self.faults_injected_total),
            "peak_concurrent_requests": self.peak_concurrent_requests.load(Ordering::Relaxed),
            "peak_concurrent_pricelist_upserts": self.peak_concurrent_pricelist_upserts.load(Ordering::Relaxed),
            "pricelist_concurrency_refusals": l(&self.pricelist_concurrency_refusals),
            "webhook_events_total": l(&self.webhook_events_total),
            "webhook_attempts_total": l(&self.webhook_attempts_total),
            "webhook_delivered_total": l(&self.webhook_delivered_total),
            "webhook_failed_total": l(&self.webhook_failed_total),
        })
    }

    /// Zeroes every counter.
    pub fn clear(&self) {
        for a in [
            &self.requests_total,
            &self.writes_total,
            &self.rate_limited_total,
            &self.headerless_429_total,
            &self.faults_injected_total,
            &self.pricelist_concurrency_refusals,
            &self.webhook_events_total,
            &self.webhook_attempts_total,
            &self.webhook_delivered_total,
            &self.webhook_failed_total,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        self.peak_concurrent_requests
            .store(self.in_flight.load(Ordering::Relaxed), Ordering::Relaxed);
        self.peak_concurrent_pricelist_upserts.store(
            self.pricelist_upserts_in_flight.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        lock(&self.by_route).clear();
    }
}

/// Everything the handlers share.
pub struct App {
    /// The options the sandbox started with.
    pub opts: SandboxOptions,
    /// All entities.
    pub store: Mutex<Store>,
    /// Core API quota.
    pub core_limit: FixedWindow,
    /// B2B API quota.
    pub b2b_limit: FixedWindow,
    /// Counters.
    pub stats: Stats,
    /// Current fault profile.
    pub faults: Mutex<Faults>,
    /// Webhook event queue.
    pub events: tokio::sync::mpsc::UnboundedSender<Event>,
    /// The receiving end, taken by the dispatcher task.
    pub events_rx: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Event>>>,
    /// Sequence for webhook message ids.
    pub event_seq: AtomicU64,
    /// A 429 burst: the next this-many API requests find the window's quota spent by another
    /// app on the same store, and are answered 429 whatever our own usage (set through
    /// `POST /__sandbox/faults` with `burst_429`).
    pub burst_429: AtomicU64,
    /// The next this-many successful `POST`s are applied and then answered 504, as a gateway
    /// timing out after the write would (set through `POST /__sandbox/faults` with
    /// `post_504_after_write`).
    pub post_504_after_write: AtomicU64,
    /// Requests to fail with 500 (set through `POST /__sandbox/faults` with `fail_requests`).
    pub fail_requests: Mutex<Option<FailRequests>>,
    /// The company extra fields defined (`GET /companies/extra-fields`), by name; a fault
    /// (`remove_extra_field`) removes one.
    pub company_extra_fields: Mutex<Vec<String>>,
    /// The official contract requests are checked against (`None` when the mode is off).
    pub contract: Option<Arc<Contract>>,
    /// Contract violations recorded, oldest first.
    pub violations: Mutex<Vec<Violation>>,
}

impl App {
    /// Builds the state and seeds the data.
    pub fn new(opts: SandboxOptions) -> Result<Arc<App>, Error> {
        let store = initial_store(&opts)?;
        let contract = load_contract(opts.contract)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        Ok(Arc::new(App {
            core_limit: FixedWindow::new(opts.quota, opts.window_ms),
            b2b_limit: FixedWindow::new(opts.b2b_quota, opts.b2b_window_ms),
            faults: Mutex::new(Faults {
                fault_rate: opts.fault_rate,
                headerless_429_rate: opts.headerless_429_rate,
                latency_ms: opts.latency_ms,
            }),
            store: Mutex::new(store),
            stats: Stats::default(),
            events: tx,
            events_rx: Mutex::new(Some(rx)),
            event_seq: AtomicU64::new(0),
            burst_429: AtomicU64::new(0),
            post_504_after_write: AtomicU64::new(0),
            fail_requests: Mutex::new(None),
            company_extra_fields: Mutex::new(vec![
                "external_id".into(),
                "externalId".into(),
                "erp_id".into(),
                "procurement_id".into(),
            ]),
            contract,
            violations: Mutex::new(Vec::new()),
            opts,
        }))
    }

    /// Locks the data.
    pub fn data(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Queues a webhook event.
    pub fn fire(&self, scope: &str, data: Value) {
        self.stats
            .webhook_events_total
            .fetch_add(1, Ordering::Relaxed);
        let _ = self.events.send(Event {
            scope: scope.to_string(),
            data,
            created_at: crate::store::now_secs(),
        });
    }

    /// Queues the events of one change, in order.
    pub fn fire_all(&self, events: impl IntoIterator<Item = (String, Value)>) {
        for (scope, data) in events {
            self.fire(&scope, data);
        }
    }

    /// A process-wide increasing number (webhook message ids, bulk task ids).
    pub fn next_seq(&self) -> u64 {
        self.event_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The current fault profile.
    pub fn faults(&self) -> Faults {
        *lock(&self.faults)
    }
}

/// The contract for `mode`: none when off. Without the specs, record mode runs unchecked with a
/// warning (a demo on a fresh clone still starts); reject mode refuses to start.
fn load_contract(mode: ContractMode) -> Result<Option<Arc<Contract>>, Error> {
    if mode == ContractMode::Off {
        return Ok(None);
    }
    let dir = match crate::specs::dir() {
        Ok(dir) => dir,
        Err(e) if mode == ContractMode::Record => {
            tracing::warn!("requests are not checked against the official contract: {e}");
            return Ok(None);
        }
        Err(e) => {
            return Err(Error::Option(format!(
                "contract mode reject needs the official specs: {e}"
            )))
        }
    };
    Contract::shared(&dir).map(Some).map_err(Error::Option)
}

/// The store the sandbox starts (and resets) with.
pub fn initial_store(opts: &SandboxOptions) -> Result<Store, Error> {
    match &opts.seed_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::Seed {
                path: path.clone(),
                message: e.to_string(),
            })?;
            serde_json::from_slice::<Store>(&bytes).map_err(|e| Error::Seed {
                path: path.clone(),
                message: e.to_string(),
            })
        }
        None => Ok(crate::seed::generate(
            opts.seed_companies,
            opts.seed_orders,
            opts.catalog_products,
        )),
    }
}

/// The next `count` requests with this method, on a path ending in `path`, whose query contains
/// `query_contains`, are answered 500 (a fault aimed at one kind of call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRequests {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The end of the path (`/companies`).
    pub path: String,
    /// Text the query must contain (`minModified`); empty matches any.
    pub query_contains: String,
    /// How many are still to fail.
    pub count: u64,
    /// The status to answer with (`None`: a random 500, 502 or 503).
    pub status: Option<u16>,
}

impl FailRequests {
    /// Whether `req` is one to fail; counts it down when it is.
    pub fn take(&mut self, method: &str, path: &str, query: &str) -> bool {
        let hit = self.count > 0
            && self.method.eq_ignore_ascii_case(method)
            && path.ends_with(&self.path)
            && query.contains(&self.query_contains);
        if hit {
            self.count -= 1;
        }
        hit
    }
}
