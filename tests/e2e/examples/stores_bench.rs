//! Many stores, one deployment (issue 18): do stores scale out instead of queueing behind each
//! other? One sandbox serves `--stores` stores (default 20), each at BigCommerce's real
//! per-store limits (core 150 per 30 s, B2B 150 per 60 s) with `--orders` orders (default 2,000).
//! The store secrets are in moto and the stores are declared in `STORES`.
//!
//! 1. **Export**: order-export's fan-out queues one job per store (the jobs code of the
//!    function), and the jobs run at once, as Lambda runs them with `ExportConcurrency` = the
//!    number of stores.
//! 2. **Upserts**: `--upserts` (default 200) `company.upsert` commands per store, shuffled into
//!    SQS batches of 100 records that mix every store, handled by `--instances` (default 4)
//!    many-store workers at once.
//!
//! 3. **Instances**: each function's release binary under a Lambda Runtime API of the bench's
//!    own, serving all the stores, handles one event of the run's kind (the worker a batch of
//!    100 upserts mixing every store, the export one store's job, the intake a command for one
//!    store); its peak RSS is what one Lambda instance of a many-store deployment holds.
//!
//! Each phase prints its elapsed time against the slowest single store's rate-limit bound (that
//! store's requests on each API divided by its quota, times the window: what the store would
//! take alone at its limit), the target being ≤ 1.2 ×, and the 429s after the first window in any
//! store (target 0). `--window-scale K` divides both windows by K to run faster: the ratio to the
//! bound of a phase limited by the quota does not depend on it (one limited by CPU does), and the
//! output says when it was used.
//!
//! `scripts/with-moto.sh cargo run --release -p b2b-e2e --example stores_bench -- [--stores N]
//! [--orders N] [--upserts N] [--instances N] [--window-scale K]`

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::MemoryQueue;
use b2b_shared::state::MemoryState;
use b2b_shared::stores::{NoStore, StoreClients};
use b2b_shared::{setup, Config};
use b2b_test_support::lambda::{function_binary, http_post, FunctionProcess, Invoked};
use b2b_test_support::{fifo_queue, moto, queue, state_table, stores, unique, unlimited};
use bc_sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{json, Value};

#[path = "support/batches.rs"]
mod batches;

type Error = Box<dyn std::error::Error>;

struct Args {
    stores: usize,
    orders: usize,
    upserts: usize,
    instances: usize,
    window_scale: u64,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        stores: 20,
        orders: 2_000,
        upserts: 200,
        instances: 4,
        window_scale: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--stores" => a.stores = value.parse()?,
            "--orders" => a.orders = value.parse()?,
            "--upserts" => a.upserts = value.parse()?,
            "--instances" => a.instances = value.parse()?,
            "--window-scale" => a.window_scale = value.parse::<u64>()?.max(1),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

/// The real windows, divided by the scale.
fn windows(a: &Args) -> (Duration, Duration) {
    (
        Duration::from_millis(30_000 / a.window_scale),
        Duration::from_millis(60_000 / a.window_scale),
    )
}

/// Core and B2B requests each store has answered so far, by store.
fn requests(sandbox: &RunningSandbox, hashes: &[String]) -> BTreeMap<String, (u64, u64)> {
    hashes
        .iter()
        .map(|h| {
            let app = sandbox
                .store(h)
                .map(|a| a.stats.by_route.lock().map(|r| r.clone()));
            let by_route = app.and_then(Result::ok).unwrap_or_default();
            let (mut core, mut b2b) = (0, 0);
            for (route, n) in by_route {
                if route.contains("/api/v3/io") {
                    b2b += n;
                } else {
                    core += n;
                }
            }
            (h.clone(), (core, b2b))
        })
        .collect()
}

fn rate_limited(sandbox: &RunningSandbox, hashes: &[String]) -> u64 {
    hashes
        .iter()
        .filter_map(|h| sandbox.store(h))
        .map(|a| a.stats.rate_limited_total.load(Ordering::Relaxed))
        .sum()
}

/// One phase's figures: elapsed against the slowest store's bound, and the 429s.
struct Phase {
    name: &'static str,
    elapsed: Duration,
    slowest_bound: Duration,
    requests: (u64, u64),
    limited: u64,
    limited_after_first_window: u64,
}

/// Runs `work`, and measures it from the sandbox's per-store counters.
async fn measure<F: std::future::Future<Output = ()>>(
    name: &'static str,
    a: &Args,
    sandbox: &RunningSandbox,
    hashes: &[String],
    work: F,
) -> Phase {
    let before = requests(sandbox, hashes);
    let limited_before = rate_limited(sandbox, hashes);
    let (core_window, b2b_window) = windows(a);
    let first_window = core_window.min(b2b_window);
    let started = Instant::now();
    let snapshot = async {
        tokio::time::sleep(first_window).await;
        rate_limited(sandbox, hashes)
    };
    let timed = async {
        work.await;
        started.elapsed()
    };
    let (elapsed, at_first_window) = tokio::join!(timed, snapshot);
    let after = requests(sandbox, hashes);
    let mut slowest = Duration::ZERO;
    let mut total = (0, 0);
    for (h, (core, b2b)) in &after {
        let (core0, b2b0) = before.get(h).copied().unwrap_or_default();
        let (core, b2b) = (core - core0, b2b - b2b0);
        total = (total.0 + core, total.1 + b2b);
        let bound = |n: u64, window: Duration| window.mul_f64(n as f64 / 150.0);
        slowest = slowest.max(bound(core, core_window).max(bound(b2b, b2b_window)));
    }
    let limited = rate_limited(sandbox, hashes);
    Phase {
        name,
        elapsed,
        slowest_bound: slowest,
        requests: total,
        limited: limited - limited_before,
        limited_after_first_window: limited.saturating_sub(at_first_window.max(limited_before)),
    }
}

/// Phase 1: the fan-out, then every store's job at once.
async fn export_all(jobs: &order_export::jobs::Jobs, template: &Exporter, queued: &MemoryQueue) {
    let now = chrono_now();
    let stores = jobs
        .fan_out(None, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let messages = queued.sent.lock().map(|m| m.clone()).unwrap_or_default();
    assert_eq!(messages.len(), stores.len(), "one job per store");
    let until = tokio::time::Instant::now() + Duration::from_secs(3_600);
    let runs = messages.iter().enumerate().map(|(i, m)| {
        let event: SqsEvent = serde_json::from_value(json!({"Records": [{
            "messageId": format!("job-{i}"), "receiptHandle": "rh", "body": m.body,
            "attributes": {}, "eventSource": "aws:sqs"}]}))
        .unwrap_or_else(|e| panic!("{e}"));
        async move {
            let answer = jobs.run(&event, template, until).await;
            assert!(answer.batch_item_failures.is_empty(), "a job failed");
        }
    });
    futures_util::future::join_all(runs).await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn company(store: &str, n: usize) -> Value {
    let ext = format!("{store}-C{n}");
    json!({"type": "company.upsert", "version": 1, "store_hash": store, "external_id": ext,
        "company": {"name": format!("Bench {ext}"), "email": format!("{ext}@bench.example").to_lowercase(),
        "phone": "555-0100", "country": "US", "extra_fields": {"external_id": ext},
        "admin": {"first_name": "A", "last_name": "B", "email": format!("admin-{ext}@bench.example").to_lowercase()}}})
}

/// Phase 2: every store's upserts in mixed batches of 100, `instances` workers at once.
async fn upsert_all(worker: &upsert_worker::Worker, a: &Args, hashes: &[String]) {
    let mut records = Vec::new();
    for n in 0..a.upserts {
        for h in hashes {
            records.push(company(h, n));
        }
    }
    batches::run_batches(worker, &records, 100, a.instances).await;
}

fn sqs_event(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({"messageId": format!("i{i}"), "receiptHandle": "rh", "body": b,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs"})
        })
        .collect();
    json!({ "Records": records })
}

/// Peak RSS (KiB) of `name`'s release binary, started with `env`, after it handled `event`.
async fn peak_rss(name: &str, env: &[(&str, String)], event: &Value) -> Result<u64, Error> {
    let binary = function_binary(name, true)?;
    let process = FunctionProcess::start(&binary, name, env, Duration::from_secs(60)).await?;
    let answer = process.invoke(event, Duration::from_secs(600)).await;
    let rss = process.peak_rss_kib().unwrap_or(0);
    process.kill();
    match answer.map_err(|e| format!("{name}: {e}"))? {
        Invoked::Error(e) => Err(format!("{name} failed: {e}").into()),
        Invoked::Response(r) => {
            let failed = r["batchItemFailures"]
                .as_array()
                .is_some_and(|f| !f.is_empty());
            let status = r["statusCode"].as_u64().unwrap_or(200);
            if failed || !(200..300).contains(&status) {
                return Err(format!("{name} answered {r}").into());
            }
            Ok(rss)
        }
    }
}

/// Phase 3: one instance of each function, serving every store, handles one event.
async fn instances(
    sdk: &aws_config::SdkConfig,
    sandbox: &RunningSandbox,
    hashes: &[String],
    prefix: &str,
    job: &str,
) -> Result<Vec<(&'static str, &'static str, u64)>, Error> {
    let env: Vec<(&str, String)> = vec![
        ("STORES", hashes.join(",")),
        ("STORE_SECRET_PREFIX", prefix.to_owned()),
        ("STATE_TABLE", state_table(sdk).await),
        ("INBOUND_QUEUE_URL", queue(sdk, "bench-inbound").await),
        ("OUTBOUND_QUEUE_URL", queue(sdk, "bench-outbound").await),
        ("DEAD_LETTER_QUEUE_URL", queue(sdk, "bench-dlq").await),
        ("EXPORT_JOBS_QUEUE_URL", fifo_queue(sdk, "bench-jobs").await),
        ("BC_API_URL", sandbox.base_url()),
        ("B2B_API_URL", sandbox.base_url()),
        ("EXTERNAL_ID_FIELD", "external_id".into()),
        ("EXPORT_STREAMS", "orders".into()),
        ("EXPORT_START_DAYS", "3650".into()),
        ("RUST_LOG", "warn".into()),
    ];
    // New companies (the upsert phase created C0..): 5 per store, mixed in one batch of 100.
    let upserts: Vec<String> = (0..5)
        .flat_map(|n| {
            hashes
                .iter()
                .map(move |h| company(h, 10_000 + n).to_string())
        })
        .take(100)
        .collect();
    let first = hashes.first().map(String::as_str).unwrap_or_default();
    let inbound = http_post(
        "/inbound",
        &stores::inbound_key(first),
        &json!([company(first, 20_000)]),
    );
    Ok(vec![
        (
            "upsert-worker",
            "a batch of 100 upserts mixing every store",
            peak_rss("upsert-worker", &env, &sqs_event(&upserts)).await?,
        ),
        (
            "order-export",
            "one store's job (all its orders)",
            peak_rss("order-export", &env, &sqs_event(&[job.to_owned()])).await?,
        ),
        (
            "webhook-intake",
            "`/inbound`: one store's command",
            peak_rss("webhook-intake", &env, &inbound).await?,
        ),
    ])
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let a = args()?;
    let sdk = moto().await;
    let hashes: Vec<String> = (1..=a.stores).map(|n| format!("store{n:02}")).collect();
    let prefix = format!("{}/", unique("stores-bench"));
    let secrets: Vec<(&str, Value)> = hashes
        .iter()
        .map(|h| (h.as_str(), stores::store_secret_json(h)))
        .collect();
    stores::create_secrets(&sdk, &prefix, &secrets).await;
    let (core_window, b2b_window) = windows(&a);
    let base = SandboxOptions {
        quota: 150,
        window_ms: core_window.as_millis() as u64,
        b2b_quota: 150,
        b2b_window_ms: b2b_window.as_millis() as u64,
        seed_companies: 0,
        // Requests are the toolkit's own, checked against the specs by the test suites; the
        // benchmark leaves the sandbox's CPU to serving them.
        contract: bc_sandbox::contract::ContractMode::Off,
        ..unlimited()
    };
    let layout: Vec<(&str, usize)> = hashes.iter().map(|h| (h.as_str(), a.orders)).collect();
    let sandbox = stores::sandbox_of(&layout, base).await;
    let lookup = |k: &str| match k {
        "STORES" => Some(hashes.join(",")),
        "STORE_SECRET_PREFIX" => Some(prefix.clone()),
        "BC_API_URL" | "B2B_API_URL" => Some(sandbox.base_url()),
        _ => None,
    };
    let config = Config::from_lookup(lookup, &[]).map_err(|e| e.to_string())?;
    let clients = || {
        let directory = setup::store_directory(&config, &sdk, None);
        StoreClients::new(directory, config.clone(), None)
    };

    let queued = Arc::new(MemoryQueue::default());
    let jobs = order_export::jobs::Jobs {
        clients: clients(),
        queue: queued.clone(),
    };
    let outbound = Arc::new(MemoryQueue::default());
    let template = Exporter {
        client: setup::client_for(&config, Arc::new(NoStore), Default::default())?,
        state: Arc::new(MemoryState::default()),
        outbound: outbound.clone(),
        settings: ExportSettings {
            first_run_days: 3_650,
            streams: vec![StreamKind::Orders],
            ..ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    let export = measure(
        "export",
        &a,
        &sandbox,
        &hashes,
        export_all(&jobs, &template, &queued),
    )
    .await;
    let delivered = outbound.sent.lock().map(|m| m.len()).unwrap_or(0);
    let first_job = queued
        .sent
        .lock()
        .ok()
        .and_then(|m| m.first().map(|j| j.body.clone()))
        .ok_or("the fan-out queued no job")?;

    // The next phase starts on full quotas.
    tokio::time::sleep(core_window.max(b2b_window)).await;
    let state = Arc::new(MemoryState::default());
    let worker = upsert_worker::Worker {
        engine: upsert_worker::Engine::new(
            setup::client_for(&config, Arc::new(NoStore), Default::default())?,
            state,
            "external_id".into(),
        ),
        mapping: None,
        dead_letters: Arc::new(MemoryQueue::default()),
        visibility: None,
        events: None,
        concurrency: upsert_worker::wiring::CONCURRENCY,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: Some(Arc::new(upsert_worker::stores::ManyStores {
            clients: clients(),
            sinks: None,
        })),
    };
    let upserts = measure(
        "upserts",
        &a,
        &sandbox,
        &hashes,
        upsert_all(&worker, &a, &hashes),
    )
    .await;
    let created: usize = {
        let mut n = 0;
        for h in &hashes {
            n += stores::company_names(&sandbox, h).await.len();
        }
        n
    };

    let rss = instances(&sdk, &sandbox, &hashes, &prefix, &first_job).await?;

    println!(
        "| phase | stores | work | requests (core / B2B) | elapsed (s) | slowest store's bound (s) | elapsed / bound | 429s | 429s after the first window |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    let work = [
        format!(
            "{} orders exported ({} documents)",
            a.orders * a.stores,
            delivered
        ),
        format!(
            "{} companies upserted ({} created)",
            a.upserts * a.stores,
            created
        ),
    ];
    for (p, work) in [export, upserts].iter().zip(work) {
        println!(
            "| {} | {} | {work} | {} / {} | {:.1} | {:.1} | {:.2} | {} | {} |",
            p.name,
            a.stores,
            p.requests.0,
            p.requests.1,
            p.elapsed.as_secs_f64(),
            p.slowest_bound.as_secs_f64(),
            p.elapsed.as_secs_f64() / p.slowest_bound.as_secs_f64().max(f64::EPSILON),
            p.limited,
            p.limited_after_first_window,
        );
    }
    let scale = if a.window_scale > 1 {
        format!(" Windows scaled down {} × (core {} ms, B2B {} ms); the ratio to the bound of a phase limited by the quota does not depend on the scale (one limited by CPU does).", a.window_scale, core_window.as_millis(), b2b_window.as_millis())
    } else {
        " Real windows (core 150 per 30 s, B2B 150 per 60 s).".to_owned()
    };
    println!(
        "\nEach store has its own quota; the bound is what the slowest store alone would take at its limit. Target: elapsed / bound <= 1.2, no 429 after the first window.{scale} Upsert batches mix every store, {} workers at once.",
        a.instances
    );
    println!("\n| function (release binary, one instance serving {} stores) | event | peak RSS (MiB) |\n|---|---|---:|", a.stores);
    for (name, event, kib) in rss {
        println!("| {name} | {event} | {:.1} |", kib as f64 / 1024.0);
    }
    Ok(())
}
