//! Account hierarchy handlers under `/api/v3/io/companies/{companyId}`: `subsidiaries`
//! (nested), `subsidiaries/{childCompanyId}` (detach), `parent` (attach) and `hierarchy` (the
//! whole tree), answered in the shapes `company.yaml` declares for them: `{data, meta}` lists
//! and `{status, title, errors}` refusals. The store changes are `model::hierarchy`'s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::model::hierarchy::{self, Refusal};
use crate::reply::{json_status, no_content, parse_body, path_id, Page, Params};
use crate::state::App;
use crate::store::{int, now_secs};

type P = Path<HashMap<String, String>>;

/// The hierarchy routes.
pub fn routes() -> Router<Arc<App>> {
    let b = |p: &str| format!("/api/v3/io/companies/{{companyId}}{p}");
    Router::new()
        .route(&b("/subsidiaries"), get(list_subsidiaries))
        .route(
            &b("/subsidiaries/{childCompanyId}"),
            delete(remove_subsidiary),
        )
        .route(&b("/parent"), post(attach_parent))
        .route(&b("/hierarchy"), get(get_hierarchy))
}

/// `{status, title, errors: {"1": message}}`, the hierarchy routes' error shape.
fn refusal(r: Refusal) -> Response {
    let (status, message) = match r {
        Refusal::NotFound(m) => (StatusCode::NOT_FOUND, m),
        Refusal::Invalid(m) => (StatusCode::BAD_REQUEST, m),
    };
    json_status(
        status,
        &json!({"status": status.as_u16(), "title": "Parameter Error.", "errors": {"1": message}}),
    )
}

fn company_of(p: &HashMap<String, String>, key: &str) -> Result<i64, Response> {
    path_id(p, key).ok_or_else(|| refusal(Refusal::NotFound("Company does not exist.".into())))
}

/// A page of `nodes` as `{data, meta: {message, pagination}}`.
fn tree_page(nodes: Vec<Value>, query: Option<String>) -> Response {
    let params = Params::parse(query.as_deref());
    let page = match Page::b2b(&params, 250) {
        Ok(p) => p,
        Err(e) => return refusal(Refusal::Invalid(e)),
    };
    let total = nodes.len();
    json_status(
        StatusCode::OK,
        &json!({"data": page.slice(&nodes),
            "meta": {"message": "SUCCESS", "pagination": {"totalCount": total, "limit": page.limit, "offset": page.offset}}}),
    )
}

async fn list_subsidiaries(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let id = match company_of(&p, "companyId") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let found = hierarchy::subsidiaries(&app.data(), id);
    match found {
        Some(nodes) => tree_page(nodes, q),
        None => refusal(Refusal::NotFound("Company does not exist.".into())),
    }
}

async fn get_hierarchy(State(app): State<Arc<App>>, Path(p): P, RawQuery(q): RawQuery) -> Response {
    let id = match company_of(&p, "companyId") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let found = hierarchy::hierarchy(&app.data(), id);
    match found {
        Some(nodes) => tree_page(nodes, q),
        None => refusal(Refusal::NotFound("Company does not exist.".into())),
    }
}

async fn attach_parent(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let child = match company_of(&p, "companyId") {
        Ok(id) => id,
        Err(r) => return r,
    };
    let parent = match parse_body(&body) {
        Ok(b) => int(&b, "parentCompanyId"),
        Err(e) => return refusal(Refusal::Invalid(e)),
    };
    let Some(parent) = parent else {
        return refusal(Refusal::Invalid("parentCompanyId is required.".into()));
    };
    let done = hierarchy::set_parent(&mut app.data(), child, parent, now_secs());
    match done {
        Ok(()) => {
            app.fire("store/company/updated", json!({"company_id": child}));
            json_status(
                StatusCode::CREATED,
                &json!({"data": [], "meta": {"message": "SUCCESS"}}),
            )
        }
        Err(r) => refusal(r),
    }
}

async fn remove_subsidiary(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let (parent, child) = match (
        company_of(&p, "companyId"),
        company_of(&p, "childCompanyId"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let done = hierarchy::remove_subsidiary(&mut app.data(), parent, child, now_secs());
    match done {
        Ok(()) => {
            app.fire("store/company/updated", json!({"company_id": child}));
            no_content()
        }
        Err(r) => refusal(r),
    }
}
