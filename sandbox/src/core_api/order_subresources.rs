//! The lists a core order keeps (`/v2/orders/{order_id}/products`, `/shipping_addresses`,
//! `/shipments`, and the v3 `/orders/{order_id}/metafields`), read through one lookup: an order
//! that does not exist is 404, and a v2 page that is empty is 204. The v2 lists are served by
//! one handler, [`v2_order_list_route`], told apart by the [`OrderList`] they read.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, MethodRouter};
use axum::Router;
use serde_json::Value;

use crate::reply::{
    json_status, no_content, path_id, v2_not_found, v2_page, v3_list, v3_not_found, v3_page,
    Answer, Links, PathParams,
};
use crate::state::App;
use crate::store::Store;

/// A list the store keeps per order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderList {
    /// v2 order products.
    Products,
    /// v2 order shipping addresses.
    ShippingAddresses,
    /// v2 order shipments.
    Shipments,
    /// v3 order metafields.
    Metafields,
}

impl OrderList {
    /// This list of order `id` (empty when it has none), or `None` when there is no such order.
    fn of(self, store: &Store, id: i64) -> Option<&[Value]> {
        if !store.orders.contains_key(&id) {
            return None;
        }
        let by_order: &BTreeMap<i64, Vec<Value>> = match self {
            OrderList::Products => &store.order_products,
            OrderList::ShippingAddresses => &store.order_shipping_addresses,
            OrderList::Shipments => &store.shipments,
            OrderList::Metafields => &store.order_metafields,
        };
        Some(by_order.get(&id).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// The order list routes; the shipments list is routed with the other shipment operations
/// (`crate::fulfillment`).
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/products",
            v2_order_list_route(OrderList::Products),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}/shipping_addresses",
            v2_order_list_route(OrderList::ShippingAddresses),
        )
        .route(
            "/stores/{store_hash}/v3/orders/{order_id}/metafields",
            get(order_metafields),
        )
}

/// `GET /v2/orders/{order_id}/{list}` for one v2 list.
pub(crate) fn v2_order_list_route(list: OrderList) -> MethodRouter<Arc<App>> {
    get(
        move |State(app): State<Arc<App>>, Path(p): PathParams, RawQuery(q): RawQuery| {
            v2_order_list(app, p, q, list)
        },
    )
}

/// One page of `list` of the path's order.
async fn v2_order_list(
    app: Arc<App>,
    p: HashMap<String, String>,
    q: Option<String>,
    list: OrderList,
) -> Answer {
    let (_, page) = v2_page(q)?;
    let Some(id) = path_id(&p, "order_id") else {
        return Err(v2_not_found());
    };
    let items = match list.of(&app.data(), id) {
        Some(all) => page.slice(all),
        None => return Err(v2_not_found()),
    };
    if items.is_empty() {
        return Ok(no_content());
    }
    Ok(json_status(StatusCode::OK, &Value::Array(items)))
}

async fn order_metafields(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    RawQuery(q): RawQuery,
) -> Answer {
    let (_, page) = v3_page(q)?;
    let Some(id) = path_id(&p, "order_id") else {
        return Err(v3_not_found("Order"));
    };
    let (items, total) = match OrderList::Metafields.of(&app.data(), id) {
        Some(all) => (page.slice(all), all.len()),
        None => return Err(v3_not_found("Order")),
    };
    Ok(v3_list(items, &page, total, Links::With))
}
