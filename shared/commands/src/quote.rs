//! `quote.upsert`: a sales quote for a company's buyer, priced by the ERP, created or brought to
//! what the command says (lines, expiry, status).

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `quote.upsert`: create a quote for a company's buyer, or update it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company's external id.
    pub company_external_id: String,
    /// The quote.
    pub quote: QuoteData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }
}

/// Quote status as the API codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// 0.
    New,
    /// 2.
    InProcess,
    /// 3.
    UpdatedByCustomer,
    /// 4.
    Ordered,
    /// 5.
    Expired,
    /// 6.
    Archived,
    /// 7.
    Draft,
}

impl QuoteStatus {
    /// The command's name of the status.
    pub fn name(self) -> &'static str {
        match self {
            QuoteStatus::New => "new",
            QuoteStatus::InProcess => "in_process",
            QuoteStatus::UpdatedByCustomer => "updated_by_customer",
            QuoteStatus::Ordered => "ordered",
            QuoteStatus::Expired => "expired",
            QuoteStatus::Archived => "archived",
            QuoteStatus::Draft => "draft",
        }
    }

    /// True for the statuses a command may ask for: BigCommerce's API links an order
    /// (`ordered`) and moves the expiry date (`expired`); a quote it creates is `in_process`.
    /// Neither `POST` nor `PUT /rfq` takes a status.
    pub fn settable(self) -> bool {
        matches!(
            self,
            QuoteStatus::Ordered | QuoteStatus::Expired | QuoteStatus::InProcess
        )
    }

    /// The numeric code the API uses.
    pub fn code(self) -> i64 {
        match self {
            QuoteStatus::New => 0,
            QuoteStatus::InProcess => 2,
            QuoteStatus::UpdatedByCustomer => 3,
            QuoteStatus::Ordered => 4,
            QuoteStatus::Expired => 5,
            QuoteStatus::Archived => 6,
            QuoteStatus::Draft => 7,
        }
    }
}

/// One line of a quote, priced by the ERP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// SKU.
    pub sku: String,
    /// Product id.
    pub product_id: i64,
    /// Variant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Quantity.
    pub quantity: i64,
    /// List price per unit.
    pub base_price: f64,
    /// Offered price per unit.
    pub offered_price: f64,
}

/// The quote of a `quote.upsert`: created when absent, else its lines, expiry and status are
/// brought to what the command says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteData {
    /// The buyer the quote is for (a user of the company).
    pub buyer_email: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Expiry date, `YYYY-MM-DD`.
    pub expires_on: String,
    /// Notes for the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Lines (required to create).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<QuoteLine>,
    /// Status to move the quote to: `ordered` (with `order_id`), `expired` or `in_process`
    /// (what a quote created through the API is); BigCommerce's API sets no other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<QuoteStatus>,
    /// The BigCommerce order the quote became (required with status `ordered`), linked with
    /// `POST /rfq/{id}/ordered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
}
