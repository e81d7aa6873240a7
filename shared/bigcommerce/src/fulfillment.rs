//! Fulfillment resources of the management API: an order's lines with their shipping addresses
//! (`GET /v2/orders/{id}?include=consignments.line_items`), its shipments
//! (`/v2/orders/{id}/shipments`) and its status (`PUT /v2/orders/{id}`).

use futures_util::TryStreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::ApiRequest;
use super::core::{Core, Order};
use super::error::{Api, BcError};
use super::lenient;
use super::pagination::{items, v2_pages, CORE_LIMIT};

/// One line of an order (`orderProducts`), as far as shipping needs it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OrderLine {
    /// The order product id (what a shipment's items name).
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The shipping address the line goes to.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_address_id: Option<i64>,
    /// SKU.
    #[serde(default)]
    pub sku: Option<String>,
    /// Ordered quantity.
    #[serde(deserialize_with = "lenient::i64")]
    pub quantity: i64,
    /// Quantity already shipped.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quantity_shipped: Option<i64>,
}

impl OrderLine {
    /// What is left to ship of this line.
    pub fn left_to_ship(&self) -> i64 {
        (self.quantity - self.quantity_shipped.unwrap_or(0)).max(0)
    }
}

#[derive(Debug, Deserialize)]
struct ShippingConsignment {
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    line_items: Vec<OrderLine>,
}

#[derive(Debug, Default, Deserialize)]
struct Consignments {
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    shipping: Vec<ShippingConsignment>,
}

#[derive(Debug, Deserialize)]
struct OrderWithConsignments {
    #[serde(flatten)]
    order: Order,
    #[serde(default)]
    consignments: Option<Consignments>,
}

/// An order with its shippable lines, read in one request.
#[derive(Debug, Clone)]
pub struct OrderForShipping {
    /// The order.
    pub order: Order,
    /// Its lines, from every shipping consignment.
    pub lines: Vec<OrderLine>,
}

/// One shipped line of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ShipmentItem {
    /// The order product id.
    #[serde(deserialize_with = "lenient::i64")]
    pub order_product_id: i64,
    /// Quantity shipped.
    #[serde(deserialize_with = "lenient::i64")]
    pub quantity: i64,
}

/// An order shipment (`orderShipment`). Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Shipment {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The order.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_id: Option<i64>,
    /// The shipping address shipped to.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub order_address_id: Option<i64>,
    /// Tracking number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tracking_number: Option<String>,
    /// The lines shipped.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub items: Vec<ShipmentItem>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The tracking fields a shipment is created or updated with (`orderShipment_Post` /
/// `orderShipment_Put`, without the items).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// Tracking number (≤ 50 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// `ups`, `fedex`, `usps`... or `carrier_{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_provider: Option<String>,
    /// An AfterShip carrier code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_carrier: Option<String>,
    /// A custom tracking link (≤ 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_link: Option<String>,
    /// The method, e.g. `Ground`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// Comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
}

/// A shipment to create (`orderShipment_Post`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewShipment {
    /// The shipping address the items go to.
    pub order_address_id: i64,
    /// The items.
    pub items: Vec<ShipmentItem>,
    /// Tracking.
    #[serde(flatten)]
    pub tracking: Tracking,
}

impl Core<'_> {
    /// `GET /v2/orders/{id}?include=consignments.line_items&consignment_structure=object`: the
    /// order with every line and its shipping address in one request; `None` when it does not
    /// exist.
    pub async fn order_for_shipping(&self, id: i64) -> Result<Option<OrderForShipping>, BcError> {
        let req = ApiRequest::get(Api::Core, format!("/v2/orders/{id}"))
            .query("include", "consignments.line_items")
            .query("consignment_structure", "object");
        let found: Option<OrderWithConsignments> = match self.client().send_optional(req).await {
            Err(BcError::NotFound { .. }) => return Ok(None),
            other => other?,
        };
        Ok(found.map(|o| OrderForShipping {
            lines: o
                .consignments
                .unwrap_or_default()
                .shipping
                .into_iter()
                .flat_map(|c| c.line_items)
                .collect(),
            order: o.order,
        }))
    }

    /// Every shipment of an order (`GET /v2/orders/{id}/shipments`, all pages; none is `204`).
    pub async fn shipments(&self, order_id: i64) -> Result<Vec<Shipment>, BcError> {
        items(v2_pages(
            self.client(),
            format!("/v2/orders/{order_id}/shipments"),
            Vec::new(),
            CORE_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// `POST /v2/orders/{id}/shipments` (never repeated blindly by the client).
    pub async fn create_shipment(
        &self,
        order_id: i64,
        shipment: &NewShipment,
    ) -> Result<Shipment, BcError> {
        let req = ApiRequest::new(
            Api::Core,
            Method::POST,
            format!("/v2/orders/{order_id}/shipments"),
        )
        .json(shipment)?;
        self.client().send(req).await
    }

    /// `PUT /v2/orders/{id}/shipments/{shipment_id}`: tracking, provider, method, comments.
    pub async fn update_shipment(
        &self,
        order_id: i64,
        shipment_id: i64,
        tracking: &Tracking,
    ) -> Result<Shipment, BcError> {
        let req = ApiRequest::new(
            Api::Core,
            Method::PUT,
            format!("/v2/orders/{order_id}/shipments/{shipment_id}"),
        )
        .json(tracking)?;
        self.client().send(req).await
    }

    /// `DELETE /v2/orders/{id}/shipments/{shipment_id}`; `false` when it did not exist.
    pub async fn delete_shipment(&self, order_id: i64, shipment_id: i64) -> Result<bool, BcError> {
        let req = ApiRequest::new(
            Api::Core,
            Method::DELETE,
            format!("/v2/orders/{order_id}/shipments/{shipment_id}"),
        );
        match self.client().execute(&req).await {
            Ok(_) => Ok(true),
            Err(BcError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PUT /v2/orders/{id}` with `{"status_id": status}`.
    pub async fn set_order_status(&self, order_id: i64, status: i64) -> Result<Order, BcError> {
        let req = ApiRequest::new(Api::Core, Method::PUT, format!("/v2/orders/{order_id}"))
            .json(&serde_json::json!({ "status_id": status }))?;
        self.client().send(req).await
    }
}

/// BigCommerce's order statuses (`GET /v2/order_statuses`: fixed ids 0..14, the system labels).
pub const ORDER_STATUSES: [(i64, &str); 15] = [
    (0, "Incomplete"),
    (1, "Pending"),
    (2, "Shipped"),
    (3, "Partially Shipped"),
    (4, "Refunded"),
    (5, "Cancelled"),
    (6, "Declined"),
    (7, "Awaiting Payment"),
    (8, "Awaiting Pickup"),
    (9, "Awaiting Shipment"),
    (10, "Completed"),
    (11, "Awaiting Fulfillment"),
    (12, "Manual Verification Required"),
    (13, "Disputed"),
    (14, "Partially Refunded"),
];

/// The system label of status `id`.
pub fn status_label(id: i64) -> Option<&'static str> {
    ORDER_STATUSES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, l)| *l)
}

/// The status id whose system label is `name`, ignoring case, spaces and underscores
/// (`awaiting_fulfillment`, `Awaiting Fulfillment`).
pub fn status_by_name(name: &str) -> Option<i64> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    let want = norm(name);
    ORDER_STATUSES
        .iter()
        .find(|(_, l)| norm(l) == want)
        .map(|(i, _)| *i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_found_in_any_spelling() {
        assert_eq!(status_by_name("awaiting_fulfillment"), Some(11));
        assert_eq!(status_by_name("Partially Shipped"), Some(3));
        assert_eq!(status_by_name("SHIPPED"), Some(2));
        assert_eq!(status_by_name("dispatched"), None);
        assert_eq!(status_label(5), Some("Cancelled"));
    }

    #[test]
    fn a_line_never_has_less_than_nothing_left() {
        let line: OrderLine = serde_json::from_value(
            serde_json::json!({"id": "7", "quantity": 2, "quantity_shipped": 3, "sku": "A"}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(line.left_to_ship(), 0);
    }
}
