//! auth-callback's one settings type: every environment variable it reads, validated at cold
//! start; every bad variable is named at once.

use b2b_shared::config::{ConfigError, ConfigProblem};
use bigcommerce_b2b::tls::TrustRoots;
use url::Url;

/// Default `BC_OAUTH_TOKEN_URL`.
pub const DEFAULT_TOKEN_URL: &str = bigcommerce_b2b::oauth::TOKEN_URL;
/// Default `STORE_SECRET_PREFIX`: the store secret of `abc123` is `bigcommerce/store/abc123`.
pub use b2b_shared::config::DEFAULT_STORE_SECRET_PREFIX;
/// Default `SECRET_RECOVERY_DAYS`: an uninstalled store's secret can be restored for a week.
pub const DEFAULT_SECRET_RECOVERY_DAYS: i64 = 7;

/// Everything auth-callback reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `APP_SECRET_ID`: the secret holding the app's `{"client_id", "client_secret"}`.
    pub app_secret_id: String,
    /// `BC_CLIENT_ID`: the app's client id, when the app secret does not carry it.
    pub client_id: Option<String>,
    /// `AUTH_REDIRECT_URI`: this callback's public URL, as registered with the app. Optional:
    /// without it, each request's own URL (`https://` + the domain API Gateway served it on +
    /// its path) is used, which is the registered one unless a proxy rewrites the path.
    pub redirect_uri: Option<String>,
    /// `BC_OAUTH_TOKEN_URL`.
    pub token_url: Url,
    /// `STORE_SECRET_PREFIX`.
    pub store_secret_prefix: String,
    /// `TLS_ROOTS`: the certificate authorities the token exchange and AWS calls trust.
    pub trust_roots: TrustRoots,
    /// `STATE_TABLE`: the state table, which holds the store registry and the export positions.
    pub state_table: String,
    /// `SECRET_RECOVERY_DAYS` (7 to 30): how long an uninstalled store's secret can be restored
    /// (a reinstall within it restores it).
    pub secret_recovery_days: i64,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (a variable name to its value), reporting every
    /// missing or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let app_secret_id = get("APP_SECRET_ID").unwrap_or_default();
        if app_secret_id.is_empty() {
            problems.push(ConfigProblem {
                variable: "APP_SECRET_ID",
                reason: "is not set (the secret holding the app's client_id and client_secret)"
                    .into(),
            });
        }
        let redirect_uri =
            match get("AUTH_REDIRECT_URI").map(|r| b2b_shared::config::https_or_loopback(&r)) {
                Some(Ok(u)) => Some(u.to_string()),
                Some(Err(reason)) => {
                    problems.push(ConfigProblem {
                        variable: "AUTH_REDIRECT_URI",
                        reason,
                    });
                    None
                }
                None => None,
            };
        let token_url = match b2b_shared::config::https_or_loopback(
            &get("BC_OAUTH_TOKEN_URL").unwrap_or_else(|| DEFAULT_TOKEN_URL.to_owned()),
        ) {
            Ok(u) => Some(u),
            Err(reason) => {
                problems.push(ConfigProblem {
                    variable: "BC_OAUTH_TOKEN_URL",
                    reason,
                });
                None
            }
        };
        let store_secret_prefix =
            get("STORE_SECRET_PREFIX").unwrap_or_else(|| DEFAULT_STORE_SECRET_PREFIX.to_owned());
        if !store_secret_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        {
            problems.push(ConfigProblem {
                variable: "STORE_SECRET_PREFIX",
                reason: "may hold only letters, digits and /_+=.@-".into(),
            });
        }
        let trust_roots = b2b_shared::config::read_trust_roots(&lookup)
            .map_err(|problem| problems.push(problem))
            .unwrap_or_default();
        let state_table = get("STATE_TABLE").unwrap_or_default();
        let table_problem = if state_table.is_empty() {
            Err("is not set (the state table holding the store registry)".to_owned())
        } else {
            b2b_shared::config::check_table_name(&state_table)
        };
        if let Err(reason) = table_problem {
            problems.push(ConfigProblem {
                variable: "STATE_TABLE",
                reason,
            });
        }
        let secret_recovery_days = match get("SECRET_RECOVERY_DAYS") {
            None => DEFAULT_SECRET_RECOVERY_DAYS,
            Some(raw) => ConfigProblem::bounded("SECRET_RECOVERY_DAYS", &raw, 7, 30)
                .map_err(|p| problems.push(p))
                .unwrap_or(DEFAULT_SECRET_RECOVERY_DAYS),
        };
        match token_url {
            Some(token_url) if problems.is_empty() => Ok(Self {
                app_secret_id,
                client_id: get("BC_CLIENT_ID"),
                redirect_uri,
                token_url,
                store_secret_prefix,
                trust_roots,
                state_table,
                secret_recovery_days,
            }),
            _ => Err(ConfigError { problems }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_one_problem_per_bad_variable() {
        let s = Settings::from_lookup(|k| match k {
            "APP_SECRET_ID" => Some("bigcommerce/app".into()),
            "AUTH_REDIRECT_URI" => Some("https://x.example.com/auth".into()),
            "STATE_TABLE" => Some("state".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.token_url.as_str(), DEFAULT_TOKEN_URL);
        assert_eq!(s.store_secret_prefix, "bigcommerce/store/");
        assert_eq!(s.secret_recovery_days, DEFAULT_SECRET_RECOVERY_DAYS);
        assert_eq!(
            s.redirect_uri.as_deref(),
            Some("https://x.example.com/auth")
        );
        // Without AUTH_REDIRECT_URI, each request's own URL is used.
        let s = Settings::from_lookup(|k| match k {
            "APP_SECRET_ID" => Some("bigcommerce/app".into()),
            "STATE_TABLE" => Some("state".into()),
            "SECRET_RECOVERY_DAYS" => Some("30".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.redirect_uri, None);
        assert_eq!(s.secret_recovery_days, 30);
        let e = Settings::from_lookup(|k| match k {
            "AUTH_REDIRECT_URI" => Some("http://x.example.com/auth".into()),
            "BC_OAUTH_TOKEN_URL" => Some("ftp://x".into()),
            "STORE_SECRET_PREFIX" => Some("a b".into()),
            "SECRET_RECOVERY_DAYS" => Some("3".into()),
            _ => None,
        })
        .unwrap_err();
        let vars: Vec<_> = e.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "APP_SECRET_ID",
                "AUTH_REDIRECT_URI",
                "BC_OAUTH_TOKEN_URL",
                "STORE_SECRET_PREFIX",
                "STATE_TABLE",
                "SECRET_RECOVERY_DAYS"
            ]
        );
    }
}
