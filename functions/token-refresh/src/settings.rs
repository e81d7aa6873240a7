//! token-refresh's one settings type: every environment variable it reads (the shared
//! configuration, the refresh and health-check settings, the webhook subscriptions), validated at
//! cold start. Every problem is reported at once, one per variable, naming it.

use b2b_shared::env::{check_table_name, process_lookup, whole_seconds, ConfigError, Env};
use b2b_shared::{Config, Need};
use bigcommerce_b2b::Api;

use crate::health::{Probe, DEFAULT_B2B_PROBE, DEFAULT_CORE_PROBE};
use crate::webhooks::HookSettings;

/// What the function needs of the common configuration: nothing beyond the store secret and the
/// API URLs.
pub const NEEDS: &[Need] = &[];

/// Default `REFRESH_LEAD_SECONDS`: refresh tokens expiring within 10 minutes.
pub const DEFAULT_LEAD_SECONDS: i64 = 600;
/// Default `REFRESH_LEASE_SECONDS`: longer than one run may take (the function's timeout is 60 s).
pub const DEFAULT_LEASE_SECONDS: i64 = 120;

/// Everything token-refresh reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The store secret (`BC_SECRET_ID`, the webhook check's store) and the API URLs.
    pub config: Config,
    /// `CONNECTION_SECRET_IDS`: the connection secrets to refresh (may be empty).
    pub connection_secret_ids: Vec<String>,
    /// `REFRESH_LEAD_SECONDS`.
    pub lead_seconds: i64,
    /// `REFRESH_LEASE_SECONDS`.
    pub lease_seconds: i64,
    /// `STORE_SECRET_IDS` (default: `BC_SECRET_ID`): the store secrets whose tokens are checked.
    pub store_secret_ids: Vec<String>,
    /// `HEALTH_CORE_PATH`: the core call of the health check.
    pub core_probe: Probe,
    /// `HEALTH_B2B_PATH`: the B2B call of the health check.
    pub b2b_probe: Probe,
    /// `WEBHOOK_DESTINATION`, `WEBHOOK_SCOPES`, `WEBHOOK_AUTH_HEADER`: the webhook subscriptions
    /// to keep active, when a destination is configured.
    pub hooks: Option<HookSettings>,
    /// `STATE_TABLE` (required serving many stores): where the store registry is, so the token
    /// health and the webhook check run over every served store.
    pub state_table: Option<String>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_lookup)
    }

    /// Reads every setting through `lookup` (a variable name to its value), reporting every
    /// missing or malformed one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::read_with(lookup, Self::read)
    }

    /// Reads every setting through `env`; `None` when one is missing or malformed (recorded).
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let config = Config::read(env, NEEDS);
        let lead_seconds = seconds(env, "REFRESH_LEAD_SECONDS", DEFAULT_LEAD_SECONDS, 86_400);
        let lease_seconds = seconds(env, "REFRESH_LEASE_SECONDS", DEFAULT_LEASE_SECONDS, 900);
        let connection_secret_ids = env.list("CONNECTION_SECRET_IDS").unwrap_or_default();
        let mut store_secret_ids = env.list("STORE_SECRET_IDS").unwrap_or_default();
        if store_secret_ids.is_empty() {
            store_secret_ids = env.list("BC_SECRET_ID").unwrap_or_default();
        }
        let core_probe = env.parse_or("HEALTH_CORE_PATH", DEFAULT_CORE_PROBE, |raw| {
            Probe::parse(Api::Core, raw)
        });
        let b2b_probe = env.parse_or("HEALTH_B2B_PATH", DEFAULT_B2B_PROBE, |raw| {
            Probe::parse(Api::B2b, raw)
        });
        let hooks = HookSettings::read(env);
        let many = config
            .as_ref()
            .is_some_and(|c| c.stores.single_secret_id().is_none());
        let state_table = env.parse("STATE_TABLE", |t| {
            check_table_name(t).map(|()| t.to_owned())
        });
        if many && env.get("STATE_TABLE").is_none() {
            env.problem(
                "STATE_TABLE",
                "is not set: serving many stores, the registry is in it",
            );
        }
        Some(Self {
            state_table,
            config: config?,
            connection_secret_ids,
            lead_seconds,
            lease_seconds,
            store_secret_ids,
            core_probe: core_probe?,
            b2b_probe: b2b_probe?,
            hooks: hooks?,
        })
    }
}

/// The whole number of seconds `variable`, from 1 to `max`; `default` when unset or blank, or
/// refused (recorded).
fn seconds(env: &mut Env<'_>, variable: &'static str, default: i64, max: i64) -> i64 {
    env.parse(variable, |raw| whole_seconds(raw, 1, max))
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use b2b_shared::env::lookup_from as env;

    #[test]
    fn defaults() {
        let s =
            Settings::from_lookup(env(&[("BC_SECRET_ID", "bigcommerce/store/abc123")])).unwrap();
        assert_eq!(s.lead_seconds, 600);
        assert_eq!(s.lease_seconds, 120);
        assert!(s.connection_secret_ids.is_empty());
        assert_eq!(s.store_secret_ids, ["bigcommerce/store/abc123"]);
        assert_eq!(s.core_probe.path, "/v2/customer_groups/count");
    }

    #[test]
    fn lists_are_split_and_store_ids_override_bc_secret_id() {
        let s = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "one"),
            ("STORE_SECRET_IDS", " a, b ,,"),
            ("CONNECTION_SECRET_IDS", "erp/netsuite,crm/hubspot"),
            ("REFRESH_LEAD_SECONDS", "900"),
        ]))
        .unwrap();
        assert_eq!(s.store_secret_ids, ["a", "b"]);
        assert_eq!(s.connection_secret_ids, ["erp/netsuite", "crm/hubspot"]);
        assert_eq!(s.lead_seconds, 900);
    }

    #[test]
    fn one_problem_per_bad_variable() {
        let p = Settings::from_lookup(env(&[
            ("REFRESH_LEAD_SECONDS", "ten minutes"),
            ("REFRESH_LEASE_SECONDS", "0"),
            ("HEALTH_CORE_PATH", "v2/store"),
        ]))
        .unwrap_err()
        .problems;
        let vars: Vec<_> = p.iter().map(|x| x.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_SECRET_ID",
                "REFRESH_LEAD_SECONDS",
                "REFRESH_LEASE_SECONDS",
                "HEALTH_CORE_PATH"
            ]
        );
        assert!(p[1].reason.contains("ten minutes"), "{:?}", p[1]);
    }

    #[test]
    fn every_variable_is_read_and_every_problem_named_at_once() {
        let err = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "one"),
            ("BC_API_URL", "http://api.example.com"),
            ("REFRESH_LEASE_SECONDS", "901"),
            ("HEALTH_B2B_PATH", "https://x/companies"),
            ("WEBHOOK_DESTINATION", "http://hooks.example.com"),
            ("WEBHOOK_SCOPES", "orders"),
            ("WEBHOOK_AUTH_HEADER", "bad header"),
        ]))
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_API_URL",
                "REFRESH_LEASE_SECONDS",
                "HEALTH_B2B_PATH",
                "WEBHOOK_DESTINATION",
                "WEBHOOK_SCOPES",
                "WEBHOOK_AUTH_HEADER"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("WEBHOOK_DESTINATION: `http://hooks.example.com` must be an https URL"),
            "{text}"
        );
        let s = Settings::from_lookup(env(&[
            ("BC_SECRET_ID", "one"),
            ("B2B_API_URL", "http://127.0.0.1:9"),
            (
                "WEBHOOK_DESTINATION",
                "https://hooks.example.com/webhooks/bigcommerce",
            ),
            ("WEBHOOK_SCOPES", "store/order/*"),
        ]))
        .unwrap();
        assert_eq!(s.config.stores.single_secret_id(), Some("one"));
        assert_eq!(s.config.b2b_api_url.as_str(), "http://127.0.0.1:9/");
        let hooks = s.hooks.unwrap();
        assert_eq!(hooks.scopes, ["store/order/*"]);
        assert_eq!(hooks.auth_header, "X-Webhook-Secret");
    }
}
