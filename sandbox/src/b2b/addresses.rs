//! B2B company addresses (`/addresses`): list with the company, modified-since, external id and
//! billing/shipping filters, create, bulk create, read, update and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::requests::{
    b2b_page, body_array, body_object, create_bulk, create_one, int_or_zero, int_param, BULK_MAX,
};
use crate::model;
use crate::reply::{
    b2b_err, b2b_invalid, b2b_list, b2b_not_found, b2b_ok, path_id, Answer, Page, Params,
    PathParams,
};
use crate::state::App;
use crate::store::{now_secs, text};

/// The address routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/v3/io/addresses",
            get(list_addresses).post(create_address),
        )
        .route("/api/v3/io/addresses/bulk", post(bulk_create_addresses))
        .route(
            "/api/v3/io/addresses/{addressId}",
            get(get_address).put(update_address).delete(delete_address),
        )
}

/// The B2B list paging of `GET /addresses`, whose spec declares `limit` with an exclusive
/// minimum of 1 and an exclusive maximum of 250.
fn address_params(q: Option<String>) -> Result<(Params, Page), Response> {
    let (p, page) = b2b_page(q, 249)?;
    match int_param(&p, "limit")? {
        Some(limit) if !(2..=249).contains(&limit) => Err(b2b_invalid(json!(format!(
            "limit {limit} must be greater than 1 and less than 250"
        )))),
        _ => Ok((p, page)),
    }
}

async fn list_addresses(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = address_params(q)?;
    let (company, min_mod) = match (int_param(&p, "companyId"), int_param(&p, "minModified")) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            return Err(b2b_invalid(json!(
                "companyId and minModified must be integers"
            )))
        }
    };
    let external = p.exact("externalId[]");
    let flag = |name: &str| {
        p.get(name)
            .map(|v| v == "1" || v.eq_ignore_ascii_case("true"))
    };
    let (billing, shipping) = (flag("isBilling"), flag("isShipping"));
    let items: Vec<Value> = app
        .data()
        .addresses
        .values()
        .filter(|a| {
            company.is_none_or(|c| int_or_zero(a, "companyId") == c)
                && min_mod.is_none_or(|m| int_or_zero(a, "updatedAt") >= m)
                && (external.is_empty() || external.contains(&text(a, "externalId")))
                && billing.is_none_or(|b| a.get("isBilling").and_then(Value::as_bool) == Some(b))
                && shipping.is_none_or(|b| a.get("isShipping").and_then(Value::as_bool) == Some(b))
        })
        .cloned()
        .collect();
    let total = items.len();
    Ok(b2b_list(page.slice(&items), &page, total))
}

async fn create_address(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let (id, ev) = create_one(&app, &body, model::create_address)?;
    app.fire_all(ev);
    Ok(b2b_ok(json!({ "addressId": id })))
}

async fn bulk_create_addresses(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = body_array(&body)?;
    if items.len() > BULK_MAX {
        // The address spec declares `errMsg` as an object here (a string for users).
        let msg = format!(
            "Bulk requests accept at most {BULK_MAX} items, got {}",
            items.len()
        );
        return Err(b2b_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &msg,
            json!({"errMsg": {"non_field_errors": [msg]}}),
        ));
    }
    let (out, ev) = create_bulk(&app, &items, model::create_address, |store, id| {
        store.addresses.get(&id).cloned()
    })?;
    app.fire_all(ev);
    Ok(b2b_ok(Value::Array(out)))
}

async fn get_address(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "addressId").and_then(|id| app.data().addresses.get(&id).cloned());
    match found {
        // The spec's detail has no timestamps (the list and its filters use them).
        Some(mut a) => {
            if let Some(m) = a.as_object_mut() {
                m.remove("createdAt");
                m.remove("updatedAt");
            }
            b2b_ok(a)
        }
        None => b2b_not_found("Address"),
    }
}

async fn update_address(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "addressId") else {
        return Err(b2b_not_found("Address"));
    };
    let company = {
        let mut store = app.data();
        let Some(a) = store.addresses.get_mut(&id) else {
            return Err(b2b_not_found("Address"));
        };
        if let Some(obj) = body.as_object() {
            for (k, v) in obj {
                if k == "addressId" || k == "companyId" || k == "createdAt" {
                    continue;
                }
                if a.get(k).is_some() && !v.is_null() {
                    a[k.as_str()] = v.clone();
                }
            }
        }
        a["updatedAt"] = json!(now_secs());
        int_or_zero(a, "companyId")
    };
    app.fire(
        "store/company/address/updated",
        json!({"company_id": company, "address_id": id}),
    );
    Ok(b2b_ok(json!({ "addressId": id })))
}

async fn delete_address(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let removed = path_id(&p, "addressId").and_then(|id| app.data().addresses.remove(&id));
    match removed {
        Some(a) => {
            let id = int_or_zero(&a, "addressId");
            app.fire(
                "store/company/address/deleted",
                json!({"company_id": int_or_zero(&a, "companyId"), "address_id": id}),
            );
            b2b_ok(json!({ "addressId": id }))
        }
        None => b2b_not_found("Address"),
    }
}
