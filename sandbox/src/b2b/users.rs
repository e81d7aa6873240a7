//! B2B company users (`/users`): list with the company, date, email, role and keyword filters,
//! create (with its core customer), bulk create, read (also by core customer id), update and
//! delete (never a company's last user).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::requests::{
    b2b_page, body_array, body_object, create_bulk, create_one, int_or_zero, int_param, BULK_MAX,
};
use crate::model;
use crate::model::roles::role_name;
use crate::reply::{
    b2b_invalid, b2b_list, b2b_not_found, b2b_ok, b2b_too_large, path_id, within, Answer,
    PathParams,
};
use crate::state::App;
use crate::store::{int, now_secs, text, Store};

/// The user routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v3/io/users", get(list_users).post(create_user))
        .route("/api/v3/io/users/bulk", post(bulk_create_users))
        .route(
            "/api/v3/io/users/customer/{customerId}",
            get(user_by_customer),
        )
        .route(
            "/api/v3/io/users/{userId}",
            get(get_user).put(update_user).delete(delete_user),
        )
}

async fn list_users(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = b2b_page(q, 250)?;
    let (company, min_mod, max_mod, min_cre) = match (
        int_param(&p, "companyId"),
        int_param(&p, "minModified"),
        int_param(&p, "maxModified"),
        int_param(&p, "minCreated"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        _ => {
            return Err(b2b_invalid(json!(
                "companyId, minModified, maxModified and minCreated must be integers"
            )))
        }
    };
    let email = p.get("email").map(str::to_lowercase);
    let q = p.get("q").map(str::to_lowercase);
    let roles = p.all("roles");
    let items: Vec<Value> = app
        .data()
        .users
        .values()
        .filter(|u| {
            company.is_none_or(|c| int_or_zero(u, "companyId") == c)
                && within(int_or_zero(u, "updatedAt"), min_mod, max_mod)
                && within(int_or_zero(u, "createdAt"), min_cre, None)
                && email
                    .as_ref()
                    .is_none_or(|e| text(u, "email").eq_ignore_ascii_case(e))
                && (roles.is_empty() || roles.contains(&text(u, "role")))
                && q.as_ref().is_none_or(|q| {
                    format!(
                        "{} {} {}",
                        text(u, "firstName"),
                        text(u, "lastName"),
                        text(u, "email")
                    )
                    .to_lowercase()
                    .contains(q)
                })
        })
        .cloned()
        .collect();
    let total = items.len();
    Ok(b2b_list(page.slice(&items), &page, total))
}

async fn create_user(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let ((user_id, bc_id), ev) = create_one(&app, &body, model::create_user)?;
    app.core_limit.charge();
    app.fire_all(ev);
    Ok(b2b_ok(json!({"userId": user_id, "bcId": bc_id})))
}

async fn bulk_create_users(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let items = body_array(&body)?;
    if items.len() > BULK_MAX {
        return Err(b2b_too_large(BULK_MAX, items.len()));
    }
    let (out, ev) = create_bulk(&app, &items, model::create_user, |_, (u, c)| {
        Some(json!({"userId": u, "bcId": c}))
    })?;
    for _ in &out {
        app.core_limit.charge();
    }
    app.fire_all(ev);
    // Count each buyer created: the middleware counts the successful request once.
    app.stats.writes_total.fetch_add(
        out.len().saturating_sub(1) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    Ok(b2b_ok(Value::Array(out)))
}

async fn get_user(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "userId").and_then(|id| app.data().users.get(&id).cloned());
    match found {
        Some(u) => b2b_ok(u),
        None => b2b_not_found("User"),
    }
}

async fn user_by_customer(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "customerId").and_then(|id| app.data().user_by_customer(id).cloned());
    match found {
        Some(u) => b2b_ok(u),
        None => b2b_not_found("User"),
    }
}

async fn update_user(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "userId") else {
        return Err(b2b_not_found("User"));
    };
    let updated = apply_user_update(&mut app.data(), id, &body)?;
    app.fire(
        "store/company/user/updated",
        json!({"company_id": int_or_zero(&updated, "companyId"), "user_id": id}),
    );
    Ok(b2b_ok(updated))
}

/// Refuses an update of user `id` to an email another user has, a role that is not 0..2 or a
/// company role that does not exist; returns the name of the company role it sets.
fn check_user_update(store: &Store, id: i64, body: &Value) -> Result<Option<String>, Response> {
    if let Some(email) = body.get("email").and_then(Value::as_str) {
        if store
            .users
            .values()
            .any(|u| int_or_zero(u, "id") != id && text(u, "email").eq_ignore_ascii_case(email))
        {
            return Err(b2b_invalid(
                json!({"email": [format!("User with email {email} already exists.")]}),
            ));
        }
    }
    if let Some(r) = body.get("role") {
        if !r.as_i64().is_some_and(|r| (0..=2).contains(&r)) {
            return Err(b2b_invalid(json!({"role": ["Role must be 0, 1 or 2."]})));
        }
    }
    match int(body, "companyRoleId") {
        Some(r) => match role_name(store, r) {
            Some(name) => Ok(Some(name)),
            None => Err(b2b_invalid(
                json!({"companyRoleId": ["Company role does not exist."]}),
            )),
        },
        None => Ok(None),
    }
}

/// Applies an update body to user `id`; returns the user as updated.
fn apply_user_update(store: &mut Store, id: i64, body: &Value) -> Result<Value, Response> {
    let company_role = check_user_update(store, id, body)?;
    let Some(u) = store.users.get_mut(&id) else {
        return Err(b2b_not_found("User"));
    };
    if let Some(name) = company_role {
        u["companyRoleName"] = json!(name);
    }
    for f in ["firstName", "lastName", "email", "phoneNumber", "uuid"] {
        if let Some(v) = body.get(f).and_then(Value::as_str) {
            u[f] = json!(v);
        }
    }
    for f in ["role", "companyRoleId"] {
        if let Some(v) = body.get(f).and_then(Value::as_i64) {
            u[f] = json!(v);
        }
    }
    if let Some(x) = body.get("extraFields").filter(|v| v.is_array()) {
        u["extraFields"] = x.clone();
    }
    u["updatedAt"] = json!(now_secs());
    Ok(u.clone())
}

async fn delete_user(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let Some(id) = path_id(&p, "userId") else {
        return Err(b2b_not_found("User"));
    };
    let company = {
        let mut store = app.data();
        let Some(u) = store.users.get(&id) else {
            return Err(b2b_not_found("User"));
        };
        let company = int_or_zero(u, "companyId");
        let siblings = store
            .users
            .values()
            .filter(|u| int_or_zero(u, "companyId") == company)
            .count();
        if siblings <= 1 {
            return Err(b2b_invalid(json!(
                "A company must keep at least one user: this is its last user."
            )));
        }
        store.users.remove(&id);
        company
    };
    app.fire(
        "store/company/user/deleted",
        json!({"company_id": company, "user_id": id}),
    );
    Ok(b2b_ok(json!({ "userId": id })))
}
