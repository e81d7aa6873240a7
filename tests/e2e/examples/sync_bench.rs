//! Rate-limited sync benchmark: the upsert-worker, as one or three Lambda instances sharing one
//! state table, against a sandbox enforcing BigCommerce's real limits (150 requests per 30 s on
//! the core API, 150 per 60 s on the B2B API, by default). Scenarios of issue 17:
//!
//! 1. a first load of new companies with one buyer each;
//! 2. a full re-sync of mapped companies (done markers expired), 5% of them changed;
//! 3. the same re-sync with nothing changed;
//! 4. the same re-sync after 50 companies were edited in the control panel;
//! 5. a large price list.
//!
//! Prints, per scenario and instance count: B2B and core requests against the target, requests
//! per command, writes, 429s (and how many after the first window), the elapsed time against
//! the rate-limit bound, and the minutes the same requests take at the real B2B limit.
//!
//! `cargo run --release -p b2b-e2e --example sync_bench -- [--companies N] [--resync N]
//! [--records N] [--batch N] [--instances 1,3] [--quota N] [--window-ms MS] [--b2b-quota N]
//! [--b2b-window-ms MS]` (`make bench` runs it with the defaults).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::{MemoryState, StateStore};
use b2b_test_support::{client, sandbox, STORE, TOKEN};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use bigcommerce_b2b::ClientOptions;
use serde_json::{json, Value};
use upsert_worker::{Engine, Worker};

type Error = Box<dyn std::error::Error>;

/// Records per price-list command (one batch upsert: BigCommerce's maximum per request).
const RECORDS_PER_COMMAND: usize = 1_000;

/// Companies edited in the control panel before scenario 4.
const DRIFTED: usize = 50;

struct Args {
    companies: usize,
    resync: usize,
    records: usize,
    batch: usize,
    instances: Vec<usize>,
    quota: u32,
    window_ms: u64,
    b2b_quota: u32,
    b2b_window_ms: u64,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        companies: 1_000,
        resync: 10_000,
        records: 100_000,
        batch: 100,
        instances: vec![1, 3],
        quota: 150,
        window_ms: 30_000,
        b2b_quota: 150,
        b2b_window_ms: 60_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--companies" => a.companies = value.parse()?,
            "--resync" => a.resync = value.parse()?,
            "--records" => a.records = value.parse()?,
            "--batch" => a.batch = value.parse()?,
            "--instances" => {
                a.instances = value.split(',').map(str::parse).collect::<Result<_, _>>()?
            }
            "--quota" => a.quota = value.parse()?,
            "--window-ms" => a.window_ms = value.parse()?,
            "--b2b-quota" => a.b2b_quota = value.parse()?,
            "--b2b-window-ms" => a.b2b_window_ms = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

impl Args {
    fn limits(&self, catalog_products: usize) -> SandboxOptions {
        SandboxOptions {
            quota: self.quota,
            window_ms: self.window_ms,
            b2b_quota: self.b2b_quota,
            b2b_window_ms: self.b2b_window_ms,
            catalog_products,
            ..SandboxOptions::default()
        }
    }

    /// Waited between scenarios: the longer of the two windows, so each starts on full quotas,
    /// and past the mirror's maximum age, as a nightly run finds it.
    fn settle(&self) -> Duration {
        let windows = Duration::from_millis(self.window_ms.max(self.b2b_window_ms));
        windows.max(upsert_worker::DEFAULT_MIRROR_MAX_AGE + Duration::from_secs(1))
    }
}

/// One worker instance (its own client, so its own pacer) on the shared state table and
/// dead-letter queue.
fn worker(sandbox: &RunningSandbox, state: Arc<dyn StateStore>, dlq: Arc<MemoryQueue>) -> Worker {
    Worker {
        engine: Engine::new(
            client(sandbox, ClientOptions::default()),
            state,
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: dlq,
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    }
}

/// A message on the simulated queue: id, body, receives so far.
type Message = (String, String, u32);

/// What one scenario used and took.
struct Run {
    b2b_requests: u64,
    core_requests: u64,
    writes: u64,
    rate_limited: u64,
    rate_limited_after_first_window: u64,
    elapsed: Duration,
    redelivered: usize,
    dead_letters: usize,
}

/// Takes batches of up to `batch` messages off `queue` and hands them to `worker` until the
/// queue is empty; failed messages go back to the end of the queue. Returns the redeliveries.
async fn instance(worker: Worker, queue: Arc<Mutex<VecDeque<Message>>>, batch: usize) -> usize {
    let mut redelivered = 0;
    loop {
        let mut taken: Vec<Message> = {
            let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
            let n = q.len().min(batch);
            q.drain(..n).collect()
        };
        if taken.is_empty() {
            return redelivered;
        }
        let records: Vec<Value> = taken
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
        let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
        for f in resp.batch_item_failures {
            if let Some(m) = taken.iter().find(|m| m.0 == f.item_identifier) {
                q.push_back(m.clone());
                redelivered += 1;
            }
        }
    }
}

/// Requests the sandbox served whose route is on the B2B API, and the others.
fn requests_by_api(sandbox: &RunningSandbox) -> (u64, u64) {
    let stats = sandbox.app().stats.to_json();
    let mut b2b = 0;
    let mut core = 0;
    for (route, n) in stats["requests_by_route"].as_object().into_iter().flatten() {
        let n = n.as_u64().unwrap_or(0);
        if route.contains("/api/v3/io") {
            b2b += n;
        } else {
            core += n;
        }
    }
    (b2b, core)
}

/// Delivers `bodies` in batches of `batch` to `instances` workers at once (Lambda instances
/// polling one queue), failed messages again until none is left.
async fn deliver(
    sandbox: &RunningSandbox,
    state: &Arc<dyn StateStore>,
    bodies: Vec<String>,
    instances: usize,
    batch: usize,
    window: Duration,
) -> Run {
    let stats = &sandbox.app().stats;
    stats.clear();
    let queue: Arc<Mutex<VecDeque<Message>>> = Arc::new(Mutex::new(
        bodies
            .into_iter()
            .enumerate()
            .map(|(n, b)| (format!("m-{n}"), b, 0))
            .collect(),
    ));
    let t0 = Instant::now();
    let first_window = {
        let app = sandbox.app().clone();
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            app.stats.rate_limited_total.load(Ordering::Relaxed)
        })
    };
    // The instances run side by side as futures of this task (their requests overlap as
    // Lambda instances' would); the sandbox serves on its own tasks.
    let dlq = Arc::new(MemoryQueue::default());
    let running = (0..instances).map(|_| {
        instance(
            worker(sandbox, state.clone(), dlq.clone()),
            queue.clone(),
            batch,
        )
    });
    let redelivered: usize = futures_util::future::join_all(running)
        .await
        .into_iter()
        .sum();
    let elapsed = t0.elapsed();
    let total_429 = stats.rate_limited_total.load(Ordering::Relaxed);
    let in_first = if elapsed > window {
        first_window.await.unwrap_or(0)
    } else {
        first_window.abort();
        total_429
    };
    let (b2b_requests, core_requests) = requests_by_api(sandbox);
    let dead = dlq.bodies();
    if let Some(first) = dead.first() {
        eprintln!("{} dead letters; the first: {first}", dead.len());
    }
    Run {
        dead_letters: dead.len(),
        b2b_requests,
        core_requests,
        writes: stats.writes_total.load(Ordering::Relaxed),
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

/// One row of the table.
struct Row<'a> {
    scenario: &'a str,
    instances: usize,
    commands: usize,
    target: String,
    run: &'a Run,
}

fn row(out: &mut Vec<String>, a: &Args, r: Row<'_>) {
    let run = r.run;
    let b2b_window = Duration::from_millis(a.b2b_window_ms);
    let bound = rate_bound(run.b2b_requests, a.b2b_quota, b2b_window).as_secs_f64();
    let requests = run.b2b_requests + run.core_requests;
    out.push(format!(
        "| {} | {} | {} | {} | {} | {} | {:.3} | {} | {} / {} | {:.1} | {:.1} | {} | {:.1} |",
        r.scenario,
        r.instances,
        r.commands,
        run.b2b_requests,
        run.core_requests,
        r.target,
        requests as f64 / r.commands.max(1) as f64,
        run.writes,
        run.rate_limited,
        run.rate_limited_after_first_window,
        run.elapsed.as_secs_f64(),
        bound,
        if bound > 0.0 {
            format!("{:.3}", run.elapsed.as_secs_f64() / bound)
        } else {
            "n/a (one window)".into()
        },
        // Steady state at the real B2B limit: 150 a minute.
        run.b2b_requests as f64 / 150.0,
    ));
    if run.redelivered > 0 || run.dead_letters > 0 {
        out.push(format!(
            "|  | ({} messages redelivered, {} dead-lettered) ||||||||||||",
            run.redelivered, run.dead_letters
        ));
    }
}

fn company_command(i: usize, name: &str, run: &str) -> String {
    json!({"type":"company.upsert","version":1,"store_hash":STORE,"external_id":format!("B-{i:05}"),
        "idempotency_key": format!("{run}-{i}"),
        "company":{"name":name,"email":format!("ap@b{i}.example"),"phone":"555-0100","country":"US",
        "admin":{"first_name":"Admin","last_name":format!("B{i}"),"email":format!("admin@b{i}.example")}}})
    .to_string()
}

fn buyer_command(i: usize) -> String {
    json!({"type":"user.upsert","version":1,"store_hash":STORE,"external_id":format!("U-{i:05}"),
        "company_external_id":format!("B-{i:05}"),
        "user":{"first_name":"Buyer","last_name":format!("B{i}"),"email":format!("buyer@b{i}.example"),"role":"senior_buyer"}})
    .to_string()
}

/// Scenario 1: `n` new companies, then a buyer for each.
async fn first_load(a: &Args, instances: usize, table: &mut Vec<String>) -> Result<(), Error> {
    let sb = sandbox(a.limits(50)).await;
    let state: Arc<dyn StateStore> = Arc::new(MemoryState::default());
    let n = a.companies;
    let mut bodies: Vec<String> = (0..n)
        .map(|i| company_command(i, &format!("Bench {i}"), "load"))
        .collect();
    bodies.extend((0..n).map(buyer_command));
    let run = deliver(&sb, &state, bodies, instances, a.batch, window(a)).await;
    let target = ((n.div_ceil(250) + 2 * n.div_ceil(10)) as f64 * 1.1).floor();
    row(
        table,
        a,
        Row {
            scenario: &format!("first load: {n} new companies, one buyer each"),
            instances,
            commands: 2 * n,
            target: format!("≤ {target}"),
            run: &run,
        },
    );
    sb.shutdown().await;
    Ok(())
}

fn window(a: &Args) -> Duration {
    Duration::from_millis(a.window_ms.min(a.b2b_window_ms))
}

/// Creates `n` companies `B-00000`… through the worker with the store's quotas lifted, as an
/// earlier load by the toolkit would have (mapped, their addresses recorded), then puts the
/// quotas back on fresh windows.
async fn load_companies(
    a: &Args,
    sb: &RunningSandbox,
    state: &Arc<dyn StateStore>,
    n: usize,
) -> Result<(), Error> {
    let app = sb.app();
    app.core_limit.set_quota(0);
    app.b2b_limit.set_quota(0);
    let bodies = (0..n)
        .map(|i| company_command(i, &format!("Bench {i}"), "seed"))
        .collect();
    let run = deliver(sb, state, bodies, 1, a.batch, window(a)).await;
    if run.dead_letters > 0 {
        return Err(format!("{} companies not loaded", run.dead_letters).into());
    }
    app.core_limit.set_quota(a.quota);
    app.b2b_limit.set_quota(a.b2b_quota);
    app.core_limit.reset();
    app.b2b_limit.reset();
    Ok(())
}

/// Edits `n` companies as the control panel would (name and modification time).
fn edit_in_panel(sb: &RunningSandbox, n: usize, every: usize) {
    let now = b2b_now();
    let mut store = sb.app().data();
    for (k, c) in store
        .companies
        .values_mut()
        .step_by(every)
        .take(n)
        .enumerate()
    {
        c["companyName"] = json!(format!("Edited in the panel {k}"));
        c["updatedAt"] = json!(now);
    }
}

fn b2b_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Scenarios 2 to 4 on one store and one state table, as nightly runs would be.
async fn resyncs(a: &Args, instances: usize, table: &mut Vec<String>) -> Result<(), Error> {
    let sb = sandbox(a.limits(50)).await;
    let m = a.resync;
    let state: Arc<dyn StateStore> = Arc::new(MemoryState::default());
    load_companies(a, &sb, &state, m).await?;
    let pages = m.div_ceil(250) as u64;
    // The ERP's nightly export: 5% of the companies carry a new name. Each run has its own
    // idempotency keys, as if the done markers of the last one had expired.
    let body = |i: usize, run: &str| {
        let name = if i.is_multiple_of(20) {
            format!("Changed {i}")
        } else {
            format!("Bench {i}")
        };
        company_command(i, &name, run)
    };
    let runs = [
        (
            "full re-sync of mapped companies, 5% changed",
            format!("≤ {:.0}", 1.1 * ((m / 20) as f64 + pages as f64)),
            "resync-1",
        ),
        (
            "re-sync, nothing changed",
            "delta pages only, 0 writes".to_owned(),
            "resync-2",
        ),
        (
            "re-sync after 50 edits in the control panel",
            format!("{DRIFTED} PUTs + delta pages"),
            "resync-3",
        ),
    ];
    for (k, (scenario, target, run_tag)) in runs.iter().enumerate() {
        tokio::time::sleep(a.settle()).await;
        if k == 2 {
            // Every 7th company (a few of them among the 5% changed).
            edit_in_panel(&sb, DRIFTED, 7);
        }
        let bodies: Vec<String> = (0..m).map(|i| body(i, run_tag)).collect();
        let run = deliver(&sb, &state, bodies, instances, a.batch, window(a)).await;
        row(
            table,
            a,
            Row {
                scenario: &format!("{scenario} ({m})"),
                instances,
                commands: m,
                target: target.clone(),
                run: &run,
            },
        );
    }
    sb.shutdown().await;
    Ok(())
}

/// Scenario 5: records for every variant, 1,000 per command.
async fn price_list(a: &Args, table: &mut Vec<String>) -> Result<(), Error> {
    let sb = sandbox(a.limits(a.records.div_ceil(2).max(50))).await;
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
    tokio::time::sleep(a.settle()).await;
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
    let commands = bodies.len();
    let state: Arc<dyn StateStore> = Arc::new(MemoryState::default());
    // Price-list commands are 1,000 records each: 10 per batch, as SQS's 256 KiB allows.
    let run = deliver(&sb, &state, bodies, 1, 10, window(a)).await;
    row(
        table,
        a,
        Row {
            scenario: &format!("{} price-list records (core API)", a.records),
            instances: 1,
            commands,
            target: format!("{} PUTs", a.records.div_ceil(RECORDS_PER_COMMAND)),
            run: &run,
        },
    );
    table.push(format!(
        "|  | peak concurrent price-list upserts: {} (limit 2) ||||||||||||",
        sb.app()
            .stats
            .peak_concurrent_pricelist_upserts
            .load(Ordering::Relaxed)
    ));
    sb.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let a = args()?;
    // The worker prints its EMF metrics on stdout as it goes; the table comes at the end.
    let mut table = vec![
        "| scenario | instances | commands | B2B requests | core requests | target (B2B) | requests / command | writes | 429s / after 1st window | elapsed (s) | B2B rate-limit bound (s) | elapsed / bound | minutes at 150 B2B / min |".to_owned(),
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|".to_owned(),
    ];
    for &instances in &a.instances {
        first_load(&a, instances, &mut table).await?;
        resyncs(&a, instances, &mut table).await?;
    }
    price_list(&a, &mut table).await?;
    println!("\n{}", table.join("\n"));
    println!(
        "\nLimits: {} requests per {:.0} s on the core API, {} per {:.0} s on the B2B API; \
         SQS batches of {} (price lists: 10), 4 commands in flight per instance; the store mirror \
         on, {} s maximum age.",
        a.quota,
        a.window_ms as f64 / 1000.0,
        a.b2b_quota,
        a.b2b_window_ms as f64 / 1000.0,
        a.batch,
        upsert_worker::DEFAULT_MIRROR_MAX_AGE.as_secs(),
    );
    Ok(())
}
