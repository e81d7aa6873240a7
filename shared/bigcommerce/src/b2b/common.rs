//! What several B2B resources share: the sort direction of lists, how a list filter becomes a
//! query, and custom field values.

use serde::{Deserialize, Serialize};

use crate::lenient;

/// Sort direction of B2B lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SortOrder {
    /// Oldest or smallest first.
    Asc,
    /// Newest or largest first (the B2B default).
    Desc,
}

impl SortOrder {
    /// The value B2B lists take for it (`orderBy`).
    pub(super) fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// A custom field value on a company, user or address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraField {
    /// The field's name as configured in B2B Edition.
    pub field_name: String,
    /// Its value (numbers arrive as strings too).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub field_value: Option<String>,
}

/// The query of a list call: the parameters of its filter that are set, in the order added.
#[derive(Debug, Default)]
pub(super) struct ListQuery(Vec<(String, String)>);

impl ListQuery {
    /// Adds `name=value` when `value` is set.
    pub(super) fn set(mut self, name: &str, value: Option<impl ToString>) -> Self {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_string()));
        }
        self
    }

    /// Adds `name=value` when `on`.
    pub(super) fn flag(self, name: &str, on: bool, value: &str) -> Self {
        self.set(name, on.then_some(value))
    }

    /// The `(name, value)` pairs to send.
    pub(super) fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}
