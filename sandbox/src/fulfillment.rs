//! Fulfillment handlers under `/stores/{store_hash}`: order shipments (v2
//! `/orders/{id}/shipments`, their webhooks `store/shipment/*`), inventory locations, stock
//! adjustments (`store/sku/inventory/updated`) and the catalog's variants by SKU.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::core_api::order_subresources::{v2_order_list_route, OrderList};
use crate::model::{inventory, shipments, Events};
use crate::reply::{
    json_status, no_content, parse_body, path_id, v2_err, v2_not_found, v2_object_body, v3_err,
    v3_list, v3_page, Answer, Links, PathParams,
};
use crate::state::App;
use crate::store::now_secs;

/// The fulfillment routes.
pub fn routes() -> Router<Arc<App>> {
    let c = |p: &str| format!("/stores/{{store_hash}}{p}");
    Router::new()
        .route(
            &c("/v2/orders/{order_id}/shipments"),
            v2_order_list_route(OrderList::Shipments).post(create_shipment),
        )
        .route(
            &c("/v2/orders/{order_id}/shipments/{shipment_id}"),
            get(get_shipment)
                .put(update_shipment)
                .delete(delete_shipment),
        )
        .route(&c("/v3/inventory/locations"), get(list_locations))
        .route(
            &c("/v3/inventory/adjustments/absolute"),
            axum::routing::put(adjust_absolute),
        )
        .route(
            &c("/v3/inventory/adjustments/relative"),
            axum::routing::post(adjust_relative),
        )
        .route(&c("/v3/catalog/variants"), get(list_variants))
}

/// The order id of the path, when the order exists.
fn order_of(app: &App, p: &HashMap<String, String>) -> Option<i64> {
    path_id(p, "order_id").filter(|id| app.data().orders.contains_key(id))
}

async fn create_shipment(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = v2_object_body(&body)?;
    let Some(order) = order_of(&app, &p) else {
        return Err(v2_not_found());
    };
    let mut ev = Events::new();
    let made = shipments::create_shipment(&mut app.data(), order, &body, now_secs(), &mut ev);
    let s = made.map_err(|why| v2_err(StatusCode::BAD_REQUEST, &why))?;
    app.fire_all(ev);
    Ok(json_status(StatusCode::CREATED, &s))
}

async fn get_shipment(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let (Some(order), Some(id)) = (order_of(&app, &p), path_id(&p, "shipment_id")) else {
        return Err(v2_not_found());
    };
    let found = app
        .data()
        .shipments
        .get(&order)
        .and_then(|l| l.iter().find(|s| s["id"].as_i64() == Some(id)).cloned());
    let s = found.ok_or_else(v2_not_found)?;
    Ok(json_status(StatusCode::OK, &s))
}

async fn update_shipment(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = v2_object_body(&body)?;
    let (Some(order), Some(id)) = (order_of(&app, &p), path_id(&p, "shipment_id")) else {
        return Err(v2_not_found());
    };
    let mut ev = Events::new();
    let updated = shipments::update_shipment(&mut app.data(), order, id, &body, &mut ev);
    let s = updated.ok_or_else(v2_not_found)?;
    app.fire_all(ev);
    Ok(json_status(StatusCode::OK, &s))
}

async fn delete_shipment(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let (Some(order), Some(id)) = (order_of(&app, &p), path_id(&p, "shipment_id")) else {
        return Err(v2_not_found());
    };
    let mut ev = Events::new();
    let deleted = shipments::delete_shipment(&mut app.data(), order, id, now_secs(), &mut ev);
    if !deleted {
        return Err(v2_not_found());
    }
    app.fire_all(ev);
    Ok(no_content())
}

// ---------------------------------------------------------------- inventory

async fn list_locations(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let codes = p.all("code:in");
    let items: Vec<Value> = app
        .data()
        .locations
        .values()
        .filter(|l| codes.is_empty() || codes.iter().any(|c| l["code"] == c.as_str()))
        .cloned()
        .collect();
    let total = items.len();
    Ok(v3_list(page.slice(&items), &page, total, Links::With))
}

fn adjustment_items(body: &[u8]) -> Result<Vec<Value>, Response> {
    let unprocessable = |title: &str| {
        v3_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            serde_json::json!({}),
        )
    };
    let body = parse_body(body).map_err(|e| unprocessable(&e))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| unprocessable("The field 'items' is required."))?;
    if items.len() > inventory::ADJUSTMENT_ITEMS_MAX {
        return Err(unprocessable(&format!(
            "Payload contains {} items; the limit is {}.",
            items.len(),
            inventory::ADJUSTMENT_ITEMS_MAX
        )));
    }
    Ok(items)
}

async fn adjust(app: &App, body: &[u8], absolute: bool) -> Answer {
    let items = adjustment_items(body)?;
    let mut ev = Events::new();
    let done = inventory::adjust(&mut app.data(), &items, absolute, &mut ev);
    done.map_err(|title| {
        v3_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            &title,
            serde_json::json!({}),
        )
    })?;
    app.fire_all(ev);
    let id = format!("{:08x}-inv-4000-8000-{:012x}", app.next_seq(), items.len());
    Ok(json_status(
        StatusCode::OK,
        &serde_json::json!({ "transaction_id": id }),
    ))
}

async fn adjust_absolute(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    adjust(&app, &body, true).await
}

async fn adjust_relative(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    adjust(&app, &body, false).await
}

/// `GET /v3/catalog/variants`, filtered by `sku:in` (BigCommerce's family convention, not in
/// the variants spec: see `contract-exceptions.json`), `sku`, `id:in`, `product_id:in`.
async fn list_variants(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let mut skus = p.all("sku:in");
    skus.extend(p.get("sku").map(str::to_owned));
    let ids: Vec<i64> = p
        .all("id:in")
        .iter()
        .filter_map(|i| i.parse().ok())
        .collect();
    let products: Vec<i64> = p
        .all("product_id:in")
        .iter()
        .filter_map(|i| i.parse().ok())
        .collect();
    let fields = {
        let f = p.all("include_fields");
        (!f.is_empty()).then_some(f)
    };
    let store = app.data();
    let by_sku: std::collections::HashSet<i64> = inventory::variants_by_sku(&store, &skus)
        .into_values()
        .collect();
    let matched: Vec<&Value> = store
        .variants
        .values()
        .filter(|v| {
            let id = v["variant_id"].as_i64().unwrap_or(0);
            (skus.is_empty() || by_sku.contains(&id))
                && (ids.is_empty() || ids.contains(&id))
                && (products.is_empty()
                    || products.contains(&v["product_id"].as_i64().unwrap_or(0)))
        })
        .collect();
    let total = matched.len();
    let items: Vec<Value> = page
        .slice_refs(&matched)
        .into_iter()
        .map(|v| inventory::variant_answer(&store, &v, fields.as_deref()))
        .collect();
    drop(store);
    Ok(v3_list(items, &page, total, Links::With))
}
