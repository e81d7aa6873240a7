//! The `bc-sandbox` binary: parses the command line into [`SandboxOptions`] and serves until
//! Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use bc_sandbox::SandboxOptions;
use clap::Parser;

/// A local, stateful BigCommerce + B2B Edition API sandbox.
#[derive(Debug, Parser)]
#[command(name = "bc-sandbox", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Store hash (core paths and the B2B `X-Store-Hash` header).
    #[arg(long, default_value = "sandbox")]
    store_hash: String,
    /// The only accepted `X-Auth-Token`.
    #[arg(long, default_value = "sandbox-token")]
    token: String,
    /// The app's client id (the `iss` of customer login tokens).
    #[arg(long, default_value = "sandbox-client")]
    app_client_id: String,
    /// The app's client secret (customer login tokens are signed with it).
    #[arg(long, default_value = "sandbox-client-secret")]
    app_client_secret: String,
    /// More stores served beside the first, as HASH=TOKEN (repeatable): each has its own data,
    /// quotas and webhooks, and the other options.
    #[arg(long = "also-store", value_parser = parse_store)]
    also_stores: Vec<(String, String)>,
    /// Core API requests per window (0 = unlimited).
    #[arg(long, default_value_t = 150)]
    quota: u32,
    /// Core API window in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    window_ms: u64,
    /// B2B API requests per window (0 = unlimited).
    #[arg(long, default_value_t = 150)]
    b2b_quota: u32,
    /// B2B API window in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    b2b_window_ms: u64,
    /// Number of generated companies.
    #[arg(long, default_value_t = 0)]
    seed_companies: usize,
    /// Number of generated orders.
    #[arg(long, default_value_t = 0)]
    seed_orders: usize,
    /// Products in the generated catalog (2 variants each; at least 50).
    #[arg(long, default_value_t = 50)]
    catalog_products: usize,
    /// JSON seed file (shape of `GET /__sandbox/state`).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Share of requests answered 500/502/503 (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Added latency as MIN-MAX milliseconds, e.g. 5-50.
    #[arg(long, value_parser = parse_range)]
    latency_ms: Option<(u64, u64)>,
    /// Share of 429s sent without rate-limit headers (0..1).
    #[arg(long, default_value_t = 0.0)]
    headerless_429_rate: f64,
    /// URL that receives every webhook event.
    #[arg(long)]
    webhook_url: Option<String>,
    /// Standard Webhooks secret used to sign deliveries.
    #[arg(long)]
    webhook_secret: Option<String>,
    /// First webhook retry delay in milliseconds (doubles per attempt).
    #[arg(long, default_value_t = 1_000)]
    webhook_retry_base_ms: u64,
    /// Webhook delivery attempts before giving up.
    #[arg(long, default_value_t = 5)]
    webhook_max_attempts: u32,
    /// Hold each price-list batch upsert this long (ms); default 1 ms per 20 records.
    #[arg(long)]
    records_hold_ms: Option<u64>,
    /// Requests checked against BigCommerce's official specs: off, record (log and list at
    /// /__sandbox/contract) or reject (also answer 400/422 as BigCommerce would).
    #[arg(long, default_value = "record")]
    contract: bc_sandbox::contract::ContractMode,
}

fn parse_store(s: &str) -> Result<(String, String), String> {
    let (hash, token) = s
        .split_once('=')
        .ok_or_else(|| format!("expected HASH=TOKEN, got {s:?}"))?;
    if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("{hash:?} is not a store hash (letters and digits)"));
    }
    if token.is_empty() {
        return Err(format!("store {hash} has an empty token"));
    }
    Ok((hash.to_owned(), token.to_owned()))
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("expected MIN-MAX, got {s:?}"))?;
    let a: u64 = a.trim().parse().map_err(|e| format!("{a:?}: {e}"))?;
    let b: u64 = b.trim().parse().map_err(|e| format!("{b:?}: {e}"))?;
    if a > b {
        return Err(format!("min {a} is above max {b}"));
    }
    Ok((a, b))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let opts = SandboxOptions {
        listen: cli.listen,
        store_hash: cli.store_hash,
        token: cli.token,
        app_client_id: cli.app_client_id,
        app_client_secret: cli.app_client_secret,
        quota: cli.quota,
        window_ms: cli.window_ms,
        b2b_quota: cli.b2b_quota,
        b2b_window_ms: cli.b2b_window_ms,
        seed_companies: cli.seed_companies,
        seed_orders: cli.seed_orders,
        catalog_products: cli.catalog_products,
        seed_file: cli.seed,
        fault_rate: cli.fault_rate,
        latency_ms: cli.latency_ms.unwrap_or((0, 0)),
        headerless_429_rate: cli.headerless_429_rate,
        webhook_url: cli.webhook_url,
        webhook_secret: cli.webhook_secret,
        webhook_retry_base_ms: cli.webhook_retry_base_ms,
        webhook_max_attempts: cli.webhook_max_attempts,
        records_hold_ms: cli.records_hold_ms,
        contract: cli.contract,
        panic_on_violations: false,
    };
    let mut stores = vec![opts.clone()];
    for (store_hash, token) in cli.also_stores {
        stores.push(SandboxOptions {
            store_hash,
            token,
            ..opts.clone()
        });
    }
    let sandbox = match bc_sandbox::start_many(stores).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bc-sandbox: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        core = %sandbox.core_base_url(),
        b2b = %sandbox.b2b_base_url(),
        "bc-sandbox listening"
    );
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("bc-sandbox: cannot wait for Ctrl-C: {e}");
    }
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::{parse_range, parse_store};

    #[test]
    fn parses_more_stores() {
        assert_eq!(parse_store("b2=tok"), Ok(("b2".into(), "tok".into())));
        assert!(parse_store("b2").is_err());
        assert!(parse_store("a/b=t").is_err());
        assert!(parse_store("b2=").is_err());
    }

    #[test]
    fn parses_latency_ranges() {
        assert_eq!(parse_range("5-50"), Ok((5, 50)));
        assert!(parse_range("50-5").is_err());
        assert!(parse_range("x").is_err());
    }
}
