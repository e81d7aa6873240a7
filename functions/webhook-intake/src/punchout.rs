//! Punch-out: a buyer in a procurement system (Coupa, SAP Ariba, ...) shops the supplier's
//! storefront and the cart goes back to the procurement system for approval.
//!
//! 1. `PunchOutSetupRequest` on `POST /procurement/cxml[/{store}]`: the partner authenticated
//!    like a purchase order, its `From` identity must be one approved company and its
//!    `UserEmail` one of that company's buyers. A session is remembered in the state table
//!    (partner, `BuyerCookie`, `BrowserFormPost` URL, the buyer's customer id, expiry) under
//!    the SHA-256 of a random 256-bit session id, and the answer's start page is
//!    `GET /procurement/punchout/start/{session id}` on this API.
//! 2. The start page, opened once and within five minutes of the setup, signs the shopper in
//!    through the Customer Login API (a JWT made at that moment: BigCommerce takes it for 30
//!    seconds only, once) and redirects to the storefront; it sets the `b2b_punchout` cookie
//!    on this API's address.
//! 3. `GET|POST /procurement/punchout/return[/{store}]?cart_id=...` (the storefront's
//!    "return to procurement" link): the session named by the cookie (or, where the browser
//!    sent none, the latest session of the cart's customer), the cart read from BigCommerce,
//!    answered with a page whose form posts the `PunchOutOrderMessage` to the session's
//!    `BrowserFormPost` URL. Once per session; without `cart_id` the message is empty (the
//!    buyer cancelled).
//!
//! Refused, each with a page saying why: an unknown or expired session, a start page opened
//! twice, a cart of another customer than the session's, a session of another store, a second
//! return, a session a newer punch-out of the same buyer replaced.

use b2b_cxml::{CartItem, Credential, PunchOutSetup, Status};
use b2b_shared::secrets::{acceptable_destination, StoreSecret};
use b2b_shared::state::Claim;
use bigcommerce_b2b::storefront::Cart;
use lambda_http::http::{header, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::http::CxmlAnswer;
use crate::punchout_store::Shopper;

/// The cookie naming a browser's punch-out session (set on this API's address only).
pub const SESSION_COOKIE: &str = "b2b_punchout";
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
    let digest = crate::http::hex(&Sha256::digest(session_id.as_bytes()));
    format!("punchout#{}", &digest[..40])
}

/// The key naming the latest session of a store's customer.
pub(crate) fn customer_key(store: &str, customer_id: i64) -> String {
    format!("punchout#{store}#customer#{customer_id}")
}

/// A new session id: 256 random bits from the operating system, hex.
pub(crate) fn new_session_id() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(crate::http::hex(&bytes))
}

/// The address of this API as the browser reaches it: `PUBLIC_URL` when set, else the
/// request's host (scheme from `X-Forwarded-Proto`; http for this machine, else https) and
/// the path before `/procurement/` (a stage prefix).
pub fn public_base(public_url: Option<&str>, headers: &HeaderMap, path: &str) -> Option<String> {
    if let Some(url) = public_url {
        return Some(url.trim_end_matches('/').to_owned());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return None;
    }
    let local = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|h| host == *h || host.starts_with(&format!("{h}:")));
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or(if local { "http" } else { "https" });
    Some(format!("{scheme}://{host}{}", stage_prefix(path)))
}

/// What comes before `/procurement/` in a request's path (a stage or function URL prefix).
fn stage_prefix(path: &str) -> &str {
    path.find("/procurement/").map_or("", |i| &path[..i])
}

#[derive(Deserialize)]
struct ReturnForm {
    cart_id: Option<String>,
}

/// The cart a return names: `cart_id` in the query, or in a posted form (or JSON) body.
pub fn cart_id_of(req: &lambda_http::Request) -> Option<String> {
    use lambda_http::{RequestExt, RequestPayloadExt};
    let in_query = req
        .query_string_parameters()
        .first("cart_id")
        .map(str::to_owned);
    let in_body = || {
        req.payload::<ReturnForm>()
            .ok()
            .flatten()
            .and_then(|f| f.cart_id)
    };
    in_query
        .or_else(in_body)
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value of the session cookie for `path`, living `max_age` seconds (0
/// removes it).
pub(crate) fn session_cookie(
    session_id: &str,
    cookie_path: &str,
    max_age: i64,
) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session_id}; Path={cookie_path}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        max_age.max(0)
    ))
    .ok()
}

/// The path the session cookie is sent to: this API's punch-out routes as the browser
/// reaches them (under `PUBLIC_URL`'s path when set: a base path the proxy strips before the
/// function sees the request; else the request's own prefix).
pub fn cookie_path(public_url: Option<&str>, path: &str) -> String {
    let prefix = match public_url {
        Some(url) => {
            let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
            after_scheme
                .find('/')
                .map_or("", |i| &after_scheme[i..])
                .trim_end_matches('/')
                .to_owned()
        }
        None => stage_prefix(path).to_owned(),
    };
    format!("{prefix}/procurement/punchout")
}

/// The items of a cart as a punch-out returns them, and its currency; why not, naming the
/// line, when one cannot be ordered through procurement.
pub fn cart_items(cart: &Cart) -> Result<(String, Vec<CartItem>), String> {
    if !cart.line_items.gift_certificates.is_empty() {
        return Err(
            "gift certificates cannot be bought through procurement: remove them from the cart"
                .into(),
        );
    }
    let currency = cart
        .currency
        .as_ref()
        .map(|c| c.code.trim().to_ascii_uppercase())
        .filter(|c| c.len() == 3)
        .ok_or("the cart has no currency")?;
    let mut items = Vec::new();
    for line in cart.line_items.products() {
        let name = line.name.clone().unwrap_or_else(|| line.id.clone());
        let sku = line
            .sku
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                format!("`{name}` has no SKU, so it cannot be ordered through procurement")
            })?;
        let quantity = line
            .quantity
            .filter(|q| q.fract() == 0.0 && *q >= 1.0 && *q <= f64::from(u32::MAX))
            .map(|q| q as u32)
            .ok_or_else(|| format!("`{name}`: the quantity is not a whole number"))?;
        let unit_price = line
            .unit_price()
            .ok_or_else(|| format!("`{name}` has no price"))?;
        items.push(CartItem {
            sku: sku.to_owned(),
            aux_id: Some(line.id.clone()),
            quantity,
            unit_price,
            description: name,
            unit_of_measure: None,
        });
    }
    Ok((currency, items))
}

/// The session of a setup request, before it is remembered.
pub(crate) fn new_session(
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

/// The refusal of a setup whose `BrowserFormPost` is not a place a cart may be sent.
pub(crate) fn check_return_url(setup: &PunchOutSetup) -> Result<(), CxmlAnswer> {
    if acceptable_destination(&setup.browser_form_post) {
        Ok(())
    } else {
        Err(CxmlAnswer::new(
            Status::BadRequest,
            "`PunchOutSetupRequest/BrowserFormPost/URL` must be an https:// URL",
        ))
    }
}

/// Whether a claim was new; a state table that cannot say is an error.
pub(crate) fn is_new(claim: Result<Claim, b2b_shared::state::StateError>) -> Result<bool, String> {
    claim.map(|c| c == Claim::New).map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "punchout_tests.rs"]
mod tests;
