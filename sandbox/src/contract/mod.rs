//! The sandbox judged by BigCommerce's own contract: every API request is checked against the
//! official OpenAPI operation of its route (path parameters, declared and required query
//! parameters with their types, enums and bounds, required headers, the JSON request body), and
//! every violation is recorded with the route and the spec's words. Known gaps between the spec
//! and the live API are listed in `contract-exceptions.json` (`request_exceptions`) with a reason
//! and a source, and are not recorded.
//!
//! [`ContractMode`] says what a violation does: nothing ([`ContractMode::Off`]), a record read
//! through `GET /__sandbox/contract` and [`crate::RunningSandbox::contract_violations`]
//! ([`ContractMode::Record`]), or that plus the answer BigCommerce gives a bad request, 400 for
//! parameters and 422 for a body, in the route family's error shape ([`ContractMode::Reject`]).

pub mod openapi;
mod request;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde_json::Value;

pub use request::RequestView;
use request::{Location, Operation};

/// The spec files whose operations the sandbox serves, relative to the specs folder.
const SPEC_FILES: &[&str] = &[
    "docs/b2b-edition/specs/api-v3/company/company.yaml",
    "docs/b2b-edition/specs/api-v3/user/user.yaml",
    "docs/b2b-edition/specs/api-v3/address/address.yaml",
    "docs/b2b-edition/specs/api-v3/quote/quote.yaml",
    "docs/b2b-edition/specs/api-v3/order/order.yaml",
    "docs/b2b-edition/specs/api-v3/invoice-management.yaml",
    "docs/b2b-edition/specs/api-v3/payment/payment.yaml",
    "docs/b2b-edition/specs/api-v3/sales_staff/sales_staff.yaml",
    "docs/b2b-edition/specs/api-v3/shopping_list/shopping_list.yaml",
    "docs/b2b-edition/specs/api-v3/super_admin/super_admin.yaml",
    "reference/orders.v2.oas2.yml",
    "reference/orders.v3.yml",
    "reference/customers.v2.yml",
    "reference/customers.v3.yml",
    "reference/price_lists.v3.yml",
    "reference/webhooks.v3.yml",
    "reference/inventory.v3.yml",
    "reference/locations.v3.yml",
    "reference/catalog/product-variants_catalog.v3.yml",
    "reference/carts.v3.yml",
];

/// The exceptions file, compiled in so the binary needs no file beside it.
const EXCEPTIONS: &str = include_str!("../../contract-exceptions.json");

/// What a request that breaks the spec does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContractMode {
    /// Requests are not checked.
    Off,
    /// Violations are recorded; the request is served as usual.
    #[default]
    Record,
    /// Violations are recorded and the request is refused as BigCommerce would (400/422).
    Reject,
}

impl FromStr for ContractMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(ContractMode::Off),
            "record" => Ok(ContractMode::Record),
            "reject" => Ok(ContractMode::Reject),
            other => Err(format!(
                "contract mode must be off, record or reject, not {other:?}"
            )),
        }
    }
}

/// One way a request broke the official contract of its route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `GET /api/v3/io/companies` (the spec's own path template when the route is in it).
    pub route: String,
    /// The request as sent: method, path and query.
    pub request: String,
    /// Where: `query orderBy`, `header Accept`, `path quote_id`, `body /0/email`, `route`.
    pub location: String,
    /// What is wrong, in the validator's or the spec's words.
    pub problem: String,
    /// The spec file that judged it.
    pub spec: String,
}

impl Violation {
    /// True for a body violation (answered 422; parameters are answered 400).
    pub fn in_body(&self) -> bool {
        self.location.starts_with("body")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}: {} [{}]",
            self.route, self.request, self.location, self.problem, self.spec
        )
    }
}

/// A documented difference between the spec and the live API, for requests.
#[derive(Debug, Clone)]
struct Exception {
    route: String,
    location: String,
}

impl Exception {
    /// True when the route is the exception's (or it says `*`) and the location matches its
    /// pattern: `/`-separated parts, a `*` part matching any one part, a trailing `*` any rest.
    fn covers(&self, v: &Violation) -> bool {
        (self.route == "*" || self.route == v.route)
            && location_matches(&self.location, &v.location)
    }
}

fn location_matches(pattern: &str, location: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix("/*").filter(|p| !p.contains('*')) {
        if location.starts_with(&format!("{prefix}/")) {
            return true;
        }
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let l: Vec<&str> = location.split('/').collect();
    p.len() == l.len() && p.iter().zip(&l).all(|(a, b)| *a == "*" || a == b)
}

/// Every operation the sandbox serves, by method and normalised path template.
pub struct Contract {
    operations: HashMap<String, Operation>,
    exceptions: Vec<Exception>,
}

/// Why the contract could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A spec file could not be read or resolved.
    #[error(transparent)]
    Spec(#[from] openapi::SpecError),
    /// The exceptions file is malformed.
    #[error("contract-exceptions.json: {0}")]
    Exceptions(String),
}

impl Contract {
    /// Reads the spec files the sandbox serves under `specs` (the folder holding `MANIFEST.tsv`).
    pub fn load(specs: &Path) -> Result<Contract, ContractError> {
        let mut docs = openapi::Docs::new(specs.to_path_buf());
        let mut operations = HashMap::new();
        for file in SPEC_FILES {
            for op in request::operations(&mut docs, file)? {
                operations.insert(op.key(), op);
            }
        }
        Ok(Contract {
            operations,
            exceptions: request_exceptions(EXCEPTIONS)?,
        })
    }

    /// The contract for `specs`, built once per process and folder.
    pub fn shared(specs: &Path) -> Result<Arc<Contract>, String> {
        type Loaded = Mutex<HashMap<std::path::PathBuf, Arc<Contract>>>;
        static LOADED: OnceLock<Loaded> = OnceLock::new();
        let loaded = LOADED.get_or_init(Default::default);
        let mut map = crate::sync::lock(loaded);
        if let Some(c) = map.get(specs) {
            return Ok(c.clone());
        }
        let c = Arc::new(Contract::load(specs).map_err(|e| e.to_string())?);
        map.insert(specs.to_path_buf(), c.clone());
        Ok(c)
    }

    /// Number of operations known.
    pub fn operations(&self) -> usize {
        self.operations.len()
    }

    /// The violations of one request, documented exceptions left out.
    pub fn check(&self, req: &RequestView<'_>) -> Vec<Violation> {
        let key = format!("{} {}", req.method, request::normalise(req.template));
        let found = match self.operations.get(&key) {
            Some(op) => op.check(req),
            None => vec![Violation {
                route: format!("{} {}", req.method, req.template),
                request: req.describe(),
                location: Location::Route.to_string(),
                problem: "no operation of the official specs has this method and path".into(),
                spec: "-".into(),
            }],
        };
        found
            .into_iter()
            .filter(|v| !self.exceptions.iter().any(|e| e.covers(v)))
            .collect()
    }
}

/// The `request_exceptions` of the exceptions file; each must give a reason and a source.
fn request_exceptions(text: &str) -> Result<Vec<Exception>, ContractError> {
    let bad = |m: String| ContractError::Exceptions(m);
    let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let list = v["request_exceptions"]
        .as_array()
        .ok_or_else(|| bad("no request_exceptions array".into()))?;
    list.iter()
        .map(|e| {
            let field = |f: &str| {
                e[f].as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("request exception without {f}: {e}")))
            };
            field("reason")?;
            field("source")?;
            Ok(Exception {
                route: field("route")?,
                location: field("location")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!("reject".parse(), Ok(ContractMode::Reject));
        assert_eq!("off".parse(), Ok(ContractMode::Off));
        assert!("strict".parse::<ContractMode>().is_err());
    }

    #[test]
    fn the_compiled_in_exceptions_all_have_reasons_and_sources() {
        let list = request_exceptions(EXCEPTIONS).unwrap_or_else(|e| panic!("{e}"));
        assert!(!list.is_empty());
        let none = r#"{"request_exceptions":[{"route":"*","location":"x"}]}"#;
        assert!(request_exceptions(none).is_err());
    }

    #[test]
    fn an_exception_covers_its_route_and_location_prefix() {
        let v = Violation {
            route: "GET /a".into(),
            request: "GET /a".into(),
            location: "body /0/x".into(),
            problem: "p".into(),
            spec: "s".into(),
        };
        let e = |route: &str, location: &str| Exception {
            route: route.into(),
            location: location.into(),
        };
        assert!(e("GET /a", "body /0/x").covers(&v));
        assert!(e("GET /a", "body /*/x").covers(&v));
        assert!(e("*", "body /*").covers(&v));
        assert!(!e("GET /a", "body /*/y").covers(&v));
        assert!(!e("GET /b", "body /*").covers(&v));
        assert!(!e("GET /a", "query x").covers(&v));
    }
}
