//! What each feature of a deployment needs of the token, checked without writing anything.
//!
//! No BigCommerce API tells a token's scopes, and a read passes with a read-only scope, so a
//! store whose token may only read looked ready while the worker could write nothing. Each
//! scope a feature needs is probed by the cheapest request it allows:
//!
//! - a read scope by a `limit=1` read;
//! - a modify scope by a write that cannot change anything: an empty update of an id no entity
//!   has (`PUT /v2/orders/0 {}`, `PUT /companies/0 {}`), or an empty batch (`PUT /v3/customers
//!   []`, `PUT /v3/inventory/adjustments/absolute {"items":[]}`, `PUT /v3/pricelists/0/records
//!   []`). BigCommerce checks the scope before it looks at the request: without the scope the
//!   answer is 403; with it, a 2xx, a 404 or a validation error, and nothing is written.
//!
//! `Customers Login: login` (punch-out) is used by the storefront, not by an API call: it
//! cannot be seen, and is named as a warning.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use bigcommerce_b2b::client::ApiRequest;
use bigcommerce_b2b::{Api, BcClient, BcError};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{Finding, Status};

/// A part of the toolkit a deployment uses, by the scopes it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `company.*`, `user.*`, `address.*`, `quote.upsert`, `salesrep.assign`,
    /// `superadmin.upsert`, `shoppinglist.upsert`.
    Accounts,
    /// `customergroup.upsert`.
    CustomerGroups,
    /// `pricelist.*`.
    PriceLists,
    /// `order.status`, `shipment.*`.
    Orders,
    /// `inventory.*`.
    Inventory,
    /// `invoice.*`.
    Invoices,
    /// `order.create`, `order.cancel` (cXML purchase orders and the ERP's orders).
    PurchaseOrders,
    /// Punch-out: the buyer signed in to the storefront, the cart read back.
    PunchOut,
}

impl Feature {
    /// What the worker takes: every command family (it accepts every command type). Punch-out
    /// is webhook-intake's, set up in the store secret.
    pub const WORKER: [Feature; 7] = [
        Feature::Accounts,
        Feature::CustomerGroups,
        Feature::PriceLists,
        Feature::Orders,
        Feature::Inventory,
        Feature::Invoices,
        Feature::PurchaseOrders,
    ];

    /// Every feature, in the order findings are listed: the worker's, then punch-out.
    pub fn all() -> impl Iterator<Item = Feature> {
        Feature::WORKER.into_iter().chain([Feature::PunchOut])
    }

    /// Its name on the command line and in the findings.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Accounts => "accounts",
            Feature::CustomerGroups => "customer-groups",
            Feature::PriceLists => "price-lists",
            Feature::Orders => "orders",
            Feature::Inventory => "inventory",
            Feature::Invoices => "invoices",
            Feature::PurchaseOrders => "purchase-orders",
            Feature::PunchOut => "punch-out",
        }
    }

    /// What it covers.
    fn covers(self) -> &'static str {
        match self {
            Feature::Accounts => "company.*, user.*, address.*, quote.upsert, salesrep.assign, superadmin.upsert, shoppinglist.upsert",
            Feature::CustomerGroups => "customergroup.upsert",
            Feature::PriceLists => "pricelist.*",
            Feature::Orders => "order.status, shipment.*",
            Feature::Inventory => "inventory.*",
            Feature::Invoices => "invoice.*",
            Feature::PurchaseOrders => "order.create, order.cancel",
            Feature::PunchOut => "the storefront sign-in and the cart sent back",
        }
    }

    /// The scopes it needs.
    fn needs(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Feature::Accounts => &[B2bRead, B2bModify, ProductsRead],
            Feature::CustomerGroups => &[CustomersModify],
            Feature::PriceLists => &[ProductsModify],
            Feature::Orders => &[OrdersModify],
            Feature::Inventory => &[InventoryModify, LocationsRead, ProductsRead],
            Feature::Invoices => &[B2bModify, InvoicePortal],
            Feature::PurchaseOrders => &[OrdersModify, ProductsRead, B2bModify],
            Feature::PunchOut => &[CartsRead],
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Feature {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Feature::all()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Feature::all().map(Feature::name).collect();
                format!(
                    "`{s}` is not a feature; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A scope a feature needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    OrdersModify,
    CustomersModify,
    ProductsModify,
    ProductsRead,
    InventoryModify,
    LocationsRead,
    CartsRead,
    B2bRead,
    B2bModify,
    InvoicePortal,
}

/// A scope and the request that shows whether the token has it.
#[derive(Debug)]
struct Probe {
    /// The scope as the control panel names it.
    scope: &'static str,
    /// Its OAuth parameter (an app's scopes), where the specs name it.
    parameter: Option<&'static str>,
    api: Api,
    method: Method,
    path: &'static str,
    /// The JSON body of a write probe.
    body: Option<Value>,
}

impl Scope {
    fn probe(self) -> Probe {
        let read = |scope, parameter, api, path| Probe {
            scope,
            parameter,
            api,
            method: Method::GET,
            path,
            body: None,
        };
        let write = |scope, parameter, api, path, body| Probe {
            scope,
            parameter,
            api,
            method: Method::PUT,
            path,
            body: Some(body),
        };
        match self {
            Scope::OrdersModify => write(
                "Orders: modify",
                Some("store_v2_orders"),
                Api::Core,
                "/v2/orders/0",
                json!({}),
            ),
            Scope::CustomersModify => write(
                "Customers: modify",
                Some("store_v2_customers"),
                Api::Core,
                "/v3/customers",
                json!([]),
            ),
            Scope::ProductsModify => write(
                "Products: modify",
                Some("store_v2_products"),
                Api::Core,
                "/v3/pricelists/0/records",
                json!([]),
            ),
            Scope::ProductsRead => read(
                "Products: read-only",
                Some("store_v2_products_read_only"),
                Api::Core,
                "/v3/catalog/variants",
            ),
            Scope::InventoryModify => write(
                "Store Inventory: modify",
                Some("store_inventory"),
                Api::Core,
                "/v3/inventory/adjustments/absolute",
                json!({"items": []}),
            ),
            Scope::LocationsRead => read(
                "Store Locations: read-only",
                Some("store_locations_read_only"),
                Api::Core,
                "/v3/inventory/locations",
            ),
            Scope::CartsRead => read(
                "Carts: read-only",
                Some("store_cart_read_only"),
                Api::Core,
                NO_CART_PATH,
            ),
            Scope::B2bRead => read("B2B Edition", None, Api::B2b, "/companies"),
            Scope::B2bModify => write(
                "B2B Edition: modify",
                None,
                Api::B2b,
                "/companies/0",
                json!({}),
            ),
            Scope::InvoicePortal => read(
                "B2B Edition (Invoice Portal)",
                None,
                Api::B2b,
                "/ip/invoices",
            ),
        }
    }
}

/// A cart that cannot exist, read as punch-out reads a shopper's cart.
const NO_CART_PATH: &str = "/v3/carts/00000000-0000-4000-8000-000000000000";

impl Probe {
    /// `METHOD /path` as the findings show it.
    fn request(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The scope, with its parameter when known: "`Orders: modify` (`store_v2_orders`)".
    fn named(&self) -> String {
        match self.parameter {
            Some(p) => format!("`{}` (`{p}`)", self.scope),
            None => format!("`{}`", self.scope),
        }
    }
}

/// What a probe showed.
#[derive(Debug, Clone)]
enum Seen {
    /// The request got past the scope check: what it was answered.
    Granted(String),
    /// 403: the scope is missing.
    Missing,
    /// Something else went wrong: what, and the fix.
    Failed(String, String),
}

async fn run(client: &BcClient, probe: &Probe) -> Seen {
    let mut req = ApiRequest::new(probe.api, probe.method.clone(), probe.path);
    if probe.method == Method::GET && probe.path != NO_CART_PATH {
        req = req.query("limit", 1);
    }
    if let Some(body) = &probe.body {
        req = match req.json(body) {
            Ok(r) => r,
            Err(e) => return Seen::Failed(e.to_string(), "report this as a bug".into()),
        };
    }
    match client.execute(&req).await {
        Ok(resp) => Seen::Granted(format!("answered {}", resp.status)),
        Err(BcError::Unauthorized { status: 403, .. }) => Seen::Missing,
        Err(BcError::Unauthorized { status, .. }) => Seen::Failed(
            format!("answered {status}: the token is not accepted"),
            "check the store hash and the access token".into(),
        ),
        Err(BcError::NotFound { .. }) if probe.method == Method::GET && probe.api == Api::B2b => {
            Seen::Failed(
                "answered 404: B2B Edition (or this part of it) does not answer for this store"
                    .into(),
                "enable B2B Edition for the store (and its Invoice Portal for invoices)".into(),
            )
        }
        Err(BcError::NotFound { .. }) => Seen::Granted("answered 404".into()),
        Err(BcError::Rejected { status, .. }) => Seen::Granted(format!("answered {status}")),
        Err(e) if e.is_retryable() => Seen::Failed(
            format!("failed: {e}"),
            "the store did not answer; run the doctor again".into(),
        ),
        Err(e) => Seen::Failed(format!("failed: {e}"), "see the error".into()),
    }
}

/// One finding per feature in `features`: every scope it needs, each probe sent once.
pub async fn check(client: &BcClient, features: &[Feature]) -> Vec<Finding> {
    let mut seen: HashMap<Scope, Seen> = HashMap::new();
    let mut findings = Vec::new();
    for feature in Feature::all().filter(|f| features.contains(f)) {
        for scope in feature.needs() {
            if !seen.contains_key(scope) {
                let outcome = run(client, &scope.probe()).await;
                seen.insert(*scope, outcome);
            }
        }
        findings.push(finding(feature, &seen));
        if feature == Feature::PunchOut {
            findings.push(customer_login());
        }
    }
    findings
}

fn finding(feature: Feature, seen: &HashMap<Scope, Seen>) -> Finding {
    let check = format!("feature: {feature}");
    let mut granted = Vec::new();
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for scope in feature.needs() {
        let probe = scope.probe();
        match seen.get(scope) {
            Some(Seen::Granted(answer)) => {
                granted.push(format!("{} ({} {answer})", probe.scope, probe.request()));
            }
            Some(Seen::Missing) => {
                problems.push(format!(
                    "{} answered 403: the token lacks `{}`",
                    probe.request(),
                    probe.scope
                ));
                fixes.push(format!("grant {}", probe.named()));
            }
            Some(Seen::Failed(what, fix)) => {
                problems.push(format!("{} {what}", probe.request()));
                fixes.push(fix.clone());
            }
            None => {}
        }
    }
    if problems.is_empty() {
        return Finding::new(
            &check,
            Status::Pass,
            format!("{}: {}", feature.covers(), granted.join(", ")),
            None,
        );
    }
    fixes.dedup();
    Finding::new(
        &check,
        Status::Fail,
        format!("{} cannot be applied: {}", feature.covers(), problems.join("; ")),
        Some(format!(
            "{} (Settings → API → Store-level API accounts, or the app's scopes), then use the new token; or leave `{feature}` out of --features if the deployment does not use it",
            fixes.join("; ")
        )),
    )
}

/// `Customers Login: login` signs buyers in on the storefront: no API call shows it.
fn customer_login() -> Finding {
    Finding::new(
        "scope: customers login (punch-out)",
        Status::Warn,
        "`Customers Login: login` is used by the storefront's sign-in, not by an API call: it cannot be seen from here",
        Some("give the API account whose client_secret signs the login tokens (the store secret's client_id) the scope `Customers Login: login`".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_named_on_the_command_line() {
        for f in Feature::all() {
            assert_eq!(f.name().parse::<Feature>(), Ok(f));
        }
        let e = "orderz".parse::<Feature>().unwrap_err();
        assert!(e.contains("accounts, customer-groups"), "{e}");
    }

    #[test]
    fn every_write_the_worker_makes_has_its_modify_scope_probed() {
        let modify = |f: Feature| -> Vec<&str> {
            f.needs()
                .iter()
                .map(|s| s.probe())
                .filter(|p| p.method != Method::GET)
                .map(|p| p.scope)
                .collect()
        };
        assert_eq!(modify(Feature::Orders), ["Orders: modify"]);
        assert_eq!(modify(Feature::Inventory), ["Store Inventory: modify"]);
        assert!(modify(Feature::PurchaseOrders).contains(&"Orders: modify"));
        assert!(Feature::Inventory.needs().contains(&Scope::LocationsRead));
        for f in Feature::WORKER {
            assert!(!f.needs().is_empty(), "{f}");
        }
    }
}
