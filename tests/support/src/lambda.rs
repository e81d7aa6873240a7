//! A Lambda Runtime API for one function process, so tests and benchmarks run the real function
//! binaries the way Lambda does: the binary polls `/runtime/invocation/next`, handles the event
//! and posts its response or error. Unlike `cargo lambda watch`, the test owns the process: it
//! can kill it mid-invocation (SIGKILL, as a crash or an out-of-memory kill would), start a new
//! one, and read its start-up time and peak memory.
//!
//! Each [`FunctionProcess`] has its own runtime API server, so a killed process can never take
//! an event meant for its successor.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// What one invocation came to.
#[derive(Debug)]
pub enum Invoked {
    /// The handler's response.
    Response(Value),
    /// The handler's error (`errorType`, `errorMessage`).
    Error(Value),
}

/// Why an invocation has no result.
#[derive(Debug)]
pub enum InvokeFailure {
    /// The process exited (or was killed) before answering.
    Exited(String),
    /// No answer within the time allowed.
    TimedOut(Duration),
}

impl std::fmt::Display for InvokeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exited(s) => write!(f, "the function process exited: {s}"),
            Self::TimedOut(d) => write!(f, "no answer within {d:?}"),
        }
    }
}

struct Pending {
    id: String,
    payload: Value,
    deadline_ms: u128,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Invoked>>>,
    init_error: Mutex<Option<String>>,
    first_poll: OnceLock<Instant>,
    /// The process's id, set once it is spawned.
    pid: OnceLock<u32>,
    /// Its peak RSS (KiB) when it first polled: what init alone made resident.
    init_rss_kib: OnceLock<u64>,
    function_arn: String,
}

/// One running function binary with its own Lambda Runtime API.
pub struct FunctionProcess {
    child: Mutex<Child>,
    pid: u32,
    server: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Pending>,
    started: Instant,
    /// Where the process's stdout and stderr go.
    pub log: PathBuf,
    /// The function timeout each invocation's deadline is set from.
    pub timeout: Duration,
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    if shared.first_poll.set(Instant::now()).is_ok() {
        if let Some(kib) = shared.pid.get().and_then(|pid| peak_rss_of(*pid)) {
            let _ = shared.init_rss_kib.set(kib);
        }
    }
    let mut queue = shared.queue.lock().await;
    let Some(p) = queue.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("lambda-runtime-aws-request-id", p.id);
    put("lambda-runtime-deadline-ms", p.deadline_ms.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    put(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    put("content-type", "application/json".into());
    (headers, p.payload.to_string()).into_response()
}

fn answer(shared: &Shared, id: &str, outcome: Invoked) -> StatusCode {
    let waiter = shared
        .waiting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(id);
    match waiter {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&shared, &id, Invoked::Response(json_or_text(&body)))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&shared, &id, Invoked::Error(json_or_text(&body)))
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

impl FunctionProcess {
    /// Starts `binary` as function `name` with `env` on top of this process's environment; its
    /// output goes to `target/lambda-logs/<name>-<pid>.log`.
    pub async fn start(
        binary: &Path,
        name: &str,
        env: &[(&str, String)],
        timeout: Duration,
    ) -> Result<Self, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(rx),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            first_poll: OnceLock::new(),
            pid: OnceLock::new(),
            init_rss_kib: OnceLock::new(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{name}"),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("runtime API: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("runtime API: {e}"))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let log_dir = workspace_root().join("target").join("lambda-logs");
        std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
        let log = log_dir.join(format!("{name}-{}-{}.log", std::process::id(), addr.port()));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| format!("{e}"))?;
        let mut cmd = Command::new(binary);
        cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let child = cmd.spawn().map_err(|e| {
            server.abort();
            format!(
                "cannot start {}: {e} (build it with `cargo build -p {name}`)",
                binary.display()
            )
        })?;
        let _ = shared.pid.set(child.id());
        Ok(Self {
            pid: child.id(),
            child: Mutex::new(child),
            server,
            shared,
            queue: tx,
            started,
            log,
            timeout,
        })
    }

    /// Sends one event and waits for its answer, the process's exit, or `wait`.
    pub async fn invoke(&self, payload: &Value, wait: Duration) -> Result<Invoked, InvokeFailure> {
        let id = format!("req-{}-{}", self.pid, fastrand_id());
        let (tx, mut rx) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), tx);
        let _ = self.queue.send(Pending {
            id,
            payload: payload.clone(),
            deadline_ms: epoch_ms() + self.timeout.as_millis(),
        });
        let until = Instant::now() + wait;
        loop {
            tokio::select! {
                got = &mut rx => {
                    return got.map_err(|_| InvokeFailure::Exited("the runtime API stopped".into()));
                }
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            if let Some(status) = self.exited() {
                let init = self
                    .shared
                    .init_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                return Err(InvokeFailure::Exited(match init {
                    Some(e) => format!("{status}; init error: {e}"),
                    None => format!("{status}; see {}", self.log.display()),
                }));
            }
            if Instant::now() >= until {
                return Err(InvokeFailure::TimedOut(wait));
            }
        }
    }

    /// The exit status, once the process has ended.
    pub fn exited(&self) -> Option<String> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// From spawning the process to its first poll for an event: the function's own start-up
    /// (init) time, before any event.
    pub fn init_time(&self) -> Option<Duration> {
        self.shared
            .first_poll
            .get()
            .map(|t| t.duration_since(self.started))
    }

    /// When the process was spawned.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB; `None` once it has exited.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_of(self.pid)
    }

    /// The process's anonymous resident memory now (`RssAnon`, KiB: heap, stacks, written
    /// pages), as against the pages of its binary and libraries that are resident; `None` once
    /// it has exited.
    pub fn anon_rss_kib(&self) -> Option<u64> {
        b2b_shared::setup::proc_status_kib(&self.pid.to_string(), "RssAnon")
    }

    /// The peak resident memory (KiB) the process had reached at its first poll for an event:
    /// what its init alone made resident.
    pub fn init_rss_kib(&self) -> Option<u64> {
        self.shared.init_rss_kib.get().copied()
    }

    /// Kills the process with SIGKILL (no clean-up of any kind runs) and stops its runtime API.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
        self.server.abort();
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The peak resident memory (`VmHWM`, KiB) of process `pid`; `None` once it has exited.
fn peak_rss_of(pid: u32) -> Option<u64> {
    b2b_shared::setup::proc_status_kib(&pid.to_string(), "VmHWM")
}

fn fastrand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Builds (if needed) and returns the path of a workspace function binary; `release` picks the
/// profile. Runs `cargo build --workspace --bins`, as `make unit` does first, so it returns at
/// once when the binaries are up to date (`-p {name}` alone would resolve other features and
/// rebuild the dependencies).
pub fn function_binary(name: &str, release: bool) -> Result<PathBuf, String> {
    let profile = if release { "release" } else { "debug" };
    let mut args = vec!["--workspace", "--bins"];
    if release {
        args.push("--release");
    }
    built(&args, &Path::new(profile).join(name))
}

/// Builds (if needed) and returns the path of example `example` of workspace package `package`
/// (debug profile).
pub fn example_binary(package: &str, example: &str) -> Result<PathBuf, String> {
    built(
        &["-p", package, "--example", example],
        &Path::new("debug").join("examples").join(example),
    )
}

/// Builds (if needed) and returns the path of example `example` of workspace package `package`
/// in the release profile (the functions' own).
pub fn release_example_binary(package: &str, example: &str) -> Result<PathBuf, String> {
    built(
        &["--release", "-p", package, "--example", example],
        &Path::new("release").join("examples").join(example),
    )
}

/// Runs `cargo build --quiet ARGS` in the workspace and returns `target/REL` once it exists.
fn built(args: &[&str], rel: &Path) -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet"])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo build {}: {e}", args.join(" ")))?;
    if !status.success() {
        return Err(format!("cargo build {} failed: {status}", args.join(" ")));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let path = target.join(rel);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} was not built", path.display()))
    }
}

/// An API Gateway HTTP API (payload 2.0) `POST` of `body` to `path` with a bearer key, as
/// webhook-intake's `/inbound` receives it.
pub fn http_post(path: &str, bearer: &str, body: &Value) -> Value {
    let mut event = http_post_text(path, "application/json", &body.to_string());
    event["headers"]["authorization"] = Value::from(format!("Bearer {bearer}"));
    event
}

/// An API Gateway HTTP API (payload 2.0) `POST` of the text `body` of `content_type` to `path`,
/// with no authorization header (cXML authenticates inside the document).
pub fn http_post_text(path: &str, content_type: &str, body: &str) -> Value {
    serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": content_type},
        "requestContext": {"accountId": "000000000000", "apiId": "e2e",
            "domainName": "e2e.execute-api.us-east-1.amazonaws.com", "domainPrefix": "e2e",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1", "userAgent": "erp/1.0"},
            "requestId": "e2e", "routeKey": "$default", "stage": "$default",
            "time": "02/Dec/2026:00:00:00 +0000", "timeEpoch": 0},
        "body": body, "isBase64Encoded": false
    })
}

/// An API Gateway (HTTP API) `GET` of `path_and_query` from a browser sending `cookies`.
pub fn http_get(path_and_query: &str, cookies: &[&str]) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"accept": "text/html"}, "cookies": cookies,
        "requestContext": {"accountId": "000000000000", "apiId": "e2e",
            "domainName": "e2e.execute-api.us-east-1.amazonaws.com", "domainPrefix": "e2e",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1", "userAgent": "browser/1.0"},
            "requestId": "e2e", "routeKey": "$default", "stage": "$default",
            "time": "02/Dec/2026:00:00:00 +0000", "timeEpoch": 0},
        "isBase64Encoded": false
    })
}

/// The answer of `process` to `event` (within a minute); panics, naming the function's log,
/// when it failed or did not answer: for tests.
pub async fn answer_of(process: &FunctionProcess, event: &Value) -> Value {
    match process.invoke(event, Duration::from_secs(60)).await {
        Ok(Invoked::Response(r)) => r,
        Ok(Invoked::Error(e)) => panic!("the function failed: {e}"),
        Err(e) => panic!("{e} (log: {})", process.log.display()),
    }
}
