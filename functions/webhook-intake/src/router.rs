//! The router: which route a request is for, the method that route takes, and the route family
//! that answers it. Every family is a module of functions of the handler's state ([`Intake`]):
//! [`crate::webhooks`], [`crate::inbound`], [`crate::procurement`] and [`crate::punchout`] (the
//! cXML documents of `POST /procurement/cxml` told apart by [`crate::cxml::read_document`]),
//! [`crate::health`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::cxml::{read_document, Document};
use crate::http::{error, segment_after};
use crate::intake::{Intake, MAX_BODY_BYTES};
use crate::{health, inbound, procurement, punchout, webhooks};

/// The routes served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /webhooks/bigcommerce`.
    Webhook,
    /// `POST /inbound`.
    Inbound,
    /// `GET /health`.
    Health,
    /// `POST /procurement/cxml`, or `/procurement/cxml/{store_hash}`.
    Procurement,
    /// `GET /procurement/punchout/start/{session}`.
    PunchOutStart,
    /// `GET|POST /procurement/punchout/return`, or `.../return/{store_hash}`.
    PunchOutReturn,
}

/// Finds the route of a path, ignoring a stage or Function URL prefix (`/prod/health`,
/// `/lambda-url/webhook-intake/health`).
pub fn route(path: &str) -> Option<Route> {
    let path = path.trim_end_matches('/');
    if segment_after(path, "/procurement/cxml").is_some() {
        return Some(Route::Procurement);
    }
    if segment_after(path, "/procurement/punchout/start").is_some() {
        return Some(Route::PunchOutStart);
    }
    if segment_after(path, "/procurement/punchout/return").is_some()
        || path.ends_with("/procurement/punchout/return")
    {
        return Some(Route::PunchOutReturn);
    }
    [
        ("/webhooks/bigcommerce", Route::Webhook),
        ("/inbound", Route::Inbound),
        ("/health", Route::Health),
        ("/procurement/cxml", Route::Procurement),
    ]
    .into_iter()
    .find(|(suffix, _)| path.ends_with(suffix))
    .map(|(_, r)| r)
}

/// The time now, in unix seconds (0 on a clock before 1970).
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The method `route` takes (a punch-out return takes GET and POST): the one `method` is
/// checked against.
fn expected_method(route: Route, method: &Method) -> Method {
    match route {
        Route::Health | Route::PunchOutStart => Method::GET,
        Route::PunchOutReturn if method == Method::GET => Method::GET,
        _ => Method::POST,
    }
}

/// `req` with a `Host` header: API Gateway names its domain in the request context, and
/// lambda_http puts it in the URI.
fn with_host(mut req: Request) -> Request {
    if !req.headers().contains_key(header::HOST) {
        let authority = req.uri().authority().map(|a| a.as_str().to_owned());
        if let Some(host) = authority.and_then(|a| a.parse().ok()) {
            req.headers_mut().insert(header::HOST, host);
        }
    }
    req
}

impl Intake {
    /// Answers one request.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.handle_at(req, now_secs()).await
    }

    /// Answers one request as if it arrived at `now` (unix seconds).
    pub async fn handle_at(&self, req: Request, now: i64) -> Response<Body> {
        // `deadline` reads an emulator's relative timeout too (cargo-lambda's `watch`).
        let remaining = req.lambda_context_ref().map(|c| {
            b2b_shared::deadline::from_epoch_millis(c.deadline, Duration::ZERO)
                .saturating_duration_since(tokio::time::Instant::now())
        });
        self.handle_within(req, now, remaining).await
    }

    /// Answers one request as if it arrived at `now` (unix seconds), with `remaining` until the
    /// invocation's deadline (`None` outside Lambda).
    pub async fn handle_within(
        &self,
        req: Request,
        now: i64,
        remaining: Option<Duration>,
    ) -> Response<Body> {
        let Some(route) = route(req.uri().path()) else {
            return error(StatusCode::NOT_FOUND, "no such route");
        };
        let expected = expected_method(route, req.method());
        if req.method() != expected {
            let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            if let Ok(allow) = HeaderValue::from_str(expected.as_str()) {
                resp.headers_mut().insert(header::ALLOW, allow);
            }
            return resp;
        }
        let req = with_host(req);
        let (path, headers) = (req.uri().path(), req.headers());
        let body: &[u8] = req.body().as_ref();
        match route {
            Route::Health => health::status(),
            Route::PunchOutStart => punchout::open_start_page(self, path, now).await,
            Route::PunchOutReturn => punchout::return_cart(self, &req, now).await,
            Route::Procurement => match read_document(body, now) {
                Document::Order(po) => procurement::serve(self, path, &po, now, remaining).await,
                Document::PunchOutSetup(setup) => {
                    punchout::answer_setup(self, path, headers, &setup, now).await
                }
                Document::Refused(resp) => resp,
            },
            Route::Webhook | Route::Inbound if body.len() > MAX_BODY_BYTES => {
                error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 256 KiB")
            }
            Route::Webhook => webhooks::serve(self, headers, body, now, remaining).await,
            Route::Inbound => inbound::serve(self, headers, body).await,
        }
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
