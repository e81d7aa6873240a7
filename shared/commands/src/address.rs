//! `address.upsert`: an address of a company's address book, found by the command's
//! `external_id`, created or brought to what the ERP says.

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `address.upsert`: create or update an address of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company's external id.
    pub company_external_id: String,
    /// The address.
    pub address: AddressData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }
}

/// The address of an `address.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressData {
    /// Recipient first name.
    pub first_name: String,
    /// Recipient last name.
    pub last_name: String,
    /// Street and number.
    pub line1: String,
    /// Building, floor...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// State name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    pub zip_code: String,
    /// ISO 3166 alpha-2.
    pub country_code: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A label for buyers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Usable for shipping.
    #[serde(default)]
    pub is_shipping: bool,
    /// Usable for billing.
    #[serde(default)]
    pub is_billing: bool,
    /// The company's default shipping address.
    #[serde(default)]
    pub is_default_shipping: bool,
    /// The company's default billing address.
    #[serde(default)]
    pub is_default_billing: bool,
}
