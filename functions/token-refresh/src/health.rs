//! Token health: one cheap authenticated call to the core API and one to B2B Edition per store
//! secret, and the Embedded Metric Format metric `TokenValid` (1 or 0) per store, so an alarm
//! fires when a token was revoked.
//!
//! `TokenValid` is 0 when either API answers 401/403 (after the client re-read the secret once)
//! or the store secret cannot be used at all (missing, malformed, access denied). When the check
//! is inconclusive (BigCommerce or Secrets Manager unavailable, rate limited) no `TokenValid` is
//! emitted, only `TokenCheckFailed` = 1, so an outage does not look like a revoked token.

use std::sync::Arc;
use std::time::Duration;

use b2b_shared::secrets::{SecretCache, SecretsApi};
use b2b_shared::telemetry::{emit_metrics_in_sets, Metric};
use bigcommerce_b2b::tls::TrustRoots;
use bigcommerce_b2b::Credentials;
use bigcommerce_b2b::{Api, ApiRequest, BcClient, BcError, ClientOptions, RetryPolicy};
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

/// One cheap read-only call: a path (with an optional `?query`) on one API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Which API.
    pub api: Api,
    /// The path after `/stores/{hash}` (core) or `/api/v3/io` (B2B).
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
}

impl Probe {
    /// Parses `"/path?a=1&b=2"`; the path must start with `/`.
    pub fn parse(api: Api, raw: &str) -> Result<Self, String> {
        let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
        if !path.starts_with('/') || path.contains("://") {
            return Err(format!("`{raw}` must be a path starting with `/`"));
        }
        Ok(Self {
            api,
            path: path.to_owned(),
            query: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        })
    }

    fn request(&self) -> ApiRequest {
        ApiRequest::get(self.api, self.path.clone()).queries(&self.query)
    }
}

/// Default core probe: the customer-group count (a tiny v2 answer; the toolkit's tokens carry
/// the Customers scope).
pub const DEFAULT_CORE_PROBE: &str = "/v2/customer_groups/count";
/// Default B2B probe: one company.
pub const DEFAULT_B2B_PROBE: &str = "/companies?limit=1";

/// The verdict for one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verdict {
    /// Both calls succeeded.
    Valid,
    /// BigCommerce refused the token.
    Rejected {
        /// Each refusal: `core 401`, `b2b 403`.
        refusals: Vec<String>,
    },
    /// The store secret cannot be used (permanent until fixed).
    NoUsableSecret {
        /// Why.
        reason: String,
    },
    /// The check could not decide (outage, rate limit, unexpected answer).
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// The result for one store secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreHealth {
    /// The store secret id.
    pub secret_id: String,
    /// The store hash, when the secret could be read.
    pub store_hash: Option<String>,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl StoreHealth {
    /// The `TokenValid` value: 1, 0, or `None` when inconclusive.
    pub fn token_valid(&self) -> Option<f64> {
        match self.verdict {
            Verdict::Valid => Some(1.0),
            Verdict::Rejected { .. } | Verdict::NoUsableSecret { .. } => Some(0.0),
            Verdict::Inconclusive { .. } => None,
        }
    }
}

/// Checks store tokens.
#[derive(Debug, Clone)]
pub struct HealthChecker {
    /// Management API base URL.
    pub bc_api_url: Url,
    /// B2B Edition API base URL.
    pub b2b_api_url: Url,
    /// The core probe.
    pub core_probe: Probe,
    /// The B2B probe.
    pub b2b_probe: Probe,
    /// The certificate authorities the probes' clients trust.
    pub trust_roots: TrustRoots,
}

/// Client options for a health check: few retries, short timeouts.
pub fn probe_options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        },
        request_timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

impl HealthChecker {
    /// A client for the store whose secret is `secret_id`, read through `fetcher`.
    pub fn client_for(&self, fetcher: SecretsApi, secret_id: &str) -> Result<BcClient, BcError> {
        let credentials: Arc<dyn Credentials> = Arc::new(SecretCache::new(
            fetcher,
            secret_id.to_owned(),
            Duration::from_secs(60),
        ));
        BcClient::new(
            &self.bc_api_url,
            &self.b2b_api_url,
            credentials,
            ClientOptions {
                trust_roots: self.trust_roots,
                ..probe_options()
            },
        )
    }

    /// Checks one store through `client`, logs the verdict and emits its metrics.
    pub async fn check(
        &self,
        client: &BcClient,
        secret_id: &str,
        deadline: Option<Instant>,
    ) -> StoreHealth {
        let client = match deadline {
            Some(d) => client.with_deadline(d),
            None => client.clone(),
        };
        let health = self.verdict(&client, secret_id).await;
        report(&health);
        health
    }

    async fn verdict(&self, client: &BcClient, secret_id: &str) -> StoreHealth {
        let mut health = StoreHealth {
            secret_id: secret_id.to_owned(),
            store_hash: None,
            verdict: Verdict::Valid,
        };
        match client.store_hash().await {
            Ok(hash) => health.store_hash = Some(hash.to_string()),
            Err(BcError::Credentials(e)) if !e.is_retryable() => {
                health.verdict = Verdict::NoUsableSecret {
                    reason: e.to_string(),
                };
                return health;
            }
            Err(e) => {
                health.verdict = Verdict::Inconclusive {
                    reason: e.to_string(),
                };
                return health;
            }
        }
        let mut refusals = Vec::new();
        let mut inconclusive = Vec::new();
        for probe in [&self.core_probe, &self.b2b_probe] {
            let req = probe.request();
            match client.execute(&req).await {
                Ok(_) => {}
                Err(BcError::Unauthorized { api, status, .. }) => {
                    refusals.push(format!("{api} {status}"))
                }
                Err(e) => inconclusive.push(format!("{}: {e}", req.describe())),
            }
        }
        health.verdict = if !refusals.is_empty() {
            Verdict::Rejected { refusals }
        } else if !inconclusive.is_empty() {
            Verdict::Inconclusive {
                reason: inconclusive.join("; "),
            }
        } else {
            Verdict::Valid
        };
        health
    }
}

/// Logs one verdict and emits `TokenValid` (when decided) and `TokenCheckFailed`.
fn report(h: &StoreHealth) {
    let store = h.store_hash.as_deref().unwrap_or(&h.secret_id);
    match &h.verdict {
        Verdict::Valid => {
            tracing::info!(secret_id = %h.secret_id, store, "store token valid for core and B2B")
        }
        Verdict::Rejected { refusals } => tracing::error!(
            secret_id = %h.secret_id,
            store,
            refusals = %refusals.join(", "),
            "BigCommerce REJECTED the store token (401/403): it was revoked or lost a scope; reinstall the app or put a new access_token in the store secret"
        ),
        Verdict::NoUsableSecret { reason } => tracing::error!(
            secret_id = %h.secret_id,
            %reason,
            "store secret unusable: no valid token for this store"
        ),
        Verdict::Inconclusive { reason } => tracing::warn!(
            secret_id = %h.secret_id,
            store,
            %reason,
            "store token check inconclusive; TokenValid not emitted"
        ),
    }
    let mut metrics = vec![Metric {
        name: "TokenCheckFailed",
        value: if h.token_valid().is_none() { 1.0 } else { 0.0 },
        unit: "Count",
    }];
    if let Some(v) = h.token_valid() {
        metrics.push(Metric {
            name: "TokenValid",
            value: v,
            unit: "None",
        });
    }
    // Per store for the dashboard, and rolled up over every store for the alarm: a secret that
    // cannot be read names no store hash, and its 0 must reach the alarm all the same.
    emit_metrics_in_sets(
        &[("Function", "token-refresh"), ("Store", store)],
        TOKEN_METRIC_SETS,
        &metrics,
    );
}

/// The dimension sets of `TokenValid` and `TokenCheckFailed`: by store, and by function alone
/// (what `TokenInvalidAlarm` in the template watches).
pub const TOKEN_METRIC_SETS: &[&[&str]] = &[&["Function", "Store"], &["Function"]];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_parse_paths_and_queries() {
        let p = Probe::parse(Api::B2b, DEFAULT_B2B_PROBE).unwrap();
        assert_eq!(p.path, "/companies");
        assert_eq!(p.query, [("limit".to_owned(), "1".to_owned())]);
        assert!(Probe::parse(Api::Core, "v2/store").is_err());
        assert!(Probe::parse(Api::Core, "https://x/v2").is_err());
    }

    #[tokio::test]
    async fn an_unreadable_secret_reaches_the_alarm_s_dimensions() {
        let health = StoreHealth {
            secret_id: "arn:aws:secretsmanager:us-east-1:1:secret:gone".into(),
            store_hash: None,
            verdict: Verdict::NoUsableSecret {
                reason: "access denied".into(),
            },
        };
        let ((), docs) = b2b_shared::telemetry::capture_metrics(async { report(&health) }).await;
        let valid = b2b_shared::telemetry::metric_values(&docs, "TokenValid");
        assert_eq!(valid.len(), 1);
        assert_eq!(valid[0].0, 0.0);
        let doc = valid[0].1;
        assert_eq!(doc["Function"], "token-refresh");
        let sets = &doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"];
        // The alarm in the template filters on exactly these dimensions.
        let template = include_str!("../../../infra/template.yaml");
        let alarm = template
            .split("TokenInvalidAlarm:")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .expect("TokenInvalidAlarm in the template");
        let names: Vec<&str> = alarm
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- Name: "))
            .collect();
        assert!(
            sets.as_array()
                .unwrap()
                .iter()
                .any(|set| *set == serde_json::json!(names)),
            "the alarm watches {names:?}; emitted under {sets}"
        );
        assert!(alarm.contains("Value: token-refresh"), "{alarm}");
    }

    #[test]
    fn token_valid_is_decided_only_when_the_check_was() {
        let h = |verdict| StoreHealth {
            secret_id: "s".into(),
            store_hash: None,
            verdict,
        };
        assert_eq!(h(Verdict::Valid).token_valid(), Some(1.0));
        assert_eq!(
            h(Verdict::Rejected {
                refusals: vec!["core 401".into()]
            })
            .token_valid(),
            Some(0.0)
        );
        assert_eq!(
            h(Verdict::Inconclusive {
                reason: "503".into()
            })
            .token_valid(),
            None
        );
    }
}
