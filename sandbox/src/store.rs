//! The in-memory data of one store: every entity kept as the JSON object the API returns, keyed
//! by id. It serializes to (and loads from) the `GET /__sandbox/state` / `--seed FILE` shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// All entities of the store.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Store {
    /// Last id handed out per entity kind (ids never repeat after deletes).
    pub counters: BTreeMap<String, i64>,
    /// Catalog variants (`variant_id` → `{variant_id, product_id, sku, product_name, price}`).
    pub variants: BTreeMap<i64, Value>,
    /// B2B companies by `companyId`.
    pub companies: BTreeMap<i64, Value>,
    /// B2B users by `id`.
    pub users: BTreeMap<i64, Value>,
    /// B2B addresses by `addressId`.
    pub addresses: BTreeMap<i64, Value>,
    /// B2B quotes by `quoteId` (detail shape plus `quoteId`, `companyId`, `company`).
    pub quotes: BTreeMap<i64, Value>,
    /// B2B orders by `bcOrderId`.
    pub b2b_orders: BTreeMap<i64, Value>,
    /// Core price lists by id.
    pub pricelists: BTreeMap<i64, Value>,
    /// Price-list records by `"{price_list_id}:{variant_id:010}:{currency}"`.
    pub records: BTreeMap<String, Value>,
    /// Price-list assignments by id.
    pub assignments: BTreeMap<i64, Value>,
    /// v2 customer groups by id.
    pub customer_groups: BTreeMap<i64, Value>,
    /// v3 customers by id.
    pub customers: BTreeMap<i64, Value>,
    /// v2 orders by id.
    pub orders: BTreeMap<i64, Value>,
    /// v2 order products by order id.
    pub order_products: BTreeMap<i64, Vec<Value>>,
    /// v2 order shipping addresses by order id.
    pub order_shipping_addresses: BTreeMap<i64, Vec<Value>>,
    /// Inventory locations by id.
    pub locations: BTreeMap<i64, Value>,
    /// Stock levels by `"{location_id}:{variant_id:010}"`.
    pub inventory: BTreeMap<String, i64>,
    /// v2 order shipments by order id.
    pub shipments: BTreeMap<i64, Vec<Value>>,
    /// v3 order metafields by order id.
    pub order_metafields: BTreeMap<i64, Vec<Value>>,
    /// Invoice Portal invoices by id (the `GET /ip/invoices/{id}` shape plus the write-only
    /// `issuedAt` and `externalPdfUrl`).
    pub invoices: BTreeMap<i64, Value>,
    /// Invoice Portal payments by id (the `GET /ip/payments/{id}` shape).
    pub payments: BTreeMap<i64, Value>,
    /// Invoice Portal receipts by id (the `GET /ip/receipts/{id}` shape).
    pub receipts: BTreeMap<i64, Value>,
    /// Invoice Portal receipt lines by id (the `GET /ip/receipt-lines` item shape).
    pub receipt_lines: BTreeMap<i64, Value>,
    /// v3 webhooks by id.
    pub hooks: BTreeMap<i64, Value>,
    /// Blocked webhook destination domains (`GET /v3/hooks/admin` shape).
    pub blocked_domains: Vec<Value>,
    /// The store's payment methods (`GET /io/payments` items); empty: the defaults of
    /// `model::company_terms`.
    pub payment_methods: Vec<Value>,
    /// Per company, payment method code → enabled (codes absent: enabled).
    pub company_payments: BTreeMap<i64, BTreeMap<String, Value>>,
    /// Per company, its payment terms (`{isEnabled, paymentTerms}`).
    pub company_terms: BTreeMap<i64, Value>,
    /// Per company, its credit (the `GET /companies/{id}/credit` data).
    pub company_credit: BTreeMap<i64, Value>,
    /// The store's company credit feature is off: the credit routes answer 400.
    pub credit_disabled: bool,
    /// The store uses Independent Companies behavior: `PUT /companies/{id}/catalogs` answers 405.
    pub independent_companies: bool,
    /// Sales staff by id (`{id, email, name, phoneNumber, roleName, assigned: {companyId:
    /// assignedAt}}`).
    pub sales_staff: BTreeMap<i64, Value>,
    /// Super admins by id (the list item shape plus `customerId` and `assigned`).
    pub super_admins: BTreeMap<i64, Value>,
    /// B2B shopping lists by id (the list shape plus its `items`).
    pub shopping_lists: BTreeMap<i64, Value>,
    /// Custom company user roles by id (`{id, name, permissions}`; ids after the predefined).
    pub company_roles: BTreeMap<i64, Value>,
    /// Carts by id (the `GET /v3/carts/{cartId}` data).
    pub carts: BTreeMap<String, Value>,
    /// Customer login attempts at `/login/token/{jwt}`, oldest first (`{customer_id, jti,
    /// channel_id, redirect_to, at, signed_in, reason}`).
    pub storefront_logins: Vec<Value>,
}

impl Store {
    /// A copy of the account entities only (counters, companies, users, addresses, customers and
    /// customer groups): what a bulk create validates on before it writes, without copying a
    /// large store's orders, catalog and price records on every request.
    pub fn accounts_copy(&self) -> Store {
        Store {
            counters: self.counters.clone(),
            companies: self.companies.clone(),
            users: self.users.clone(),
            addresses: self.addresses.clone(),
            customers: self.customers.clone(),
            customer_groups: self.customer_groups.clone(),
            ..Store::default()
        }
    }

    /// Next id for `kind`, above both the counter and the largest key of `existing`.
    pub fn next_id(&mut self, kind: &str, existing_max: Option<i64>) -> i64 {
        let c = self.counters.entry(kind.to_string()).or_insert(0);
        let next = (*c).max(existing_max.unwrap_or(0)) + 1;
        *c = next;
        next
    }

    /// Key of a price-list record.
    pub fn record_key(price_list_id: i64, variant_id: i64, currency: &str) -> String {
        format!(
            "{price_list_id}:{variant_id:010}:{}",
            currency.to_ascii_lowercase()
        )
    }

    /// The variant with this SKU, if any.
    pub fn variant_by_sku(&self, sku: &str) -> Option<&Value> {
        self.variants
            .values()
            .find(|v| v.get("sku").and_then(Value::as_str) == Some(sku))
    }

    /// The B2B user linked to a core customer id.
    pub fn user_by_customer(&self, customer_id: i64) -> Option<&Value> {
        self.users
            .values()
            .find(|u| int(u, "customerId") == Some(customer_id))
    }
}

/// Largest key of a map.
pub fn max_key<V>(m: &BTreeMap<i64, V>) -> Option<i64> {
    m.keys().next_back().copied()
}

/// Integer field, accepting numbers and numeric strings.
pub fn int(v: &Value, field: &str) -> Option<i64> {
    match v.get(field)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// String field (numbers are formatted).
pub fn text(v: &Value, field: &str) -> String {
    match v.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Seconds since the Unix epoch now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// RFC 2822 date as BigCommerce v2 writes it (`Tue, 20 Nov 2012 00:00:00 +0000`).
pub fn rfc2822(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// ISO 8601 date as v3 writes it (`2022-01-01T00:00:00Z`).
pub fn iso8601(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Parses a date given as unix seconds, RFC 2822, RFC 3339 or `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(d.timestamp());
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp());
    }
    None
}

/// Parses a B2B `MM/DD/YYYY` date into unix seconds.
pub fn parse_mdy(s: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%m/%d/%Y")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// A deterministic UUID-shaped string for an entity kind and id.
pub fn uuid_for(kind: u32, id: i64) -> String {
    format!("{kind:08x}-0000-4000-8000-{:012x}", id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let s = rfc2822(1_353_369_600);
        assert_eq!(s, "Tue, 20 Nov 2012 00:00:00 +0000");
        assert_eq!(parse_date(&s), Some(1_353_369_600));
        assert_eq!(parse_date("2012-11-20T00:00:00Z"), Some(1_353_369_600));
        assert_eq!(parse_date("2012-11-20"), Some(1_353_369_600));
        assert_eq!(parse_date("1353369600"), Some(1_353_369_600));
        assert_eq!(parse_mdy("11/20/2012"), Some(1_353_369_600));
        assert_eq!(parse_date("nonsense"), None);
    }

    #[test]
    fn ids_never_repeat() {
        let mut s = Store::default();
        assert_eq!(s.next_id("x", None), 1);
        assert_eq!(s.next_id("x", Some(7)), 8);
        assert_eq!(s.next_id("x", Some(3)), 9);
    }

    #[test]
    fn lenient_fields() {
        let v = serde_json::json!({"a": "12", "b": 3, "c": true});
        assert_eq!(int(&v, "a"), Some(12));
        assert_eq!(int(&v, "b"), Some(3));
        assert_eq!(text(&v, "b"), "3");
        assert_eq!(text(&v, "c"), "true");
        assert_eq!(int(&v, "zz"), None);
    }
}
