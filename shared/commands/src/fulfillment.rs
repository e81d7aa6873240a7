//! The fulfillment commands: `order.status` (an order moved to a status, by the ERP's name or
//! BigCommerce's id) and `shipment.create` / `.update` / `.delete` (an order's lines shipped with
//! tracking, the tracking corrected, a shipment withdrawn). One order's commands stay in order
//! with each other.

use bigcommerce_b2b::fulfillment::Tracking;
use serde::{Deserialize, Serialize};

use crate::order_ref::OrderRef;
use crate::spec::CommandSpec;

/// `order.status`: move an order to a status (the ERP's name, mapped, or BigCommerce's id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetOrderStatus {
    /// The order.
    pub order: OrderRef,
    /// The ERP's status name...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ...or BigCommerce's status id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
}

impl CommandSpec for SetOrderStatus {
    fn order(&self) -> Option<&OrderRef> {
        Some(&self.order)
    }
}

/// `shipment.create`: ship lines of an order with tracking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateShipment {
    /// The order.
    pub order: OrderRef,
    /// The shipment.
    pub shipment: ShipmentData,
}

impl CommandSpec for CreateShipment {
    fn order(&self) -> Option<&OrderRef> {
        Some(&self.order)
    }
}

/// `shipment.update`: correct a shipment's tracking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateShipment {
    /// The order.
    pub order: OrderRef,
    /// The shipment, when it was not created by a command with this external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<i64>,
    /// The tracking fields to set.
    pub shipment: Tracking,
}

impl CommandSpec for UpdateShipment {
    fn order(&self) -> Option<&OrderRef> {
        Some(&self.order)
    }
}

/// `shipment.delete`: delete a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteShipment {
    /// The order.
    pub order: OrderRef,
    /// The shipment, when it was not created by a command with this external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<i64>,
}

impl CommandSpec for DeleteShipment {
    fn order(&self) -> Option<&OrderRef> {
        Some(&self.order)
    }
}

/// A line of a shipment: an order line by SKU or order product id, and the quantity shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The SKU ordered...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// ...or the order product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_product_id: Option<i64>,
    /// Quantity shipped.
    pub quantity: i64,
}

/// The shipment of a `shipment.create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentData {
    /// The lines shipped (all to one of the order's shipping addresses).
    pub lines: Vec<ShipmentLine>,
    /// Tracking number, provider or carrier or link, method, comments.
    #[serde(flatten)]
    pub tracking: Tracking,
}
