//! B2B orders (`/orders`): the B2B view of core orders placed by company buyers, listed with
//! the company, date and order filters, read, updated (PO number, extra fields), linked to a
//! company buyer, and their products.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::requests::{b2b_page, body_object, int_or_zero, int_params, order_dir, sort_by};
use crate::model;
use crate::reply::{
    b2b_err, b2b_invalid, b2b_list, b2b_not_found, b2b_ok, b2b_ok_bare, path_id, within, Answer,
    PathParams,
};
use crate::state::App;
use crate::store::{int, now_secs, text};

/// The B2B order routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v3/io/orders", get(list_orders).post(link_order))
        .route(
            "/api/v3/io/orders/{bcOrderId}",
            get(get_order).put(update_order),
        )
        .route(
            "/api/v3/io/orders/{bcOrderId}/products",
            get(order_products),
        )
}

async fn list_orders(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = b2b_page(q, 200)?;
    let [company, min_mod, max_mod, min_cre, max_cre, bc_order] = int_params(
        &p,
        [
            "companyId",
            "minModified",
            "maxModified",
            "minCreated",
            "maxCreated",
            "bcOrderId",
        ],
    )?;
    let sort_key = match p.get("sortBy") {
        Some("updatedAt") => "updatedAt",
        _ => "createdAt",
    };
    let desc = order_dir(&p, ["ASC", "DESC"])?;
    let store = app.data();
    let mut items: Vec<&Value> = store
        .b2b_orders
        .values()
        .filter(|o| {
            company.is_none_or(|c| int_or_zero(o, "companyId") == c)
                && within(int_or_zero(o, "updatedAt"), min_mod, max_mod)
                && within(int_or_zero(o, "createdAt"), min_cre, max_cre)
                && bc_order.is_none_or(|b| int_or_zero(o, "bcOrderId") == b)
        })
        .collect();
    sort_by(&mut items, sort_key, desc, "bcOrderId");
    let total = items.len();
    let out = page.slice_refs(&items);
    drop(store);
    Ok(b2b_list(out, &page, total))
}

async fn get_order(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "bcOrderId").and_then(|id| app.data().b2b_orders.get(&id).cloned());
    match found {
        Some(o) => b2b_ok_bare(o),
        None => b2b_not_found("Order"),
    }
}

async fn update_order(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "bcOrderId") else {
        return Err(b2b_not_found("Order"));
    };
    let mut store = app.data();
    let Some(o) = store.b2b_orders.get_mut(&id) else {
        return Err(b2b_not_found("Order"));
    };
    if let Some(v) = body.get("poNumber") {
        match v.as_str() {
            Some(s) => o["poNumber"] = json!(s),
            None => return Err(b2b_invalid(json!("poNumber must be a string"))),
        }
    }
    if let Some(x) = body.get("extraFields").filter(|v| v.is_array()) {
        o["extraFields"] = x.clone();
    }
    o["updatedAt"] = json!(now_secs());
    Ok(b2b_ok_bare(o.clone()))
}

async fn link_order(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let (Some(order_id), Some(customer_id)) = (int(&body, "bcOrderId"), int(&body, "customerId"))
    else {
        return Err(b2b_err(
            StatusCode::BAD_REQUEST,
            "bcOrderId and customerId are required",
            json!({"errMsg": "bcOrderId and customerId are required"}),
        ));
    };
    let mut store = app.data();
    if !store.orders.contains_key(&order_id) {
        return Err(b2b_err(
            StatusCode::BAD_REQUEST,
            "Order not found",
            json!({"errMsg": format!("Order {order_id} not found")}),
        ));
    }
    let Some(company) = store
        .user_by_customer(customer_id)
        .map(|u| int_or_zero(u, "companyId"))
    else {
        return Err(b2b_err(
            StatusCode::BAD_REQUEST,
            "Customer is not a company user",
            json!({"errMsg": format!("Customer {customer_id} is not a company user")}),
        ));
    };
    model::link_b2b_order(
        &mut store,
        order_id,
        company,
        &text(&body, "poNumber"),
        now_secs(),
    );
    let linked = store.b2b_orders.get(&order_id).cloned();
    Ok(b2b_ok(linked.ok_or_else(|| b2b_not_found("Order"))?))
}

async fn order_products(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let Some(id) = path_id(&p, "bcOrderId") else {
        return Err(b2b_not_found("Order"));
    };
    let store = app.data();
    let Some(order) = store.b2b_orders.get(&id) else {
        return Err(b2b_not_found("Order"));
    };
    let created = int_or_zero(order, "createdAt");
    let products: Vec<Value> = store
        .order_products
        .get(&id)
        .map(|ps| {
            ps.iter()
                .map(|op| {
                    json!({
                        "id": int_or_zero(op, "id"),
                        "productId": int_or_zero(op, "product_id"),
                        "variantId": int_or_zero(op, "variant_id"),
                        "variantSku": text(op, "sku"),
                        "productName": text(op, "name"),
                        "productBrandName": text(op, "brand"),
                        "quantity": int_or_zero(op, "quantity"),
                        "options": [],
                        "createdAt": created,
                        "updatedAt": created,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    drop(store);
    Ok(b2b_ok_bare(Value::Array(products)))
}
