//! Typed configuration read from environment variables and validated once, at cold start.
//!
//! Every problem is collected and reported together, one line per variable, so a deployment with
//! three mistakes is fixed in one round rather than three.

use std::fmt;
use std::net::IpAddr;

use bigcommerce_b2b::tls::TrustRoots;
use bigcommerce_b2b::StoreHash;
use url::Url;

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

    /// Reads `BC_SECRET_ID`, `STORES` and `STORE_SECRET_PREFIX` through `get` (trimmed, blank
    /// as unset).
    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigProblem> {
        let declared = get("STORES");
        let prefix = get("STORE_SECRET_PREFIX");
        match (get("BC_SECRET_ID"), declared, prefix) {
            (Some(_), Some(_), _) => Err(ConfigProblem {
                variable: "STORES",
                reason: "is set with BC_SECRET_ID: set BC_SECRET_ID for one store, or STORES \
                         (and STORE_SECRET_PREFIX) for many"
                    .into(),
            }),
            (Some(secret_id), None, _) => Ok(Self::Single { secret_id }),
            (None, None, None) => Err(ConfigProblem {
                variable: "BC_SECRET_ID",
                reason: "is not set (the Secrets Manager id of the store secret; or, to serve \
                         many stores, STORE_SECRET_PREFIX and/or STORES)"
                    .into(),
            }),
            (None, declared, prefix) => {
                let mut hashes = Vec::new();
                for raw in declared.iter().flat_map(|d| d.split(',')) {
                    let raw = raw.trim();
                    if raw.is_empty() {
                        continue;
                    }
                    let hash = StoreHash::parse(raw).map_err(|reason| ConfigProblem {
                        variable: "STORES",
                        reason: format!("`{raw}`: {reason}"),
                    })?;
                    if !hashes.contains(&hash) {
                        hashes.push(hash);
                    }
                }
                Ok(Self::Many {
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

/// One missing or malformed variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The environment variable concerned.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigProblem {
    /// The whole number `raw` of `variable`, within `min..=max`, or the problem with it.
    pub fn bounded(variable: &'static str, raw: &str, min: i64, max: i64) -> Result<i64, Self> {
        match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ConfigProblem {
                variable,
                reason: format!("`{raw}` is not a whole number from {min} to {max}"),
            }),
        }
    }
}

/// The problems of one function's settings, collected from every reader (the common
/// [`Config`] and the function's own), so that all of them are reported at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<ConfigProblem>);

impl Problems {
    /// The value of `result`, or `None` with its problems kept.
    pub fn take<T, E: Into<Vec<ConfigProblem>>>(&mut self, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.0.extend(e.into())).ok()
    }

    /// Keeps one problem.
    pub fn push(&mut self, problem: ConfigProblem) {
        self.0.push(problem);
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems found, as the error a function refuses to start with.
    pub fn into_error(self) -> ConfigError {
        ConfigError { problems: self.0 }
    }
}

impl From<ConfigError> for Vec<ConfigProblem> {
    fn from(e: ConfigError) -> Self {
        e.problems
    }
}

impl From<ConfigProblem> for Vec<ConfigProblem> {
    fn from(p: ConfigProblem) -> Self {
        vec![p]
    }
}

/// Every configuration problem found, reported together.
///
/// Its `Debug` form is one line naming each problem, because that is what a `main` returning
/// the error prints (and what the function's log shows) when it cannot start; `{:#?}` shows the
/// fields.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order the variables are read.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("ConfigError")
                .field("problems", &self.problems)
                .finish();
        }
        fmt::Display::fmt(self, f)
    }
}

/// One line naming every problem: what a function that cannot start logs.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "cannot start, {n} problem{plural} in the configuration:")?;
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { "" } else { ";" };
            let reason = p.reason.replace(['\n', '\r'], " ");
            write!(f, "{sep} ({}) {}: {reason}", i + 1, p.variable)?;
        }
        write!(f, ".")
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env(needs: &[Need]) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), needs)
    }

    /// Reads the configuration through `lookup` (a variable name to its value), for tests.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        needs: &[Need],
    ) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let stores = match StoreSetting::read(&get) {
            Ok(stores) => Some(stores),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let bc_api_url = read_base_url(&get, "BC_API_URL", DEFAULT_BC_API_URL, &mut problems);
        let b2b_api_url = read_base_url(&get, "B2B_API_URL", DEFAULT_B2B_API_URL, &mut problems);

        let mut optional = |need: Need| -> Option<String> {
            if !needs.contains(&need) {
                return None;
            }
            let value = get(need.variable()).map(|v| v.trim().to_owned());
            let checked = match (&value, need) {
                (None, _) => Err("is not set (required by this function)".to_owned()),
                (Some(v), Need::StateTable) => check_table_name(v),
                (Some(v), _) => check_queue_url(v),
            };
            match checked {
                Ok(()) => value,
                Err(reason) => {
                    problems.push(ConfigProblem {
                        variable: need.variable(),
                        reason,
                    });
                    None
                }
            }
        };
        let inbound_queue_url = optional(Need::InboundQueue);
        let outbound_queue_url = optional(Need::OutboundQueue);
        let state_table = optional(Need::StateTable);
        let dead_letter_queue_url = optional(Need::DeadLetterQueue);
        let trust_roots = read_trust_roots(&lookup)
            .map_err(|problem| problems.push(problem))
            .unwrap_or_default();
        match (bc_api_url, b2b_api_url, stores) {
            (Some(bc_api_url), Some(b2b_api_url), Some(stores)) if problems.is_empty() => {
                Ok(Config {
                    stores,
                    bc_api_url,
                    b2b_api_url,
                    inbound_queue_url,
                    outbound_queue_url,
                    state_table,
                    dead_letter_queue_url,
                    trust_roots,
                })
            }
            _ => Err(ConfigError { problems }),
        }
    }
}

/// `TLS_ROOTS` through `lookup`: `bundled` (the default) or `native`.
pub fn read_trust_roots(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<TrustRoots, ConfigProblem> {
    match lookup("TLS_ROOTS").filter(|v| !v.trim().is_empty()) {
        None => Ok(TrustRoots::default()),
        Some(raw) => TrustRoots::parse(&raw).map_err(|reason| ConfigProblem {
            variable: "TLS_ROOTS",
            reason,
        }),
    }
}

fn read_base_url(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Url> {
    let raw = get(variable).unwrap_or_else(|| default.to_owned());
    match parse_base_url(&raw) {
        Ok(url) => Some(url),
        Err(reason) => {
            problems.push(ConfigProblem { variable, reason });
            None
        }
    }
}

/// Parses a BigCommerce base URL: https, or plain http only towards a loopback host.
pub fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim_end_matches('/'))
        .map_err(|e| format!("`{raw}` is not a valid URL ({e})"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("`{raw}` has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(format!(
                "`{raw}` is not https; plain http is allowed only for a loopback host"
            ))
        }
        other => return Err(format!("`{raw}` has scheme `{other}`; expected https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not carry a query or fragment"));
    }
    Ok(url)
}

/// Checks an SQS queue URL (`https://sqs.{region}.amazonaws.com/{account}/{name}`, or a local
/// stand-in's): an http(s) URL with a host and a queue name, without query or fragment.
pub fn check_queue_url(raw: &str) -> Result<(), String> {
    let url = Url::parse(raw).map_err(|e| {
        format!("`{raw}` is not a queue URL ({e}); expected https://sqs.<region>.amazonaws.com/<account>/<name>")
    })?;
    let named = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|name| !name.is_empty());
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() || !named {
        return Err(format!(
            "`{raw}` is not a queue URL; expected https://sqs.<region>.amazonaws.com/<account>/<name>"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not carry a query or fragment"));
    }
    Ok(())
}

/// Checks a DynamoDB table name (3 to 255 letters, digits, `_`, `-` and `.`) or table ARN.
pub fn check_table_name(raw: &str) -> Result<(), String> {
    let name_ok = (3..=255).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let arn_ok = raw.starts_with("arn:") && raw.contains(":table/") && raw.len() <= 1024;
    if name_ok || arn_ok {
        Ok(())
    } else {
        Err(format!(
            "`{raw}` is not a DynamoDB table name (3 to 255 letters, digits, `_`, `-`, `.`) or ARN"
        ))
    }
}

/// Parses an endpoint URL (token endpoints, redirect URIs): https, or plain http only towards a
/// loopback host (tests and local stand-ins).
pub fn https_or_loopback(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if url.host_str().is_some_and(is_loopback) => Ok(url),
        _ => Err(format!(
            "`{raw}` must be an https URL (plain http only for a loopback host)"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Longest company extra field name a setting may give.
const MAX_FIELD_NAME_LEN: usize = 255;

/// The company extra field `variable` names (holding `what`): 1 to 255 letters, digits, `_`
/// and `-`, `default` when unset.
pub fn extra_field_name(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    what: &str,
    default: &str,
) -> Result<String, ConfigProblem> {
    let Some(raw) = lookup(variable) else {
        return Ok(default.to_owned());
    };
    let field = raw.trim();
    let problem = |reason: String| ConfigProblem { variable, reason };
    if field.is_empty() {
        return Err(problem(format!(
            "is empty; name the company extra field holding {what} (default `{default}`), or leave the variable unset"
        )));
    }
    if field.chars().count() > MAX_FIELD_NAME_LEN {
        return Err(problem(format!(
            "is longer than {MAX_FIELD_NAME_LEN} characters"
        )));
    }
    if !field
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(problem(format!(
            "`{field}` may hold only letters, digits, `_` and `-`"
        )));
    }
    Ok(field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

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
    fn loopback_http_is_allowed_for_the_sandbox() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9/",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://api.bigcommerce.com",
            "not a url",
            "https://x/?a=1",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
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
