//! `company.upsert` and `company.status`: a company of B2B Edition, found by the command's
//! `external_id`, created or brought to what the ERP says (with its hierarchy, terms and credit),
//! or moved to a status.

use std::collections::BTreeMap;

use bigcommerce_b2b::b2b::CompanyStatus;
use bigcommerce_b2b::money::Amount;
use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `company.upsert`: create or update a company (found by `external_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company.
    pub company: CompanyData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, external_id: &'a str) -> Option<&'a str> {
        Some(external_id)
    }
}

/// `company.status`: set the status of the company whose external id is the command's
/// `external_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetStatus {
    /// pending, approved, rejected or inactive.
    pub status: CompanyStatus,
}

impl CommandSpec for SetStatus {
    fn company<'a>(&'a self, external_id: &'a str) -> Option<&'a str> {
        Some(external_id)
    }
}

/// A postal address of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street and number.
    pub line1: String,
    /// Building, floor...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

/// A person (the company's administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A price list for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPriceList {
    /// The channel (1 is the default storefront).
    pub channel_id: i64,
    /// The price list.
    pub price_list_id: i64,
}

/// The company of a `company.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyData {
    /// Company name.
    pub name: String,
    /// Contact email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Country (ISO 3166 alpha-2, or a name).
    pub country: String,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// The administrator, created with the company.
    pub admin: Box<Person>,
    /// Extra field name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
    /// BigCommerce customer group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_id: Option<i64>,
    /// The external id of a customer group of a `customergroup.upsert` (instead of
    /// `customer_group_id`; a group not made yet is waited for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_external_id: Option<String>,
    /// Catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<i64>,
    /// Price lists per channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_lists: Vec<ChannelPriceList>,
    /// Status to set after the upsert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CompanyStatus>,
    /// The external id of its parent company in an account hierarchy (absent: the hierarchy is
    /// left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_external_id: Option<String>,
    /// Payment on terms (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<PaymentTermsData>,
    /// The codes of the store payment methods the company may use; every other store method is
    /// disabled for it (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<Vec<String>>,
    /// The company's credit from the ERP's customer master (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<Box<CreditData>>,
}

/// A company's payment terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTermsData {
    /// Net days: 0, 5, 15, 30, 45 or 60 (what B2B Edition offers).
    pub net_days: u32,
    /// Whether the company may pay on terms (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A company's credit as the ERP keeps it: a limit and what is owed against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditData {
    /// ISO 4217 currency of the credit account.
    pub currency: String,
    /// The credit limit.
    pub limit: Amount,
    /// What the company owes against it (default 0): available credit is the limit less this,
    /// and never below 0.
    #[serde(default)]
    pub balance: Amount,
    /// On credit hold: no buyer may purchase (default false).
    #[serde(default)]
    pub on_hold: bool,
    /// Block purchases beyond the available credit (default true).
    #[serde(default = "yes")]
    pub limit_purchases: bool,
}

fn yes() -> bool {
    true
}
