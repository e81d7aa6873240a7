//! The app install's OAuth code exchange: `POST {token_url}` (BigCommerce's is
//! [`TOKEN_URL`]) with the app's credentials and the callback's `code`, `scope` and `context`;
//! the answer's `access_token` is the store's token. BigCommerce store tokens do not expire and
//! come with no refresh token.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::credentials::StoreHash;

/// BigCommerce's token endpoint for app installs.
pub const TOKEN_URL: &str = "https://login.bigcommerce.com/oauth2/token";
use url::Url;

/// The app's OAuth credentials (from the app secret).
#[derive(Debug, Clone)]
pub struct AppCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
}

/// What the callback received.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The one-time authorization code.
    pub code: SecretString,
    /// The granted scopes, as received.
    pub scope: String,
    /// `stores/{hash}`.
    pub context: String,
    /// The store hash from `context`.
    pub store_hash: StoreHash,
}

/// The store token BigCommerce issued.
#[derive(Debug)]
pub struct Installed {
    /// The store's API token.
    pub access_token: SecretString,
    /// The granted scopes.
    pub scope: Option<String>,
    /// The BigCommerce account of the installing user.
    pub account_uuid: Option<String>,
}

/// Why the exchange gave no token (every case is a 502 for the browser).
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// BigCommerce refused the code (expired, used twice, wrong client or redirect URI).
    #[error("BigCommerce refused the authorization code (HTTP {status})")]
    Refused {
        /// HTTP status.
        status: u16,
    },
    /// BigCommerce could not be reached or failed (retryable by reinstalling).
    #[error("BigCommerce's token endpoint is unavailable: {0}")]
    Unavailable(String),
    /// The answer is not a usable token response.
    #[error("BigCommerce's answer could not be used: {0}")]
    BadAnswer(String),
}

impl ExchangeError {
    /// Whether trying again may succeed (the merchant can retry the install).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ExchangeError::Unavailable(_))
    }
}

/// The body of the token request (`grant_type` `authorization_code`).
#[derive(Serialize)]
struct TokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    code: &'a str,
    context: &'a str,
    scope: &'a str,
    grant_type: &'static str,
    redirect_uri: &'a str,
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    account_uuid: Option<String>,
}

/// The HTTP client for the exchange, trusting `roots`.
pub fn http_client(roots: crate::tls::TrustRoots) -> Result<reqwest::Client, String> {
    crate::tls::reqwest_builder(roots)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client could not be built: {e}"))
}

/// Exchanges `grant` for the store token.
pub async fn exchange(
    http: &reqwest::Client,
    token_url: &Url,
    app: &AppCredentials,
    redirect_uri: &str,
    grant: &Grant,
) -> Result<Installed, ExchangeError> {
    let body = TokenRequest {
        client_id: &app.client_id,
        client_secret: app.client_secret.expose_secret(),
        code: grant.code.expose_secret(),
        context: &grant.context,
        scope: &grant.scope,
        grant_type: "authorization_code",
        redirect_uri,
    };
    let resp = http
        .post(token_url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body)
        .send()
        .await
        .map_err(|e| ExchangeError::Unavailable(e.without_url().to_string()))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ExchangeError::Unavailable(e.without_url().to_string()))?;
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(ExchangeError::Unavailable(format!(
            "HTTP {}",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        return Err(ExchangeError::Refused {
            status: status.as_u16(),
        });
    }
    let answer: Answer = serde_json::from_slice(&bytes)
        .map_err(|e| ExchangeError::BadAnswer(format!("not JSON ({:?} error)", e.classify())))?;
    let access_token = answer
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ExchangeError::BadAnswer("no access_token".into()))?;
    match answer.context.as_deref() {
        Some(c) if c == grant.context => {}
        Some(_) => {
            return Err(ExchangeError::BadAnswer(
                "the token is for another store than the callback's context".into(),
            ))
        }
        None => return Err(ExchangeError::BadAnswer("no context".into())),
    }
    Ok(Installed {
        access_token: SecretString::from(access_token),
        scope: answer.scope,
        account_uuid: answer.account_uuid,
    })
}
