//! `GET /procurement/punchout/start/{session id}`: the start page of a session, opened once and
//! within five minutes of its setup, signs the shopper in to the storefront (a Customer Login
//! API token made at that moment) and sets the session cookie.

use bigcommerce_b2b::storefront::{customer_login_url, LoginClaims};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};

use super::browser::{cookie_path, session_cookie};
use super::session::{
    load_session, login_of, new_session_id, session_key, session_secret, start_over, try_again,
    use_once, Login, Session,
};
use crate::http::{count_exchange, page};
use crate::intake::Intake;

/// `GET /procurement/punchout/start/{session id}` (at `path`), counted by the HTTP status
/// answered.
pub(crate) async fn open_start_page(intake: &Intake, path: &str, now: i64) -> Response<Body> {
    let resp = sign_in(intake, path, now).await;
    count_exchange("PunchOutStart", resp.status().as_u16());
    resp
}

/// `GET /procurement/punchout/start/{session id}`: signs the session's shopper in to the
/// storefront (once, within [`super::START_WITHIN_SECS`] of the setup).
async fn sign_in(intake: &Intake, path: &str, now: i64) -> Response<Body> {
    let session_id = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let valid = session_id.len() == 64 && session_id.bytes().all(|b| b.is_ascii_hexdigit());
    let key = session_key(session_id);
    let session = match load_session(intake, &key).await {
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
    let secret = match session_secret(intake, &session).await {
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
    let first = use_once(
        intake,
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
            let cookie_path = cookie_path(intake.options.public_url.as_deref(), path);
            redirect_with_cookie(&url, session_id, &cookie_path, session.expires_at - now)
        }
        Err(e) => {
            tracing::error!(error = %e, "customer login token not made");
            let _ = intake.state.release(&started).await;
            try_again()
        }
    }
}

/// The customer login URL of `session`'s shopper, made now.
fn sign_in_url(session: &Session, login: &Login<'_>, now: i64) -> Result<String, String> {
    let jti = new_session_id()?;
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
        session_cookie(session_id, cookie_path, max_age),
    ) {
        (Ok(location), Some(cookie)) => {
            resp.headers_mut().insert(header::LOCATION, location);
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            resp
        }
        _ => try_again(),
    }
}
