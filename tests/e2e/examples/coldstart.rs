//! Cold start of every function: the release binary is started under a Lambda Runtime API of our
//! own (`b2b_test_support::lambda`), given one realistic first event, and measured from process
//! start to its first poll (init) and to the first event handled, with the process's peak RSS
//! (`VmHWM`) after that event. Each function is started `RUNS` times; the table shows medians
//! (and the highest RSS). The deployable zip's size (arm64) is shown when
//! `cargo lambda build --release --arm64 --output-format zip` has made it (`make zips`).
//!
//! Needs moto: `scripts/with-moto.sh cargo run --release -p b2b-e2e --example coldstart`
//! (`make bench` runs it).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use b2b_test_support::lambda::{
    function_binary, release_example_binary, workspace_root, FunctionProcess, Invoked,
};
use b2b_test_support::{moto, queue, sandbox, state_table, unique, unlimited, STORE, TOKEN};
use bc_sandbox::SandboxOptions;
use serde_json::{json, Value};

const RUNS: usize = 7;

type Error = Box<dyn std::error::Error>;

fn event_file(function: &str, name: &str) -> Result<Value, Error> {
    let path = workspace_root()
        .join("functions")
        .join(function)
        .join("events")
        .join(name);
    Ok(serde_json::from_str(&std::fs::read_to_string(&path)?)?)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Medians of `RUNS` cold starts of one binary, and the highest peak RSS.
struct ColdStart {
    init_ms: f64,
    handled_ms: f64,
    init_rss_kib: u64,
    rss_kib: u64,
    anon_kib: u64,
}

/// One cold start's figures.
struct Run {
    init_ms: f64,
    handled_ms: f64,
    /// Peak RSS when the process first polled for an event (init alone).
    init_rss_kib: u64,
    /// Peak RSS after the first event.
    rss_kib: u64,
    /// Anonymous RSS after the first event (the rest is the binary's and libraries' pages).
    anon_kib: u64,
}

/// One cold start: the process started, `event` handled, its init and handling times and its
/// peak RSS.
async fn cold_start(
    binary: &std::path::Path,
    name: &str,
    env: &[(&str, String)],
    event: &Value,
) -> Result<Run, Error> {
    let process = FunctionProcess::start(binary, name, env, Duration::from_secs(60)).await?;
    let answer = process
        .invoke(event, Duration::from_secs(60))
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let handled = Instant::now().duration_since(process.started());
    match &answer {
        Invoked::Error(e) => return Err(format!("{name} failed: {e}").into()),
        Invoked::Response(r) if name == "webhook-intake" => {
            let status = r["statusCode"].as_u64().unwrap_or(0);
            if !(200..300).contains(&status) {
                return Err(format!("{name} answered {status}: {r}").into());
            }
        }
        Invoked::Response(_) => {}
    }
    let init = process.init_time().unwrap_or_default().as_secs_f64() * 1000.0;
    let rss_kib = process.peak_rss_kib().unwrap_or(0);
    let init_rss_kib = process.init_rss_kib().unwrap_or(0);
    let anon_kib = process.anon_rss_kib().unwrap_or(0);
    process.kill();
    Ok(Run {
        init_ms: init,
        handled_ms: handled.as_secs_f64() * 1000.0,
        init_rss_kib,
        rss_kib,
        anon_kib,
    })
}

/// `RUNS` cold starts of `binary` with `env`, run `n` handling `event(n)`; with `sdk`, each
/// run gets a fresh state table (so every export run exports the same).
async fn measure(
    sdk: Option<&aws_config::SdkConfig>,
    binary: &std::path::Path,
    name: &str,
    env: &[(&str, String)],
    event: &dyn Fn(usize) -> Value,
) -> Result<ColdStart, Error> {
    let mut runs = Vec::new();
    for n in 0..RUNS {
        let mut env = env.to_vec();
        if let Some(sdk) = sdk {
            env.push(("STATE_TABLE", state_table(sdk).await));
        }
        runs.push(cold_start(binary, name, &env, &event(n)).await?);
    }
    Ok(summary(runs))
}

fn summary(runs: Vec<Run>) -> ColdStart {
    ColdStart {
        init_ms: median(runs.iter().map(|r| r.init_ms).collect()),
        handled_ms: median(runs.iter().map(|r| r.handled_ms).collect()),
        init_rss_kib: runs.iter().map(|r| r.init_rss_kib).max().unwrap_or(0),
        rss_kib: runs.iter().map(|r| r.rss_kib).max().unwrap_or(0),
        anon_kib: runs.iter().map(|r| r.anon_kib).max().unwrap_or(0),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = moto().await;
    let store = sandbox(SandboxOptions {
        seed_companies: 3,
        seed_orders: 20,
        ..unlimited()
    })
    .await;
    let secret_id = unique("coldstart/store");
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&secret_id)
        .secret_string(
            json!({"store_hash": STORE, "access_token": TOKEN,
                // The console fixtures' header secret.
                "webhook_secret": "local-webhook-secret-0123456789abcdef"})
            .to_string(),
        )
        .send()
        .await?;
    let env: Vec<(&str, String)> = vec![
        ("BC_SECRET_ID", secret_id.clone()),
        ("STORE_SECRET_IDS", secret_id.clone()),
        ("BC_API_URL", store.base_url()),
        ("B2B_API_URL", store.base_url()),
        ("STATE_TABLE", state_table(&sdk).await),
        ("INBOUND_QUEUE_URL", queue(&sdk, "cold-inbound").await),
        ("OUTBOUND_QUEUE_URL", queue(&sdk, "cold-outbound").await),
        ("DEAD_LETTER_QUEUE_URL", queue(&sdk, "cold-dlq").await),
        ("WEBHOOK_AUTH", "header".into()),
        ("EXPORT_STREAMS", "orders".into()),
        ("EXPORT_START_DAYS", "3650".into()),
        ("APP_SECRET_ID", unique("coldstart/app")),
        ("AUTH_REDIRECT_URI", "http://127.0.0.1/auth".into()),
        // `COLDSTART_LOG=debug` logs each function's wiring steps with their times
        // (target/lambda-logs).
        (
            "RUST_LOG",
            std::env::var("COLDSTART_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ];

    // A first event per function that does real work against moto and the sandbox.
    let mut callback = event_file("auth-callback", "auth-install.json")?;
    callback["rawQueryString"] = json!("");
    callback["queryStringParameters"] = json!({});
    // A store with nothing to export, for the export's most common run: nothing new.
    let empty = sandbox(unlimited()).await;
    let empty_store = vec![
        ("BC_API_URL", empty.base_url()),
        ("B2B_API_URL", empty.base_url()),
    ];
    type Case<'a> = (
        &'a str,
        Box<dyn Fn(usize) -> Value>,
        &'a str,
        Vec<(&'a str, String)>,
    );
    let cases: Vec<Case> = vec![
        (
            "webhook-intake",
            Box::new(|_| event_file("webhook-intake", "health.json").unwrap_or(Value::Null)),
            "GET /health",
            vec![],
        ),
        (
            "webhook-intake",
            Box::new(|n| {
                let mut e = event_file("webhook-intake", "webhook-order-created.json")
                    .unwrap_or(Value::Null);
                // A new order id per run, so every run enqueues (no dedupe hit).
                if let Some(body) = e["body"].as_str() {
                    let mut b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                    b["data"]["id"] = json!(900_000 + n);
                    b["hash"] = json!(format!("{:040x}", 0xc01d_0000_u64 + n as u64));
                    b["producer"] = json!(format!("stores/{STORE}"));
                    e["body"] = json!(b.to_string());
                }
                e
            }),
            "order webhook: secret, dedupe, enqueue",
            vec![],
        ),
        (
            "upsert-worker",
            Box::new(|n| {
                let body = json!({"type":"company.upsert","version":1,"store_hash":STORE,
                    "external_id":format!("COLD-{}-{n}", std::process::id()),
                    "company":{"name":format!("Cold {n}"),"email":"ap@cold.example","phone":"555","country":"US",
                    "admin":{"first_name":"A","last_name":"B","email":format!("a{n}-{}@cold.example", std::process::id())}}});
                json!({"Records":[{"messageId":format!("m{n}"),"receiptHandle":"rh","body":body.to_string(),
                    "attributes":{"ApproximateReceiveCount":"1"},"messageAttributes":{},"eventSource":"aws:sqs"}]})
            }),
            "SQS: 1 new company",
            vec![],
        ),
        (
            "token-refresh",
            Box::new(|_| json!({"task": "token-health"})),
            "token health (2 API calls)",
            vec![],
        ),
        (
            "order-export",
            Box::new(|_| json!({"streams": ["orders"]})),
            "scheduled run, nothing new",
            empty_store,
        ),
        (
            "order-export",
            Box::new(|_| json!({"streams": ["orders"]})),
            "scheduled run exporting 20 orders",
            vec![],
        ),
        (
            "auth-callback",
            Box::new(move |_| callback.clone()),
            "GET /auth without code (400 page)",
            vec![],
        ),
    ];

    // The floor: a bare lambda_runtime function under the same emulator, same profile.
    let echo = release_example_binary("b2b-e2e", "echo_lambda")?;
    let floor = measure(None, &echo, "echo", &[], &|_| json!({"ping": 1})).await?;
    println!(
        "| function | first event | init (ms) | init / floor | first event handled (ms) | RSS after init (MiB) | peak RSS (MiB) | of it anonymous (MiB) | binary (MiB) | zip arm64 (MiB) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| bare lambda_runtime echo (the floor) | its payload | {:.1} | 1.0 | {:.1} | {:.1} | {:.1} | {:.1} | {} | - |",
        floor.init_ms,
        floor.handled_ms,
        floor.init_rss_kib as f64 / 1024.0,
        floor.rss_kib as f64 / 1024.0,
        floor.anon_kib as f64 / 1024.0,
        mib(std::fs::metadata(&echo).map(|m| m.len()).unwrap_or(0)),
    );
    for (name, event, what, extra_env) in &cases {
        let binary = function_binary(name, true)?;
        let mut env = env.clone();
        env.extend(extra_env.iter().cloned());
        let fresh_tables = (*name == "order-export").then_some(&sdk);
        let m = measure(fresh_tables, &binary, name, &env, event.as_ref()).await?;
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        let zip = target_dir().join("lambda").join(name).join("bootstrap.zip");
        let zip = std::fs::metadata(&zip)
            .map(|m| mib(m.len()))
            .unwrap_or_else(|_| "run `make zips`".into());
        println!(
            "| {name} | {what} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {zip} |",
            m.init_ms,
            m.init_ms / floor.init_ms,
            m.handled_ms,
            m.init_rss_kib as f64 / 1024.0,
            m.rss_kib as f64 / 1024.0,
            m.anon_kib as f64 / 1024.0,
            mib(size)
        );
    }
    println!(
        "\n{RUNS} cold starts per function, release x86_64 builds, median times, highest peak RSS \
         (VmHWM; \"anonymous\" is RssAnon after the first event: heap, stacks and written pages, \
         the rest being the binary's and libraries' resident code and data); the first event's time includes its calls to moto and the sandbox on loopback. \
         Targets: init <= 4 x the floor, peak RSS after the first event <= 12 MiB, zip <= 4 MiB."
    );
    Ok(())
}
