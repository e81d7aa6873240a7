//! A punch-out session: its record in the state table (under the hash of its id, with the
//! latest session of each customer named beside it), the one-time use of its steps, what the
//! store secret gives to sign its shopper in, and the pages of a session that cannot go on.

use std::sync::Arc;
use std::time::Duration;

use b2b_cxml::{Credential, PunchOutSetup};
use b2b_shared::secrets::{PunchOutConfig, StoreSecret};
use b2b_shared::state::Claim;
use bigcommerce_b2b::StoreHash;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::http::{hex, page};
use crate::intake::Intake;
use crate::punchout_store::Shopper;

/// How long after its setup a session's start page may be opened, in seconds.
pub const START_WITHIN_SECS: i64 = 300;

/// A punch-out session, as the state table keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The store shopped.
    pub store_hash: String,
    /// The trading partner's name.
    pub partner: String,
    /// The procurement system's id of the session, sent back with the cart.
    pub buyer_cookie: String,
    /// Where the browser posts the cart.
    pub browser_form_post: String,
    /// The shopper.
    pub customer_id: i64,
    /// The shopper's company.
    pub company_id: i64,
    /// The setup's `To`: the supplier, the order message's `From`.
    pub supplier: Vec<Credential>,
    /// The setup's `From`: the buyer, the order message's `To`.
    pub buyer: Vec<Credential>,
    /// When it was set up (unix seconds).
    pub created_at: i64,
    /// Until when the start page may be opened.
    pub start_by: i64,
    /// Until when the cart may be returned.
    pub expires_at: i64,
}

/// The state-table key of the session `session_id` (its hash: the table never holds an id
/// that opens a session).
pub fn session_key(session_id: &str) -> String {
    let digest = hex(&Sha256::digest(session_id.as_bytes()));
    format!("punchout#{}", &digest[..40])
}

/// The key naming the latest session of a store's customer.
fn customer_key(store: &str, customer_id: i64) -> String {
    format!("punchout#{store}#customer#{customer_id}")
}

/// A new session id: 256 random bits from the operating system, hex.
pub(super) fn new_session_id() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(hex(&bytes))
}

/// The session of a setup request, before it is remembered.
pub(super) fn new_session(
    secret: &StoreSecret,
    partner: &str,
    setup: &PunchOutSetup,
    shopper: Shopper,
    now: i64,
    minutes: u32,
) -> Session {
    Session {
        store_hash: secret.store_hash.as_str().to_owned(),
        partner: partner.to_owned(),
        buyer_cookie: setup.buyer_cookie.clone(),
        browser_form_post: setup.browser_form_post.clone(),
        customer_id: shopper.customer_id,
        company_id: shopper.company_id,
        supplier: setup.to.clone(),
        buyer: setup.from.clone(),
        created_at: now,
        start_by: now + START_WITHIN_SECS,
        expires_at: now + i64::from(minutes) * 60,
    }
}

/// What signing a shopper in takes from the store secret.
pub(super) struct Login<'a> {
    pub(super) client_id: &'a str,
    pub(super) client_secret: &'a SecretString,
    pub(super) punchout: &'a PunchOutConfig,
}

pub(super) fn login_of(secret: &StoreSecret) -> Option<Login<'_>> {
    Some(Login {
        client_id: secret.client_id.as_deref()?,
        client_secret: secret.client_secret.as_ref()?,
        punchout: secret.procurement.as_ref()?.punchout.as_ref()?,
    })
}

/// The page asking the shopper to try again shortly.
pub(super) fn try_again() -> Response<Body> {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "The store cannot be reached right now. Try again in a moment.",
    )
}

/// The page of a session that cannot go on: start again from the procurement system.
pub(super) fn start_over(status: StatusCode, why: &str) -> Response<Body> {
    page(
        status,
        "Punch-out session ended",
        &format!("{why} Start the punch-out again from your procurement system."),
    )
}

/// A claim's time to live: until `until`, at least a minute.
fn ttl_until(until: i64, now: i64) -> Duration {
    Duration::from_secs(u64::try_from(until - now).unwrap_or(0).max(60))
}

/// Whether a claim was new; a state table that cannot say is an error.
fn is_new(claim: Result<Claim, b2b_shared::state::StateError>) -> Result<bool, String> {
    claim.map(|c| c == Claim::New).map_err(|e| e.to_string())
}

/// Remembers a new session (and that it is its customer's latest); its id.
pub(super) async fn remember_session(intake: &Intake, session: &Session) -> Result<String, String> {
    let id = new_session_id()?;
    let key = session_key(&id);
    let value = serde_json::to_value(session).map_err(|e| e.to_string())?;
    intake
        .state
        .put_watermark_until(&key, &value, session.expires_at)
        .await
        .map_err(|e| e.to_string())?;
    let latest = json!({"session": key, "expires_at": session.expires_at});
    let customer = customer_key(&session.store_hash, session.customer_id);
    intake
        .state
        .put_watermark_until(&customer, &latest, session.expires_at)
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// The session under `key`: `Ok(None)` when there is none (or it is unreadable).
pub(super) async fn load_session(intake: &Intake, key: &str) -> Result<Option<Session>, String> {
    let Some(value) = intake
        .state
        .get_watermark(key)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    match serde_json::from_value(value) {
        Ok(session) => Ok(Some(session)),
        Err(e) => {
            tracing::error!(error = %e, "a punch-out session record is unreadable; refusing it");
            Ok(None)
        }
    }
}

/// The secret of a session's store, or the page to answer.
pub(super) async fn session_secret(
    intake: &Intake,
    session: &Session,
) -> Result<Arc<StoreSecret>, Response<Body>> {
    let store = StoreHash::parse(&session.store_hash)
        .map_err(|_| start_over(StatusCode::NOT_FOUND, "This punch-out is unknown."))?;
    match intake.credentials.secret_of(&store).await {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) => Err(start_over(
            StatusCode::NOT_FOUND,
            "This store is no longer served.",
        )),
        Err(e) => {
            tracing::error!(error = %e, "store secret unavailable for a punch-out");
            Err(try_again())
        }
    }
}

/// Claims `key` for the rest of `session`'s life: the first use of a one-time step
/// (`outcome` names a replay in the log, `used` says it to the shopper).
pub(super) async fn use_once(
    intake: &Intake,
    key: &str,
    session: &Session,
    now: i64,
    outcome: &str,
    used: &str,
) -> Result<(), Response<Body>> {
    let claim = intake
        .state
        .claim(key, ttl_until(session.expires_at, now))
        .await;
    match is_new(claim) {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::warn!(partner = %session.partner, outcome, "punch-out step used again; refused");
            Err(start_over(StatusCode::CONFLICT, used))
        }
        Err(e) => {
            tracing::error!(error = %e, "state table unavailable for a punch-out step");
            Err(try_again())
        }
    }
}

/// The key of the latest session of `store`'s customer, if any.
pub(super) async fn latest_session_key(
    intake: &Intake,
    store: &str,
    customer_id: i64,
) -> Result<Option<String>, Response<Body>> {
    let latest = intake
        .state
        .get_watermark(&customer_key(store, customer_id))
        .await
        .map_err(|_| try_again())?;
    Ok(latest.and_then(|l| l["session"].as_str().map(str::to_owned)))
}
