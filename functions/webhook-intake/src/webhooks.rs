//! `POST /webhooks/bigcommerce`: BigCommerce and B2B Edition webhooks, authenticated by a shared
//! header secret and/or a Standard Webhooks signature (the secret of the store the delivery's
//! `producer` names), deduped on scope + hash in the state table, enqueued as one normalized
//! [`WebhookEvent`].
//!
//! A webhook's dedupe record is `in_progress` while it is enqueued and `completed` only after:
//! when the queue or the table fails the answer is 503 (BigCommerce retries) and the record is
//! released, and when the process dies in between, the record expires shortly after the
//! invocation's deadline and the redelivery is accepted then (503 until).

use std::time::Duration;

use b2b_commands::{WebhookEvent, WebhookPayload};
use b2b_shared::queue::OutgoingMessage;
use b2b_shared::secrets::{StoreSecret, UnusableCredential};
use b2b_shared::state::Begin;
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::http::{answer, enqueue, error, hex, short_hash, unauthorized, unavailable};
use crate::intake::Intake;
use crate::settings::{AuthMode, IntakeOptions};
use crate::stores::webhook_store;
use crate::verify::{log_unusable, secrets_equal, signing_key, verify_signature};

/// How long an `in_progress` dedupe record outlives the invocation's deadline: by then Lambda
/// has ended the invocation, so a record still in progress belongs to a process that died.
const IN_PROGRESS_MARGIN: Duration = Duration::from_secs(2);
/// The in-progress time when there is no invocation deadline (outside Lambda).
const IN_PROGRESS_WITHOUT_DEADLINE: Duration = Duration::from_secs(60);

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

/// Answers a webhook delivery: the secret of the store it names, then [`decide`] and the
/// two-step acceptance. A registry or secret that cannot be read is not the caller's fault:
/// 503, so BigCommerce retries once it is fixed.
pub(crate) async fn serve(
    intake: &Intake,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    remaining: Option<Duration>,
) -> Response<Body> {
    let secret = match webhook_store(intake.credentials.as_ref(), body).await {
        Ok(secret) => secret,
        Err(refusal) => return refusal.into_response(),
    };
    accept(intake, headers, body, &secret, now, remaining).await
}

/// Authenticates and parses a webhook delivery (no AWS calls).
pub fn decide(
    intake: &Intake,
    headers: &HeaderMap,
    body: &[u8],
    secret: &StoreSecret,
    now: i64,
) -> WebhookDecision {
    match authentic(&intake.options, headers, body, secret, now) {
        Ok(true) => {}
        Ok(false) => return WebhookDecision::Refuse(unauthorized()),
        Err(e) => {
            log_unusable("webhooks", &e);
            return WebhookDecision::Refuse(unavailable());
        }
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
    if intake.options.fifo {
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

/// Whether `headers` authenticate `body` as a delivery of the store of `secret`, in the
/// configured [`AuthMode`]; an error when a credential the mode needs may not be used (a
/// placeholder, empty, short or missing). In `either` mode one usable credential suffices.
fn authentic(
    options: &IntakeOptions,
    headers: &HeaderMap,
    body: &[u8],
    secret: &StoreSecret,
    now: i64,
) -> Result<bool, UnusableCredential> {
    let header_ok = |expected: &SecretString| {
        headers
            .get(options.auth_header.as_str())
            .is_some_and(|given| {
                secrets_equal(given.as_bytes(), expected.expose_secret().as_bytes())
            })
    };
    let signature_ok = |client_secret: &SecretString| {
        let key = signing_key(client_secret.expose_secret());
        match verify_signature(headers, body, &key, now, options.tolerance_secs) {
            Ok(()) => true,
            Err(reason) => {
                tracing::warn!(?reason, "webhook signature refused");
                false
            }
        }
    };
    let header = secret.webhook_header_secret();
    let signing = secret.signing_secret();
    Ok(match options.auth {
        AuthMode::Header => header_ok(header?),
        AuthMode::Signature => signature_ok(signing?),
        AuthMode::Both => {
            let (header, signing) = (header?, signing?);
            header_ok(header) && signature_ok(signing)
        }
        AuthMode::Either => match (header, signing) {
            (Ok(h), Ok(s)) => header_ok(h) || signature_ok(s),
            (Ok(h), Err(unused)) => header_ok(h) || refused_unused(&unused),
            (Err(unused), Ok(s)) => signature_ok(s) || refused_unused(&unused),
            (Err(header), Err(signing)) => {
                log_unusable("webhooks", &signing);
                return Err(header);
            }
        },
    })
}

/// A delivery `either` mode refused: says which credential could not have let it in (`false`).
fn refused_unused(unused: &UnusableCredential) -> bool {
    tracing::warn!(field = %unused.field, reason = %unused.weakness, "webhook refused; the other way to authenticate is not set up");
    false
}

/// Accepts a webhook in two steps: its dedupe record is `in_progress` (until shortly after
/// the invocation's deadline) while it is enqueued, and `completed` only once it is on the
/// queue. A process that dies in between leaves a record that expires, and BigCommerce's
/// redelivery then takes it over: nothing is lost, and a redelivery that meets a live
/// `in_progress` record gets 503 and comes back.
async fn accept(
    intake: &Intake,
    headers: &HeaderMap,
    body: &[u8],
    secret: &StoreSecret,
    now: i64,
    remaining: Option<Duration>,
) -> Response<Body> {
    let (dedupe_key, message, scope) = match decide(intake, headers, body, secret, now) {
        WebhookDecision::Refuse(resp) => return resp,
        WebhookDecision::Accept {
            dedupe_key,
            message,
            scope,
        } => (dedupe_key, message, scope),
    };
    let in_progress = remaining.map_or(IN_PROGRESS_WITHOUT_DEADLINE, |r| r + IN_PROGRESS_MARGIN);
    match intake.state.begin(&dedupe_key, in_progress).await {
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
    if let Err(e) = enqueue(intake.queue.as_ref(), &message, remaining).await {
        tracing::error!(%scope, error = %e, "enqueue failed; releasing the dedupe record and asking BigCommerce to retry");
        if let Err(release) = intake.state.release(&dedupe_key).await {
            tracing::warn!(key = %dedupe_key, error = %release, seconds = in_progress.as_secs(), "dedupe record not released; it expires by itself and the retry after that is accepted");
        }
        return unavailable();
    }
    if let Err(e) = intake
        .state
        .complete(&dedupe_key, intake.options.dedupe_ttl)
        .await
    {
        tracing::warn!(key = %dedupe_key, error = %e, "webhook enqueued but not recorded completed; a redelivery after the in-progress record expires is enqueued again");
    }
    tracing::info!(%scope, key = %dedupe_key, outcome = "enqueued", "webhook accepted");
    answer(StatusCode::OK, json!({ "status": "accepted" }))
}

#[cfg(test)]
#[path = "webhooks_tests.rs"]
mod tests;
