//! The B2B Edition Invoice Portal (`/api/v3/io/ip`, `invoice-management.yaml`): invoices in
//! [`invoices`] (an order's in [`from_order`]), payments in [`payments`] (changed in
//! [`offline`]), receipts and receipt lines in [`receipts`], a buyer's card payment in the
//! portal in [`portal`]; here what they share (refusals, money, list sorting and search). Pure
//! store mutations: each validates its input and refuses with a [`Refusal`] (the answer's
//! status and `errMsg`), builds the entity in the shape the API returns and keeps the links (a
//! payment lowers the open balance of the invoices it pays and records a receipt; an invoice
//! made from an order carries its lines).
//!
//! Money is exact ([`Amount`], ten-thousandths of a unit): answers write it as a 4-decimal string
//! (`"100.0000"`), requests may send a number or a numeric string.

use serde_json::{json, Value};

use crate::store::{int, text, Store};

pub mod from_order;
pub mod invoices;
pub mod offline;
pub mod payments;
pub mod portal;
pub mod receipts;

pub use from_order::invoice_from_order;
pub use invoices::{
    create_invoice, delete_invoice, invoice_answer, update_invoice, DUPLICATE_NUMBER, OPEN, PAID,
    PARTIALLY_PAID,
};

/// Why the portal refused a request: the answer's status, with its `errMsg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 422 `Parameter Error`: a field is missing or does not read.
    Invalid(String),
    /// 400 `Bad Requests Error`: the request conflicts with the store (duplicate, not allowed).
    Bad(String),
    /// 404 `Not Found Error`.
    NotFound(String),
}

/// A portal mutation's result.
pub type Outcome<T> = Result<T, Refusal>;

/// What a payment mutation needs besides the store.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Now, in unix seconds.
    pub now: i64,
    /// The store's hash (`storeHash` of payments and receipts).
    pub store_hash: &'a str,
}

/// The module of payments recorded by the seller.
pub const OFFLINE_MODULE: &str = "payments_offline";
/// The module of payments buyers make in the portal (through a BigCommerce order).
pub const PORTAL_MODULE: &str = "payments_bigcommerce_sales_order";

/// A 422 refusal saying `msg`.
pub(crate) fn invalid<T>(msg: impl Into<String>) -> Outcome<T> {
    Err(Refusal::Invalid(msg.into()))
}

/// An exact amount of money in ten-thousandths of a unit (the portal's 4 decimals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(pub i64);

impl Amount {
    /// Parses `"12"`, `"-3.5"`, `"100.0000"`; more than 4 decimals or anything else is `None`.
    pub fn parse(s: &str) -> Option<Amount> {
        let t = s.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let digits_only = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits_only(whole) || !digits_only(frac) {
            return None;
        }
        if frac.len() > 4 || whole.len() > 14 {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = format!("{frac:0<4}").parse().ok()?;
        let units = whole * 10_000 + frac;
        Some(Amount(if neg { -units } else { units }))
    }

    /// The amount a request value holds: a number or a numeric string.
    pub fn from_json(v: &Value) -> Option<Amount> {
        match v {
            Value::String(s) => Amount::parse(s),
            Value::Number(n) => Amount::parse(&n.to_string()),
            _ => None,
        }
    }

    /// The value of stored money `{code, value}` (0 when it does not read).
    pub fn of(money: &Value) -> Amount {
        money
            .get("value")
            .and_then(Amount::from_json)
            .unwrap_or_default()
    }

    /// As the portal writes it: `"100.0000"`.
    pub fn text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:04}", abs / 10_000, abs % 10_000)
    }

    /// As a float (for a v2 order's price).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 10_000.0
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, o: Amount) -> Amount {
        Amount(self.0.saturating_add(o.0))
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, o: Amount) -> Amount {
        Amount(self.0.saturating_sub(o.0))
    }
}

/// Money as answers carry it: `{code, value: "0.0000"}`.
pub fn money(code: &str, amount: Amount) -> Value {
    json!({"code": code, "value": amount.text()})
}

/// Whether `code` reads as a currency code: three ASCII letters.
pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A request's `{code, value}` at `field`: the code upper-cased and the amount.
pub(crate) fn read_money(body: &Value, field: &str) -> Outcome<(String, Amount)> {
    let m = &body[field];
    let code = text(m, "code").to_ascii_uppercase();
    if !is_currency(&code) {
        return invalid(format!("{field}.code must be a 3-letter currency code"));
    }
    match m.get("value").and_then(Amount::from_json) {
        Some(a) => Ok((code, a)),
        None => invalid(format!(
            "{field}.value must be a number with at most 4 decimal places"
        )),
    }
}

/// The names of the `fields` a body lacks (absent, null, blank or empty).
pub fn missing(body: &Value, fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| match body.get(**f) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        })
        .map(|f| (*f).to_owned())
        .collect()
}

/// The 422 of missing required fields: `"a, b: This field is required."`.
pub fn require(body: &Value, fields: &[&str]) -> Outcome<()> {
    let gone = missing(body, fields);
    if gone.is_empty() {
        Ok(())
    } else {
        invalid(format!("{}: This field is required.", gone.join(", ")))
    }
}

/// The name of company `id` (a B2B company id as text), or 404 naming it.
pub fn company_name(store: &Store, id: &str) -> Outcome<String> {
    id.trim()
        .parse::<i64>()
        .ok()
        .and_then(|c| store.companies.get(&c))
        .map(|c| text(c, "companyName"))
        .ok_or_else(|| Refusal::NotFound(format!("Company {id} does not exist")))
}

/// The display name of channel `id`.
pub fn channel_name(id: i64) -> String {
    if id == 1 {
        "Default".into()
    } else {
        format!("Channel {id}")
    }
}

/// How a list entry sorts on a field: numbers (numeric text and money values included) before
/// text (case-insensitive), missing values first.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortKey {
    Missing,
    Number(f64),
    Text(String),
}

fn sort_key(item: &Value, field: &str) -> SortKey {
    let v = match field {
        "totalAmount" => item.get("total"),
        f => item.get(f),
    };
    match v {
        Some(Value::Object(m)) => m
            .get("value")
            .and_then(Amount::from_json)
            .map_or(SortKey::Missing, |a| SortKey::Number(a.as_f64())),
        Some(Value::Number(n)) => SortKey::Number(n.as_f64().unwrap_or(0.0)),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_or_else(|_| SortKey::Text(s.to_lowercase()), SortKey::Number),
        _ => SortKey::Missing,
    }
}

/// Sorts list entries on `field` (ties by id), descending when `desc`.
pub fn sort_items(items: &mut [Value], field: &str, desc: bool) {
    items.sort_by(|a, b| {
        let o = sort_key(a, field)
            .partial_cmp(&sort_key(b, field))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| int(a, "id").cmp(&int(b, "id")));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

/// Whether `q` is a case-insensitive part of one of `fields` of the entry.
pub fn search_matches(item: &Value, fields: &[&str], q: &str) -> bool {
    let q = q.to_lowercase();
    fields
        .iter()
        .any(|f| text(item, f).to_lowercase().contains(&q))
}

/// What the submodules' tests start from.
#[cfg(test)]
mod fixtures {
    use serde_json::{json, Value};

    use super::payments::Ctx;
    use crate::store::{text, Store};

    /// The context of a test mutation.
    pub const CTX: Ctx<'static> = Ctx {
        now: 50,
        store_hash: "teststore",
    };

    /// Two companies; invoice 1 of company 1 (100 USD open), invoice 2 of company 2.
    pub fn store() -> Store {
        let mut s = crate::seed::generate(2, 0, 0);
        for (n, c) in [("INV-1", "1"), ("INV-2", "2")] {
            let b = json!({"invoiceNumber": n, "customerId": c,
                "originalBalance": {"code": "USD", "value": 100}, "openBalance": {"code": "USD", "value": 100}});
            super::create_invoice(&mut s, &b, 1).unwrap_or_default();
        }
        s
    }

    /// An offline payment of `amount` on invoice 1.
    pub fn offline(amount: &str) -> Value {
        json!({"lineItems": [{"invoiceId": 1, "amount": amount}], "currency": "USD",
            "details": {"memo": "CHK-1"}, "customerId": "1"})
    }

    /// Invoice 1's open balance.
    pub fn open(s: &Store) -> String {
        text(&s.invoices[&1]["openBalance"], "value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_with_four_decimals() {
        assert_eq!(
            Amount::parse("12.5").map(Amount::text),
            Some("12.5000".into())
        );
        assert_eq!(
            Amount::from_json(&json!(100)).map(Amount::text),
            Some("100.0000".into())
        );
        assert_eq!(
            Amount::parse("-0.0100").map(Amount::text),
            Some("-0.0100".into())
        );
        assert_eq!(Amount::parse("1.23456"), None);
        assert_eq!(Amount::parse("abc"), None);
        assert_eq!(Amount::from_json(&json!(true)), None);
        let sum =
            Amount::parse("0.1").unwrap_or_default() + Amount::parse("0.2").unwrap_or_default();
        assert_eq!(sum.text(), "0.3000");
    }

    #[test]
    fn lists_sort_numbers_money_and_text() {
        let mut items = vec![
            json!({"id": 1, "n": "00000010", "m": {"value": "9.5000"}}),
            json!({"id": 2, "n": "00000002", "m": {"value": "10.0000"}}),
            json!({"id": 3, "n": "abc"}),
        ];
        sort_items(&mut items, "n", false);
        let ids: Vec<_> = items.iter().filter_map(|i| int(i, "id")).collect();
        assert_eq!(ids, [2, 1, 3]);
        sort_items(&mut items, "m", true);
        let ids: Vec<_> = items.iter().filter_map(|i| int(i, "id")).collect();
        assert_eq!(ids, [2, 1, 3]);
        assert!(search_matches(&items[0], &["n", "x"], "0000"));
        assert!(!search_matches(&items[0], &["x"], "0000"));
    }
}
