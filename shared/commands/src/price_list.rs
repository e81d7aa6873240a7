//! The price-list commands: `pricelist.records.upsert` (any number of records of one price
//! list) and `pricelist.assign` (a price list assigned to a customer group, or to a company).

use bigcommerce_b2b::core::PriceRecord;
use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `pricelist.records.upsert`: upsert any number of records of one price list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpsertRecords {
    /// The price list.
    pub price_list_id: i64,
    /// The records.
    pub records: Vec<PriceRecord>,
}

impl CommandSpec for UpsertRecords {}

/// `pricelist.assign`: assign a price list to a customer group, or to a company by its
/// external id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assign {
    /// The price list.
    pub price_list_id: i64,
    /// The customer group...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_group_id: Option<i64>,
    /// ...or the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_external_id: Option<String>,
    /// The channel (default 1).
    #[serde(default = "default_channel")]
    pub channel_id: i64,
}

impl CommandSpec for Assign {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        self.company_external_id.as_deref()
    }
}

fn default_channel() -> i64 {
    1
}
