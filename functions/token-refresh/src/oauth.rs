//! The OAuth2 token request (RFC 6749 §4.4 and §6): a form-encoded POST to the connection's token
//! endpoint, the client authenticated by HTTP Basic or in the body, and the answer's tokens kept
//! in [`SecretString`]s.

use std::time::Duration;

use base64::Engine as _;
use bigcommerce_b2b::tls::TrustRoots;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::connection::{ClientAuth, ConnectionSpec, GrantType, IssuedTokens};

/// Why the token endpoint gave no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The endpoint refused the grant or the client (`invalid_grant`, `invalid_client`, any other
    /// 4xx): permanent until someone fixes the secret or re-authorizes.
    #[error("token endpoint refused the request (HTTP {status}{})", describe(.error, .description))]
    Refused {
        /// HTTP status.
        status: u16,
        /// The RFC 6749 `error` code, when given.
        error: Option<String>,
        /// The `error_description`, shortened.
        description: Option<String>,
    },
    /// 429, 5xx, a timeout or a network failure: retryable.
    #[error("token endpoint unavailable: {0}")]
    Unavailable(String),
    /// A 2xx answer without a usable access token (permanent: the endpoint is misconfigured).
    #[error("token endpoint answer is not a token response: {0}")]
    BadAnswer(String),
}

fn describe(error: &Option<String>, description: &Option<String>) -> String {
    match (error, description) {
        (Some(e), Some(d)) => format!(": {e}: {d}"),
        (Some(e), None) => format!(": {e}"),
        (None, Some(d)) => format!(": {d}"),
        (None, None) => String::new(),
    }
}

impl TokenError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, TokenError::Unavailable(_))
    }
}

/// The HTTP client for token endpoints (short timeouts, no redirects to follow a token to).
pub fn http_client(roots: TrustRoots) -> Result<reqwest::Client, String> {
    bigcommerce_b2b::tls::reqwest_builder(roots)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client could not be built: {e}"))
}

/// RFC 6749 §2.3.1: client id and secret are form-encoded before they are joined for Basic.
fn basic_auth(client_id: &str, client_secret: &SecretString) -> SecretString {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let joined = format!("{}:{}", enc(client_id), enc(client_secret.expose_secret()));
    SecretString::from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    ))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    token_type: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
}

fn shorten(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
    s
}

/// Asks `spec.token_url` for a new access token with the connection's grant.
pub async fn request_token(
    http: &reqwest::Client,
    spec: &ConnectionSpec,
) -> Result<IssuedTokens, TokenError> {
    let mut form = grant_form(spec);
    let req = http
        .post(spec.token_url.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    let req = authenticate(req, &mut form, spec)?;
    // reqwest's error names the URL, never the body.
    let resp = req.form(&form).send().await.map_err(unavailable)?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(unavailable)?;
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(TokenError::Unavailable(format!("HTTP {}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(refusal(status, &body));
    }
    read_tokens(&body)
}

/// The form fields of the grant: `grant_type`, the refresh token for that grant, `scope` and the
/// connection's extra token parameters.
fn grant_form(spec: &ConnectionSpec) -> Vec<(&str, String)> {
    let mut form: Vec<(&str, String)> = vec![("grant_type", spec.grant_type.as_str().to_owned())];
    if spec.grant_type == GrantType::RefreshToken {
        // `ConnectionDoc::spec` guarantees a refresh token for this grant.
        if let Some(rt) = &spec.refresh_token {
            form.push(("refresh_token", rt.expose_secret().to_owned()));
        }
    }
    if let Some(scope) = &spec.scope {
        form.push(("scope", scope.clone()));
    }
    for (k, v) in &spec.token_params {
        form.push((k.as_str(), v.clone()));
    }
    form
}

/// The client's credentials on the request: an HTTP Basic header (marked sensitive), or the
/// `client_id` and `client_secret` form fields.
fn authenticate<'a>(
    req: reqwest::RequestBuilder,
    form: &mut Vec<(&'a str, String)>,
    spec: &'a ConnectionSpec,
) -> Result<reqwest::RequestBuilder, TokenError> {
    match spec.client_auth {
        ClientAuth::Basic => {
            let header = basic_auth(&spec.client_id, &spec.client_secret);
            let mut value = reqwest::header::HeaderValue::from_str(header.expose_secret())
                .map_err(|_| {
                    TokenError::BadAnswer("client credentials are not header-safe".into())
                })?;
            value.set_sensitive(true);
            Ok(req.header(reqwest::header::AUTHORIZATION, value))
        }
        ClientAuth::Body => {
            form.push(("client_id", spec.client_id.clone()));
            form.push((
                "client_secret",
                spec.client_secret.expose_secret().to_owned(),
            ));
            Ok(req)
        }
    }
}

/// A transport failure: retryable, and described without the URL.
fn unavailable(e: reqwest::Error) -> TokenError {
    TokenError::Unavailable(e.without_url().to_string())
}

/// A refused request (a 4xx other than 429), with the RFC 6749 error the body gives, shortened.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> TokenError {
    let parsed: Option<ErrorAnswer> = serde_json::from_slice(body).ok();
    TokenError::Refused {
        status: status.as_u16(),
        error: parsed
            .as_ref()
            .and_then(|p| p.error.as_deref().map(shorten)),
        description: parsed.and_then(|p| p.error_description.as_deref().map(shorten)),
    }
}

/// The tokens of a 2xx answer; an answer without an access token is a bad answer.
fn read_tokens(body: &[u8]) -> Result<IssuedTokens, TokenError> {
    let answer: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| TokenError::BadAnswer(format!("not JSON ({:?} error)", e.classify())))?;
    let access_token = answer
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| TokenError::BadAnswer("no access_token".into()))?;
    let expires_in = match answer.expires_in {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    Ok(IssuedTokens {
        access_token: SecretString::from(access_token),
        refresh_token: answer
            .refresh_token
            .filter(|t| !t.trim().is_empty())
            .map(SecretString::from),
        expires_in,
        token_type: answer.token_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::tests::doc;
    use mockito::Matcher;
    use serde_json::json;

    fn spec(url: &str, grant: &str, auth: &str) -> ConnectionSpec {
        doc(json!({
            "token_url": url, "grant_type": grant, "client_id": "my id",
            "client_secret": "s&cret", "client_auth": auth, "scope": "a b",
            "refresh_token": "rt-1", "token_params": {"audience": "erp"}
        }))
        .spec()
        .unwrap()
    }

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        let h = basic_auth("my id", &SecretString::from("s&cret"));
        let b64 = h.expose_secret().strip_prefix("Basic ").unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(String::from_utf8(raw).unwrap(), "my+id:s%26cret");
    }

    #[tokio::test]
    async fn refresh_grant_with_basic_auth_reads_a_rotated_refresh_token() {
        let mut server = mockito::Server::new_async().await;
        let m = server
            .mock("POST", "/token")
            .match_header("authorization", "Basic bXkraWQ6cyUyNmNyZXQ=")
            .match_header("content-type", "application/x-www-form-urlencoded")
            .match_body(Matcher::AllOf(vec![
                Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
                Matcher::UrlEncoded("refresh_token".into(), "rt-1".into()),
                Matcher::UrlEncoded("scope".into(), "a b".into()),
                Matcher::UrlEncoded("audience".into(), "erp".into()),
            ]))
            .with_body(r#"{"access_token":"at-2","refresh_token":"rt-2","expires_in":"3600","token_type":"Bearer"}"#)
            .create_async()
            .await;
        let t = request_token(
            &http_client(TrustRoots::Bundled).unwrap(),
            &spec(&format!("{}/token", server.url()), "refresh_token", "basic"),
        )
        .await
        .unwrap();
        m.assert_async().await;
        assert_eq!(t.access_token.expose_secret(), "at-2");
        assert_eq!(t.refresh_token.unwrap().expose_secret(), "rt-2");
        assert_eq!(t.expires_in, Some(3600));
    }

    #[tokio::test]
    async fn client_credentials_in_the_body_and_errors_classified() {
        let mut server = mockito::Server::new_async().await;
        let ok = server
            .mock("POST", "/token")
            .match_body(Matcher::AllOf(vec![
                Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
                Matcher::UrlEncoded("client_id".into(), "my id".into()),
                Matcher::UrlEncoded("client_secret".into(), "s&cret".into()),
            ]))
            .with_body(r#"{"access_token":"at-cc","expires_in":60}"#)
            .expect(1)
            .create_async()
            .await;
        let s = spec(
            &format!("{}/token", server.url()),
            "client_credentials",
            "body",
        );
        let http = http_client(TrustRoots::Bundled).unwrap();
        let t = request_token(&http, &s).await.unwrap();
        ok.assert_async().await;
        assert!(t.refresh_token.is_none());
        ok.remove_async().await;

        server
            .mock("POST", "/token")
            .with_status(400)
            .with_body(r#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#)
            .create_async()
            .await;
        let e = request_token(&http, &s).await.unwrap_err();
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("invalid_grant"), "{e}");
        server.reset();

        server
            .mock("POST", "/token")
            .with_status(503)
            .create_async()
            .await;
        assert!(request_token(&http, &s).await.unwrap_err().is_retryable());
        server.reset();

        server
            .mock("POST", "/token")
            .with_body(r#"{"token_type":"Bearer"}"#)
            .create_async()
            .await;
        let e = request_token(&http, &s).await.unwrap_err();
        assert!(matches!(e, TokenError::BadAnswer(_)), "{e}");
    }
}
