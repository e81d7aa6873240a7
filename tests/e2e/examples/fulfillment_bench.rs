//! Fulfillment benchmarks (issue 19), the upsert-worker against a sandbox at BigCommerce's real
//! core limit (150 requests per 30 s, windows divisible by `--window-scale`):
//!
//! 1. **Stock snapshot**: `--levels` (default 100,000) levels, one per variant, spread over the
//!    store's 3 locations, sent as `inventory.set` commands of `--per-command` (4,000) items,
//!    by SKU and location code. Requests used against the minimum: one location read, the SKU
//!    lookups (250 a request) and ⌈levels / 2,000⌉ writes.
//! 2. **Shipments**: `--shipments` (1,000) `shipment.create`, each shipping every line of one
//!    order by SKU with a tracking number. Requests per shipment (target ≤ 2).
//!
//! Each prints its elapsed time against the rate-limit bound (its core requests / 150 × the
//! window) and the 429s after the first window (target 0). Two worker instances take SQS
//! batches of 10 commands at once.
//!
//! `cargo run --release -p b2b-e2e --example fulfillment_bench -- [--levels N] [--per-command N]
//! [--shipments N] [--window-scale K]`

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support::{client, sandbox, STORE};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

#[path = "support/batches.rs"]
mod batches;

type Error = Box<dyn std::error::Error>;

struct Args {
    levels: usize,
    per_command: usize,
    shipments: usize,
    window_scale: u64,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        levels: 100_000,
        per_command: 4_000,
        shipments: 1_000,
        window_scale: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--levels" => a.levels = value.parse()?,
            "--per-command" => a.per_command = value.parse::<usize>()?.max(1),
            "--shipments" => a.shipments = value.parse()?,
            "--window-scale" => a.window_scale = value.parse::<u64>()?.max(1),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

/// A worker for the sandbox's store, and its dead-letter queue.
fn worker(sandbox: &RunningSandbox) -> (Worker, Arc<MemoryQueue>) {
    let dead_letters = Arc::new(MemoryQueue::default());
    let worker = Worker {
        engine: Engine::new(
            client(sandbox, ClientOptions::default()),
            Arc::new(MemoryState::default()),
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: dead_letters.clone(),
        visibility: None,
        events: None,
        concurrency: upsert_worker::wiring::CONCURRENCY,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    };
    (worker, dead_letters)
}

/// Runs `commands` through two worker instances in SQS batches of 10.
async fn run(worker: &Worker, commands: Vec<Value>) {
    batches::run_batches(worker, &commands, 10, 2).await;
}

/// What one scenario did, from the sandbox's counters.
struct Figures {
    requests: u64,
    elapsed: Duration,
    limited_after_first_window: u64,
}

async fn measure<F: std::future::Future<Output = ()>>(
    sandbox: &RunningSandbox,
    window: Duration,
    work: F,
) -> Figures {
    let app = sandbox.store(STORE).unwrap_or_else(|| panic!("no store"));
    let requests = || app.stats.requests_total.load(Ordering::Relaxed);
    let limited = || app.stats.rate_limited_total.load(Ordering::Relaxed);
    let (before, limited_before) = (requests(), limited());
    let started = Instant::now();
    let at_first_window = async {
        tokio::time::sleep(window).await;
        limited()
    };
    let timed = async {
        work.await;
        started.elapsed()
    };
    let (elapsed, first) = tokio::join!(timed, at_first_window);
    Figures {
        requests: requests() - before,
        elapsed,
        limited_after_first_window: limited().saturating_sub(first.max(limited_before)),
    }
}

fn snapshot(levels: usize, per_command: usize) -> Vec<Value> {
    let codes = ["BC-LOCATION-1", "WH-EAST", "WH-WEST"];
    let items: Vec<Value> = (0..levels)
        .map(|n| {
            let (p, v) = (n / 2 + 1, n % 2 + 1);
            json!({"sku": format!("SKU-{p:03}-{v}"), "location_code": codes[n % 3], "quantity": (n * 7) % 500})
        })
        .collect();
    items
        .chunks(per_command)
        .enumerate()
        .map(|(i, chunk)| {
            json!({"type": "inventory.set", "version": 1, "store_hash": STORE,
                "external_id": format!("SNAP-{i:03}"), "reason": "ERP snapshot", "items": chunk})
        })
        .collect()
}

/// One `shipment.create` per order the sandbox can ship, every line by SKU.
async fn shipments(sandbox: &RunningSandbox, n: usize) -> Vec<Value> {
    let state: Value = reqwest::get(format!("{}/__sandbox/state", sandbox.base_url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for (id, lines) in state["order_products"].as_object().into_iter().flatten() {
        let status = state["orders"][id.as_str()]["status_id"]
            .as_i64()
            .unwrap_or(0);
        if !matches!(status, 1 | 7 | 8 | 9 | 11) || out.len() >= n {
            continue;
        }
        let lines: Vec<Value> = lines
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| json!({"sku": l["sku"], "quantity": l["quantity"]}))
            .collect();
        out.push(json!({"type": "shipment.create", "version": 1, "store_hash": STORE,
            "external_id": format!("ASN-{id}"), "order": {"id": id.parse::<i64>().unwrap_or(0)},
            "shipment": {"lines": lines, "tracking_number": format!("1Z{id:0>16}"), "shipping_provider": "ups"}}));
    }
    out
}

fn row(name: &str, work: &str, f: &Figures, minimum: &str, per: &str, window: Duration) {
    let bound = window.mul_f64(f.requests as f64 / 150.0);
    println!(
        "| {name} | {work} | {} | {minimum} | {per} | {:.1} | {:.1} | {:.2} | {} |",
        f.requests,
        f.elapsed.as_secs_f64(),
        bound.as_secs_f64(),
        f.elapsed.as_secs_f64() / bound.as_secs_f64().max(f64::EPSILON),
        f.limited_after_first_window
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let a = args()?;
    let window = Duration::from_millis(30_000 / a.window_scale);
    let products = a.levels.div_ceil(2).max(50);
    // About half the seeded orders are in a status that ships.
    let orders = a.shipments * 2 + 100;
    let sandbox = sandbox(SandboxOptions {
        quota: 150,
        window_ms: window.as_millis() as u64,
        catalog_products: products,
        seed_orders: orders,
        contract: bc_sandbox::contract::ContractMode::Off,
        ..b2b_test_support::unlimited()
    })
    .await;
    println!("| scenario | work | core requests | minimum | per item | elapsed (s) | rate-limit bound (s) | elapsed / bound | 429s after the first window |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");

    let commands = snapshot(a.levels, a.per_command);
    let n_commands = commands.len();
    let (w, dead) = worker(&sandbox);
    let f = measure(&sandbox, window, run(&w, commands)).await;
    let refused = dead.bodies();
    if !refused.is_empty() {
        return Err(format!(
            "the snapshot dead-lettered {}: {}",
            refused.len(),
            refused[0]
        )
        .into());
    }
    // One location read, then per command its SKU lookups (250 a request) and writes (2,000
    // a request): ⌈levels / 2,000⌉ writes in all when commands hold multiples of 2,000 items.
    let minimum = 1
        + (0..a.levels)
            .step_by(a.per_command)
            .map(|start| {
                let n = a.per_command.min(a.levels - start);
                n.div_ceil(250) + n.div_ceil(2_000)
            })
            .sum::<usize>();
    row(
        "stock snapshot",
        &format!("{} levels, 3 locations, {n_commands} commands", a.levels),
        &f,
        &minimum.to_string(),
        &format!("{:.4}", f.requests as f64 / a.levels as f64),
        window,
    );

    tokio::time::sleep(window).await;
    let commands = shipments(&sandbox, a.shipments).await;
    let n = commands.len();
    let (w, dead) = worker(&sandbox);
    let f = measure(&sandbox, window, run(&w, commands)).await;
    let refused = dead.bodies();
    if !refused.is_empty() {
        return Err(format!("shipments dead-lettered {}: {}", refused.len(), refused[0]).into());
    }
    row(
        "shipments",
        &format!("{n} orders shipped in full, by SKU"),
        &f,
        &(2 * n).to_string(),
        &format!("{:.2}", f.requests as f64 / n.max(1) as f64),
        window,
    );
    let scale = if a.window_scale > 1 {
        format!(
            " Window scaled down {} x (150 per {} ms).",
            a.window_scale,
            window.as_millis()
        )
    } else {
        " Real window (150 per 30 s).".to_owned()
    };
    println!("\nThe bound is what the requests take at the core limit; targets: shipments <= 2 requests each, 0 429s after the first window.{scale}");
    Ok(())
}
