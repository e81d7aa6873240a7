//! B2B company bulk writes (`/companies/bulk`): create (required fields all or nothing, admin
//! email conflicts answered per company) and update.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::companies::apply_company_update;
use super::requests::{body_array, detail, BULK_MAX};
use crate::model::{self, batch, Events};
use crate::reply::{b2b_err, b2b_ok, b2b_too_large, json_status, Answer};
use crate::state::App;
use crate::store::{int, now_secs};

/// The company bulk routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route(
        "/api/v3/io/companies/bulk",
        post(bulk_create_companies).put(bulk_update_companies),
    )
}

/// The 422 of a bulk create refused as a whole, naming each item refused.
fn bulk_errors(errors: Vec<Value>) -> Response {
    json_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"code": 422, "data": {"errors": errors}, "meta": {"message": "Validation failed"}}),
    )
}

/// `POST /companies/bulk`. A company missing required fields refuses the whole request (422,
/// nothing created). Conflicts alone (an admin email already in use) give the documented
/// 400 "creation failed for some Companies" with the others created: the harder case for a
/// client, which must not create those again.
async fn bulk_create_companies(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = body_array(&body)?;
    if items.len() > BULK_MAX {
        return Err(b2b_too_large(BULK_MAX, items.len()));
    }
    let mut ev = Events::new();
    let now = now_secs();
    let mut store = app.data();
    // Validate on a copy first: required fields are all or nothing.
    let invalid: Vec<Value> = batch::trial_refusals(&store, &items, now, model::create_company)
        .into_iter()
        .filter(|(_, e)| e.keys().any(|k| k != "adminEmail"))
        .map(|(i, e)| json!({"id": i.to_string(), "_detail": detail(&e)}))
        .collect();
    if !invalid.is_empty() {
        return Err(bulk_errors(invalid));
    }
    let mut ids = Vec::new();
    let mut conflicts = Vec::new();
    let created = batch::create_each(&mut store, &items, now, &mut ev, model::create_company);
    for (i, made) in created.into_iter().enumerate() {
        match made {
            Ok(c) => ids.push(json!({"companyId": c.company_id})),
            Err(e) => conflicts.push(json!({"id": i.to_string(), "_detail": detail(&e)})),
        }
    }
    drop(store);
    for _ in &ids {
        app.core_limit.charge();
    }
    app.fire_all(ev);
    // Count each company created: the middleware counts a successful request once.
    let counted = usize::from(conflicts.is_empty());
    app.stats.writes_total.fetch_add(
        ids.len().saturating_sub(counted) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    if !conflicts.is_empty() {
        return Err(json_status(
            StatusCode::BAD_REQUEST,
            &json!({"code": 400, "data": {"errors": conflicts},
                    "meta": {"message": "Some companies created failed, you can see these in errors."}}),
        ));
    }
    let task = app.next_seq();
    Ok(json_status(
        StatusCode::OK,
        &json!({"code": 200, "meta": ids, "data": {"id": format!("bulk-{task}")}}),
    ))
}

async fn bulk_update_companies(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = body_array(&body)?;
    if items.len() > BULK_MAX {
        return Err(b2b_too_large(BULK_MAX, items.len()));
    }
    let mut ids = Vec::new();
    {
        let store = app.data();
        for (i, item) in items.iter().enumerate() {
            match int(item, "companyId") {
                Some(id) if store.companies.contains_key(&id) => ids.push(id),
                Some(id) => {
                    return Err(b2b_err(
                        StatusCode::NOT_FOUND,
                        &format!("Company {id} not found"),
                        json!({"errors": [{"id": i.to_string(), "_detail": format!("Company {id} not found")}]}),
                    ))
                }
                None => {
                    return Err(b2b_err(
                        StatusCode::BAD_REQUEST,
                        "companyId is required",
                        json!({"errors": [{"id": i.to_string(), "_detail": "companyId: This field is required."}]}),
                    ))
                }
            }
        }
    }
    for (item, id) in items.iter().zip(&ids) {
        apply_company_update(&app, *id, item)?;
    }
    for id in &ids {
        app.fire("store/company/updated", json!({"company_id": id}));
    }
    Ok(b2b_ok(json!({"companyId": ids.first(), "companyIds": ids})))
}
