//! The receivables commands: `invoice.upsert` (the ERP's invoice or credit memo
//! into the B2B Invoice Portal) and `invoice.balance` (a payment or credit the ERP received
//! elsewhere: open balances follow, and an offline payment may be recorded).
//!
//! The schema checks shapes; [`InvoiceData::problems`] and [`BalanceData::problems`] check what
//! a schema cannot (totals against lines, dates in order, balances within totals), each problem
//! naming its field, so an ERP hears about a bad invoice when it sends it.

use std::collections::BTreeMap;

use bigcommerce_b2b::money::Amount;
use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `invoice.upsert`: create or update an invoice (or credit memo) in the Invoice Portal, found
/// by `external_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company's external id.
    pub company_external_id: String,
    /// The invoice.
    pub invoice: InvoiceData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }

    fn problems(&self) -> Vec<String> {
        self.invoice.problems()
    }
}

/// `invoice.balance`: a payment or credit the ERP received: open balances follow, and an
/// offline payment may be recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// The company's external id.
    pub company_external_id: String,
    /// The balances.
    pub balance: BalanceData,
}

impl CommandSpec for Balance {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }

    fn problems(&self) -> Vec<String> {
        self.balance.problems()
    }
}

/// Invoice or credit memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// An invoice (the portal's type `Invoice`).
    #[default]
    Invoice,
    /// A credit memo (the portal's type `Credit Memo`).
    CreditMemo,
}

impl InvoiceKind {
    /// The portal's `type` text.
    pub fn portal_type(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "Invoice",
            InvoiceKind::CreditMemo => "Credit Memo",
        }
    }
}

/// One invoiced line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// SKU (or the ERP's item code).
    pub sku: String,
    /// Description or product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity invoiced.
    pub quantity: Amount,
    /// Price per unit, before the discount.
    pub unit_price: Amount,
    /// Discount per unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_discount: Option<Amount>,
}

impl InvoiceLine {
    /// Quantity × (price − discount), or `None` on overflow.
    pub fn amount(&self) -> Option<Amount> {
        let net = self
            .unit_price
            .checked_sub(self.unit_discount.unwrap_or(Amount::ZERO))?;
        let units = i128::from(self.quantity.ten_thousandths()) * i128::from(net.ten_thousandths())
            / 10_000;
        i64::try_from(units).ok().map(Amount::from_ten_thousandths)
    }
}

/// A cost beside the lines: freight, sales tax, a fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceCost {
    /// What it is (`Freight`, `Sales Tax`).
    pub description: String,
    /// How much.
    pub amount: Amount,
}

/// The invoice of an `invoice.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceData {
    /// The invoice number (unique in the store).
    pub number: String,
    /// Invoice or credit memo.
    #[serde(default)]
    pub kind: InvoiceKind,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The invoiced total.
    pub total: Amount,
    /// What is left to pay.
    pub open_balance: Amount,
    /// When the ERP computed `open_balance` (RFC 3339): an upsert never raises the balance of
    /// an invoice that a portal payment newer than this lowered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<chrono::NaiveDate>,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<chrono::NaiveDate>,
    /// The BigCommerce order it bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
    /// Create it from the order (`POST /orders/{id}/invoices`) instead of from these fields.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_order: bool,
    /// The buyer's PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
    /// The invoiced lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<InvoiceLine>,
    /// Costs beside the lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub costs: Vec<InvoiceCost>,
    /// The ERP's PDF of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_url: Option<String>,
    /// Terms and conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Extra field name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
}

impl InvoiceData {
    /// The subtotal of the lines, or `None` on overflow.
    pub fn subtotal(&self) -> Option<Amount> {
        self.lines
            .iter()
            .try_fold(Amount::ZERO, |sum, l| sum.checked_add(l.amount()?))
    }

    /// What a schema cannot check, each naming its field: amounts that are negative (an
    /// invoice's) or of mixed signs (a credit memo's, which may be given negative as ERPs keep
    /// them), an open balance beyond the total, lines and costs that do not add up to the
    /// total, a due date before the issue date, `from_order` without an order.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (total, open) = (self.total, self.open_balance);
        match self.kind {
            InvoiceKind::Invoice if total.is_negative() || open.is_negative() => out.push(
                "`invoice.total` and `invoice.open_balance` must not be negative (a credit is a `credit_memo`)"
                    .to_owned(),
            ),
            InvoiceKind::CreditMemo if total.is_negative() != open.is_negative() && open != Amount::ZERO => {
                out.push("`invoice.open_balance` must have the sign of `invoice.total`".to_owned())
            }
            _ => {}
        }
        if out.is_empty() && open.ten_thousandths().abs() > total.ten_thousandths().abs() {
            out.push(format!(
                "`invoice.open_balance` ({open}) is more than `invoice.total` ({total})"
            ));
        }
        if !self.lines.is_empty() {
            let costs = self
                .costs
                .iter()
                .try_fold(Amount::ZERO, |s, c| s.checked_add(c.amount));
            match self
                .subtotal()
                .zip(costs)
                .and_then(|(s, c)| s.checked_add(c))
            {
                Some(sum) if sum.ten_thousandths().abs() == total.ten_thousandths().abs() => {}
                Some(sum) => out.push(format!(
                    "`invoice.total` ({total}) is not the lines and costs ({sum})"
                )),
                None => out.push("`invoice.lines` add up beyond any amount".to_owned()),
            }
        }
        if let (Some(issued), Some(due)) = (self.issued_on, self.due_on) {
            if due < issued {
                out.push(format!(
                    "`invoice.due_on` ({due}) is before `invoice.issued_on` ({issued})"
                ));
            }
        }
        if self.from_order && self.order_id.is_none() {
            out.push("`invoice.from_order` needs `invoice.order_id`".to_owned());
        }
        out
    }
}

/// One invoice of an `invoice.balance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceLine {
    /// The invoice, by the external id its `invoice.upsert` gave it...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_external_id: Option<String>,
    /// ...or by its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// The open balance after this payment or credit.
    pub open_balance: Amount,
    /// What was paid of it (needed for an offline payment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<Amount>,
}

impl BalanceLine {
    /// The invoice as the ERP named it, for messages.
    pub fn name(&self) -> String {
        match (&self.invoice_external_id, &self.invoice_number) {
            (Some(ext), _) => format!("external id `{ext}`"),
            (None, Some(n)) => format!("number `{n}`"),
            (None, None) => "(unnamed)".to_owned(),
        }
    }
}

/// The offline payment an `invoice.balance` records in the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflinePaymentData {
    /// Memo shown to the buyer (cheque number, wire reference).
    pub memo: String,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_name: Option<String>,
}

/// The payload of an `invoice.balance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceData {
    /// ISO 4217 currency code of every amount.
    pub currency: String,
    /// The invoices and their new open balances.
    pub invoices: Vec<BalanceLine>,
    /// Record the paid amounts as one offline payment in the portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_payment: Option<OfflinePaymentData>,
}

impl BalanceData {
    /// What a schema cannot check, each naming its field: negative balances, an offline payment
    /// line without a positive `paid`, an invoice named twice.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, line) in self.invoices.iter().enumerate() {
            if line.open_balance.is_negative() {
                out.push(format!(
                    "`balance.invoices[{i}].open_balance` must not be negative"
                ));
            }
            let paid_ok = line.paid.is_some_and(|p| p > Amount::ZERO);
            if self.offline_payment.is_some() && !paid_ok {
                out.push(format!(
                    "`balance.invoices[{i}].paid` must be more than 0 for an offline payment"
                ));
            }
            if !seen.insert(line.name()) {
                out.push(format!(
                    "`balance.invoices[{i}]` names invoice {} twice",
                    line.name()
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    fn invoice() -> InvoiceData {
        serde_json::from_value(serde_json::json!({
            "number": "INV-1", "currency": "USD", "total": "90.00", "open_balance": 90,
            "issued_on": "2026-11-01", "due_on": "2026-12-01",
            "lines": [{"sku": "A", "quantity": 2, "unit_price": "40.00", "unit_discount": "5"}],
            "costs": [{"description": "Freight", "amount": "20.00"}]
        }))
        .unwrap()
    }

    #[test]
    fn a_consistent_invoice_has_no_problems() {
        let inv = invoice();
        assert_eq!(inv.subtotal(), Some(amount("70")));
        assert!(inv.problems().is_empty(), "{:?}", inv.problems());
    }

    #[test]
    fn each_inconsistency_names_its_field() {
        let mut inv = invoice();
        inv.total = amount("100");
        inv.due_on = chrono::NaiveDate::from_ymd_opt(2026, 10, 1);
        let p = inv.problems().join("; ");
        assert!(
            p.contains("`invoice.total` (100.0000) is not the lines and costs (90.0000)"),
            "{p}"
        );
        assert!(p.contains("`invoice.due_on` (2026-10-01) is before"), "{p}");
        let mut neg = invoice();
        neg.lines.clear();
        neg.total = amount("-5");
        assert!(neg.problems()[0].contains("must not be negative"));
        let mut over = invoice();
        over.open_balance = amount("95");
        assert!(over.problems()[0].contains("is more than `invoice.total`"));
        let mut memo = invoice();
        memo.kind = InvoiceKind::CreditMemo;
        memo.lines.clear();
        memo.total = amount("-30");
        memo.open_balance = amount("-30");
        assert!(memo.problems().is_empty(), "{:?}", memo.problems());
    }

    #[test]
    fn balance_lines_need_a_paid_amount_for_an_offline_payment() {
        let b: BalanceData = serde_json::from_value(serde_json::json!({
            "currency": "USD", "offline_payment": {"memo": "Cheque 12"},
            "invoices": [{"invoice_number": "INV-1", "open_balance": "0"},
                         {"invoice_number": "INV-1", "open_balance": "-1", "paid": "3"}]
        }))
        .unwrap();
        let p = b.problems().join("; ");
        assert!(
            p.contains("`balance.invoices[0].paid` must be more than 0"),
            "{p}"
        );
        assert!(
            p.contains("`balance.invoices[1].open_balance` must not be negative"),
            "{p}"
        );
        assert!(p.contains("names invoice number `INV-1` twice"), "{p}");
    }
}
