//! The inventory commands: `inventory.set` (stock levels) and `inventory.adjust` (changes to
//! them), each line a variant (by SKU or id) at a location (by id or code).

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `inventory.set`: set stock levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Set {
    /// Shown in BigCommerce's inventory history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The levels.
    pub items: Vec<StockLine>,
}

impl CommandSpec for Set {}

/// `inventory.adjust`: change stock levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adjust {
    /// Shown in BigCommerce's inventory history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The changes.
    pub items: Vec<StockLine>,
}

impl CommandSpec for Adjust {}

/// One stock line of an inventory command: a variant (by SKU or id) at a location (by id or
/// code), and its level (`inventory.set`) or change (`inventory.adjust`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// The variant's SKU...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// ...or its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// The location's id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<i64>,
    /// ...or its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_code: Option<String>,
    /// The level, or the change.
    pub quantity: i64,
}
