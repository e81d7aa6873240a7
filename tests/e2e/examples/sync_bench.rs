//! Rate-limited sync benchmark: a large price-list sync and many company upserts go through the
//! upsert-worker (SQS batches of 10, as Lambda delivers them) against a sandbox enforcing a
//! Standard-plan limit (150 requests per 30 s by default, on the core and the B2B API each).
//! Prints, per scenario: requests used against the minimum possible, 429s received (and how many
//! after the first window), and the elapsed time against the rate-limit lower bound.
//!
//! `cargo run --release -p b2b-e2e --example sync_bench -- [--records N] [--companies N]
//! [--quota N] [--window-ms MS]` (`make bench` runs it with the defaults).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_test_support::{client, sandbox, STORE, TOKEN};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::{Applier, Worker};

type Error = Box<dyn std::error::Error>;

/// Records per price-list command (one batch upsert: BigCommerce's maximum per request).
const RECORDS_PER_COMMAND: usize = 1_000;

struct Args {
    records: usize,
    companies: usize,
    quota: u32,
    window_ms: u64,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        records: 100_000,
        companies: 1_000,
        quota: 150,
        window_ms: 30_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--records" => a.records = value.parse()?,
            "--companies" => a.companies = value.parse()?,
            "--quota" => a.quota = value.parse()?,
            "--window-ms" => a.window_ms = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

fn worker(sandbox: &RunningSandbox) -> Worker {
    Worker {
        applier: Applier::new(
            client(sandbox, ClientOptions::default()),
            Arc::new(MemoryState::default()),
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: Arc::new(MemoryQueue::default()),
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
    }
}

/// What one scenario used and took.
struct Run {
    requests: u64,
    rate_limited: u64,
    rate_limited_after_first_window: u64,
    elapsed: Duration,
    redelivered: usize,
}

/// Delivers `bodies` in SQS batches of 10, one batch at a time (one Lambda instance), failed
/// messages again until none is left.
async fn deliver(sandbox: &RunningSandbox, bodies: Vec<String>, window: Duration) -> Run {
    let stats = &sandbox.app().stats;
    stats.clear();
    let worker = worker(sandbox);
    let t0 = Instant::now();
    let first_window = {
        let app = sandbox.app().clone();
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            app.stats.rate_limited_total.load(Ordering::Relaxed)
        })
    };
    let mut pending: Vec<(String, String, u32)> = bodies
        .into_iter()
        .enumerate()
        .map(|(n, b)| (format!("m-{n}"), b, 0))
        .collect();
    let mut redelivered = 0;
    while !pending.is_empty() {
        let mut failed_again = Vec::new();
        for chunk in pending.chunks_mut(10) {
            let records: Vec<Value> = chunk
                .iter_mut()
                .map(|(id, body, n)| {
                    *n += 1;
                    json!({"messageId": id, "receiptHandle": "rh", "body": body,
                        "attributes": {"ApproximateReceiveCount": n.to_string()}, "eventSource": "aws:sqs"})
                })
                .collect();
            let event = serde_json::from_value(json!({ "Records": records }))
                .unwrap_or_else(|e| panic!("SQS event: {e}"));
            let resp = worker.handle(&event).await;
            for f in resp.batch_item_failures {
                if let Some(m) = chunk.iter().find(|m| m.0 == f.item_identifier) {
                    failed_again.push(m.clone());
                }
            }
        }
        redelivered += failed_again.len();
        pending = failed_again;
    }
    let elapsed = t0.elapsed();
    let total_429 = stats.rate_limited_total.load(Ordering::Relaxed);
    let in_first = if elapsed > window {
        first_window.await.unwrap_or(0)
    } else {
        first_window.abort();
        total_429
    };
    Run {
        requests: stats.requests_total.load(Ordering::Relaxed),
        rate_limited: total_429,
        rate_limited_after_first_window: total_429.saturating_sub(in_first),
        elapsed,
        redelivered,
    }
}

/// The rate-limit lower bound for `n` requests: every full quota after the first costs a window.
fn rate_bound(n: u64, quota: u32, window: Duration) -> Duration {
    let windows = n.div_ceil(quota as u64).saturating_sub(1);
    window * windows as u32
}

fn row(
    out: &mut Vec<String>,
    name: &str,
    minimum: u64,
    bound: Duration,
    floor_note: &str,
    run: &Run,
) {
    let bound_s = bound.as_secs_f64();
    out.push(format!(
        "| {name} | {} | {minimum} | {:.3} | {} | {} | {:.1} | {:.1} | {} | {} |",
        run.requests,
        run.requests as f64 / minimum as f64,
        run.rate_limited,
        run.rate_limited_after_first_window,
        run.elapsed.as_secs_f64(),
        bound_s,
        if bound_s > 0.0 {
            format!("{:.3}", run.elapsed.as_secs_f64() / bound_s)
        } else {
            "n/a (within one window)".into()
        },
        floor_note,
    ));
    if run.redelivered > 0 {
        out.push(format!(
            "|  | ({} messages redelivered) |||||||||",
            run.redelivered
        ));
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let a = args()?;
    let window = Duration::from_millis(a.window_ms);
    let limits = |catalog_products: usize| SandboxOptions {
        quota: a.quota,
        window_ms: a.window_ms,
        b2b_quota: a.quota,
        b2b_window_ms: a.window_ms,
        catalog_products,
        ..SandboxOptions::default()
    };
    // The worker prints its EMF metrics on stdout as it goes; the table comes at the end.
    let mut table = vec![
        "| scenario | requests | minimum | used / minimum | 429s | 429s after 1st window | elapsed (s) | rate-limit bound (s) | elapsed / bound | minimum counted as |".to_owned(),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|".to_owned(),
    ];

    // 1. The price list: records for every variant, 1,000 per command.
    let sb = sandbox(limits(a.records.div_ceil(2).max(50))).await;
    let created: Value = reqwest::Client::new()
        .post(format!("{}/v3/pricelists", sb.core_base_url()))
        .header("X-Auth-Token", TOKEN)
        .json(&json!({"name": "Bench wholesale", "active": true}))
        .send()
        .await?
        .json()
        .await?;
    let price_list = created["data"]["id"].as_i64().ok_or("no price list id")?;
    // Let the window that the set-up request opened pass, so the run starts on a full quota.
    tokio::time::sleep(window).await;
    let bodies: Vec<String> = (0..a.records)
        .collect::<Vec<_>>()
        .chunks(RECORDS_PER_COMMAND)
        .enumerate()
        .map(|(n, chunk)| {
            let records: Vec<Value> = chunk
                .iter()
                .map(|v| json!({"variant_id": v + 1, "currency": "usd", "price": (*v as f64) * 0.01 + 1.0}))
                .collect();
            json!({"type":"pricelist.records.upsert","version":1,"store_hash":STORE,
                "external_id":format!("PL-bench-{n}"),"price_list_id":price_list,"records":records})
            .to_string()
        })
        .collect();
    let minimum = a.records.div_ceil(RECORDS_PER_COMMAND) as u64;
    let run = deliver(&sb, bodies, window).await;
    let stored = sb.app().stats.writes_total.load(Ordering::Relaxed);
    row(
        &mut table,
        &format!("{} price-list records", a.records),
        minimum,
        rate_bound(minimum, a.quota, window),
        "1 batch PUT per 1,000 records",
        &run,
    );
    table.push(format!(
        "|  | peak concurrent price-list upserts: {} (limit 2); successful writes: {stored} |||||||||",
        sb.app()
            .stats
            .peak_concurrent_pricelist_upserts
            .load(Ordering::Relaxed)
    ));
    sb.shutdown().await;

    // 2. Companies: new to the store, each with its admin.
    let sb = sandbox(limits(50)).await;
    let bodies: Vec<String> = (0..a.companies)
        .map(|i| {
            json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":format!("B-{i:05}"),
                "company":{"name":format!("Bench {i}"),"email":format!("ap@b{i}.example"),"phone":"555-0100","country":"US",
                "admin":{"first_name":"Admin","last_name":format!("B{i}"),"email":format!("admin@b{i}.example")}}})
            .to_string()
        })
        .collect();
    // Per SQS batch of 10: one lookup each, then one bulk create for the batch.
    let minimum = (a.companies + a.companies.div_ceil(10)) as u64;
    let run = deliver(&sb, bodies, window).await;
    row(
        &mut table,
        &format!("{} company upserts", a.companies),
        minimum,
        rate_bound(minimum, a.quota, window),
        "1 lookup by external id each + 1 bulk create per batch of 10",
        &run,
    );
    println!("\n{}", table.join("\n"));
    println!(
        "\nLimits: {} requests per {:.0} s on the core API and on the B2B API; one worker instance, \
         4 commands in flight.",
        a.quota,
        window.as_secs_f64()
    );
    Ok(())
}
