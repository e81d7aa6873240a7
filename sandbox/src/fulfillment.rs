//! Fulfillment handlers under `/stores/{store_hash}`: order shipments (v2
//! `/orders/{id}/shipments`, their webhooks `store/shipment/*`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::core_api::{fire, pid, v2_page};
use crate::model::{shipments, Events};
use crate::reply::{json_status, no_content, parse_body, v2_err};
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
