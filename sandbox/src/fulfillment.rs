//! Fulfillment handlers under `/stores/{store_hash}`: order shipments (v2
//! `/orders/{id}/shipments`, their webhooks `store/shipment/*`), inventory locations, stock
//! adjustments (`store/sku/inventory/updated`) and the catalog's variants by SKU.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::core_api::{fire, pid, v2_page, v3_params};
use crate::model::{inventory, shipments, Events};
use crate::reply::{json_status, no_content, parse_body, v2_err, v3_err, v3_list, Links};
use crate::state::App;
use crate::store::now_secs;

type P = Path<std::collections::HashMap<String, String>>;

/// The fulfillment routes.
pub fn routes() -> Router<Arc<App>> {
    let c = |p: &str| format!("/stores/{{store_hash}}{p}");
    Router::new()
        .route(
            &c("/v2/orders/{order_id}/shipments"),
            get(list_shipments).post(create_shipment),
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

fn not_found() -> Response {
    v2_err(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

/// The order id of the path, when the order exists.
fn order_of(app: &App, p: &std::collections::HashMap<String, String>) -> Option<i64> {
    pid(p, "order_id").filter(|id| app.data().orders.contains_key(id))
}

fn object_body(body: &[u8]) -> Result<Value, Response> {
    match parse_body(body) {
        Ok(b @ Value::Object(_)) => Ok(b),
        Ok(_) => Err(v2_err(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(v2_err(StatusCode::BAD_REQUEST, &e)),
    }
}

async fn list_shipments(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, page) = match v2_page(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(order) = order_of(&app, &p) else {
        return not_found();
    };
    let items = page.slice(
        app.data()
            .shipments
            .get(&order)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    );
    if items.is_empty() {
        return no_content();
    }
    json_status(StatusCode::OK, &Value::Array(items))
}

async fn create_shipment(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(order) = order_of(&app, &p) else {
        return not_found();
    };
    let mut ev = Events::new();
    let made = shipments::create_shipment(&mut app.data(), order, &body, now_secs(), &mut ev);
    match made {
        Ok(s) => {
            fire(&app, ev);
            json_status(StatusCode::CREATED, &s)
        }
        Err(why) => v2_err(StatusCode::BAD_REQUEST, &why),
    }
}

async fn get_shipment(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let (Some(order), Some(id)) = (order_of(&app, &p), pid(&p, "shipment_id")) else {
        return not_found();
    };
    let found = app
        .data()
        .shipments
        .get(&order)
        .and_then(|l| l.iter().find(|s| s["id"].as_i64() == Some(id)).cloned());
    match found {
        Some(s) => json_status(StatusCode::OK, &s),
        None => not_found(),
    }
}

async fn update_shipment(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (Some(order), Some(id)) = (order_of(&app, &p), pid(&p, "shipment_id")) else {
        return not_found();
    };
    let mut ev = Events::new();
    let updated = shipments::update_shipment(&mut app.data(), order, id, &body, &mut ev);
    match updated {
        Some(s) => {
            fire(&app, ev);
            json_status(StatusCode::OK, &s)
        }
        None => not_found(),
    }
}

async fn delete_shipment(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let (Some(order), Some(id)) = (order_of(&app, &p), pid(&p, "shipment_id")) else {
        return not_found();
    };
    let mut ev = Events::new();
    let deleted = shipments::delete_shipment(&mut app.data(), order, id, now_secs(), &mut ev);
    if !deleted {
        return not_found();
    }
    fire(&app, ev);
    no_content()
}

// ---------------------------------------------------------------- inventory

async fn list_locations(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let codes = p.all("code:in");
    let items: Vec<Value> = app
        .data()
        .locations
        .values()
        .filter(|l| codes.is_empty() || codes.iter().any(|c| l["code"] == c.as_str()))
        .cloned()
        .collect();
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::With)
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

async fn adjust(app: &App, body: &[u8], absolute: bool) -> Response {
    let items = match adjustment_items(body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut ev = Events::new();
    let done = inventory::adjust(&mut app.data(), &items, absolute, &mut ev);
    match done {
        Ok(()) => {
            fire(app, ev);
            let id = format!("{:08x}-inv-4000-8000-{:012x}", app.next_seq(), items.len());
            json_status(StatusCode::OK, &serde_json::json!({ "transaction_id": id }))
        }
        Err(title) => v3_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            &title,
            serde_json::json!({}),
        ),
    }
}

async fn adjust_absolute(State(app): State<Arc<App>>, body: Bytes) -> Response {
    adjust(&app, &body, true).await
}

async fn adjust_relative(State(app): State<Arc<App>>, body: Bytes) -> Response {
    adjust(&app, &body, false).await
}

/// `GET /v3/catalog/variants`, filtered by `sku:in` (BigCommerce's family convention, not in
/// the variants spec: see `contract-exceptions.json`), `sku`, `id:in`, `product_id:in`.
async fn list_variants(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
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
    v3_list(items, &page, total, Links::With)
}
