//! The API middleware: statistics, latency, store-hash and token checks, rate limits (both
//! header families, 429s), the official contract's request check, fault injection.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::contract::{ContractMode, RequestView, Violation};
use crate::ratelimit::Decision;
use crate::reply;
use crate::state::{lock, App};

/// Which API a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/stores/{hash}/v2|v3/...`
    Core,
    /// `/api/v3/io/...`
    B2b,
}

struct InFlight<'a>(&'a App);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs around every API route.
pub async fn api(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (family, template) = count(&app, &req);
    let _guard = InFlight(&app);
    let faults = app.faults();
    if faults.latency_ms.1 > 0 {
        let ms = fastrand::u64(faults.latency_ms.0..=faults.latency_ms.1);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(mut r) = refuse_caller(&app, family, &req) {
        add_headers(r.headers_mut(), family, limiter(&app, family).peek());
        return r;
    }
    let decision = match admit(&app, family, faults) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let req = match check_contract(&app, family, &template, req).await {
        Ok(req) => req,
        Err(mut refused) => {
            add_headers(refused.headers_mut(), family, decision);
            return refused;
        }
    };
    if faults.fault_rate > 0.0 && fastrand::f64() < faults.fault_rate {
        return injected_fault(&app, family, decision);
    }
    let aimed = lock(&app.fail_requests).as_mut().and_then(|f| {
        f.take(
            req.method().as_str(),
            req.uri().path(),
            req.uri().query().unwrap_or_default(),
        )
        .then_some(f.status)
    });
    match aimed.map(|s| s.and_then(|s| StatusCode::from_u16(s).ok())) {
        Some(Some(status)) => {
            app.stats
                .faults_injected_total
                .fetch_add(1, Ordering::Relaxed);
            let mut r = family_error(family, &template, status, "Injected fault", None);
            add_headers(r.headers_mut(), family, decision);
            return r;
        }
        Some(None) => return injected_fault(&app, family, decision),
        None => {}
    }
    let is_write = req.method() != Method::GET;
    let method_is_post = req.method() == Method::POST;
    let mut resp = next.run(req).await;
    if resp.status() == StatusCode::TOO_MANY_REQUESTS {
        app.stats.rate_limited_total.fetch_add(1, Ordering::Relaxed);
    }
    if is_write && resp.status().is_success() {
        app.stats.writes_total.fetch_add(1, Ordering::Relaxed);
        if method_is_post && take_one(&app.post_504_after_write) {
            // The write happened; the caller only learns that the gateway timed out.
            let status = StatusCode::GATEWAY_TIMEOUT;
            let mut r = family_error(family, &template, status, "Gateway timeout", None);
            add_headers(r.headers_mut(), family, decision);
            return r;
        }
    }
    add_headers(resp.headers_mut(), family, decision);
    resp
}

/// Takes one from a countdown of faults; false when it is at zero.
fn take_one(counter: &std::sync::atomic::AtomicU64) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

/// Counts the request (totals, per route, in flight); its family and route template.
fn count(app: &App, req: &Request) -> (Family, String) {
    let family = if req.uri().path().starts_with("/api/v3/io") {
        Family::B2b
    } else {
        Family::Core
    };
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let route = format!("{} {}", req.method(), template);
    app.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    *lock(&app.stats.by_route).entry(route).or_insert(0) += 1;
    let now = app.stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    app.stats
        .peak_concurrent_requests
        .fetch_max(now, Ordering::Relaxed);
    (family, template)
}

/// The quota of a family.
fn limiter(app: &App, family: Family) -> &crate::ratelimit::FixedWindow {
    match family {
        Family::Core => &app.core_limit,
        Family::B2b => &app.b2b_limit,
    }
}

/// A request for another store, or without valid credentials, answered before any quota.
fn refuse_caller(app: &App, family: Family, req: &Request) -> Option<Response> {
    if family == Family::Core {
        let hash = req.uri().path().split('/').nth(2).unwrap_or("");
        if hash != app.opts.store_hash {
            return Some(reply::v3_err(
                StatusCode::NOT_FOUND,
                "Store not found",
                json!({"store_hash": format!("no store with hash {hash:?}")}),
            ));
        }
    }
    check_auth(app, family, req.headers())
}

/// The quota's decision for the request, or its 429: a burst (the quota spent by another app
/// sharing the store) first, then the window.
fn admit(app: &App, family: Family, faults: crate::state::Faults) -> Result<Decision, Response> {
    let limiter = limiter(app, family);
    let burst = take_one(&app.burst_429);
    let decision = if burst {
        Decision {
            allowed: false,
            left: 0,
            ..limiter.peek()
        }
    } else {
        limiter.acquire()
    };
    if decision.allowed {
        return Ok(decision);
    }
    app.stats.rate_limited_total.fetch_add(1, Ordering::Relaxed);
    let mut r = too_many(family);
    if faults.headerless_429_rate > 0.0 && fastrand::f64() < faults.headerless_429_rate {
        app.stats
            .headerless_429_total
            .fetch_add(1, Ordering::Relaxed);
    } else {
        add_headers(r.headers_mut(), family, decision);
    }
    Err(r)
}

/// An injected 500, 502 or 503 in the family's error shape.
fn injected_fault(app: &App, family: Family, decision: Decision) -> Response {
    app.stats
        .faults_injected_total
        .fetch_add(1, Ordering::Relaxed);
    let status = [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ][fastrand::usize(0..3)];
    let mut r = match family {
        Family::Core => reply::v3_err(status, "Injected fault", json!({})),
        Family::B2b => reply::b2b_err(status, "Injected fault", json!({})),
    };
    add_headers(r.headers_mut(), family, decision);
    r
}

/// The largest request body the contract check reads.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Checks `req` against the official contract (when one is loaded): records what it breaks and,
/// in reject mode, answers as BigCommerce would. The body is read once and handed on.
async fn check_contract(
    app: &App,
    family: Family,
    template: &str,
    req: Request,
) -> Result<Request, Response> {
    let Some(contract) = &app.contract else {
        return Ok(req);
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        refusal(
            family,
            template,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body could not be read: {e}"),
        )
    })?;
    let found = contract.check(&RequestView {
        method: parts.method.as_str(),
        template,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    });
    if !found.is_empty() {
        for v in &found {
            tracing::warn!(violation = %v, "a request breaks the official contract");
        }
        let refused =
            (app.opts.contract == ContractMode::Reject).then(|| refuse(family, template, &found));
        lock(&app.violations).extend(found);
        if let Some(r) = refused {
            return Err(r);
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// BigCommerce's answer to a request that breaks its contract: 422 for a body, else 400.
fn refuse(family: Family, template: &str, found: &[Violation]) -> Response {
    let status = if found.iter().any(Violation::in_body) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::BAD_REQUEST
    };
    let words: Vec<String> = found
        .iter()
        .map(|v| format!("{}: {}", v.location, v.problem))
        .collect();
    refusal(family, template, status, &words.join("; "))
}

/// A refusal of a request that breaks the contract, `detail` saying how.
fn refusal(family: Family, template: &str, status: StatusCode, detail: &str) -> Response {
    let title = "The request does not match the API's contract";
    family_error(family, template, status, title, Some(detail))
}

/// An error answer in the shape of the route's family: B2B `{code, data:{errMsg}, meta:{message}}`,
/// v2 `[{status, message}]` (the detail, else the title), v3 `{status, title, errors}`.
fn family_error(
    family: Family,
    template: &str,
    status: StatusCode,
    title: &str,
    detail: Option<&str>,
) -> Response {
    match (family, detail) {
        (Family::Core, _) if template.contains("/v2/") => {
            reply::v2_err(status, detail.unwrap_or(title))
        }
        (Family::B2b, Some(d)) => reply::b2b_err(status, title, json!({"errMsg": d})),
        (Family::B2b, None) => reply::b2b_err(status, title, json!({})),
        (Family::Core, Some(d)) => reply::v3_err(status, title, json!({"request": d})),
        (Family::Core, None) => reply::v3_err(status, title, json!({})),
    }
}

fn check_auth(app: &App, family: Family, headers: &HeaderMap) -> Option<Response> {
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    let token_ok = token == Some(app.opts.token.as_str());
    match family {
        Family::Core if !token_ok => Some(reply::v3_err(
            StatusCode::UNAUTHORIZED,
            if token.is_none() {
                "Missing X-Auth-Token header"
            } else {
                "Invalid X-Auth-Token"
            },
            json!({}),
        )),
        Family::B2b if !token_ok => Some(reply::b2b_err(
            StatusCode::UNAUTHORIZED,
            if token.is_none() {
                "Missing X-Auth-Token header"
            } else {
                "Invalid X-Auth-Token"
            },
            json!({}),
        )),
        Family::B2b => {
            let hash = headers.get("x-store-hash").and_then(|v| v.to_str().ok());
            if hash == Some(app.opts.store_hash.as_str()) {
                None
            } else {
                Some(reply::b2b_err(
                    StatusCode::UNAUTHORIZED,
                    "Missing or mismatched X-Store-Hash header",
                    json!({}),
                ))
            }
        }
        Family::Core => None,
    }
}

/// The 429 body of a family.
pub fn too_many(family: Family) -> Response {
    match family {
        Family::Core => reply::v3_err(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            json!({}),
        ),
        Family::B2b => reply::b2b_err(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            json!({}),
        ),
    }
}

/// Writes the rate-limit headers of `family`.
pub fn add_headers(h: &mut HeaderMap, family: Family, d: Decision) {
    let num = |n: u64| HeaderValue::from(n);
    match family {
        Family::Core => {
            h.insert("x-rate-limit-time-window-ms", num(d.window_ms));
            h.insert("x-rate-limit-time-reset-ms", num(d.reset_ms));
            h.insert("x-rate-limit-requests-quota", num(u64::from(d.quota)));
            h.insert("x-rate-limit-requests-left", num(u64::from(d.left)));
        }
        Family::B2b => {
            let remaining = format!("{} times", d.left);
            let resets = format!("{:.3} s", d.reset_ms as f64 / 1000.0);
            if let Ok(v) = HeaderValue::from_str(&remaining) {
                h.insert("x-requests-remaining", v);
            }
            if let Ok(v) = HeaderValue::from_str(&resets) {
                h.insert("x-request-window-resets-after", v);
            }
            h.insert("x-request-limit", num(u64::from(d.quota)));
        }
    }
}
