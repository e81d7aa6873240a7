//! Sales staff (`sales_staff.yaml`) and super admin (`super_admin.yaml`) handlers under
//! `/api/v3/io`: lists with `meta.pagination`, details, and the non-destructive assignment
//! `PUT`s, in the `{code, data, meta: {message}}` envelope with the specs' messages. The store
//! changes are `model::staff`'s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Value};

use crate::model::staff::{self as model, Refusal};
use crate::reply::{b2b_err, b2b_list, json_status, parse_body, path_id, Page, Params};
use crate::state::App;
use crate::store::now_secs;

type P = Path<HashMap<String, String>>;

/// The largest page of the super admin lists (their spec's maximum).
const SUPER_ADMIN_MAX_LIMIT: usize = 200;

const NO_SUCH_ID: &str =
    "The ID provided does not match an available resource of the appropriate type.";

/// The sales staff and super admin routes.
pub fn routes() -> Router<Arc<App>> {
    let io = |p: &str| format!("/api/v3/io{p}");
    Router::new()
        .route(&io("/sales-staffs"), get(list_sales_staff))
        .route(
            &io("/sales-staffs/{salesStaffId}"),
            get(get_sales_staff).put(put_sales_staff),
        )
        .route(&io("/super-admins"), post(create_super_admin))
        .route(&io("/companies/super-admins"), get(list_super_admins))
        .route(
            &io("/super-admins/{superAdminId}/companies"),
            get(super_admin_companies),
        )
        .route(&io("/super-admins/{superAdminId}"), put(put_super_admin))
}

fn success(data: Value, message: &str) -> Response {
    json_status(
        StatusCode::OK,
        &json!({"code": 200, "data": data, "meta": {"message": message}}),
    )
}

fn page_of(q: Option<&str>, max: usize) -> Result<(Params, Page), Response> {
    let params = Params::parse(q);
    let page = Page::b2b(&params, max).map_err(|e| {
        b2b_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Parameter Error",
            json!({"errMsg": e}),
        )
    })?;
    Ok((params, page))
}

async fn list_sales_staff(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (params, page) = match page_of(q.as_deref(), 250) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let company = params.get("companyId").and_then(|c| c.trim().parse().ok());
    let all = model::sales_staff_list(&app.data(), company);
    let total = all.len();
    b2b_list(page.slice(&all), &page, total)
}

async fn get_sales_staff(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found =
        path_id(&p, "salesStaffId").and_then(|id| model::sales_staff_detail(&app.data(), id));
    match found {
        Some(d) => success(d, "SUCCESS"),
        None => b2b_err(
            StatusCode::NOT_FOUND,
            "Sales staff not found",
            json!({"errMsg": "Sales staff not found"}),
        ),
    }
}

async fn put_sales_staff(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(_) => return b2b_err(StatusCode::BAD_REQUEST, "Bad Request", json!({})),
    };
    let id = path_id(&p, "salesStaffId").unwrap_or(0);
    let done = model::assign_sales_staff(&mut app.data(), id, &body, now_secs());
    match done {
        Ok(()) => success(json!({}), "SUCCESS"),
        Err(Refusal::NotFound(m) | Refusal::Invalid(m)) => b2b_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Parameter Error",
            json!({"errMsg": m}),
        ),
    }
}

async fn create_super_admin(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return b2b_err(StatusCode::BAD_REQUEST, &e, json!({})),
    };
    let made = model::create_super_admin(&mut app.data(), &body, now_secs());
    match made {
        Ok(ids) => success(ids, "Success"),
        Err(Refusal::NotFound(m) | Refusal::Invalid(m)) => {
            b2b_err(StatusCode::BAD_REQUEST, &m, json!({}))
        }
    }
}

async fn list_super_admins(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (params, page) = match page_of(q.as_deref(), SUPER_ADMIN_MAX_LIMIT) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let all = model::super_admins(&app.data(), params.get("q"));
    let total = all.len();
    b2b_list(page.slice(&all), &page, total)
}

async fn super_admin_companies(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, page) = match page_of(q.as_deref(), SUPER_ADMIN_MAX_LIMIT) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let found =
        path_id(&p, "superAdminId").and_then(|id| model::super_admin_companies(&app.data(), id));
    match found {
        Some(all) => {
            let total = all.len();
            b2b_list(page.slice(&all), &page, total)
        }
        None => b2b_err(StatusCode::NOT_FOUND, NO_SUCH_ID, json!({})),
    }
}

async fn put_super_admin(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return b2b_err(StatusCode::BAD_REQUEST, &e, json!({})),
    };
    let id = path_id(&p, "superAdminId").unwrap_or(0);
    let done = model::assign_super_admin(&mut app.data(), id, &body, now_secs());
    match done {
        Ok(()) => success(json!({}), "Success"),
        Err(Refusal::NotFound(m)) => b2b_err(StatusCode::NOT_FOUND, &m, json!({})),
        Err(Refusal::Invalid(m)) => b2b_err(StatusCode::BAD_REQUEST, &m, json!({})),
    }
}
