//! The webhook subscription check: settings, and one run with its log line and metrics.

use b2b_shared::config::{webhook_auth_header, ConfigProblem, DEFAULT_WEBHOOK_AUTH_HEADER};
use b2b_shared::env::Env;
use b2b_shared::secrets::StoreSecret;
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::subscriptions::{ensure_hooks, HookReport, WantedHooks};
use bigcommerce_b2b::BcClient;
use bigcommerce_b2b::BcError;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

/// Default `WEBHOOK_AUTH_HEADER`, as webhook-intake's.
pub const DEFAULT_AUTH_HEADER: &str = DEFAULT_WEBHOOK_AUTH_HEADER;

/// The subscriptions this deployment wants, from environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    /// `WEBHOOK_DESTINATION`: webhook-intake's `/webhooks/bigcommerce` URL.
    pub destination: String,
    /// `WEBHOOK_SCOPES`: comma-separated scopes.
    pub scopes: Vec<String>,
    /// `WEBHOOK_AUTH_HEADER`: the header carrying the store secret's `webhook_secret`.
    pub auth_header: String,
}

impl HookSettings {
    /// Reads the settings through `lookup`; `Ok(None)` when no destination is configured. Every
    /// problem names its variable (`WEBHOOK_DESTINATION`, `WEBHOOK_SCOPES`,
    /// `WEBHOOK_AUTH_HEADER`).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, Vec<ConfigProblem>> {
        Env::read_with(lookup, Self::read).map_err(|e| e.problems)
    }

    /// Reads the settings through `env`: `Some(None)` when no destination is configured, `None`
    /// when a variable has a problem (recorded).
    pub fn read(env: &mut Env<'_>) -> Option<Option<Self>> {
        let Some(destination) = env
            .raw("WEBHOOK_DESTINATION")
            .filter(|d| !d.trim().is_empty())
        else {
            return Some(None);
        };
        env.whole(|env| {
            if !destination.starts_with("https://")
                && !destination.starts_with("http://127.0.0.1")
                && !destination.starts_with("http://localhost")
            {
                env.problem(
                    "WEBHOOK_DESTINATION",
                    format!("`{destination}` must be an https URL"),
                );
            }
            let scopes = scopes(env);
            // Read as webhook-intake reads it: both must agree on the header.
            let auth_header =
                webhook_auth_header(env).unwrap_or_else(|| DEFAULT_WEBHOOK_AUTH_HEADER.to_owned());
            Some(Some(Self {
                destination: destination.trim().to_owned(),
                scopes,
                auth_header,
            }))
        })
    }
}

/// `WEBHOOK_SCOPES`: at least one, each a BigCommerce scope (`store/...`); the first problem
/// recorded.
fn scopes(env: &mut Env<'_>) -> Vec<String> {
    let scopes = env.list("WEBHOOK_SCOPES").unwrap_or_default();
    if scopes.is_empty() {
        env.problem(
            "WEBHOOK_SCOPES",
            "name at least one scope (comma-separated)",
        );
    } else if let Some(bad) = scopes.iter().find(|s| !s.starts_with("store/")) {
        env.problem(
            "WEBHOOK_SCOPES",
            format!("`{bad}` is not a BigCommerce scope (store/...)"),
        );
    }
    scopes
}

/// Runs one subscription check and emits its metrics.
pub async fn check(
    client: &BcClient,
    secret: &StoreSecret,
    settings: &HookSettings,
) -> Result<HookReport, BcError> {
    let headers = secret.webhook_secret.as_ref().map(|s| {
        let mut m = Map::new();
        m.insert(settings.auth_header.clone(), Value::from(s.expose_secret()));
        m
    });
    let wanted = WantedHooks {
        destination: settings.destination.clone(),
        scopes: settings.scopes.clone(),
        headers,
    };
    let report = ensure_hooks(client, &wanted).await?;
    tracing::info!(
        active = report.active,
        reenabled = report.reenabled.len(),
        created = report.created.len(),
        blocked_domains = report.blocked_domains.len(),
        "webhook subscription check done"
    );
    emit_metrics(
        &[
            ("Function", "token-refresh"),
            ("Store", secret.store_hash.as_str()),
        ],
        &[
            Metric {
                name: "WebhooksReenabled",
                value: report.reenabled.len() as f64,
                unit: "Count",
            },
            Metric {
                name: "WebhooksCreated",
                value: report.created.len() as f64,
                unit: "Count",
            },
            Metric {
                name: "WebhookDomainsBlocked",
                value: report.blocked_domains.len() as f64,
                unit: "Count",
            },
        ],
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_validated() {
        let env = |k: &str| match k {
            "WEBHOOK_DESTINATION" => {
                Some("https://hooks.example.com/webhooks/bigcommerce".to_string())
            }
            "WEBHOOK_SCOPES" => Some("store/order/*, store/company/created,".to_string()),
            _ => None,
        };
        let s = HookSettings::from_lookup(env).unwrap().unwrap();
        assert_eq!(s.scopes, ["store/order/*", "store/company/created"]);
        assert_eq!(s.auth_header, "X-Webhook-Secret");
        assert_eq!(HookSettings::from_lookup(|_| None).unwrap(), None);
        let bad = |k: &str| match k {
            "WEBHOOK_DESTINATION" => Some("http://hooks.example.com".to_string()),
            _ => None,
        };
        let problems = HookSettings::from_lookup(bad).unwrap_err();
        assert!(problems[0].reason.contains("https"), "{problems:?}");
        let vars: Vec<_> = problems.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["WEBHOOK_DESTINATION", "WEBHOOK_SCOPES"]);
        let bad = |k: &str| match k {
            "WEBHOOK_DESTINATION" => Some("https://hooks.example.com".to_string()),
            "WEBHOOK_SCOPES" => Some("store/order/*,orders".to_string()),
            "WEBHOOK_AUTH_HEADER" => Some("X Secret".to_string()),
            _ => None,
        };
        let problems = HookSettings::from_lookup(bad).unwrap_err();
        let vars: Vec<_> = problems.iter().map(|p| p.variable).collect();
        assert_eq!(vars, ["WEBHOOK_SCOPES", "WEBHOOK_AUTH_HEADER"]);
        assert!(problems[0].reason.contains("`orders`"), "{problems:?}");
    }
}
