//! `user.upsert`: a buyer of a company, found by the command's `external_id` (else by email),
//! created or brought to what the ERP says.

use std::collections::BTreeMap;

use bigcommerce_b2b::b2b::BuyerRole;
use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `user.upsert`: create or update a buyer of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company's external id.
    pub company_external_id: String,
    /// The buyer.
    pub user: UserData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }
}

/// The buyer of a `user.upsert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserData {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email (also how an existing user is found).
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// admin, senior_buyer or junior_buyer.
    pub role: BuyerRole,
    /// A company user role by name (a custom role of the store, or a predefined one); it
    /// overrides `role` in B2B Edition (absent: left as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_role: Option<String>,
    /// Channels the buyer may use (default: channel 1).
    #[serde(default = "default_channels")]
    pub channel_ids: Vec<i64>,
    /// Extra field name → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
}

fn default_channels() -> Vec<i64> {
    vec![1]
}
