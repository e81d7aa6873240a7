//! How a command names an order: by BigCommerce's id, by the ERP's reference for it, or by
//! both (which records the reference). Fulfillment commands and cancellations name orders so.

use serde::{Deserialize, Serialize};

/// The order a fulfillment command is about: its BigCommerce id, or the ERP's reference for it
/// (known once a command named both), or both (which records the reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    /// The BigCommerce order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The ERP's reference for the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl OrderRef {
    /// The order as a lease and FIFO key: `id:{id}` or `ref:{reference}`.
    pub fn key(&self) -> String {
        match (&self.id, &self.reference) {
            (Some(id), _) => format!("id:{id}"),
            (None, Some(r)) => format!("ref:{r}"),
            (None, None) => String::new(),
        }
    }
}
