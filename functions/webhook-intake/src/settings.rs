//! Deployment settings of webhook-intake, from environment variables.

use std::time::Duration;

/// How webhooks prove they come from BigCommerce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// The store secret's `webhook_secret` in the custom header.
    Header,
    /// A Standard Webhooks signature keyed by the store secret's `client_secret`.
    Signature,
    /// Either one suffices.
    Either,
    /// Both are required.
    Both,
}

/// webhook-intake's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `WEBHOOK_AUTH`: `header`, `signature`, `either` (default) or `both`.
    pub auth: AuthMode,
    /// `WEBHOOK_AUTH_HEADER`: the custom header carrying `webhook_secret` (default `X-Webhook-Secret`).
    pub auth_header: String,
    /// `WEBHOOK_TOLERANCE_SECONDS`: accepted signature age (default 300).
    pub tolerance_secs: i64,
    /// `DEDUPE_TTL_HOURS`: how long a webhook hash is remembered (default 72; BigCommerce retries
    /// for up to 48 hours).
    pub dedupe_ttl: Duration,
    /// Whether the inbound queue is FIFO (its URL ends in `.fifo`).
    pub fifo: bool,
    /// Largest command batch on `POST /inbound` (default 500).
    pub max_batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auth: AuthMode::Either,
            auth_header: "X-Webhook-Secret".into(),
            tolerance_secs: 300,
            dedupe_ttl: Duration::from_secs(72 * 3600),
            fifo: false,
            max_batch: 500,
        }
    }
}

impl Settings {
    /// Reads the settings through `lookup`; every malformed value is reported.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        queue_url: &str,
    ) -> Result<Self, String> {
        let mut s = Settings {
            fifo: queue_url.ends_with(".fifo"),
            ..Settings::default()
        };
        let mut problems = Vec::new();
        if let Some(v) = lookup("WEBHOOK_AUTH") {
            s.auth = match v.trim().to_ascii_lowercase().as_str() {
                "header" => AuthMode::Header,
                "signature" => AuthMode::Signature,
                "either" => AuthMode::Either,
                "both" => AuthMode::Both,
                other => {
                    problems.push(format!(
                        "WEBHOOK_AUTH: `{other}` is not one of header, signature, either, both"
                    ));
                    AuthMode::Either
                }
            };
        }
        if let Some(v) = lookup("WEBHOOK_AUTH_HEADER").filter(|v| !v.trim().is_empty()) {
            if lambda_http::http::HeaderName::from_bytes(v.trim().as_bytes()).is_err() {
                problems.push(format!(
                    "WEBHOOK_AUTH_HEADER: `{v}` is not a valid header name"
                ));
            }
            s.auth_header = v.trim().to_owned();
        }
        let mut number = |name: &str, min: i64, max: i64| -> Option<i64> {
            let raw = lookup(name)?;
            b2b_shared::config::parse_bounded(name, &raw, min, max)
                .map_err(|e| problems.push(e))
                .ok()
        };
        if let Some(n) = number("WEBHOOK_TOLERANCE_SECONDS", 1, 3600) {
            s.tolerance_secs = n;
        }
        if let Some(n) = number("DEDUPE_TTL_HOURS", 1, 24 * 30) {
            s.dedupe_ttl = Duration::from_secs(n as u64 * 3600);
        }
        if let Some(n) = number("INBOUND_MAX_BATCH", 1, 10_000) {
            s.max_batch = n as usize;
        }
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(problems.join("\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_validates() {
        let env = |k: &str| match k {
            "WEBHOOK_AUTH" => Some("both".to_string()),
            "DEDUPE_TTL_HOURS" => Some("48".to_string()),
            _ => None,
        };
        let s = Settings::from_lookup(env, "https://sqs/q.fifo").unwrap();
        assert_eq!(s.auth, AuthMode::Both);
        assert_eq!(s.dedupe_ttl, Duration::from_secs(48 * 3600));
        assert!(s.fifo);
        let bad = |k: &str| match k {
            "WEBHOOK_AUTH" => Some("maybe".to_string()),
            "WEBHOOK_TOLERANCE_SECONDS" => Some("-1".to_string()),
            _ => None,
        };
        let err = Settings::from_lookup(bad, "q").unwrap_err();
        assert!(
            err.contains("WEBHOOK_AUTH: `maybe`") && err.contains("WEBHOOK_TOLERANCE_SECONDS"),
            "{err}"
        );
    }
}
