//! Export throughput and peak memory: exports N sandbox orders and prints orders/s and the
//! exporter's peak RSS. The sandbox runs in its own process, so the figure is the exporter's.
//!
//!     cargo build --release -p bc-sandbox
//!     cargo run --release -p order-export --example export_bench -- 10000
//!
//! (`make bench` runs it for 10,000 and 100,000 orders.)

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use b2b_export::{ExportSettings, Exporter, StreamKind};
use b2b_shared::queue::{OutgoingMessage, Queue, QueueError};
use b2b_shared::secrets::{StaticCredentials, StoreSecret};
use b2b_shared::state::MemoryState;
use bigcommerce_b2b::{BcClient, ClientOptions};
use futures_util::future::BoxFuture;

/// Counts documents and drops them, as a consumer far away would.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Queue for Counter {
    fn send_all<'a>(
        &'a self,
        messages: &'a [OutgoingMessage],
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        self.0.fetch_add(messages.len(), Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

fn peak_rss_mib() -> f64 {
    b2b_shared::setup::proc_status_kib("self", "VmHWM").map_or(0.0, |kib| kib as f64 / 1024.0)
}

struct Sandbox(Child);
impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let bin = std::env::var("BC_SANDBOX_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/release/bc-sandbox"
        )
        .into()
    });
    let port = 18_000 + (std::process::id() % 1_000) as u16;
    let child = Command::new(&bin)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--store-hash",
            "bench",
            "--token",
            "tok",
        ])
        .args([
            "--quota",
            "0",
            "--b2b-quota",
            "0",
            "--seed-companies",
            "50",
            "--seed-orders",
            &orders.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {bin} (build it with `cargo build --release -p bc-sandbox`): {e}")
        });
    let _sandbox = Sandbox(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http
            .get(format!("{base}/__sandbox/stats"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secret = StoreSecret::from_json(r#"{"store_hash":"bench","access_token":"tok"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let url = url::Url::parse(&base).unwrap_or_else(|e| panic!("{e}"));
    let client = BcClient::new(
        &url,
        &url,
        Arc::new(StaticCredentials(Arc::new(secret))),
        ClientOptions {
            max_in_flight: 16,
            ..ClientOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let counter = Arc::new(Counter::default());
    let exporter = Exporter {
        client,
        state: Arc::new(MemoryState::default()),
        outbound: counter.clone(),
        settings: ExportSettings {
            first_run_days: 3_650,
            streams: vec![StreamKind::Orders],
            concurrency: 16,
            ..ExportSettings::default()
        },
        fifo: false,
        archive: None,
    };
    let started = Instant::now();
    let report = exporter.run(None, None).await;
    let secs = started.elapsed().as_secs_f64();
    let exported = report.streams.get("orders").map_or(0, |s| s.exported);
    assert!(
        report.complete && exported == orders,
        "export incomplete: {report:?}"
    );
    println!(
        "orders={orders} exported={exported} messages={} seconds={secs:.1} orders_per_second={:.0} peak_rss_mib={:.1}",
        counter.0.load(Ordering::Relaxed),
        exported as f64 / secs,
        peak_rss_mib()
    );
}
