//! Core v2 customer groups (`/v2/customer_groups`): list (204 when the page is empty), count,
//! create, read, update (name, flags, category access, discount rules) and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::model;
use crate::reply::{
    json_status, no_content, parse_body, path_id, v2_err, v2_not_found, v2_page, Answer, PathParams,
};
use crate::state::App;
use crate::store::{now_secs, rfc2822, text};

/// The customer group routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v2/customer_groups",
            get(list_groups).post(create_group),
        )
        .route(
            "/stores/{store_hash}/v2/customer_groups/count",
            get(count_groups),
        )
        .route(
            "/stores/{store_hash}/v2/customer_groups/{customer_group_id}",
            get(get_group).put(update_group).delete(delete_group),
        )
}

async fn list_groups(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v2_page(q)?;
    let name = p.get("name").map(str::to_string);
    let like = p.get("name:like").map(str::to_lowercase);
    let items: Vec<Value> = app
        .data()
        .customer_groups
        .values()
        .filter(|g| {
            name.as_ref().is_none_or(|n| text(g, "name") == *n)
                && like
                    .as_ref()
                    .is_none_or(|l| text(g, "name").to_lowercase().contains(l))
        })
        .cloned()
        .collect();
    let items = page.slice(&items);
    if items.is_empty() {
        return Ok(no_content());
    }
    Ok(json_status(StatusCode::OK, &Value::Array(items)))
}

async fn count_groups(State(app): State<Arc<App>>) -> Response {
    let n = app.data().customer_groups.len();
    json_status(StatusCode::OK, &json!({ "count": n }))
}

fn group_update(g: &mut Value, body: &Value) -> Result<(), String> {
    if let Some(v) = body.get("name") {
        match v.as_str() {
            Some(s) if !s.trim().is_empty() => g["name"] = json!(s),
            _ => return Err("name must be a non-empty string".into()),
        }
    }
    for f in ["is_default", "is_group_for_guests"] {
        if let Some(v) = body.get(f) {
            match v.as_bool() {
                Some(b) => g[f] = json!(b),
                None => return Err(format!("{f} must be a boolean")),
            }
        }
    }
    if let Some(v) = body.get("category_access") {
        g["category_access"] = v.clone();
    }
    if let Some(v) = body.get("discount_rules") {
        let Some(rules) = v.as_array() else {
            return Err("discount_rules must be an array".into());
        };
        // A PUT of discount_rules replaces every rule; amounts come back as strings.
        let mut out = Vec::new();
        for r in rules {
            let mut r = r.clone();
            if let Some(a) = r.get("amount").filter(|a| a.is_number()) {
                r["amount"] = json!(format!("{:.4}", a.as_f64().unwrap_or(0.0)));
            }
            if r.get("type").and_then(Value::as_str).is_none() {
                return Err("every discount rule needs a type".into());
            }
            out.push(r);
        }
        g["discount_rules"] = Value::Array(out);
    }
    g["date_modified"] = json!(rfc2822(now_secs()));
    Ok(())
}

async fn create_group(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = parse_body(&body).map_err(|e| v2_err(StatusCode::BAD_REQUEST, &e))?;
    let name = text(&body, "name");
    if name.trim().is_empty() {
        return Err(v2_err(
            StatusCode::BAD_REQUEST,
            "The field 'name' is required.",
        ));
    }
    let mut store = app.data();
    if store
        .customer_groups
        .values()
        .any(|g| text(g, "name") == name)
    {
        return Err(v2_err(
            StatusCode::CONFLICT,
            &format!("A customer group named {name:?} already exists."),
        ));
    }
    let id = model::create_customer_group(&mut store, &name, now_secs());
    let Some(g) = store.customer_groups.get_mut(&id) else {
        return Err(v2_err(StatusCode::INTERNAL_SERVER_ERROR, "group vanished"));
    };
    if let Err(e) = group_update(g, &body) {
        store.customer_groups.remove(&id);
        return Err(v2_err(StatusCode::BAD_REQUEST, &e));
    }
    let out = g.clone();
    drop(store);
    Ok(json_status(StatusCode::OK, &out))
}

async fn get_group(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "customer_group_id")
        .and_then(|id| app.data().customer_groups.get(&id).cloned());
    match found {
        Some(g) => json_status(StatusCode::OK, &g),
        None => v2_not_found(),
    }
}

async fn update_group(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = parse_body(&body).map_err(|e| v2_err(StatusCode::BAD_REQUEST, &e))?;
    let Some(id) = path_id(&p, "customer_group_id") else {
        return Err(v2_not_found());
    };
    let mut store = app.data();
    let Some(g) = store.customer_groups.get_mut(&id) else {
        return Err(v2_not_found());
    };
    let mut copy = g.clone();
    if let Err(e) = group_update(&mut copy, &body) {
        return Err(v2_err(StatusCode::BAD_REQUEST, &e));
    }
    *g = copy.clone();
    drop(store);
    Ok(json_status(StatusCode::OK, &copy))
}

async fn delete_group(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    if let Some(id) = path_id(&p, "customer_group_id") {
        app.data().customer_groups.remove(&id);
    }
    no_content()
}
