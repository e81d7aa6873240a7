//! auth-callback's one settings type: every environment variable it reads, validated at cold
//! start; every bad variable is named at once.

use b2b_shared::config::trust_roots;
use b2b_shared::env::{
    check_table_name, https_or_loopback, process_lookup, whole_number, ConfigError, Env,
};
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
        Self::from_lookup(process_lookup)
    }

    /// Reads the settings through `lookup` (a variable name to its value), reporting every
    /// missing or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::read_with(lookup, Self::read)
    }

    /// Reads the settings through `env`; `None` when one is missing or malformed (recorded).
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let app_secret_id = env.required(
            "APP_SECRET_ID",
            "the secret holding the app's client_id and client_secret",
        );
        let redirect_uri = env.url("AUTH_REDIRECT_URI").map(String::from);
        let token_url = env.parse_or("BC_OAUTH_TOKEN_URL", DEFAULT_TOKEN_URL, https_or_loopback);
        let store_secret_prefix = env.get_or("STORE_SECRET_PREFIX", DEFAULT_STORE_SECRET_PREFIX);
        if !store_secret_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        {
            env.problem(
                "STORE_SECRET_PREFIX",
                "may hold only letters, digits and /_+=.@-",
            );
        }
        let trust_roots = trust_roots(env);
        let state_table = env
            .required("STATE_TABLE", "the state table holding the store registry")
            .and_then(|table| env.check("STATE_TABLE", check_table_name(&table).map(|()| table)));
        let secret_recovery_days = env
            .parse("SECRET_RECOVERY_DAYS", |raw| whole_number(raw, 7, 30))
            .unwrap_or(DEFAULT_SECRET_RECOVERY_DAYS);
        Some(Self {
            app_secret_id: app_secret_id?,
            client_id: env.get("BC_CLIENT_ID"),
            redirect_uri,
            token_url: token_url?,
            store_secret_prefix,
            trust_roots,
            state_table: state_table?,
            secret_recovery_days,
        })
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
