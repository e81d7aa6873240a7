//! The punch-out routes as [`Intake`] serves them: the setup request answered, the start page
//! signing the shopper in, the cart's return (see [`crate::punchout`] for the whole flow).

use std::sync::Arc;
use std::time::Duration;

use b2b_cxml::{PunchOutSetup, Status};
use b2b_shared::secrets::{PunchOutConfig, StoreSecret};
use bigcommerce_b2b::storefront::{customer_login_url, Cart, LoginClaims};
use bigcommerce_b2b::StoreHash;
use lambda_http::http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use secrecy::SecretString;
use serde_json::json;

use crate::cxml::{addressed_here, buyer_identity, partner_of};
use crate::http::{
    cxml_response, html_headers, page, segment_after, timestamp, xml_response, CxmlAnswer,
};
use crate::intake::Intake;
use crate::punchout::{
    cart_items, check_return_url, cookie_value, is_new, new_session, public_base, session_key,
    Session, SESSION_COOKIE,
};
use crate::punchout_store::within;

/// The page asking the shopper to try again shortly.
fn try_again() -> Response<Body> {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "The store cannot be reached right now. Try again in a moment.",
    )
}

/// The page of a session that cannot go on: start again from the procurement system.
fn start_over(status: StatusCode, why: &str) -> Response<Body> {
    page(
        status,
        "Punch-out session ended",
        &format!("{why} Start the punch-out again from your procurement system."),
    )
}

/// What signing a shopper in takes from the store secret.
struct Login<'a> {
    client_id: &'a str,
    client_secret: &'a SecretString,
    punchout: &'a PunchOutConfig,
}

fn login_of(secret: &StoreSecret) -> Option<Login<'_>> {
    Some(Login {
        client_id: secret.client_id.as_deref()?,
        client_secret: secret.client_secret.as_ref()?,
        punchout: secret.procurement.as_ref()?.punchout.as_ref()?,
    })
}

/// The store of a return path (`/procurement/punchout/return/{store}`), if it names one.
fn store_in_return_path(path: &str) -> Option<&str> {
    segment_after(path, "/procurement/punchout/return")
}

/// A claim's time to live: until `until`, at least a minute.
fn ttl_until(until: i64, now: i64) -> Duration {
    Duration::from_secs(u64::try_from(until - now).unwrap_or(0).max(60))
}

impl Intake {
    /// Answers a `PunchOutSetupRequest` with a `PunchOutSetupResponse`, or the refusal; and
    /// the cXML status answered.
    pub(crate) async fn punchout_setup(
        &self,
        path: &str,
        headers: &HeaderMap,
        setup: &PunchOutSetup,
        now: i64,
    ) -> (Response<Body>, u16) {
        match self.set_up(path, headers, setup, now).await {
            Ok(start) => {
                let doc =
                    b2b_cxml::punchout_setup_response(&setup.payload_id, &timestamp(now), &start);
                (xml_response(doc), 200)
            }
            Err(answer) => {
                tracing::info!(payload_id = %setup.payload_id, status = answer.status.code(), detail = %answer.detail, "cXML punch-out setup refused");
                let code = answer.status.code();
                (cxml_response(&setup.payload_id, &answer, now), code)
            }
        }
    }

    /// The start page of a new session for `setup`, remembered; or the refusal.
    async fn set_up(
        &self,
        path: &str,
        headers: &HeaderMap,
        setup: &PunchOutSetup,
        now: i64,
    ) -> Result<String, CxmlAnswer> {
        let secret = crate::stores::procurement_store(self.credentials.as_ref(), path).await?;
        let not_offered = || {
            CxmlAnswer::new(
                Status::NotImplemented,
                "punch-out is not offered by this supplier; send purchase orders (OrderRequest)",
            )
        };
        let Some(config) = &secret.procurement else {
            return Err(CxmlAnswer::new(
                Status::Unauthorized,
                "this supplier takes no cXML documents",
            ));
        };
        let partner = partner_of(
            config,
            &setup.sender,
            |s| setup.sender_secret_matches(s),
            &setup.payload_id,
        )?;
        let (Some(login), Some(lookups)) = (login_of(&secret), self.punchout.as_ref()) else {
            return Err(not_offered());
        };
        addressed_here(config, partner, &setup.to, &setup.deployment_mode)?;
        if !matches!(
            setup.operation.to_ascii_lowercase().as_str(),
            "create" | "edit"
        ) {
            return Err(CxmlAnswer::new(
                Status::NotImplemented,
                format!(
                    "operation `{}` is not offered: punch out to create or edit a cart",
                    setup.operation
                ),
            ));
        }
        check_return_url(setup)?;
        let identity = buyer_identity(partner, &setup.from)?;
        let email = setup.user_email.as_deref().ok_or_else(|| {
            CxmlAnswer::new(
                Status::BadRequest,
                "the shopper is not named: an `Extrinsic name=\"UserEmail\"` (or a Contact's Email) is required",
            )
        })?;
        let shopper = match within(lookups.shopper(&secret.store_hash, identity, email)).await {
            Ok(Ok(shopper)) => shopper,
            Ok(Err(why)) => return Err(CxmlAnswer::new(Status::BadRequest, why)),
            Err(reason) => {
                tracing::warn!(%reason, payload_id = %setup.payload_id, "the store could not be asked about a punch-out's shopper; asking the sender to retry");
                return Err(CxmlAnswer::unavailable());
            }
        };
        let base = public_base(self.options.public_url.as_deref(), headers, path)
            .ok_or_else(|| CxmlAnswer::new(Status::BadRequest, "the request names no Host"))?;
        let minutes = login.punchout.session_minutes;
        let session = new_session(&secret, &partner.name, setup, shopper, now, minutes);
        let session_id = self.remember_session(&session).await.map_err(|e| {
            tracing::error!(error = %e, "punch-out session not remembered; asking the sender to retry");
            CxmlAnswer::unavailable()
        })?;
        tracing::info!(partner = %partner.name, payload_id = %setup.payload_id, customer_id = shopper.customer_id, company_id = shopper.company_id, outcome = "session", "punch-out session set up");
        Ok(format!("{base}/procurement/punchout/start/{session_id}"))
    }

    /// Remembers a new session (and that it is its customer's latest); its id.
    async fn remember_session(&self, session: &Session) -> Result<String, String> {
        let id = crate::punchout::new_session_id()?;
        let key = session_key(&id);
        let value = serde_json::to_value(session).map_err(|e| e.to_string())?;
        self.state
            .put_watermark_until(&key, &value, session.expires_at)
            .await
            .map_err(|e| e.to_string())?;
        let latest = json!({"session": key, "expires_at": session.expires_at});
        let customer = crate::punchout::customer_key(&session.store_hash, session.customer_id);
        self.state
            .put_watermark_until(&customer, &latest, session.expires_at)
            .await
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// The session under `key`: `Ok(None)` when there is none (or it is unreadable).
    async fn load_session(&self, key: &str) -> Result<Option<Session>, String> {
        let Some(value) = self
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
    async fn session_secret(&self, session: &Session) -> Result<Arc<StoreSecret>, Response<Body>> {
        let store = StoreHash::parse(&session.store_hash)
            .map_err(|_| start_over(StatusCode::NOT_FOUND, "This punch-out is unknown."))?;
        match self.credentials.secret_of(&store).await {
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

    /// `GET /procurement/punchout/start/{session id}`: signs the session's shopper in to the
    /// storefront (once, within [`crate::punchout::START_WITHIN_SECS`] of the setup).
    pub(crate) async fn punchout_start(&self, path: &str, now: i64) -> Response<Body> {
        let session_id = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let valid = session_id.len() == 64 && session_id.bytes().all(|b| b.is_ascii_hexdigit());
        let key = session_key(session_id);
        let session = match self.load_session(&key).await {
            Ok(Some(session)) if valid => session,
            Ok(_) => return start_over(StatusCode::NOT_FOUND, "This punch-out link is unknown."),
            Err(e) => {
                tracing::error!(error = %e, "state table unavailable for a punch-out start");
                return try_again();
            }
        };
        if now > session.start_by {
            return start_over(StatusCode::GONE, "This punch-out link has expired.");
        }
        let secret = match self.session_secret(&session).await {
            Ok(secret) => secret,
            Err(resp) => return resp,
        };
        let Some(login) = login_of(&secret) else {
            return start_over(
                StatusCode::NOT_FOUND,
                "Punch-out is not offered by this store.",
            );
        };
        let started = format!("{key}#started");
        let first = self
            .use_once(
                &started,
                &session,
                now,
                "replayed_start",
                "This punch-out link was used already.",
            )
            .await;
        if let Err(refused) = first {
            return refused;
        }
        match sign_in_url(&session, &login, now) {
            Ok(url) => {
                tracing::info!(partner = %session.partner, customer_id = session.customer_id, outcome = "signed_in", "punch-out shopper sent to the storefront");
                let cookie_path =
                    crate::punchout::cookie_path(self.options.public_url.as_deref(), path);
                redirect_with_cookie(&url, session_id, &cookie_path, session.expires_at - now)
            }
            Err(e) => {
                tracing::error!(error = %e, "customer login token not made");
                let _ = self.state.release(&started).await;
                try_again()
            }
        }
    }

    /// `GET|POST /procurement/punchout/return[/{store}]`: the cart `cart_id` back to the
    /// procurement system of the browser's session, once.
    pub(crate) async fn punchout_return(
        &self,
        path: &str,
        headers: &HeaderMap,
        cart_id: Option<&str>,
        now: i64,
    ) -> Response<Body> {
        let cookie = cookie_value(headers, SESSION_COOKIE);
        let (key, session, cart) = match self.returning(path, cookie.as_deref(), cart_id).await {
            Ok(found) => found,
            Err(resp) => return resp,
        };
        if now > session.expires_at {
            return start_over(StatusCode::GONE, "This punch-out session has expired.");
        }
        let items = match &cart {
            Some(cart) => cart_items(cart).map(|(c, items)| (Some(c), items)),
            None => Ok((None, Vec::new())),
        };
        let (currency, items) = match items {
            Ok(found) => found,
            Err(why) => {
                return page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The cart cannot go back yet",
                    &format!("{why}. Change the cart and return it again."),
                )
            }
        };
        let returned = format!("{key}#returned");
        let first = self
            .use_once(
                &returned,
                &session,
                now,
                "replayed_return",
                "This session's cart was returned already.",
            )
            .await;
        if let Err(refused) = first {
            return refused;
        }
        let currency = match currency {
            Some(c) => c,
            None => self.empty_cart_currency(&session).await,
        };
        tracing::info!(partner = %session.partner, customer_id = session.customer_id, items = items.len(), outcome = "returned", "punch-out cart sent back");
        let cookie_path = crate::punchout::cookie_path(self.options.public_url.as_deref(), path);
        order_message_page(&key, &session, &currency, &items, &cookie_path, now)
    }

    /// Claims `key` for the rest of `session`'s life: the first use of a one-time step
    /// (`outcome` names a replay in the log, `used` says it to the shopper).
    async fn use_once(
        &self,
        key: &str,
        session: &Session,
        now: i64,
        outcome: &str,
        used: &str,
    ) -> Result<(), Response<Body>> {
        let claim = self
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

    /// The currency an empty cart goes back in (the store's punch-out setting).
    async fn empty_cart_currency(&self, session: &Session) -> String {
        match self.session_secret(session).await {
            Ok(secret) => login_of(&secret)
                .map(|l| l.punchout.currency.clone())
                .unwrap_or_else(|| "USD".to_owned()),
            Err(_) => "USD".to_owned(),
        }
    }

    /// The session a return is for, its key and the cart; or the page refusing it.
    async fn returning(
        &self,
        path: &str,
        cookie: Option<&str>,
        cart_id: Option<&str>,
    ) -> Result<(String, Session, Option<Cart>), Response<Body>> {
        let named_store = store_in_return_path(path);
        let (key, session, cart) = match cookie {
            Some(cookie) => {
                let key = session_key(cookie);
                let session = self.session_at(&key).await?;
                let cart = match cart_id {
                    Some(id) => Some(self.cart_of(&session.store_hash, id).await?),
                    None => None,
                };
                (key, session, cart)
            }
            None => {
                let Some(cart_id) = cart_id else {
                    return Err(start_over(
                        StatusCode::BAD_REQUEST,
                        "This browser holds no punch-out session.",
                    ));
                };
                self.session_of_cart(named_store, cart_id).await?
            }
        };
        if named_store.is_some_and(|s| s != session.store_hash) {
            tracing::warn!(partner = %session.partner, outcome = "foreign_store", "punch-out return names another store than its session's; refused");
            return Err(start_over(
                StatusCode::FORBIDDEN,
                "This punch-out session belongs to another store.",
            ));
        }
        if let Some(cart) = &cart {
            if cart.customer_id != Some(session.customer_id) {
                tracing::warn!(partner = %session.partner, outcome = "foreign_cart", "punch-out return of another shopper's cart; refused");
                return Err(start_over(
                    StatusCode::FORBIDDEN,
                    "This cart is not the punch-out shopper's.",
                ));
            }
        }
        // A cookie may name a session a newer punch-out replaced; without one, the session is
        // the customer's latest already.
        if cookie.is_some() {
            self.check_latest(&key, &session).await?;
        }
        Ok((key, session, cart))
    }

    /// The session under `key`, or the page refusing it.
    async fn session_at(&self, key: &str) -> Result<Session, Response<Body>> {
        match self.load_session(key).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(start_over(
                StatusCode::NOT_FOUND,
                "This punch-out session is unknown or has expired.",
            )),
            Err(e) => {
                tracing::error!(error = %e, "state table unavailable for a punch-out return");
                Err(try_again())
            }
        }
    }

    /// The cart `cart_id` of `store`, or the page refusing the return.
    async fn cart_of(&self, store: &str, cart_id: &str) -> Result<Cart, Response<Body>> {
        let (Some(lookups), Ok(store)) = (self.punchout.as_ref(), StoreHash::parse(store)) else {
            return Err(start_over(
                StatusCode::NOT_FOUND,
                "Punch-out is not offered by this store.",
            ));
        };
        match within(lookups.cart(&store, cart_id)).await {
            Ok(Some(cart)) => Ok(cart),
            Ok(None) => Err(page(
                StatusCode::NOT_FOUND,
                "No such cart",
                "The cart was not found: it may have been checked out or emptied.",
            )),
            Err(reason) => {
                tracing::warn!(%reason, "the store could not be asked for a punch-out cart");
                Err(try_again())
            }
        }
    }

    /// A return without the cookie (a browser that blocks it): the latest session of the
    /// cart's customer in the store the path names (or the only one served).
    async fn session_of_cart(
        &self,
        named_store: Option<&str>,
        cart_id: &str,
    ) -> Result<(String, Session, Option<Cart>), Response<Body>> {
        let store = match named_store {
            Some(s) => s.to_owned(),
            None => match self.credentials.only_store().await {
                Ok(Some(secret)) => secret.store_hash.as_str().to_owned(),
                Ok(None) => {
                    return Err(start_over(
                        StatusCode::BAD_REQUEST,
                        "This browser holds no punch-out session.",
                    ))
                }
                Err(_) => return Err(try_again()),
            },
        };
        let cart = self.cart_of(&store, cart_id).await?;
        let customer = cart.customer_id.unwrap_or(0);
        let Some(key) = self.latest_session_key(&store, customer).await? else {
            return Err(start_over(
                StatusCode::NOT_FOUND,
                "This cart's shopper has no punch-out session.",
            ));
        };
        let session = self.session_at(&key).await?;
        Ok((key, session, Some(cart)))
    }

    /// The key of the latest session of `store`'s customer, if any.
    async fn latest_session_key(
        &self,
        store: &str,
        customer_id: i64,
    ) -> Result<Option<String>, Response<Body>> {
        let latest = self
            .state
            .get_watermark(&crate::punchout::customer_key(store, customer_id))
            .await
            .map_err(|_| try_again())?;
        Ok(latest.and_then(|l| l["session"].as_str().map(str::to_owned)))
    }

    /// Refuses a session that a newer punch-out of the same shopper replaced.
    async fn check_latest(&self, key: &str, session: &Session) -> Result<(), Response<Body>> {
        let latest = self
            .latest_session_key(&session.store_hash, session.customer_id)
            .await?;
        match latest {
            Some(k) if k != key => Err(start_over(
                StatusCode::CONFLICT,
                "A newer punch-out of this shopper replaced this session.",
            )),
            _ => Ok(()),
        }
    }
}

/// The customer login URL of `session`'s shopper, made now.
fn sign_in_url(session: &Session, login: &Login<'_>, now: i64) -> Result<String, String> {
    let jti = crate::punchout::new_session_id()?;
    let mut claims = LoginClaims::new(
        login.client_id,
        &session.store_hash,
        session.customer_id,
        now,
        &jti,
    );
    claims.channel_id = login.punchout.channel_id;
    claims.redirect_to = Some(login.punchout.landing_path.clone());
    customer_login_url(&login.punchout.storefront_url, &claims, login.client_secret)
        .map_err(|e| e.to_string())
}

/// A `303 See Other` to `url` that sets the session cookie.
fn redirect_with_cookie(
    url: &str,
    session_id: &str,
    cookie_path: &str,
    max_age: i64,
) -> Response<Body> {
    let mut resp = page(
        StatusCode::SEE_OTHER,
        "Signing you in",
        "Taking you to the store.",
    );
    match (
        HeaderValue::from_str(url),
        crate::punchout::session_cookie(session_id, cookie_path, max_age),
    ) {
        (Ok(location), Some(cookie)) => {
            resp.headers_mut().insert(header::LOCATION, location);
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            resp
        }
        _ => try_again(),
    }
}

/// The page posting the cart to the session's procurement system, and clearing the cookie.
fn order_message_page(
    key: &str,
    session: &Session,
    currency: &str,
    items: &[b2b_cxml::CartItem],
    cookie_path: &str,
    now: i64,
) -> Response<Body> {
    let Some(sender) = session.supplier.first() else {
        return try_again();
    };
    let payload_id = format!(
        "punchout.{}.{now}@{}",
        &key["punchout#".len()..key.len().min("punchout#".len() + 16)],
        session.store_hash
    );
    let cart = b2b_cxml::Cart {
        buyer_cookie: &session.buyer_cookie,
        currency,
        items,
    };
    let message = b2b_cxml::punchout_order_message(
        &payload_id,
        &timestamp(now),
        &session.supplier,
        &session.buyer,
        sender,
        cart,
    );
    let mut resp = Response::new(Body::Text(b2b_cxml::auto_post_form(
        &session.browser_form_post,
        &message,
    )));
    html_headers(resp.headers_mut());
    if let Some(clear) = crate::punchout::session_cookie("", cookie_path, 0) {
        resp.headers_mut().insert(header::SET_COOKIE, clear);
    }
    resp
}
