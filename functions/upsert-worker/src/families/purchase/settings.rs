//! The purchase-order family's settings: `PROCUREMENT_IDENTITY_FIELD` (the company extra field
//! an `order.create`'s `company_identity` is found in) and `ORDER_CREATE_STATUS_ID` (the status
//! its orders are created in).

use b2b_shared::env::Env;

use crate::engine::family::Family;
use crate::engine::lease::LeaseScope;

/// Default `PROCUREMENT_IDENTITY_FIELD`: the company extra field holding a company's
/// procurement identity (the cXML `From` credential its purchase orders carry).
pub const DEFAULT_IDENTITY_FIELD: &str = b2b_commands::DEFAULT_PROCUREMENT_IDENTITY_FIELD;
/// Default `ORDER_CREATE_STATUS_ID`: 11, Awaiting Fulfillment (a purchase order is approved
/// by the buyer's procurement before it is sent).
pub const DEFAULT_STATUS_ID: i64 = 11;

/// The purchase-order family (`order.create`, `order.cancel`) and how it makes orders. Each
/// purchase order is applied once at a time (a cancellation shares its order's lease).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrders {
    /// `PROCUREMENT_IDENTITY_FIELD`: the company extra field `company_identity` is looked up in.
    pub identity_field: String,
    /// `ORDER_CREATE_STATUS_ID`: the status orders are created in (0..14) unless the command
    /// names one.
    pub status_id: i64,
}

impl Default for PurchaseOrders {
    fn default() -> Self {
        Self {
            identity_field: DEFAULT_IDENTITY_FIELD.to_owned(),
            status_id: DEFAULT_STATUS_ID,
        }
    }
}

impl Family for PurchaseOrders {
    const LEASE: LeaseScope = LeaseScope::Entity;

    fn load(env: &mut Env<'_>) -> Self {
        let identity_field = env.extra_field(
            "PROCUREMENT_IDENTITY_FIELD",
            "the procurement identity",
            DEFAULT_IDENTITY_FIELD,
        );
        let status_id = env
            .bounded("ORDER_CREATE_STATUS_ID", 0, 14)
            .unwrap_or(DEFAULT_STATUS_ID);
        Self {
            identity_field,
            status_id,
        }
    }
}
