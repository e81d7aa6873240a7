//! Company user role routes (`company.yaml` `/companies/roles`): the roles of
//! `crate::model::roles` listed with `q`, and custom roles made by `POST /companies/roles`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

pub use crate::model::roles::role_name;
use crate::model::roles::{all_roles, PREDEFINED};
use crate::reply::{b2b_invalid, b2b_list, b2b_ok, parse_body, Page, Params};
use crate::state::App;
use crate::store::{max_key, text};

/// The role routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/v3/io/companies/roles", get(list).post(create))
}

async fn list(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let page = match Page::b2b(&params, 250) {
        Ok(p) => p,
        Err(e) => return b2b_invalid(json!({"limit": [e]})),
    };
    let q = params.get("q").map(str::to_lowercase);
    let roles: Vec<Value> = all_roles(&app.data())
        .into_iter()
        .filter(|r| {
            q.as_ref()
                .is_none_or(|q| text(r, "name").to_lowercase().contains(q))
        })
        .collect();
    let total = roles.len();
    let items = roles
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .collect();
    b2b_list(items, &page, total)
}

async fn create(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) if b.is_object() => b,
        _ => return b2b_invalid(json!({"body": ["A JSON object is required."]})),
    };
    let name = text(&body, "name");
    if name.trim().is_empty() || name.len() > 200 {
        return b2b_invalid(json!({"name": ["A name of 1 to 200 characters is required."]}));
    }
    let mut store = app.data();
    if all_roles(&store)
        .iter()
        .any(|r| text(r, "name").eq_ignore_ascii_case(name.trim()))
    {
        return b2b_invalid(json!({"name": [format!("A role named {name} already exists.")]}));
    }
    let max = max_key(&store.company_roles).map(|m| m.max(PREDEFINED.len() as i64));
    let id = store.next_id("company_role", max.or(Some(PREDEFINED.len() as i64)));
    let permissions: Vec<Value> = body["permissions"]
        .as_array()
        .map(|p| {
            p.iter()
                .enumerate()
                .map(|(i, x)| json!({"id": i + 1, "code": x["code"], "permissionLevel": x["permissionLevel"]}))
                .collect()
        })
        .unwrap_or_default();
    store.company_roles.insert(
        id,
        json!({"id": id, "name": name.trim(), "permissions": permissions}),
    );
    b2b_ok(
        json!({"id": id, "name": name.trim(), "roleType": 2, "roleLevel": 1, "permissions": permissions}),
    )
}
