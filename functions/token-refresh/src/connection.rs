//! The connection secret: the OAuth2 client settings and current tokens of one ERP/CRM
//! connection, stored as one JSON object in Secrets Manager.
//!
//! ```json
//! {
//!   "token_url": "https://erp.example.com/oauth2/token",
//!   "grant_type": "refresh_token",            // or "client_credentials"
//!   "client_id": "abc",
//!   "client_secret": "…",
//!   "client_auth": "basic",                    // or "body"; default "basic"
//!   "scope": "orders customers",               // optional, sent as is
//!   "token_params": {"audience": "…"},         // optional extra form fields
//!   "test_url": "https://erp.example.com/me",  // optional, used by rotation's testSecret
//!   "refresh_token": "…",                      // required for grant_type refresh_token
//!   "access_token": "…",
//!   "expires_at": 1767225600,                  // unix seconds
//!   "any_other_field": "kept as is"
//! }
//! ```
//!
//! The whole object is kept as a JSON map so that fields this function does not know survive a
//! write-back. Its `Debug` output names the fields, never their values.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use url::Url;

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded client id and secret (the RFC's default).
    Basic,
    /// `client_id` and `client_secret` as form fields.
    Body,
}

/// The grant used to get a new access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// RFC 6749 §6: trade the stored refresh token for a new access token.
    RefreshToken,
    /// RFC 6749 §4.4: the client's own credentials.
    ClientCredentials,
}

impl GrantType {
    /// The `grant_type` form value.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

/// The typed view of a connection secret: what is needed to ask for a token.
#[derive(Debug)]
pub struct ConnectionSpec {
    /// The token endpoint.
    pub token_url: Url,
    /// The grant to use.
    pub grant_type: GrantType,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret.
    pub client_secret: SecretString,
    /// How to present the client credentials.
    pub client_auth: ClientAuth,
    /// The `scope` to ask for, if any.
    pub scope: Option<String>,
    /// Extra form fields sent with every token request (`audience`, `resource`...).
    pub token_params: Vec<(String, String)>,
    /// The current refresh token (required for [`GrantType::RefreshToken`]).
    pub refresh_token: Option<SecretString>,
    /// The current access token, if any.
    pub access_token: Option<SecretString>,
    /// When the access token expires (unix seconds), if known.
    pub expires_at: Option<i64>,
    /// An endpoint that answers 2xx to a valid bearer token (rotation's `testSecret`).
    pub test_url: Option<Url>,
}

/// A new token set from the token endpoint.
#[derive(Debug)]
pub struct IssuedTokens {
    /// The new access token.
    pub access_token: SecretString,
    /// A new refresh token, when the endpoint rotated it.
    pub refresh_token: Option<SecretString>,
    /// Lifetime in seconds, when the endpoint said.
    pub expires_in: Option<i64>,
    /// `token_type` as answered (usually `Bearer`).
    pub token_type: Option<String>,
}

/// A connection secret's whole JSON object. Unknown fields are kept on write-back.
#[derive(Clone, PartialEq)]
pub struct ConnectionDoc {
    fields: Map<String, Value>,
}

impl fmt::Debug for ConnectionDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionDoc")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Parses a token URL: https, or plain http towards a loopback host (tests, local stand-ins).
pub use b2b_shared::config::https_or_loopback as parse_endpoint;

impl ConnectionDoc {
    /// Parses the secret's text. Errors name the problem but never echo a value.
    pub fn parse(raw: &SecretString) -> Result<Self, String> {
        match serde_json::from_str::<Value>(raw.expose_secret()) {
            Ok(Value::Object(fields)) => Ok(Self { fields }),
            Ok(_) => Err("the secret is not a JSON object".into()),
            Err(e) => Err(format!(
                "the secret is not JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            )),
        }
    }

    /// The field names present (for logs).
    pub fn field_names(&self) -> Vec<&str> {
        self.fields.keys().map(String::as_str).collect()
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// A string field's value, for non-secret fields.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.text(name)
    }

    /// The typed view, with every problem named in one message.
    pub fn spec(&self) -> Result<ConnectionSpec, String> {
        let mut problems = Vec::new();
        let token_url = self.endpoint("token_url", true, &mut problems);
        let grant_type = self.grant_type(&mut problems);
        let client_id = self.required("client_id", &mut problems).map(str::to_owned);
        let client_secret = self
            .required("client_secret", &mut problems)
            .map(SecretString::from);
        let client_auth = self.client_auth(&mut problems);
        let refresh_token = self.text("refresh_token").map(SecretString::from);
        if grant_type == Some(GrantType::RefreshToken) && refresh_token.is_none() {
            problems.push("refresh_token: missing (required by grant_type refresh_token)".into());
        }
        let expires_at = self.expires_at(&mut problems);
        let test_url = self.endpoint("test_url", false, &mut problems);
        let token_params = self.token_params(&mut problems);
        match (token_url, grant_type, client_id, client_secret) {
            (Some(token_url), Some(grant_type), Some(client_id), Some(client_secret))
                if problems.is_empty() =>
            {
                Ok(ConnectionSpec {
                    token_url,
                    grant_type,
                    client_id,
                    client_secret,
                    client_auth,
                    scope: self.text("scope").map(str::to_owned),
                    token_params,
                    refresh_token,
                    access_token: self.text("access_token").map(SecretString::from),
                    expires_at,
                    test_url,
                })
            }
            _ => Err(problems.join("; ")),
        }
    }

    /// The URL field `name` (https, or http towards a loopback host); a problem when it does
    /// not parse, or when it is `required` and missing.
    fn endpoint(&self, name: &str, required: bool, problems: &mut Vec<String>) -> Option<Url> {
        match self.text(name).map(parse_endpoint) {
            Some(Ok(u)) => Some(u),
            Some(Err(e)) => {
                problems.push(format!("{name}: {e}"));
                None
            }
            None => {
                if required {
                    problems.push(format!("{name}: missing"));
                }
                None
            }
        }
    }

    /// The text field `name`; a problem when it is missing.
    fn required(&self, name: &str, problems: &mut Vec<String>) -> Option<&str> {
        let value = self.text(name);
        if value.is_none() {
            problems.push(format!("{name}: missing"));
        }
        value
    }

    /// `grant_type`: `refresh_token` or `client_credentials`.
    fn grant_type(&self, problems: &mut Vec<String>) -> Option<GrantType> {
        match self.text("grant_type") {
            Some("refresh_token") => Some(GrantType::RefreshToken),
            Some("client_credentials") => Some(GrantType::ClientCredentials),
            Some(_) => {
                problems.push("grant_type: expected refresh_token or client_credentials".into());
                None
            }
            None => {
                problems.push("grant_type: missing".into());
                None
            }
        }
    }

    /// `client_auth`: `basic` (also when absent) or `body`.
    fn client_auth(&self, problems: &mut Vec<String>) -> ClientAuth {
        match self.text("client_auth") {
            None | Some("basic") => ClientAuth::Basic,
            Some("body") => ClientAuth::Body,
            Some(_) => {
                problems.push("client_auth: expected basic or body".into());
                ClientAuth::Basic
            }
        }
    }

    /// `expires_at`, unix seconds, when given.
    fn expires_at(&self, problems: &mut Vec<String>) -> Option<i64> {
        match self.fields.get("expires_at") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)) {
                Some(t) => Some(t),
                None => {
                    problems.push("expires_at: expected unix seconds (a number)".into());
                    None
                }
            },
        }
    }

    /// `token_params`: an object of strings, as form fields in the order given.
    fn token_params(&self, problems: &mut Vec<String>) -> Vec<(String, String)> {
        let mut token_params = Vec::new();
        match self.fields.get("token_params") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match v.as_str() {
                        Some(s) => token_params.push((k.clone(), s.to_owned())),
                        None => problems.push(format!("token_params.{k}: expected a string")),
                    }
                }
            }
            Some(_) => problems.push("token_params: expected an object of strings".into()),
        }
        token_params
    }

    /// A copy with `tokens` applied at time `now` (unix seconds): `access_token`, `expires_at`
    /// (removed when the endpoint gave no lifetime), `refresh_token` when rotated (else the old
    /// one stays), `token_type`, and `refreshed_at`. Every other field is kept.
    pub fn with_tokens(&self, tokens: &IssuedTokens, now: i64) -> Self {
        let mut fields = self.fields.clone();
        fields.insert(
            "access_token".into(),
            Value::from(tokens.access_token.expose_secret()),
        );
        match tokens.expires_in {
            Some(secs) => {
                fields.insert("expires_at".into(), Value::from(now + secs));
            }
            None => {
                fields.remove("expires_at");
            }
        }
        if let Some(rt) = &tokens.refresh_token {
            fields.insert("refresh_token".into(), Value::from(rt.expose_secret()));
        }
        if let Some(tt) = &tokens.token_type {
            fields.insert("token_type".into(), Value::from(tt.as_str()));
        }
        fields.insert("refreshed_at".into(), Value::from(now));
        Self { fields }
    }

    /// The JSON text to store (a secret).
    pub fn to_secret(&self) -> SecretString {
        SecretString::from(Value::Object(self.fields.clone()).to_string())
    }

    /// Whether the stored tokens differ from `other`'s (someone else refreshed).
    pub fn tokens_differ(&self, other: &ConnectionDoc) -> bool {
        ["access_token", "refresh_token"]
            .iter()
            .any(|k| self.fields.get(*k) != other.fields.get(*k))
    }
}

impl ConnectionSpec {
    /// Seconds until the access token expires (negative when expired); `None` when there is no
    /// token or no known expiry.
    pub fn expires_in(&self, now: i64) -> Option<i64> {
        match (&self.access_token, self.expires_at) {
            (Some(_), Some(at)) => Some(at - now),
            _ => None,
        }
    }

    /// Whether a new token is needed: no access token, no known expiry, or expiry within `lead`
    /// seconds of `now`.
    pub fn is_due(&self, now: i64, lead: i64) -> bool {
        match self.expires_in(now) {
            Some(left) => left <= lead,
            None => true,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn doc(v: Value) -> ConnectionDoc {
        ConnectionDoc::parse(&SecretString::from(v.to_string())).unwrap()
    }

    fn full() -> Value {
        serde_json::json!({
            "token_url": "https://erp.example.com/oauth2/token",
            "grant_type": "refresh_token",
            "client_id": "cid",
            "client_secret": "cs-SECRET",
            "refresh_token": "rt-SECRET",
            "access_token": "at-SECRET",
            "expires_at": 1000,
            "erp_tenant": "t-42"
        })
    }

    #[test]
    fn spec_reads_every_field_and_debug_shows_no_value() {
        let d = doc(full());
        let s = d.spec().unwrap();
        assert_eq!(s.grant_type, GrantType::RefreshToken);
        assert_eq!(s.client_auth, ClientAuth::Basic);
        assert_eq!(s.expires_at, Some(1000));
        assert_eq!(
            s.refresh_token.as_ref().unwrap().expose_secret(),
            "rt-SECRET"
        );
        let dbg = format!("{d:?} {s:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("erp_tenant"), "{dbg}");
    }

    #[test]
    fn spec_names_every_problem_without_values() {
        let d = doc(serde_json::json!({
            "token_url": "http://erp.example.com/token",
            "grant_type": "password",
            "client_secret": "cs-SECRET",
            "client_auth": "mtls",
            "expires_at": "soon",
            "token_params": {"audience": 1}
        }));
        let e = d.spec().unwrap_err();
        for needle in [
            "token_url: `http://erp.example.com/token` must be an https URL",
            "grant_type: expected",
            "client_id: missing",
            "client_auth: expected",
            "expires_at: expected",
            "token_params.audience",
        ] {
            assert!(e.contains(needle), "{needle} not in {e}");
        }
        assert!(!e.contains("SECRET"), "{e}");
        let e = doc(serde_json::json!({
            "token_url": "https://x/t", "grant_type": "refresh_token",
            "client_id": "c", "client_secret": "s"
        }))
        .spec()
        .unwrap_err();
        assert!(e.contains("refresh_token: missing"), "{e}");
    }

    #[test]
    fn parse_errors_never_echo_the_value() {
        let e = ConnectionDoc::parse(&SecretString::from("{\"a\": tok-SECRET}".to_owned()))
            .unwrap_err();
        assert!(!e.contains("SECRET"), "{e}");
        assert!(ConnectionDoc::parse(&SecretString::from("[1]".to_owned())).is_err());
    }

    #[test]
    fn due_when_near_expiry_missing_token_or_unknown_expiry() {
        let s = doc(full()).spec().unwrap();
        assert!(!s.is_due(0, 600), "1000 s left, lead 600");
        assert!(s.is_due(400, 600), "600 s left, lead 600");
        assert!(s.is_due(2000, 600), "expired");
        let mut v = full();
        v.as_object_mut().unwrap().remove("expires_at");
        assert!(doc(v.clone()).spec().unwrap().is_due(0, 600));
        v["expires_at"] = 99_999.into();
        v.as_object_mut().unwrap().remove("access_token");
        assert!(doc(v).spec().unwrap().is_due(0, 600));
    }

    #[test]
    fn with_tokens_keeps_other_fields_and_the_old_refresh_token_unless_rotated() {
        let d = doc(full());
        let kept = d.with_tokens(
            &IssuedTokens {
                access_token: SecretString::from("at-2"),
                refresh_token: None,
                expires_in: Some(3600),
                token_type: Some("Bearer".into()),
            },
            5000,
        );
        let s = kept.spec().unwrap();
        assert_eq!(s.access_token.unwrap().expose_secret(), "at-2");
        assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-SECRET");
        assert_eq!(s.expires_at, Some(8600));
        assert_eq!(kept.get_str("erp_tenant"), Some("t-42"));
        assert_eq!(kept.get_str("token_type"), Some("Bearer"));
        assert!(kept.tokens_differ(&d));

        let rotated = d.with_tokens(
            &IssuedTokens {
                access_token: SecretString::from("at-3"),
                refresh_token: Some(SecretString::from("rt-3")),
                expires_in: None,
                token_type: None,
            },
            5000,
        );
        let s = rotated.spec().unwrap();
        assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-3");
        assert_eq!(s.expires_at, None, "no lifetime given: refreshed every run");
        assert!(!d.tokens_differ(&d.clone()));
    }
}
