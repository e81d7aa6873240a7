//! `GET|POST /procurement/punchout/return[/{store}]?cart_id=...`: the cart goes back to the
//! procurement system of the browser's session (named by the cookie, or else the latest
//! session of the cart's customer), once, as a page whose form posts the
//! `PunchOutOrderMessage` to the session's `BrowserFormPost` URL.

use b2b_cxml::CartItem;
use bigcommerce_b2b::storefront::Cart;
use bigcommerce_b2b::StoreHash;
use lambda_http::http::{header, HeaderMap, StatusCode};
use lambda_http::{Body, Request, Response};

use super::browser::{cart_id_of, cookie_path, cookie_value, session_cookie, SESSION_COOKIE};
use super::session::{
    latest_session_key, load_session, login_of, session_key, session_secret, start_over, try_again,
    use_once, Session,
};
use crate::http::{count_exchange, html_headers, page, segment_after, timestamp};
use crate::intake::Intake;
use crate::punchout_store::within;

/// The store of a return path (`/procurement/punchout/return/{store}`), if it names one.
fn store_in_return_path(path: &str) -> Option<&str> {
    segment_after(path, "/procurement/punchout/return")
}

/// `GET|POST /procurement/punchout/return[/{store}]` (`req`), counted by the HTTP status
/// answered.
pub(crate) async fn return_cart(intake: &Intake, req: &Request, now: i64) -> Response<Body> {
    let cart_id = cart_id_of(req);
    let resp = send_back(
        intake,
        req.uri().path(),
        req.headers(),
        cart_id.as_deref(),
        now,
    )
    .await;
    count_exchange("PunchOutReturn", resp.status().as_u16());
    resp
}

/// `GET|POST /procurement/punchout/return[/{store}]`: the cart `cart_id` back to the
/// procurement system of the browser's session, once.
async fn send_back(
    intake: &Intake,
    path: &str,
    headers: &HeaderMap,
    cart_id: Option<&str>,
    now: i64,
) -> Response<Body> {
    let cookie = cookie_value(headers, SESSION_COOKIE);
    let (key, session, cart) = match returning(intake, path, cookie.as_deref(), cart_id).await {
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
    let first = use_once(
        intake,
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
        None => empty_cart_currency(intake, &session).await,
    };
    tracing::info!(partner = %session.partner, customer_id = session.customer_id, items = items.len(), outcome = "returned", "punch-out cart sent back");
    let cookie_path = cookie_path(intake.options.public_url.as_deref(), path);
    order_message_page(&key, &session, &currency, &items, &cookie_path, now)
}

/// The currency an empty cart goes back in (the store's punch-out setting).
async fn empty_cart_currency(intake: &Intake, session: &Session) -> String {
    match session_secret(intake, session).await {
        Ok(secret) => login_of(&secret)
            .map(|l| l.punchout.currency.clone())
            .unwrap_or_else(|| "USD".to_owned()),
        Err(_) => "USD".to_owned(),
    }
}

/// The session a return is for, its key and the cart; or the page refusing it.
async fn returning(
    intake: &Intake,
    path: &str,
    cookie: Option<&str>,
    cart_id: Option<&str>,
) -> Result<(String, Session, Option<Cart>), Response<Body>> {
    let named_store = store_in_return_path(path);
    let (key, session, cart) = match cookie {
        Some(cookie) => {
            let key = session_key(cookie);
            let session = session_at(intake, &key).await?;
            let cart = match cart_id {
                Some(id) => Some(cart_of(intake, &session.store_hash, id).await?),
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
            session_of_cart(intake, named_store, cart_id).await?
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
        check_latest(intake, &key, &session).await?;
    }
    Ok((key, session, cart))
}

/// The session under `key`, or the page refusing it.
async fn session_at(intake: &Intake, key: &str) -> Result<Session, Response<Body>> {
    match load_session(intake, key).await {
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
async fn cart_of(intake: &Intake, store: &str, cart_id: &str) -> Result<Cart, Response<Body>> {
    let (Some(lookups), Ok(store)) = (intake.punchout.as_ref(), StoreHash::parse(store)) else {
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
    intake: &Intake,
    named_store: Option<&str>,
    cart_id: &str,
) -> Result<(String, Session, Option<Cart>), Response<Body>> {
    let store = match named_store {
        Some(s) => s.to_owned(),
        None => match intake.credentials.only_store().await {
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
    let cart = cart_of(intake, &store, cart_id).await?;
    let customer = cart.customer_id.unwrap_or(0);
    let Some(key) = latest_session_key(intake, &store, customer).await? else {
        return Err(start_over(
            StatusCode::NOT_FOUND,
            "This cart's shopper has no punch-out session.",
        ));
    };
    let session = session_at(intake, &key).await?;
    Ok((key, session, Some(cart)))
}

/// Refuses a session that a newer punch-out of the same shopper replaced.
async fn check_latest(intake: &Intake, key: &str, session: &Session) -> Result<(), Response<Body>> {
    let latest = latest_session_key(intake, &session.store_hash, session.customer_id).await?;
    match latest {
        Some(k) if k != key => Err(start_over(
            StatusCode::CONFLICT,
            "A newer punch-out of this shopper replaced this session.",
        )),
        _ => Ok(()),
    }
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
    if let Some(clear) = session_cookie("", cookie_path, 0) {
        resp.headers_mut().insert(header::SET_COOKIE, clear);
    }
    resp
}
