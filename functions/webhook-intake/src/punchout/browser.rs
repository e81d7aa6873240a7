//! What punch-out reads from and sets in the shopper's browser: this API's address as the
//! browser reaches it, the session cookie (its value, its path, its `Set-Cookie`), and the cart
//! a return names.

use lambda_http::http::{header, HeaderMap, HeaderValue};
use serde::Deserialize;

/// The cookie naming a browser's punch-out session (set on this API's address only).
pub const SESSION_COOKIE: &str = "b2b_punchout";

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
pub(super) fn session_cookie(
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
