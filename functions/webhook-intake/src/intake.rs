//! The request handler: routing, authentication, parsing, dedupe and enqueueing.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use b2b_shared::messages::{Command, WebhookEvent, WebhookPayload};
use b2b_shared::queue::{OutgoingMessage, Queue, MAX_MESSAGE_BYTES};
use b2b_shared::secrets::StoreSecret;
use b2b_shared::state::{Begin, StateStore};
use b2b_shared::stores::StoreSecrets;
use bigcommerce_b2b::StoreHash;
use lambda_http::http::{HeaderMap, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cxml::Document;
use crate::http::{
    answer, enqueue, error, hex, segment_after, short_hash, unauthorized, unavailable, Refusal,
};
use crate::settings::{AuthMode, IntakeOptions};
use crate::verify::{secrets_equal, signing_key, verify_signature};

/// Largest body accepted: SQS's message limit.
pub const MAX_BODY_BYTES: usize = MAX_MESSAGE_BYTES;

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

/// How long an `in_progress` dedupe record outlives the invocation's deadline: by then Lambda
/// has ended the invocation, so a record still in progress belongs to a process that died.
const IN_PROGRESS_MARGIN: Duration = Duration::from_secs(2);
/// The in-progress time when there is no invocation deadline (outside Lambda).
const IN_PROGRESS_WITHOUT_DEADLINE: Duration = Duration::from_secs(60);
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The outcome of the webhook route's own work, before any AWS call (benchmarked).
#[derive(Debug)]
pub enum WebhookDecision {
    /// Refused with this answer.
    Refuse(Response<Body>),
    /// Accepted: claim `dedupe_key`, then enqueue `message`.
    Accept {
        /// The state-table key.
        dedupe_key: String,
        /// The message for the inbound queue.
        message: OutgoingMessage,
        /// Scope, for logs.
        scope: String,
    },
}

/// Whether `given` is `secret`'s inbound API key (compared in constant time).
fn inbound_key_matches(secret: &StoreSecret, given: &str) -> bool {
    match &secret.inbound_api_key {
        Some(key) => secrets_equal(given.as_bytes(), key.expose_secret().as_bytes()),
        None => {
            tracing::error!(store = %secret.store_hash, "POST /inbound needs `inbound_api_key` in the store secret");
            false
        }
    }
}

/// webhook-intake's handler, with its dependencies behind traits so tests can swap them.
#[derive(Clone)]
pub struct Intake {
    /// The secrets of the stores served (one, or many: see [`b2b_shared::stores`]).
    pub credentials: Arc<dyn StoreSecrets>,
    /// The inbound queue.
    pub queue: Arc<dyn Queue>,
    /// The dedupe store.
    pub state: Arc<dyn StateStore>,
    /// How it behaves (authentication, dedupe, batch size).
    pub options: IntakeOptions,
    /// The store checks of cXML purchase orders (unknown buyer, unknown SKU) made before they
    /// are answered; `None`: the worker alone checks them.
    pub precheck: Option<Arc<dyn crate::precheck::OrderPrecheck>>,
    /// The store lookups of punch-out (the shopper, the cart); `None`: punch-out is not
    /// offered.
    pub punchout: Option<Arc<dyn crate::punchout_store::PunchOutStore>>,
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
        let expected = match route {
            Route::Health | Route::PunchOutStart => Method::GET,
            Route::PunchOutReturn if req.method() == Method::GET => Method::GET,
            _ => Method::POST,
        };
        if req.method() != expected {
            let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            if let Ok(allow) = lambda_http::http::HeaderValue::from_str(expected.as_str()) {
                resp.headers_mut()
                    .insert(lambda_http::http::header::ALLOW, allow);
            }
            return resp;
        }
        if route == Route::Health {
            return answer(
                StatusCode::OK,
                json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
            );
        }
        let mut req = req;
        if !req.headers().contains_key(lambda_http::http::header::HOST) {
            // API Gateway names its domain in the request context; lambda_http puts it in the URI.
            let authority = req.uri().authority().map(|a| a.as_str().to_owned());
            if let Some(host) = authority.and_then(|a| a.parse().ok()) {
                req.headers_mut()
                    .insert(lambda_http::http::header::HOST, host);
            }
        }
        if route == Route::PunchOutStart {
            return crate::punchout::open_start_page(self, req.uri().path(), now).await;
        }
        if route == Route::PunchOutReturn {
            return crate::punchout::return_cart(self, &req, now).await;
        }
        let body: &[u8] = req.body().as_ref();
        if route == Route::Procurement {
            let path = req.uri().path();
            return match crate::cxml::read_document(body, now) {
                Document::Order(po) => {
                    crate::procurement::serve(self, path, &po, now, remaining).await
                }
                Document::PunchOutSetup(setup) => {
                    crate::punchout::answer_setup(self, path, req.headers(), &setup, now).await
                }
                Document::Refused(resp) => resp,
            };
        }
        if body.len() > MAX_BODY_BYTES {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 256 KiB");
        }
        // A registry or secret that cannot be read is not the caller's fault: 503, so
        // BigCommerce (or the ERP) retries once it is fixed.
        if route == Route::Webhook {
            let secret = match crate::stores::webhook_store(self.credentials.as_ref(), body).await {
                Ok(secret) => secret,
                Err(refusal) => return refusal.into_response(),
            };
            self.webhook(req.headers(), body, &secret, now, remaining)
                .await
        } else {
            self.inbound(req.headers(), body).await
        }
    }

    /// Authenticates and parses a webhook delivery (no AWS calls).
    pub fn decide_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &StoreSecret,
        now: i64,
    ) -> WebhookDecision {
        if !self.authentic(headers, body, secret, now) {
            return WebhookDecision::Refuse(unauthorized());
        }
        let payload: WebhookPayload = match serde_json::from_slice(body) {
            Ok(p) => p,
            Err(e) => {
                return WebhookDecision::Refuse(error(
                    StatusCode::BAD_REQUEST,
                    &format!("not a BigCommerce webhook payload: {e}"),
                ))
            }
        };
        let producer = format!("stores/{}", secret.store_hash);
        if payload.producer.as_ref().is_some_and(|p| *p != producer) {
            tracing::warn!(producer = ?payload.producer, store = %secret.store_hash, "webhook refused: its producer is not the store whose secret signed it");
            return WebhookDecision::Refuse(unauthorized());
        }
        if payload.scope.trim().is_empty() {
            return WebhookDecision::Refuse(error(
                StatusCode::BAD_REQUEST,
                "`scope` must not be empty",
            ));
        }
        let body_hash = hex(&Sha256::digest(body));
        let event = WebhookEvent::normalize(payload, secret.store_hash.as_str(), &body_hash, now);
        let dedupe_key = format!("webhook#{}", event.dedupe_key());
        let body = match serde_json::to_string(&event) {
            Ok(b) => b,
            Err(e) => {
                return WebhookDecision::Refuse(error(
                    StatusCode::BAD_REQUEST,
                    &format!("payload cannot be re-encoded: {e}"),
                ))
            }
        };
        let mut message = OutgoingMessage::new("0", body);
        if self.options.fifo {
            let group = match &event.resource {
                Some(r) => format!("{}#{}#{}", event.store_hash, r.kind, r.id),
                None => format!("{}#{}", event.store_hash, event.scope),
            };
            message.group_id = Some(group);
            message.dedup_id = Some(short_hash(&dedupe_key));
        }
        WebhookDecision::Accept {
            dedupe_key,
            message,
            scope: event.scope,
        }
    }

    fn authentic(&self, headers: &HeaderMap, body: &[u8], secret: &StoreSecret, now: i64) -> bool {
        let header_ok = || match (
            &secret.webhook_secret,
            headers.get(self.options.auth_header.as_str()),
        ) {
            (Some(expected), Some(given)) => {
                secrets_equal(given.as_bytes(), expected.expose_secret().as_bytes())
            }
            (None, _) => {
                tracing::error!("webhook auth needs `webhook_secret` in the store secret");
                false
            }
            _ => false,
        };
        let signature_ok = || match &secret.client_secret {
            Some(cs) => {
                let key = signing_key(cs.expose_secret());
                match verify_signature(headers, body, &key, now, self.options.tolerance_secs) {
                    Ok(()) => true,
                    Err(reason) => {
                        tracing::warn!(?reason, "webhook signature refused");
                        false
                    }
                }
            }
            None => {
                tracing::error!("signature auth needs `client_secret` in the store secret");
                false
            }
        };
        match self.options.auth {
            AuthMode::Header => header_ok(),
            AuthMode::Signature => signature_ok(),
            AuthMode::Either => header_ok() || signature_ok(),
            AuthMode::Both => header_ok() && signature_ok(),
        }
    }

    /// Accepts a webhook in two steps: its dedupe record is `in_progress` (until shortly after
    /// the invocation's deadline) while it is enqueued, and `completed` only once it is on the
    /// queue. A process that dies in between leaves a record that expires, and BigCommerce's
    /// redelivery then takes it over: nothing is lost, and a redelivery that meets a live
    /// `in_progress` record gets 503 and comes back.
    async fn webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &StoreSecret,
        now: i64,
        remaining: Option<Duration>,
    ) -> Response<Body> {
        let (dedupe_key, message, scope) = match self.decide_webhook(headers, body, secret, now) {
            WebhookDecision::Refuse(resp) => return resp,
            WebhookDecision::Accept {
                dedupe_key,
                message,
                scope,
            } => (dedupe_key, message, scope),
        };
        let in_progress =
            remaining.map_or(IN_PROGRESS_WITHOUT_DEADLINE, |r| r + IN_PROGRESS_MARGIN);
        match self.state.begin(&dedupe_key, in_progress).await {
            Ok(Begin::Completed) => {
                tracing::info!(%scope, key = %dedupe_key, outcome = "duplicate", "webhook already accepted");
                return answer(StatusCode::OK, json!({ "status": "duplicate" }));
            }
            Ok(Begin::InProgress) => {
                tracing::info!(%scope, key = %dedupe_key, outcome = "in_progress", "the same webhook is being accepted now; asking BigCommerce to retry");
                return unavailable();
            }
            Ok(Begin::Started) => {}
            Err(e) => {
                tracing::error!(%scope, error = %e, "dedupe record failed; asking BigCommerce to retry");
                return unavailable();
            }
        }
        if let Err(e) = enqueue(self.queue.as_ref(), &message, remaining).await {
            tracing::error!(%scope, error = %e, "enqueue failed; releasing the dedupe record and asking BigCommerce to retry");
            if let Err(release) = self.state.release(&dedupe_key).await {
                tracing::warn!(key = %dedupe_key, error = %release, seconds = in_progress.as_secs(), "dedupe record not released; it expires by itself and the retry after that is accepted");
            }
            return unavailable();
        }
        if let Err(e) = self
            .state
            .complete(&dedupe_key, self.options.dedupe_ttl)
            .await
        {
            tracing::warn!(key = %dedupe_key, error = %e, "webhook enqueued but not recorded completed; a redelivery after the in-progress record expires is enqueued again");
        }
        tracing::info!(%scope, key = %dedupe_key, outcome = "enqueued", "webhook accepted");
        answer(StatusCode::OK, json!({ "status": "accepted" }))
    }

    /// Reads an inbound body: one command object or a non-empty array of at most
    /// `max_batch` (no AWS calls).
    pub fn inbound_items(&self, body: &[u8]) -> Result<Vec<Value>, Refusal> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                &format!("body is not valid JSON: {e}"),
            )
        })?;
        let items = match value {
            Value::Array(items) if items.is_empty() => {
                return Err(Refusal::new(StatusCode::BAD_REQUEST, "empty batch"))
            }
            Value::Array(items) => items,
            Value::Object(_) => vec![value],
            _ => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "body must be a command object or an array of commands",
                ))
            }
        };
        if items.len() > self.options.max_batch {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("at most {} commands per request", self.options.max_batch),
            ));
        }
        Ok(items)
    }

    /// Validates inbound commands, every one, all or nothing, for the stores `served` (the
    /// ones the request authenticated for; no AWS calls).
    pub fn decide_inbound(
        &self,
        items: Vec<Value>,
        served: &[StoreHash],
    ) -> Result<Vec<(Command, OutgoingMessage)>, Refusal> {
        let mut invalid = Vec::new();
        let mut valid = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let external_id = item.get("external_id").cloned().unwrap_or(Value::Null);
            match Command::from_value(item) {
                Ok(cmd) if !served.iter().any(|s| s.as_str() == cmd.store_hash) => invalid.push(json!({
                    "index": index, "external_id": external_id,
                    "problems": [format!("`store_hash` `{}` is not this deployment's store", cmd.store_hash)],
                })),
                Ok(cmd) => valid.push(cmd),
                Err(e) => invalid.push(json!({ "index": index, "external_id": external_id, "problems": e.problems })),
            }
        }
        if !invalid.is_empty() {
            return Err(Refusal {
                status: StatusCode::BAD_REQUEST,
                body: json!({ "error": "invalid commands; nothing was enqueued", "invalid": invalid }),
            });
        }
        let mut out = Vec::with_capacity(valid.len());
        for (index, cmd) in valid.into_iter().enumerate() {
            let body = serde_json::to_string(&cmd).map_err(|e| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    &format!("command {index} cannot be encoded: {e}"),
                )
            })?;
            if body.len() > MAX_MESSAGE_BYTES {
                return Err(Refusal::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("command {index} is larger than 256 KiB"),
                ));
            }
            let mut message = OutgoingMessage::new(format!("{index}"), body);
            if self.options.fifo {
                message.group_id = Some(format!("{}#{}", cmd.store_hash, cmd.group()));
                message.dedup_id = Some(short_hash(&cmd.dedupe_key()));
            }
            out.push((cmd, message));
        }
        Ok(out)
    }

    /// Authenticates an inbound request: a single-store deployment checks the bearer key before
    /// reading the body (as before many stores); a many-store one reads which stores the
    /// commands name, and the key must be the inbound key of every one of them.
    async fn inbound(&self, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
        let given = headers
            .get(lambda_http::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .trim();
        let only = match self.credentials.only_store().await {
            Ok(only) => only,
            Err(e) => {
                tracing::error!(error = %e, "store secret unavailable");
                return unavailable();
            }
        };
        if only
            .as_ref()
            .is_some_and(|s| !inbound_key_matches(s, given))
        {
            return unauthorized();
        }
        let items = match self.inbound_items(body) {
            Ok(items) => items,
            Err(refusal) => return refusal.into_response(),
        };
        let secrets = match only {
            Some(only) => vec![only],
            None => match crate::stores::inbound_stores(self.credentials.as_ref(), &items).await {
                Ok(secrets) if secrets.iter().all(|s| inbound_key_matches(s, given)) => secrets,
                Ok(_) => return unauthorized(),
                Err(refusal) => return refusal.into_response(),
            },
        };
        let served: Vec<StoreHash> = secrets.iter().map(|s| s.store_hash.clone()).collect();
        let commands = match self.decide_inbound(items, &served) {
            Ok(c) => c,
            Err(refusal) => return refusal.into_response(),
        };
        let request_id = hex(&fastrand::u128(..).to_be_bytes());
        let messages: Vec<OutgoingMessage> = commands.iter().map(|(_, m)| m.clone()).collect();
        if let Err(e) = self.queue.send_all(&messages).await {
            tracing::error!(error = %e, commands = messages.len(), "enqueue of inbound commands failed");
            return unavailable();
        }
        let accepted: Vec<Value> = commands
            .iter()
            .enumerate()
            .map(|(i, (cmd, _))| {
                tracing::info!(kind = cmd.kind(), external_id = %cmd.external_id, outcome = "enqueued", "inbound command accepted");
                json!({ "index": i, "id": format!("{request_id}-{i}"), "type": cmd.kind(), "external_id": cmd.external_id })
            })
            .collect();
        answer(StatusCode::ACCEPTED, json!({ "accepted": accepted }))
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
