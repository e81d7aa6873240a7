//! The one HTTP core every BigCommerce and B2B Edition call goes through.
//!
//! It adds the auth headers (`X-Auth-Token`, plus `X-Store-Hash` on B2B calls), paces requests by
//! the rate-limit headers, caps requests in flight per store, retries what can be retried with
//! capped, jittered back-off, asks its credentials source once for fresh credentials after a 401, and never starts a retry
//! that cannot finish before the invocation's deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use super::error::{Api, ApiError, BcError};
use super::ratelimit::{parse_rate_limit, Pacer, RateLimitInfo};
use super::retry::RetryPolicy;
use crate::credentials::{Credentials, StoreAuth};
use crate::tls::TrustRoots;

/// The management API's base URL (core calls go to `{base}/stores/{hash}/v2|v3/...`).
pub const DEFAULT_API_URL: &str = "https://api.bigcommerce.com";
/// The B2B Edition API's base URL (calls go to `{base}/api/v3/io/...`).
pub const DEFAULT_B2B_API_URL: &str = "https://api-b2b.bigcommerce.com";

/// Tuning of a [`BcClient`]; the defaults suit a store on the Standard/Plus plan.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests in flight at once for this store (both APIs together).
    pub max_in_flight: usize,
    /// Core requests left in a window at which we stop and wait for the reset.
    pub core_low_water: u32,
    /// B2B requests left in a window at which we stop and wait for the reset.
    pub b2b_low_water: u32,
    /// Price-list record upserts in flight at once (BigCommerce allows 2 per store).
    pub pricelist_upserts_in_flight: usize,
    /// Retry limits and back-off.
    pub retry: RetryPolicy,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Longest silence while reading an answer.
    pub read_timeout: Duration,
    /// Time allowed for one whole request, answer included.
    pub request_timeout: Duration,
    /// The certificate authorities TLS connections trust (one configuration per process).
    pub trust_roots: TrustRoots,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            max_in_flight: 8,
            core_low_water: 5,
            b2b_low_water: 5,
            pricelist_upserts_in_flight: 2,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            trust_roots: TrustRoots::default(),
        }
    }
}

/// One call, before it is sent.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    api: Api,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<bytes::Bytes>,
}

impl ApiRequest {
    /// A call of `method` to `path`: for core `/v3/...` or `/v2/...` (the client adds
    /// `/stores/{hash}`), for B2B `/companies...` (the client adds `/api/v3/io`).
    pub fn new(api: Api, method: Method, path: impl Into<String>) -> Self {
        Self {
            api,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    /// A GET of `path`.
    pub fn get(api: Api, path: impl Into<String>) -> Self {
        Self::new(api, Method::GET, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    /// Adds every pair of `params`.
    pub fn queries<'a>(mut self, params: impl IntoIterator<Item = &'a (String, String)>) -> Self {
        self.query.extend(params.into_iter().cloned());
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, BcError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| BcError::InvalidRequest(format!("body could not be encoded: {e}")))?;
        self.body = Some(bytes.into());
        Ok(self)
    }

    /// Which API the call goes to.
    pub fn api(&self) -> Api {
        self.api
    }

    /// `METHOD path`, for logs and errors.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct ApiResponse {
    /// The status (2xx).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty for 204).
    pub body: bytes::Bytes,
}

/// One attempt's outcome, as [`BcClient::execute`] acts on it.
enum Attempt {
    /// A success answer.
    Done(ApiResponse),
    /// 401/403: worth one more try with fresh credentials.
    Refused(BcError),
    /// Worth another attempt after `wait`.
    Retry {
        /// What went wrong, returned if no attempt is left.
        failure: BcError,
        /// How long to wait first.
        wait: Duration,
    },
}

/// Counters of what a client did, for metrics and benchmarks.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    waited_ms: AtomicU64,
}

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ClientStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Milliseconds spent waiting on rate limits and back-off.
    pub waited_ms: u64,
}

impl ClientStats {
    /// What happened between `earlier` (a snapshot of the same client) and this snapshot: the
    /// counters are cumulative since the client was made, a warm container's many invocations.
    pub fn since(&self, earlier: &ClientStats) -> ClientStats {
        ClientStats {
            requests: self.requests.saturating_sub(earlier.requests),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            retries: self.retries.saturating_sub(earlier.retries),
            waited_ms: self.waited_ms.saturating_sub(earlier.waited_ms),
        }
    }
}

struct Inner {
    http: reqwest::Client,
    core_base: String,
    b2b_base: String,
    credentials: Arc<dyn Credentials>,
    core_pacer: Pacer,
    b2b_pacer: Pacer,
    in_flight: Semaphore,
    pricelist_upserts: Semaphore,
    retry: RetryPolicy,
    request_timeout: Duration,
    counters: Counters,
}

/// A client for one store's management and B2B Edition APIs. Cheap to clone; clones share the
/// pacing, the in-flight cap and the counters.
#[derive(Clone)]
pub struct BcClient {
    inner: Arc<Inner>,
    deadline: Option<Instant>,
    store_permits: Option<Arc<dyn crate::permits::StorePermits>>,
}

impl std::fmt::Debug for BcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BcClient")
            .field("core_base", &self.inner.core_base)
            .field("b2b_base", &self.inner.b2b_base)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

fn base(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

impl BcClient {
    /// A client for the APIs at `bc_api_url` and `b2b_api_url`, authenticated by `credentials`.
    pub fn new(
        bc_api_url: &Url,
        b2b_api_url: &Url,
        credentials: Arc<dyn Credentials>,
        options: ClientOptions,
    ) -> Result<Self, BcError> {
        let http = crate::tls::reqwest_builder(options.trust_roots)
            .map_err(|e| BcError::InvalidRequest(e.to_string()))?
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .read_timeout(options.read_timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            .build()
            .map_err(|e| BcError::InvalidRequest(format!("HTTP client could not be built: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                core_base: base(bc_api_url),
                b2b_base: base(b2b_api_url),
                credentials,
                core_pacer: Pacer::new(options.core_low_water),
                b2b_pacer: Pacer::new(options.b2b_low_water),
                in_flight: Semaphore::new(options.max_in_flight.max(1)),
                pricelist_upserts: Semaphore::new(options.pricelist_upserts_in_flight.max(1)),
                retry: options.retry,
                request_timeout: options.request_timeout,
                counters: Counters::default(),
            }),
            deadline: None,
            store_permits: None,
        })
    }

    /// A client for a real store at BigCommerce's own URLs ([`DEFAULT_API_URL`],
    /// [`DEFAULT_B2B_API_URL`]), authenticated by `credentials`.
    pub fn for_store(
        credentials: Arc<dyn Credentials>,
        options: ClientOptions,
    ) -> Result<Self, BcError> {
        let parse =
            |raw: &str| Url::parse(raw).map_err(|e| BcError::InvalidRequest(format!("{raw}: {e}")));
        Self::new(
            &parse(DEFAULT_API_URL)?,
            &parse(DEFAULT_B2B_API_URL)?,
            credentials,
            options,
        )
    }

    /// This client, bound to a deadline (typically the Lambda's, less a safety margin): no attempt
    /// or wait is started that cannot finish before it.
    pub fn with_deadline(&self, deadline: Instant) -> Self {
        Self {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// This client, keeping store-wide limits together with every other process through
    /// `permits` (see [`permits`](crate::permits)).
    pub fn with_store_permits(&self, permits: Arc<dyn crate::permits::StorePermits>) -> Self {
        Self {
            store_permits: Some(permits),
            ..self.clone()
        }
    }

    /// The store-wide permits this client takes, if any.
    pub fn store_permits(&self) -> Option<&Arc<dyn crate::permits::StorePermits>> {
        self.store_permits.as_ref()
    }

    /// The deadline this client is bound to, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// What this client (and its clones) did so far.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            waited_ms: c.waited_ms.load(Ordering::Relaxed),
        }
    }

    /// The credentials currently in use (for the store hash).
    pub async fn auth(&self) -> Result<Arc<StoreAuth>, BcError> {
        Ok(self.inner.credentials.current().await?)
    }

    /// The store this client calls.
    pub async fn store_hash(&self) -> Result<crate::StoreHash, BcError> {
        Ok(self.auth().await?.store_hash.clone())
    }

    pub(crate) fn pricelist_upsert_slots(&self) -> &Semaphore {
        &self.inner.pricelist_upserts
    }

    /// Sends `req` and decodes the JSON answer.
    pub async fn send<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<T, BcError> {
        let resp = self.execute(&req).await?;
        decode(req.api, &req.describe(), &resp.body)
    }

    /// Sends `req`; `None` for `204 No Content` or an empty body, else the decoded answer.
    pub async fn send_optional<T: DeserializeOwned>(
        &self,
        req: ApiRequest,
    ) -> Result<Option<T>, BcError> {
        let resp = self.execute(&req).await?;
        if resp.status == StatusCode::NO_CONTENT || resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode(req.api, &req.describe(), &resp.body).map(Some)
    }

    fn pacer(&self, api: Api) -> &Pacer {
        match api {
            Api::Core => &self.inner.core_pacer,
            Api::B2b => &self.inner.b2b_pacer,
        }
    }

    fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Fails with `DeadlineExceeded` when waiting `wait` and then attempting would overrun.
    fn ensure_time_for(&self, wait: Duration, last: Option<BcError>) -> Result<(), BcError> {
        match self.time_left() {
            Some(left) if wait + self.inner.retry.min_attempt_time > left => {
                Err(BcError::DeadlineExceeded {
                    last: last.map(Box::new),
                })
            }
            _ => Ok(()),
        }
    }

    async fn wait(&self, d: Duration) {
        self.inner
            .counters
            .waited_ms
            .fetch_add(d.as_millis() as u64, Ordering::Relaxed);
        tokio::time::sleep(d).await;
    }

    /// Sends `req` with pacing, retries and the 401 re-read; returns the successful answer.
    pub async fn execute(&self, req: &ApiRequest) -> Result<ApiResponse, BcError> {
        let _slot = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| BcError::InvalidRequest("client is shut down".into()))?;
        let retry = &self.inner.retry;
        let mut auth = self.inner.credentials.current().await?;
        let mut token = auth_header(&auth)?;
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        loop {
            self.pace(req, attempt).await?;
            if attempt > 0 {
                self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            attempt += 1;
            self.ensure_time_for(Duration::ZERO, None)?;
            let (failure, wait) = match self.attempt(req, &auth, &token, attempt).await? {
                Attempt::Done(resp) => return Ok(resp),
                Attempt::Refused(_) if !refreshed => {
                    tracing::warn!(api = %req.api, "credentials refused; asking for fresh credentials once");
                    refreshed = true;
                    auth = self.inner.credentials.refresh(&auth).await?;
                    token = auth_header(&auth)?;
                    attempt -= 1;
                    continue;
                }
                Attempt::Refused(e) => return Err(e),
                Attempt::Retry { failure, wait } => (failure, wait),
            };
            if attempt >= retry.max_attempts {
                return Err(failure);
            }
            tracing::warn!(api = %req.api, call = %req.describe(), attempt, wait_ms = wait.as_millis() as u64, error = %failure, "retrying BigCommerce call");
            self.ensure_time_for(wait, Some(failure))?;
            self.wait(wait).await;
        }
    }

    /// Waits until the rate-limit window of `req`'s API allows a request (failing with
    /// `DeadlineExceeded` when that would overrun the deadline).
    async fn pace(&self, req: &ApiRequest, attempt: u32) -> Result<(), BcError> {
        let pacer = self.pacer(req.api);
        loop {
            let wait = pacer.reserve();
            if wait.is_zero() {
                return Ok(());
            }
            self.ensure_time_for(
                wait,
                Some(BcError::RateLimited {
                    api: req.api,
                    retry_after: Some(wait),
                    attempts: attempt,
                }),
            )?;
            tracing::debug!(api = %req.api, wait_ms = wait.as_millis() as u64, "pacing: waiting for the rate-limit window");
            self.wait(wait).await;
        }
    }

    /// One attempt of `req`: its answer classified. `Err` is a failure not to retry; a `POST`
    /// that may have reached the server is never marked for a retry.
    async fn attempt(
        &self,
        req: &ApiRequest,
        auth: &StoreAuth,
        token: &HeaderValue,
        attempt: u32,
    ) -> Result<Attempt, BcError> {
        let retry = &self.inner.retry;
        let transport = |source| BcError::Transport {
            api: req.api,
            attempts: attempt,
            source,
        };
        let resp = match self.send_once(req, auth, token).await {
            Ok(resp) => resp,
            // A POST that may have reached the server is not repeated blindly.
            Err(e) if e.is_connect() || req.method != Method::POST => {
                return Ok(Attempt::Retry {
                    failure: transport(e),
                    wait: retry.backoff(attempt, false),
                })
            }
            Err(e) => return Err(transport(e)),
        };
        let status = resp.status();
        let info = parse_rate_limit(req.api, resp.headers());
        self.pacer(req.api).observe(&info);
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) if req.method != Method::POST => {
                return Ok(Attempt::Retry {
                    failure: transport(e),
                    wait: retry.backoff(attempt, false),
                })
            }
            Err(e) => return Err(transport(e)),
        };
        if status.is_success() {
            tracing::debug!(api = %req.api, call = %req.describe(), status = status.as_u16(), attempt, "BigCommerce call done");
            return Ok(Attempt::Done(ApiResponse {
                status,
                headers,
                body,
            }));
        }
        self.failed(req, status, &info, ApiError::parse(req.api, &body), attempt)
    }

    /// What an error answer means: refused credentials, a retry after a wait, or a failure.
    fn failed(
        &self,
        req: &ApiRequest,
        status: StatusCode,
        info: &RateLimitInfo,
        body: ApiError,
        attempt: u32,
    ) -> Result<Attempt, BcError> {
        let retry = &self.inner.retry;
        let api = req.api;
        match status.as_u16() {
            code @ (401 | 403) => Ok(Attempt::Refused(BcError::Unauthorized {
                api,
                status: code,
                body,
            })),
            404 => Err(BcError::NotFound { api, body }),
            429 => {
                self.inner
                    .counters
                    .rate_limited
                    .fetch_add(1, Ordering::Relaxed);
                let wait = match info.reset_in {
                    Some(reset) => retry.after_reset(reset),
                    None => retry.backoff(attempt, true),
                };
                self.pacer(api).hold(wait);
                Ok(Attempt::Retry {
                    failure: BcError::RateLimited {
                        api,
                        retry_after: Some(wait),
                        attempts: attempt,
                    },
                    wait,
                })
            }
            code @ 500..=599 => {
                let failure = BcError::Server {
                    api,
                    status: code,
                    body,
                    attempts: attempt,
                };
                // Any 5xx on a POST may come after the write (a gateway timing out on a create
                // that succeeded): never repeat it blindly. The error stays retryable, and the
                // caller looks the entity up by its external key before creating again.
                if req.method == Method::POST {
                    return Err(failure);
                }
                Ok(Attempt::Retry {
                    failure,
                    wait: retry.backoff(attempt, false),
                })
            }
            code => Err(BcError::Rejected {
                api,
                status: code,
                body,
            }),
        }
    }

    async fn send_once(
        &self,
        req: &ApiRequest,
        auth: &StoreAuth,
        token: &HeaderValue,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let hash = auth.store_hash.as_str();
        let mut url = match req.api {
            Api::Core => format!("{}/stores/{hash}{}", self.inner.core_base, req.path),
            Api::B2b => format!("{}/api/v3/io{}", self.inner.b2b_base, req.path),
        };
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(&query_string(&req.query));
        }
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url)
            .header(ACCEPT, "application/json")
            // Several v2 and v3 operations declare Content-Type a required header, with or
            // without a body; it costs nothing to send it on every request.
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("b2b-edition-toolkit/", env!("CARGO_PKG_VERSION")),
            )
            .header("X-Auth-Token", token.clone());
        if req.api == Api::B2b {
            builder = builder.header("X-Store-Hash", hash);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        if let Some(left) = self.time_left() {
            builder = builder.timeout(left.min(self.inner.request_timeout));
        }
        builder.send().await
    }
}

/// The `X-Auth-Token` header value of `auth`, marked sensitive so it is never printed.
fn auth_header(auth: &StoreAuth) -> Result<HeaderValue, BcError> {
    let mut value = HeaderValue::from_str(auth.access_token.expose_secret()).map_err(|_| {
        BcError::InvalidRequest(
            "the access token has characters not allowed in an HTTP header".into(),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Decodes a JSON body into `T`, naming the call on failure.
pub(crate) fn decode<T: DeserializeOwned>(api: Api, what: &str, body: &[u8]) -> Result<T, BcError> {
    serde_json::from_slice(body).map_err(|e| BcError::Decode {
        api,
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// What a query's names and values keep as they are: RFC 3986's unreserved characters. All else
/// is percent-encoded, a space as `%20`: how OpenAPI's `style: form` (RFC 6570) expands a
/// parameter, and what every decoder reads (`+` is a space only to form decoders).
const QUERY_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `pairs` as a query string (`name=value&...`, in order, repeats kept).
fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, QUERY_KEEPS),
                utf8_percent_encode(value, QUERY_KEEPS)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
