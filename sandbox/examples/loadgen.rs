//! GET throughput benchmark: starts an in-process sandbox with `--quota 0` and hammers a few
//! read routes over loopback, then prints requests per second.
//!
//! `cargo run --release -p bc-sandbox --example loadgen -- --requests 20000 --concurrency 32`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let requests = arg("--requests", 20_000);
    let concurrency = arg("--concurrency", 32).max(1);
    let opts = bc_sandbox::SandboxOptions {
        quota: 0,
        b2b_quota: 0,
        seed_companies: 50,
        seed_orders: 200,
        ..bc_sandbox::SandboxOptions::default()
    };
    let token = opts.token.clone();
    let hash = opts.store_hash.clone();
    let sb = bc_sandbox::start(opts).await?;
    let urls = Arc::new(vec![
        format!("{}/companies?limit=10", sb.b2b_base_url()),
        format!("{}/orders?limit=10", sb.b2b_base_url()),
        format!("{}/v3/pricelists", sb.core_base_url()),
        format!("{}/v2/orders?limit=10", sb.core_base_url()),
    ]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, urls, next, errors) =
            (client.clone(), urls.clone(), next.clone(), errors.clone());
        let (token, hash) = (token.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let url = &urls[i % urls.len()];
                let ok = match client
                    .get(url)
                    .header("X-Auth-Token", &token)
                    .header("X-Store-Hash", &hash)
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{requests} GETs with concurrency {concurrency} in {secs:.2} s: {:.0} requests/s ({} errors)",
        requests as f64 / secs,
        errors.load(Ordering::Relaxed)
    );
    sb.shutdown().await;
    Ok(())
}
