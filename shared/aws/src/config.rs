//! The configuration every function shares (the stores served and their secrets, the API URLs,
//! the queues and table a function needs, the trusted certificate authorities), read from
//! environment variables through [`Env`] and validated once, at cold start.
//!
//! Every problem is collected and reported together, one line per variable, so a deployment with
//! three mistakes is fixed in one round rather than three. The problems, and the checks of URLs,
//! queue URLs and table names, are [`crate::env`]'s, and are found here too under their former
//! paths.

use bigcommerce_b2b::tls::TrustRoots;
use bigcommerce_b2b::StoreHash;
use url::Url;

use crate::env::list_items;
pub use crate::env::{
    check_queue_url, check_table_name, extra_field_name, https_or_loopback, parse_base_url,
    ConfigError, ConfigProblem, Env, Problems,
};

/// Default base URL of the BigCommerce management API (v2/v3).
pub const DEFAULT_BC_API_URL: &str = bigcommerce_b2b::DEFAULT_API_URL;
/// Default base URL of the B2B Edition API.
pub const DEFAULT_B2B_API_URL: &str = bigcommerce_b2b::DEFAULT_B2B_API_URL;

/// Optional settings a function may require on top of the common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `INBOUND_QUEUE_URL`: the queue of inbound commands and webhook events.
    InboundQueue,
    /// `OUTBOUND_QUEUE_URL`: the queue of documents exported to the ERP.
    OutboundQueue,
    /// `STATE_TABLE`: the DynamoDB table of dedupe keys, watermarks and id maps.
    StateTable,
    /// `DEAD_LETTER_QUEUE_URL`: where permanently failed commands are parked with their reason.
    DeadLetterQueue,
}

impl Need {
    fn variable(self) -> &'static str {
        match self {
            Need::InboundQueue => "INBOUND_QUEUE_URL",
            Need::OutboundQueue => "OUTBOUND_QUEUE_URL",
            Need::StateTable => "STATE_TABLE",
            Need::DeadLetterQueue => "DEAD_LETTER_QUEUE_URL",
        }
    }

    /// Checks the value of this need's variable: a table name or a queue URL.
    fn check(self, value: &str) -> Result<(), String> {
        match self {
            Need::StateTable => check_table_name(value),
            _ => check_queue_url(value),
        }
    }
}

/// Default `STORE_SECRET_PREFIX`: the secret of store `abc123` is `bigcommerce/store/abc123`.
pub const DEFAULT_STORE_SECRET_PREFIX: &str = "bigcommerce/store/";

/// Which stores a deployment serves, and where their secrets are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSetting {
    /// `BC_SECRET_ID`: one store, the one its secret names.
    Single {
        /// Secrets Manager id (name or ARN) of the store secret.
        secret_id: String,
    },
    /// Many stores: those declared in `STORES` and those installed as an app (the store
    /// registry in the state table), the secret of each at `{STORE_SECRET_PREFIX}{hash}`.
    Many {
        /// `STORE_SECRET_PREFIX`.
        secret_prefix: String,
        /// `STORES`: stores connected with a store-level API account.
        declared: Vec<StoreHash>,
    },
}

impl StoreSetting {
    /// The one store secret of a single-store deployment.
    pub fn single_secret_id(&self) -> Option<&str> {
        match self {
            Self::Single { secret_id } => Some(secret_id),
            Self::Many { .. } => None,
        }
    }

    /// Reads `BC_SECRET_ID`, `STORES` and `STORE_SECRET_PREFIX` (trimmed, blank as unset); `None`
    /// with the problem recorded when they do not say which stores are served.
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let declared = env.get("STORES");
        let prefix = env.get("STORE_SECRET_PREFIX");
        match (env.get("BC_SECRET_ID"), declared, prefix) {
            (Some(_), Some(_), _) => {
                env.problem(
                    "STORES",
                    "is set with BC_SECRET_ID: set BC_SECRET_ID for one store, or STORES \
                     (and STORE_SECRET_PREFIX) for many",
                );
                None
            }
            (Some(secret_id), None, _) => Some(Self::Single { secret_id }),
            (None, None, None) => {
                env.problem(
                    "BC_SECRET_ID",
                    "is not set (the Secrets Manager id of the store secret; or, to serve \
                     many stores, STORE_SECRET_PREFIX and/or STORES)",
                );
                None
            }
            (None, declared, prefix) => {
                let mut hashes = Vec::new();
                for raw in list_items(declared.as_deref().unwrap_or_default()) {
                    let hash = StoreHash::parse(raw).map_err(|reason| format!("`{raw}`: {reason}"));
                    let hash = env.check("STORES", hash)?;
                    if !hashes.contains(&hash) {
                        hashes.push(hash);
                    }
                }
                Some(Self::Many {
                    secret_prefix: prefix.unwrap_or_else(|| DEFAULT_STORE_SECRET_PREFIX.to_owned()),
                    declared: hashes,
                })
            }
        }
    }
}

/// The validated configuration of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The stores served and their secrets (`BC_SECRET_ID`, or `STORES` and
    /// `STORE_SECRET_PREFIX`).
    pub stores: StoreSetting,
    /// Base URL of the management API, without a trailing slash (`BC_API_URL`).
    pub bc_api_url: Url,
    /// Base URL of the B2B Edition API, without a trailing slash (`B2B_API_URL`).
    pub b2b_api_url: Url,
    /// `INBOUND_QUEUE_URL`, when the function asked for it.
    pub inbound_queue_url: Option<String>,
    /// `OUTBOUND_QUEUE_URL`, when the function asked for it.
    pub outbound_queue_url: Option<String>,
    /// `STATE_TABLE`, when the function asked for it.
    pub state_table: Option<String>,
    /// `DEAD_LETTER_QUEUE_URL`, when the function asked for it.
    pub dead_letter_queue_url: Option<String>,
    /// `TLS_ROOTS`: the certificate authorities every HTTP client trusts (default `bundled`).
    pub trust_roots: TrustRoots,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env(needs: &[Need]) -> Result<Self, ConfigError> {
        Self::from_lookup(crate::env::process_lookup, needs)
    }

    /// Reads the configuration through `lookup` (a variable name to its value), for tests.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        needs: &[Need],
    ) -> Result<Self, ConfigError> {
        Env::read_with(lookup, |env| Self::read(env, needs))
    }

    /// Reads the configuration through `env`, with the variables of `needs`: `None` when any of
    /// them has a problem (recorded), as a function's settings that hold it read it.
    pub fn read(env: &mut Env<'_>, needs: &[Need]) -> Option<Self> {
        env.whole(|env| {
            let stores = StoreSetting::read(env);
            let bc_api_url = env.parse_or("BC_API_URL", DEFAULT_BC_API_URL, parse_base_url);
            let b2b_api_url = env.parse_or("B2B_API_URL", DEFAULT_B2B_API_URL, parse_base_url);
            let mut needed = |need: Need| {
                if !needs.contains(&need) {
                    return None;
                }
                let variable = need.variable();
                let value = env.required(variable, "required by this function")?;
                env.check(variable, need.check(&value).map(|()| value))
            };
            let inbound_queue_url = needed(Need::InboundQueue);
            let outbound_queue_url = needed(Need::OutboundQueue);
            let state_table = needed(Need::StateTable);
            let dead_letter_queue_url = needed(Need::DeadLetterQueue);
            let trust_roots = trust_roots(env);
            Some(Config {
                stores: stores?,
                bc_api_url: bc_api_url?,
                b2b_api_url: b2b_api_url?,
                inbound_queue_url,
                outbound_queue_url,
                state_table,
                dead_letter_queue_url,
                trust_roots,
            })
        })
    }
}

/// `TLS_ROOTS`: `bundled` (the default) or `native`, in any case; when refused, the problem is
/// recorded and the default returned.
pub fn trust_roots(env: &mut Env<'_>) -> TrustRoots {
    env.parse("TLS_ROOTS", TrustRoots::parse)
        .unwrap_or_default()
}

/// Default `WEBHOOK_AUTH_HEADER`: the header BigCommerce sends the store secret's
/// `webhook_secret` in (token-refresh subscribes with it, webhook-intake checks it).
pub const DEFAULT_WEBHOOK_AUTH_HEADER: &str = "X-Webhook-Secret";

/// `WEBHOOK_AUTH_HEADER`, read the same way by every function that uses it (they must agree on
/// the header): a header name, trimmed; `None` when unset or blank. A name HTTP does not allow
/// is recorded as a problem (and still returned).
pub fn webhook_auth_header(env: &mut Env<'_>) -> Option<String> {
    let variable = "WEBHOOK_AUTH_HEADER";
    let raw = env.raw(variable).filter(|v| !v.trim().is_empty())?;
    if http::HeaderName::from_bytes(raw.trim().as_bytes()).is_err() {
        env.problem(variable, format!("`{raw}` is not a valid header name"));
    }
    Some(raw.trim().to_owned())
}

/// `STORE_CURRENCIES`, read the same way by every function that checks a currency (the worker
/// for commands, webhook-intake for purchase orders): ISO 4217 codes separated by commas, each 3
/// capital letters; empty when unset. A bad code is recorded as a problem naming the first one,
/// and nothing is returned.
pub fn store_currencies(env: &mut Env<'_>) -> Vec<String> {
    let codes = env.list("STORE_CURRENCIES").unwrap_or_default();
    let is_code = |c: &String| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
    match codes.iter().find(|c| !is_code(c)) {
        None => codes,
        Some(bad) => {
            let reason = format!("`{bad}` is not an ISO 4217 code of 3 capital letters (USD,EUR)");
            env.problem("STORE_CURRENCIES", reason);
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::lookup_from as lookup;

    #[test]
    fn defaults_apply_when_only_the_secret_is_set() {
        let cfg = Config::from_lookup(lookup(&[("BC_SECRET_ID", "store/abc")]), &[]).unwrap();
        assert_eq!(cfg.stores.single_secret_id(), Some("store/abc"));
        assert_eq!(cfg.bc_api_url.as_str(), "https://api.bigcommerce.com/");
        assert_eq!(cfg.b2b_api_url.as_str(), "https://api-b2b.bigcommerce.com/");
        assert_eq!(cfg.inbound_queue_url, None);
    }

    #[test]
    fn many_stores_are_declared_or_installed_and_never_mixed_with_one() {
        let many = |pairs: &[(&str, &str)]| {
            Config::from_lookup(lookup(pairs), &[Need::StateTable]).map(|c| c.stores)
        };
        let stores = many(&[("STORES", " abc123, x9 ,,abc123"), ("STATE_TABLE", "state")]).unwrap();
        assert_eq!(
            stores,
            StoreSetting::Many {
                secret_prefix: DEFAULT_STORE_SECRET_PREFIX.into(),
                declared: vec![
                    StoreHash::parse("abc123").unwrap(),
                    StoreHash::parse("x9").unwrap()
                ],
            }
        );
        assert_eq!(stores.single_secret_id(), None);
        let installed = many(&[("STORE_SECRET_PREFIX", "p/"), ("STATE_TABLE", "state")]).unwrap();
        assert_eq!(
            installed,
            StoreSetting::Many {
                secret_prefix: "p/".into(),
                declared: vec![]
            }
        );
        // BC_SECRET_ID with a prefix (a template's global) is still one store.
        let one = many(&[
            ("BC_SECRET_ID", "s"),
            ("STORE_SECRET_PREFIX", "p/"),
            ("STATE_TABLE", "state"),
        ]);
        assert_eq!(one.unwrap().single_secret_id(), Some("s"));
        let problem = |pairs: &[(&str, &str)]| many(pairs).unwrap_err().problems;
        let both = problem(&[
            ("BC_SECRET_ID", "s"),
            ("STORES", "a"),
            ("STATE_TABLE", "state"),
        ]);
        assert_eq!(both[0].variable, "STORES");
        let bad = problem(&[("STORES", "ok1,a/b"), ("STATE_TABLE", "state")]);
        assert!(bad[0].reason.contains("`a/b`"), "{:?}", bad);
        let no_table = problem(&[("STORES", "a1")]);
        assert_eq!(no_table.len(), 1, "{no_table:?}");
        assert_eq!(no_table[0].variable, "STATE_TABLE");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let err = Config::from_lookup(
            lookup(&[
                ("BC_API_URL", "http://example.com"),
                ("B2B_API_URL", "ftp://x"),
            ]),
            &[Need::InboundQueue, Need::StateTable, Need::DeadLetterQueue],
        )
        .unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            vars,
            [
                "BC_SECRET_ID",
                "BC_API_URL",
                "B2B_API_URL",
                "INBOUND_QUEUE_URL",
                "STATE_TABLE",
                "DEAD_LETTER_QUEUE_URL"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("BC_API_URL: `http://example.com` is not https"),
            "{text}"
        );
        assert!(text.contains("STATE_TABLE: is not set"), "{text}");
        let line = format!("{err:?}");
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("cannot start, 6 problems in the configuration: (1) BC_SECRET_ID:")
                && line.contains("; (3) B2B_API_URL: `ftp://x` has scheme `ftp`")
                && line.ends_with(
                    "; (6) DEAD_LETTER_QUEUE_URL: is not set (required by this function)."
                ),
            "{line}"
        );
        assert!(format!("{err:#?}").contains("problems"));
    }

    #[test]
    fn required_extras_are_read() {
        let cfg = Config::from_lookup(
            lookup(&[
                ("BC_SECRET_ID", "s"),
                ("INBOUND_QUEUE_URL", "http://q/in"),
                ("OUTBOUND_QUEUE_URL", "http://q/out"),
                ("STATE_TABLE", "state"),
                ("DEAD_LETTER_QUEUE_URL", "http://q/dlq"),
                ("BC_API_URL", "http://127.0.0.1:1/"),
            ]),
            &[
                Need::InboundQueue,
                Need::OutboundQueue,
                Need::StateTable,
                Need::DeadLetterQueue,
            ],
        )
        .unwrap();
        assert_eq!(cfg.dead_letter_queue_url.as_deref(), Some("http://q/dlq"));
        assert_eq!(cfg.inbound_queue_url.as_deref(), Some("http://q/in"));
        assert_eq!(cfg.outbound_queue_url.as_deref(), Some("http://q/out"));
        assert_eq!(cfg.state_table.as_deref(), Some("state"));
        assert_eq!(cfg.bc_api_url.as_str(), "http://127.0.0.1:1/");
    }
}
