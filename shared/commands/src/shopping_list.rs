//! `shoppinglist.upsert`: the ERP's order guide or standing order for a company, as a B2B
//! shopping list with its items by SKU, found by the command's `external_id` (then by its name
//! within the company) and made to hold exactly the items sent.
//!
//! The schema checks shapes; [`ShoppingListData::problems`] checks what a schema cannot (a SKU
//! named twice), naming its field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `shoppinglist.upsert`: a company's shopping list created or made to match (found by
/// `external_id`, then by its name within the company).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upsert {
    /// The company's external id.
    pub company_external_id: String,
    /// The list.
    pub shopping_list: ShoppingListData,
}

impl CommandSpec for Upsert {
    fn company<'a>(&'a self, _external_id: &'a str) -> Option<&'a str> {
        Some(&self.company_external_id)
    }

    fn problems(&self) -> Vec<String> {
        self.shopping_list.problems()
    }
}

/// A shopping list's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShoppingListStatus {
    /// Approved: buyers order from it (the default).
    #[default]
    Approved,
    /// A draft.
    Draft,
    /// Waiting for a senior buyer's approval.
    ReadyForApproval,
}

impl ShoppingListStatus {
    /// The API's status code (0 approved, 30 draft, 40 ready for approval).
    pub fn code(self) -> i64 {
        match self {
            ShoppingListStatus::Approved => 0,
            ShoppingListStatus::Draft => 30,
            ShoppingListStatus::ReadyForApproval => 40,
        }
    }
}

/// The ERP's order guide or standing order for a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShoppingListData {
    /// The list's name: with the company, how an existing list is found.
    pub name: String,
    /// A description for buyers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The email of the company's buyer the list belongs to.
    pub buyer_email: String,
    /// Approved (default), draft or ready for approval.
    #[serde(default)]
    pub status: ShoppingListStatus,
    /// The channel (default: the store's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// The items: the list is made to hold exactly these.
    pub items: Vec<ShoppingListLine>,
}

/// One item of a shopping list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShoppingListLine {
    /// The variant's SKU.
    pub sku: String,
    /// How many (at least 1).
    pub quantity: u32,
}

impl ShoppingListData {
    /// What the schema cannot check: a SKU named twice.
    pub fn problems(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.items
            .iter()
            .enumerate()
            .filter(|(_, l)| !seen.insert(l.sku.as_str()))
            .map(|(i, l)| {
                format!(
                    "`shopping_list.items[{i}].sku`: `{}` is named twice (give one line per SKU)",
                    l.sku
                )
            })
            .collect()
    }
}
