//! Core price-list assignments (`/v3/pricelists/assignments`, and one list's
//! `/v3/pricelists/{id}/assignments`): which customer group sees which price list on which
//! channel.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::model::insert_assignment;
use crate::reply::{
    json_status, no_content, path_id, v3_array_body, v3_body, v3_data, v3_err, v3_invalid, v3_list,
    v3_not_found, v3_page, v3_unprocessable, Answer, Links, Params, PathParams,
};
use crate::state::App;
use crate::store::int;

/// Assignments per `POST /v3/pricelists/assignments`.
pub const ASSIGNMENTS_MAX: usize = 25;

/// The assignment routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/pricelists/assignments",
            get(list_assignments)
                .post(create_assignments)
                .delete(delete_assignments),
        )
        .route(
            "/stores/{store_hash}/v3/pricelists/{price_list_id}/assignments",
            put(upsert_assignment),
        )
}

/// Integer filters by field name; an empty list filters nothing.
type Filters = Vec<(&'static str, Vec<i64>)>;

/// Whether assignment `a` passes every filter.
fn passes(a: &Value, filters: &Filters) -> bool {
    filters
        .iter()
        .all(|(name, vals)| vals.is_empty() || int(a, name).is_some_and(|x| vals.contains(&x)))
}

async fn list_assignments(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let mut f = Filters::new();
    for name in ["price_list_id", "customer_group_id", "channel_id"] {
        match p.ints(name) {
            Ok(mut v) => {
                if let Ok(more) = p.ints(&format!("{name}:in")) {
                    v.extend(more);
                }
                f.push((name, v));
            }
            Err(e) => return Err(v3_unprocessable(&e)),
        }
    }
    let items: Vec<Value> = app
        .data()
        .assignments
        .values()
        .filter(|a| passes(a, &f))
        .cloned()
        .collect();
    let total = items.len();
    Ok(v3_list(page.slice(&items), &page, total, Links::Without))
}

async fn create_assignments(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = v3_array_body(&body, "The request body must be an array of assignments")?;
    if items.len() > ASSIGNMENTS_MAX {
        return Err(v3_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "At most {ASSIGNMENTS_MAX} assignments per request, got {}",
                items.len()
            ),
            json!({}),
        ));
    }
    let mut store = app.data();
    let mut errors = Map::new();
    for (i, a) in items.iter().enumerate() {
        match int(a, "price_list_id") {
            Some(pl) if store.pricelists.contains_key(&pl) => {}
            Some(pl) => {
                errors.insert(
                    format!("{i}.price_list_id"),
                    json!(format!("price list {pl} not found")),
                );
            }
            None => {
                errors.insert(
                    format!("{i}.price_list_id"),
                    json!("price_list_id is required"),
                );
            }
        }
        if let Some(g) = int(a, "customer_group_id") {
            if !store.customer_groups.contains_key(&g) {
                errors.insert(
                    format!("{i}.customer_group_id"),
                    json!(format!("customer group {g} not found")),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(json_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"status": 422, "title": "Assignments are invalid", "type": crate::reply::V3_ERROR_TYPE, "errors": errors, "meta": {"saved_records": 0}}),
        ));
    }
    for a in &items {
        insert_assignment(
            &mut store,
            int(a, "price_list_id").unwrap_or(0),
            int(a, "customer_group_id").unwrap_or(0),
            int(a, "channel_id").unwrap_or(1),
        );
    }
    drop(store);
    app.fire(
        "store/priceList/assignment/updated",
        json!({"type": "price_list_assignment", "count": items.len()}),
    );
    Ok(json_status(
        StatusCode::OK,
        &json!({"data": [], "meta": {}}),
    ))
}

async fn delete_assignments(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = Params::parse(q.as_deref());
    let mut f = Filters::new();
    for name in ["id", "price_list_id", "customer_group_id", "channel_id"] {
        match p.ints(name) {
            Ok(v) => f.push((name, v)),
            Err(e) => return Err(v3_unprocessable(&e)),
        }
    }
    if f.iter().all(|(_, v)| v.is_empty()) {
        return Err(v3_unprocessable(
            "At least one filter is required to delete assignments",
        ));
    }
    app.data().assignments.retain(|_, a| !passes(a, &f));
    Ok(no_content())
}

async fn upsert_assignment(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    body: Bytes,
) -> Answer {
    let body = v3_body(&body)?;
    let Some(list) = path_id(&p, "price_list_id") else {
        return Err(v3_not_found("Price list"));
    };
    let (Some(group), Some(channel)) = (int(&body, "customer_group_id"), int(&body, "channel_id"))
    else {
        let mut e = Map::new();
        e.insert(
            "customer_group_id".into(),
            json!("customer_group_id and channel_id are required"),
        );
        return Err(v3_invalid(e));
    };
    let mut store = app.data();
    if !store.pricelists.contains_key(&list) {
        return Err(v3_not_found("Price list"));
    }
    let a = insert_assignment(&mut store, list, group, channel);
    drop(store);
    Ok(v3_data(a))
}
