//! The purchase-order commands: `order.create` (a purchase order, from an ERP or a procurement
//! system's cXML `OrderRequest` (webhook-intake turns one into the other), to become a
//! BigCommerce order for a company's buyer with its PO number recorded in B2B Edition) and
//! `order.cancel` (a buyer's cancellation).
//!
//! The schema checks shapes; [`OrderData::problems`] checks what a schema cannot (a total that
//! disagrees with its lines), each problem naming its field.

use bigcommerce_b2b::money::Amount;
use serde::{Deserialize, Serialize};

use crate::order_ref::OrderRef;
use crate::spec::CommandSpec;

/// `order.create`: a BigCommerce order created once from a purchase order, for a company's
/// buyer, with its PO number recorded in B2B Edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateOrder {
    /// The company, by its external id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_external_id: Option<String>,
    /// ...or by its procurement identity (the company extra field
    /// `PROCUREMENT_IDENTITY_FIELD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_identity: Option<String>,
    /// The purchase order (boxed: it is the largest payload).
    pub order: Box<OrderData>,
    /// The cXML exchange it came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procurement: Option<ProcurementRef>,
}

impl CommandSpec for CreateOrder {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        self.company_external_id.as_deref()
    }

    fn problems(&self) -> Vec<String> {
        self.order.problems()
    }
}

/// `order.cancel`: an order cancelled (status 5) unless it shipped, completed or was refunded:
/// a buyer's cancellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelOrder {
    /// The order.
    pub order: OrderRef,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The cXML exchange it came from (an `OrderRequest type="delete"`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procurement: Option<ProcurementRef>,
}

impl CommandSpec for CancelOrder {
    fn order(&self) -> Option<&OrderRef> {
        Some(&self.order)
    }

    /// A cancellation by reference follows its `order.create` (whose group is the order's
    /// external id, the reference): never ahead of it in a FIFO queue.
    fn follows(&self) -> Option<&str> {
        self.order.reference.as_deref()
    }
}

/// The company extra field an `order.create`'s `company_identity` is found in unless
/// `PROCUREMENT_IDENTITY_FIELD` names another.
pub const DEFAULT_PROCUREMENT_IDENTITY_FIELD: &str = "procurement_id";

/// A purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderData {
    /// The buyer's PO number (recorded on the B2B Edition order).
    pub po_number: String,
    /// The company buyer placing it (default: the company's administrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// The lines, in order.
    pub lines: Vec<OrderLine>,
    /// Shipping cost, before tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Amount>,
    /// Tax on the whole order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<Amount>,
    /// The total, when the source states one: lines + shipping + tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Amount>,
    /// Where it goes (default: `bill_to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<OrderAddress>,
    /// Who is billed.
    pub bill_to: OrderAddress,
    /// Shown to staff on the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// The status to create it in (default: the worker's `ORDER_CREATE_STATUS_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The variant's SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// The agreed price per unit, before tax.
    pub unit_price: Amount,
    /// The buyer's description of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The purchase order's own line number (cXML `lineNumber`), which ship notices name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_number: Option<u32>,
    /// The unit of measure (cXML `UnitOfMeasure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<String>,
}

/// A postal address of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAddress {
    /// First name of the addressee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name of the addressee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Street and number.
    pub line1: String,
    /// Building, floor, attention...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// ZIP or postal code (BigCommerce needs two or more characters).
    pub zip_code: String,
    /// ISO 3166 alpha-2 country code.
    pub country_code: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Where a purchase order came from, when a procurement system sent it as cXML: what its
/// confirmations and ship notices refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcurementRef {
    /// The trading partner's name (its entry in the store secret).
    pub partner: String,
    /// The OrderRequest's payloadID.
    pub payload_id: String,
    /// The OrderRequest's orderID.
    pub order_id: String,
    /// The OrderRequest's orderDate, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<String>,
    /// The buyer's `From` credential, which documents sent back are addressed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<BuyerCredential>,
    /// Set when the PO's `Total` matched neither its lines nor its lines, tax and shipping and
    /// the order was taken at its lines: said in the confirmation's comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_note: Option<String>,
    /// The emails of the people the PO is for (its `Contact role="endUser"`, then its `ShipTo`
    /// email), in order: the first that is a buyer of the company places the order (unless
    /// `order.buyer_email` names one), else the company's administrator does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_buyers: Vec<String>,
}

/// A cXML credential of the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerCredential {
    /// Its domain (`NetworkID`, `DUNS`...).
    pub domain: String,
    /// Its identity.
    pub identity: String,
}

impl OrderData {
    /// The sum of the lines (`None` on overflow).
    pub fn lines_total(&self) -> Option<Amount> {
        self.lines.iter().try_fold(Amount::default(), |sum, l| {
            let units = l
                .unit_price
                .ten_thousandths()
                .checked_mul(l.quantity as i64)?;
            sum.checked_add(Amount::from_ten_thousandths(units))
        })
    }

    /// What the schema cannot check: negative amounts and a total that is not lines +
    /// shipping + tax.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if l.unit_price.is_negative() {
                problems.push(format!(
                    "`order.lines[{i}].unit_price` must not be negative"
                ));
            }
        }
        for (field, amount) in [("shipping", self.shipping), ("tax", self.tax)] {
            if amount.is_some_and(Amount::is_negative) {
                problems.push(format!("`order.{field}` must not be negative"));
            }
        }
        let Some(total) = self.total else {
            return problems;
        };
        let expected = self.lines_total().and_then(|lines| {
            lines
                .checked_add(self.shipping.unwrap_or_default())?
                .checked_add(self.tax.unwrap_or_default())
        });
        match expected {
            Some(expected) if expected == total => {}
            Some(expected) => problems.push(format!(
                "`order.total` {total} is not the lines plus shipping plus tax ({expected})"
            )),
            None => problems.push("`order.lines`: the amounts overflow".into()),
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(total: &str) -> OrderData {
        serde_json::from_value(json!({
            "po_number": "4500012345", "currency": "USD",
            "lines": [{"sku": "A", "quantity": 3, "unit_price": "12.50"},
                      {"sku": "B", "quantity": 1, "unit_price": 4}],
            "shipping": "10", "tax": "3.25", "total": total,
            "bill_to": {"line1": "1 Main St", "city": "Austin", "zip_code": "78701", "country_code": "US"}
        }))
        .unwrap()
    }

    #[test]
    fn the_total_must_be_the_lines_plus_shipping_and_tax() {
        assert_eq!(order("54.75").problems(), Vec::<String>::new());
        let problems = order("54.70").problems();
        assert_eq!(
            problems,
            ["`order.total` 54.7000 is not the lines plus shipping plus tax (54.7500)"]
        );
    }

    #[test]
    fn negative_amounts_are_named() {
        let mut o = order("54.75");
        o.total = None;
        o.tax = Some(Amount::parse("-1").unwrap());
        o.lines[1].unit_price = Amount::parse("-4").unwrap();
        assert_eq!(
            o.problems(),
            [
                "`order.lines[1].unit_price` must not be negative",
                "`order.tax` must not be negative"
            ]
        );
    }
}
