//! Core price lists (`/v3/pricelists`): list, create, read, rename or (de)activate, and delete
//! (with the list's records and assignments).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::model::insert_pricelist;
use crate::reply::{
    no_content, path_id, v3_body, v3_data, v3_err, v3_invalid, v3_list, v3_not_found, v3_page,
    v3_unprocessable, Answer, Links, PathParams,
};
use crate::state::App;
use crate::store::{int, iso8601, now_secs, text};

/// The price-list routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v3/pricelists",
            get(list_pricelists).post(create_pricelist),
        )
        .route(
            "/stores/{store_hash}/v3/pricelists/{price_list_id}",
            get(get_pricelist)
                .put(update_pricelist)
                .delete(delete_pricelist),
        )
}

async fn list_pricelists(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let ids = p.ints("id:in").map_err(|e| v3_unprocessable(&e))?;
    let name = p.get("name").map(str::to_string);
    let store = app.data();
    let items: Vec<&Value> = store
        .pricelists
        .values()
        .filter(|l| {
            (ids.is_empty() || int(l, "id").is_some_and(|i| ids.contains(&i)))
                && name.as_ref().is_none_or(|n| text(l, "name") == *n)
        })
        .collect();
    let total = items.len();
    let out = page.slice_refs(&items);
    drop(store);
    Ok(v3_list(out, &page, total, Links::Without))
}

fn pricelist_fields(body: &Value) -> Result<(String, bool), Response> {
    let name = text(body, "name");
    if name.trim().is_empty() {
        let mut e = Map::new();
        e.insert("name".into(), json!("name is a required field"));
        return Err(v3_invalid(e));
    }
    let active = match body.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            let mut e = Map::new();
            e.insert("active".into(), json!("active must be a boolean"));
            return Err(v3_invalid(e));
        }
    };
    Ok((name, active))
}

/// Announces price list `id` with `scope` and answers it.
fn changed(app: &App, scope: &str, id: i64, list: Value) -> Response {
    app.fire(scope, json!({"type": "price_list", "id": id}));
    v3_data(list)
}

async fn create_pricelist(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = v3_body(&body)?;
    let (name, active) = pricelist_fields(&body)?;
    let mut store = app.data();
    if store.pricelists.values().any(|l| text(l, "name") == name) {
        return Err(v3_err(
            StatusCode::CONFLICT,
            "A price list with this name already exists",
            json!({"name": format!("duplicate name {name:?}")}),
        ));
    }
    let id = insert_pricelist(&mut store, &name, active, now_secs());
    let out = store.pricelists.get(&id).cloned().unwrap_or_default();
    drop(store);
    Ok(changed(&app, "store/priceList/created", id, out))
}

async fn get_pricelist(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "price_list_id").and_then(|id| app.data().pricelists.get(&id).cloned());
    match found {
        Some(l) => v3_data(l),
        None => v3_not_found("Price list"),
    }
}

async fn update_pricelist(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = v3_body(&body)?;
    let (name, active) = pricelist_fields(&body)?;
    let Some(id) = path_id(&p, "price_list_id") else {
        return Err(v3_not_found("Price list"));
    };
    let mut store = app.data();
    let Some(l) = store.pricelists.get_mut(&id) else {
        return Err(v3_not_found("Price list"));
    };
    l["name"] = json!(name);
    l["active"] = json!(active);
    l["date_modified"] = json!(iso8601(now_secs()));
    let out = l.clone();
    drop(store);
    Ok(changed(&app, "store/priceList/updated", id, out))
}

async fn delete_pricelist(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    if let Some(id) = path_id(&p, "price_list_id") {
        let mut store = app.data();
        if store.pricelists.remove(&id).is_some() {
            let prefix = format!("{id}:");
            store.records.retain(|k, _| !k.starts_with(&prefix));
            store
                .assignments
                .retain(|_, a| int(a, "price_list_id") != Some(id));
        }
    }
    no_content()
}
