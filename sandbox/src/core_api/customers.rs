//! Core v3 customers (`/v3/customers`): list with the id, group, email, modified-since and name
//! filters, and batch create (all or nothing), update and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::model::{self, batch, Events};
use crate::reply::{
    json_status, no_content, v3_array_body, v3_err, v3_invalid, v3_list, v3_page, v3_unprocessable,
    Answer, Links, Params,
};
use crate::state::App;
use crate::store::{int, iso8601, now_secs, parse_date, text};

/// Customers per v3 create/update.
pub const CUSTOMERS_MAX: usize = 10;

/// The customer routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route(
        "/stores/{store_hash}/v3/customers",
        get(list_customers)
            .post(create_customers)
            .put(update_customers)
            .delete(delete_customers),
    )
}

async fn list_customers(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v3_page(q)?;
    let (ids, groups) = match (p.ints("id:in"), p.ints("customer_group_id:in")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Err(v3_unprocessable(&e)),
    };
    let emails: Vec<String> = p.all("email:in").iter().map(|e| e.to_lowercase()).collect();
    let min_mod = match p.get("date_modified:min") {
        Some(d) => match parse_date(d) {
            Some(t) => Some(t),
            None => {
                return Err(v3_unprocessable(&format!(
                    "date_modified:min is not a date: {d:?}"
                )))
            }
        },
        None => None,
    };
    let like = p.get("name:like").map(str::to_lowercase);
    let items: Vec<Value> = app
        .data()
        .customers
        .values()
        .filter(|c| {
            (ids.is_empty() || int(c, "id").is_some_and(|i| ids.contains(&i)))
                && (groups.is_empty()
                    || int(c, "customer_group_id").is_some_and(|g| groups.contains(&g)))
                && (emails.is_empty() || emails.contains(&text(c, "email").to_lowercase()))
                && min_mod.is_none_or(|m| parse_date(&text(c, "date_modified")).unwrap_or(0) >= m)
                && like.as_ref().is_none_or(|l| {
                    format!("{} {}", text(c, "first_name"), text(c, "last_name"))
                        .to_lowercase()
                        .contains(l)
                })
        })
        .cloned()
        .collect();
    let total = items.len();
    Ok(v3_list(page.slice(&items), &page, total, Links::With))
}

/// A body that must be an array of at most `max` items.
fn array_body(bytes: &[u8], max: usize) -> Result<Vec<Value>, Response> {
    let items = v3_array_body(bytes, "The request body must be an array")?;
    if items.len() > max {
        return Err(v3_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("At most {max} items per request, got {}", items.len()),
            json!({}),
        ));
    }
    Ok(items)
}

async fn create_customers(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = array_body(&body, CUSTOMERS_MAX)?;
    let now = now_secs();
    let mut store = app.data();
    let mut errors = Map::new();
    for (i, e) in batch::trial_refusals(&store, &items, now, model::create_customer) {
        for (k, v) in e {
            let msg = match v {
                Value::Array(a) => a
                    .first()
                    .map(|m| text(&json!({ "m": m }), "m"))
                    .unwrap_or_default(),
                other => text(&json!({ "m": other }), "m"),
            };
            errors.insert(format!("{i}.{k}"), json!(msg));
        }
    }
    if !errors.is_empty() {
        return Err(v3_invalid(errors));
    }
    let mut ev = Events::new();
    let created = batch::create_each(&mut store, &items, now, &mut ev, model::create_customer);
    let out: Vec<Value> = created
        .into_iter()
        .flatten()
        .filter_map(|id| store.customers.get(&id).cloned())
        .collect();
    drop(store);
    app.fire_all(ev);
    Ok(json_status(
        StatusCode::OK,
        &json!({"data": out, "meta": {}}),
    ))
}

async fn update_customers(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = array_body(&body, CUSTOMERS_MAX)?;
    let now = now_secs();
    let mut store = app.data();
    let mut errors = Map::new();
    for (i, c) in items.iter().enumerate() {
        match int(c, "id") {
            Some(id) if store.customers.contains_key(&id) => {}
            Some(id) => {
                errors.insert(format!("{i}.id"), json!(format!("customer {id} not found")));
            }
            None => {
                errors.insert(format!("{i}.id"), json!("id is required"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(v3_invalid(errors));
    }
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for c in &items {
        let id = int(c, "id").unwrap_or(0);
        if let Some(cur) = store.customers.get_mut(&id) {
            if let Some(obj) = c.as_object() {
                for (k, v) in obj {
                    if k != "id" && k != "date_created" && !v.is_null() {
                        cur[k.as_str()] = v.clone();
                    }
                }
            }
            cur["date_modified"] = json!(iso8601(now));
            out.push(cur.clone());
            ids.push(id);
        }
    }
    drop(store);
    for id in ids {
        app.fire(
            "store/customer/updated",
            json!({"type": "customer", "id": id}),
        );
    }
    Ok(json_status(
        StatusCode::OK,
        &json!({"data": out, "meta": {}}),
    ))
}

async fn delete_customers(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = Params::parse(q.as_deref());
    let ids = match p.ints("id:in") {
        Ok(i) if !i.is_empty() => i,
        Ok(_) => return Err(v3_unprocessable("id:in is required")),
        Err(e) => return Err(v3_unprocessable(&e)),
    };
    let mut removed = Vec::new();
    {
        let mut store = app.data();
        for id in &ids {
            if store.customers.remove(id).is_some() {
                removed.push(*id);
            }
        }
    }
    for id in removed {
        app.fire(
            "store/customer/deleted",
            json!({"type": "customer", "id": id}),
        );
    }
    Ok(no_content())
}
