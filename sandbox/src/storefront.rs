//! What a shopper's storefront session touches: the management API's carts
//! (`reference/carts.v3.yml`: `POST /v3/carts`, `GET/DELETE /v3/carts/{cartId}`, catalog
//! lines at the variant's price or the request's `list_price`) and the Customer Login API's
//! access point (`GET /login/token/{jwt}`, `reference/customer_login.yml`): the token checked
//! as BigCommerce documents it (HS256 signed with the app's client secret, `iss` the app's
//! client id, `operation` `customer_login`, this store's hash, an existing customer, `iat`
//! within 30 seconds, each `jti` once), then a redirect to `redirect_to` (default
//! `/account.php`) with a session cookie, or to `/login.php` when refused. Every attempt is
//! listed at `GET /__sandbox/storefront/logins`; a claim the spec does not define is recorded
//! as a contract violation.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::contract::Violation;
use crate::reply::{json_status, no_content, parse_body, v3_err};
use crate::state::App;
use crate::store::{int, iso8601, now_secs, text, uuid_for, Store};

type P = Path<HashMap<String, String>>;

/// How long after its `iat` a login token is taken, in seconds.
pub const LOGIN_TOKEN_SECONDS: i64 = 30;

/// The claims `customer_login.yml` and its guide define.
const LOGIN_CLAIMS: [&str; 10] = [
    "iss",
    "iat",
    "jti",
    "operation",
    "store_hash",
    "customer_id",
    "channel_id",
    "redirect_to",
    "request_ip",
    "enable_persistent_cart",
];

/// The cart routes (behind the API middleware).
pub fn routes() -> Router<Arc<App>> {
    let c = |p: &str| format!("/stores/{{store_hash}}{p}");
    Router::new()
        .route(&c("/v3/carts"), axum::routing::post(create_cart))
        .route(&c("/v3/carts/{cartId}"), get(get_cart).delete(delete_cart))
}

/// The storefront routes (no API token: a browser opens them).
pub fn storefront_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login/token/{jwt_token}", get(login))
        .route("/__sandbox/storefront/logins", get(logins))
}

fn invalid(msg: &str) -> Response {
    v3_err(StatusCode::UNPROCESSABLE_ENTITY, msg, json!({}))
}

/// The UUID kinds of carts, their lines and storefront sessions ([`uuid_for`]).
const CART: u32 = 0xca2e;
const CART_LINE: u32 = 0xca2f;
const SESSION: u32 = 0x5e55;

/// A physical line of `variant` (the catalog's `{variant_id, product_id, sku, product_name,
/// price}`) as `GET /v3/carts/{cartId}` shows it.
fn physical_line(id: String, variant: &Value, quantity: i64, list_price: Option<f64>) -> Value {
    let price = list_price.unwrap_or_else(|| variant["price"].as_f64().unwrap_or(10.0));
    let product = int(variant, "product_id").unwrap_or(0);
    let extended = price * quantity as f64;
    json!({"id": id, "variant_id": int(variant, "variant_id"), "product_id": product,
        "sku": text(variant, "sku"), "name": text(variant, "product_name"),
        "url": format!("https://sandbox.example/products/{product}/"), "quantity": quantity,
        "taxable": true, "discounts": [], "coupons": [], "discount_amount": 0, "coupon_amount": 0,
        "original_price": price, "list_price": price, "sale_price": price,
        "extended_list_price": extended, "extended_sale_price": extended,
        "is_require_shipping": true, "is_mutable": true, "added_by_promotion": false})
}

/// The lines a create's `line_items` ask for, or what is wrong with them.
fn lines_of(store: &mut Store, items: &[Value]) -> Result<Vec<Value>, String> {
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let quantity = int(item, "quantity").filter(|q| *q > 0).ok_or(format!(
            "line_items[{i}].quantity must be a positive whole number"
        ))?;
        let product =
            int(item, "product_id").ok_or(format!("line_items[{i}].product_id is required"))?;
        let variant = match int(item, "variant_id") {
            Some(v) => store.variants.get(&v).cloned(),
            None => store
                .variants
                .values()
                .find(|v| int(v, "product_id") == Some(product))
                .cloned(),
        };
        let variant = variant
            .filter(|v| int(v, "product_id") == Some(product))
            .ok_or(format!("line_items[{i}]: no such product or variant"))?;
        let id = uuid_for(CART_LINE, store.next_id("cart_line", None));
        lines.push(physical_line(
            id,
            &variant,
            quantity,
            item["list_price"].as_f64(),
        ));
    }
    Ok(lines)
}

/// `POST /v3/carts`: a cart of catalog lines for a customer (0: a guest).
async fn create_cart(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return invalid("A JSON object is required."),
    };
    if body.get("custom_items").is_some() || body.get("gift_certificates").is_some() {
        return invalid("The sandbox makes carts of catalog line items only.");
    }
    let customer = int(&body, "customer_id").unwrap_or(0);
    let mut store = app.data();
    let email = match customer {
        0 => String::new(),
        id => match store.customers.get(&id) {
            Some(c) => text(c, "email"),
            None => return invalid("Customer does not exist."),
        },
    };
    let items = body["line_items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return invalid("line_items is required.");
    }
    let lines = match lines_of(&mut store, &items) {
        Ok(lines) => lines,
        Err(e) => return invalid(&e),
    };
    let amount: f64 = lines
        .iter()
        .filter_map(|l| l["extended_sale_price"].as_f64())
        .sum();
    let now = iso8601(now_secs());
    let currency = body["currency"]["code"]
        .as_str()
        .unwrap_or("USD")
        .to_ascii_uppercase();
    let id = uuid_for(CART, store.next_id("cart", None));
    let cart = json!({"id": id, "customer_id": customer,
        "channel_id": int(&body, "channel_id").unwrap_or(1), "email": email,
        "currency": {"code": currency}, "tax_included": false, "base_amount": amount,
        "discount_amount": 0, "cart_amount": amount, "coupons": [], "discounts": [],
        "line_items": {"physical_items": lines, "digital_items": [], "gift_certificates": [],
            "custom_items": []},
        "created_time": now, "updated_time": now, "locale": "en", "version": 1});
    store.carts.insert(id, cart.clone());
    json_status(StatusCode::CREATED, &json!({"data": cart, "meta": {}}))
}

/// `GET /v3/carts/{cartId}`.
async fn get_cart(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let id = p.get("cartId").cloned().unwrap_or_default();
    match app.data().carts.get(&id) {
        Some(cart) => json_status(StatusCode::OK, &json!({"data": cart, "meta": {}})),
        None => v3_err(StatusCode::NOT_FOUND, "Cart not found", json!({})),
    }
}

/// `DELETE /v3/carts/{cartId}`.
async fn delete_cart(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let id = p.get("cartId").cloned().unwrap_or_default();
    match app.data().carts.remove(&id) {
        Some(_) => no_content(),
        None => v3_err(StatusCode::NOT_FOUND, "Cart not found", json!({})),
    }
}

/// Why a login token's claims are refused, if they are.
fn refusal(app: &App, claims: &Map<String, Value>, now: i64) -> Option<String> {
    let text_claim = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("");
    if text_claim("iss") != app.opts.app_client_id {
        return Some("iss is not the app's client id".into());
    }
    if text_claim("operation") != "customer_login" {
        return Some("operation is not customer_login".into());
    }
    if text_claim("store_hash") != app.opts.store_hash {
        return Some("store_hash is not this store's".into());
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return Some("iat is required".into());
    };
    if (now - iat).abs() > LOGIN_TOKEN_SECONDS {
        return Some(format!("iat is {}s away from now (30s allowed)", now - iat));
    }
    let jti = text_claim("jti");
    let store = app.data();
    if jti.is_empty() || store.storefront_logins.iter().any(|l| l["jti"] == jti) {
        return Some("jti is missing or was used before".into());
    }
    let customer = claims
        .get("customer_id")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !store.customers.contains_key(&customer) {
        return Some("customer_id is not a customer".into());
    }
    if claims
        .get("channel_id")
        .is_some_and(|c| c.as_i64() != Some(1))
    {
        return Some("channel_id is not a channel of this store".into());
    }
    let redirect = claims
        .get("redirect_to")
        .and_then(Value::as_str)
        .unwrap_or("/");
    if !redirect.starts_with('/') || redirect.starts_with("//") {
        return Some("redirect_to is not a relative path".into());
    }
    None
}

/// Records a claim the spec does not define as a contract violation.
fn record_undefined_claims(app: &App, claims: &Map<String, Value>) {
    for name in claims
        .keys()
        .filter(|k| !LOGIN_CLAIMS.contains(&k.as_str()))
    {
        if let Ok(mut v) = app.violations.lock() {
            v.push(Violation {
                route: "GET /login/token/{jwt_token}".into(),
                request: "GET /login/token/{jwt}".into(),
                location: format!("jwt claim {name}"),
                problem: "the customer login token defines no such claim".into(),
                spec: "reference/customer_login.yml".into(),
            });
        }
    }
}

/// The claims of an HS256 token signed with the app's client secret; `None` otherwise.
fn verified_claims(app: &App, token: &str) -> Option<Map<String, Value>> {
    let key = jsonwebtoken::DecodingKey::from_secret(app.opts.app_client_secret.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .ok()
        .map(|d| d.claims)
}

/// `GET /login/token/{jwt}`: signs the token's customer in, or sends the browser to the login
/// page.
async fn login(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let token = p.get("jwt_token").cloned().unwrap_or_default();
    let now = now_secs();
    let claims = verified_claims(&app, &token);
    let reason = match &claims {
        None => Some("the token is not an HS256 JWT signed with the app's client secret".into()),
        Some(c) => {
            record_undefined_claims(&app, c);
            refusal(&app, c, now)
        }
    };
    let claims = claims.unwrap_or_default();
    let redirect = claims
        .get("redirect_to")
        .and_then(Value::as_str)
        .unwrap_or("/account.php")
        .to_owned();
    let record = json!({"customer_id": claims.get("customer_id"), "jti": claims.get("jti"),
        "channel_id": claims.get("channel_id"), "redirect_to": redirect, "at": now,
        "signed_in": reason.is_none(), "reason": reason});
    let session = {
        let mut store = app.data();
        store.storefront_logins.push(record);
        uuid_for(SESSION, store.storefront_logins.len() as i64)
    };
    let (location, cookie) = match reason {
        None => (
            redirect,
            Some(format!("SHOP_SESSION_TOKEN={session}; Path=/; HttpOnly")),
        ),
        Some(_) => ("/login.php?action=login_token_error".to_owned(), None),
    };
    let mut resp = (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp
}

/// `GET /__sandbox/storefront/logins`: every login attempt, oldest first.
async fn logins(State(app): State<Arc<App>>) -> Response {
    json_status(
        StatusCode::OK,
        &json!({"logins": app.data().storefront_logins.clone()}),
    )
}
