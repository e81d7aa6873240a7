//! Company user roles (`company.yaml` `/companies/roles`): the three predefined roles (ids 1
//! Admin, 2 Senior Buyer, 3 Junior Buyer, `roleType` 1) and the store's custom roles
//! (`roleType` 2), listed with `q` and made by `POST /companies/roles`. A user's
//! `companyRoleId` must name one of them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::reply::{b2b_invalid, b2b_list, b2b_ok, parse_body, Page, Params};
use crate::state::App;
use crate::store::{max_key, text, Store};

/// The predefined roles, by id.
const PREDEFINED: [(i64, &str); 3] = [(1, "Admin"), (2, "Senior Buyer"), (3, "Junior Buyer")];

/// The role routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/v3/io/companies/roles", get(list).post(create))
}

/// Every role, predefined first, as the list shows them.
fn all(store: &Store) -> Vec<Value> {
    let predefined = PREDEFINED
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name, "roleType": 1, "roleLevel": 1}));
    let custom = store
        .company_roles
        .values()
        .map(|r| json!({"id": r["id"], "name": r["name"], "roleType": 2, "roleLevel": 1}));
    predefined.chain(custom).collect()
}

/// The name of role `id`, when there is one.
pub fn role_name(store: &Store, id: i64) -> Option<String> {
    all(store)
        .into_iter()
        .find(|r| r["id"].as_i64() == Some(id))
        .map(|r| text(&r, "name"))
}

async fn list(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let page = match Page::b2b(&params, 250) {
        Ok(p) => p,
        Err(e) => return b2b_invalid(json!({"limit": [e]})),
    };
    let q = params.get("q").map(str::to_lowercase);
    let roles: Vec<Value> = all(&app.data())
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
    if all(&store)
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
