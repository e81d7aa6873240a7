//! Company payment methods, payment terms and credit handlers under `/api/v3/io`
//! (`payment.yaml`): `GET /payments` (the store's methods), and per company
//! `/companies/{companyId}/payments`, `/payment-terms` and `/credit`, in the spec's
//! `{code, data, meta: {message}}` envelope with its messages. The store changes are
//! `model::company_terms`'s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::model::company_terms::{self as model, Refusal};
use crate::reply::{b2b_err, json_status, parse_body, path_id};
use crate::state::App;

type P = Path<HashMap<String, String>>;

/// The payment, terms and credit routes.
pub fn routes() -> Router<Arc<App>> {
    let c = |p: &str| format!("/api/v3/io/companies/{{companyId}}{p}");
    Router::new()
        .route("/api/v3/io/payments", get(store_methods))
        .route(&c("/payments"), get(get_methods).put(put_methods))
        .route(&c("/payment-terms"), get(get_terms).put(put_terms))
        .route(&c("/credit"), get(get_credit).put(put_credit))
}

/// `{code: 200, data, meta: {message: "Success"}}`.
fn success(data: Value) -> Response {
    json_status(
        StatusCode::OK,
        &json!({"code": 200, "data": data, "meta": {"message": "Success"}}),
    )
}

fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::NotFound(m) => b2b_err(StatusCode::NOT_FOUND, &m, json!({"errMsg": m})),
        Refusal::Invalid(m) => b2b_err(
            StatusCode::BAD_REQUEST,
            "Bad Requests Error",
            json!({"errMsg": m}),
        ),
        Refusal::CreditOff => b2b_err(
            StatusCode::BAD_REQUEST,
            "API logic error",
            json!({"errMsg": "Store company credit is not enabled"}),
        ),
    }
}

fn answer(r: Result<Value, Refusal>) -> Response {
    r.map_or_else(refusal, success)
}

fn company_of(p: &HashMap<String, String>) -> Result<i64, Response> {
    path_id(p, "companyId")
        .ok_or_else(|| refusal(Refusal::NotFound("Company Does not Exist".into())))
}

/// The company id and the JSON body, or the refusal to answer.
fn company_and_body(p: &HashMap<String, String>, body: &Bytes) -> Result<(i64, Value), Response> {
    let id = company_of(p)?;
    let body = parse_body(body).map_err(|e| refusal(Refusal::Invalid(e)))?;
    Ok((id, body))
}

async fn store_methods(State(app): State<Arc<App>>) -> Response {
    let methods = model::store_methods(&app.data());
    success(Value::Array(methods))
}

async fn get_methods(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let id = match company_of(&p) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let found = model::company_methods(&app.data(), id);
    answer(found.map(Value::Array))
}

async fn put_methods(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let (id, body) = match company_and_body(&p, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = model::set_company_methods(&mut app.data(), id, &body);
    answer(done.map(|()| json!([])))
}

async fn get_terms(State(app): State<Arc<App>>, Path(p): P) -> Response {
    match company_of(&p) {
        Ok(id) => {
            let found = model::terms(&app.data(), id);
            answer(found)
        }
        Err(r) => r,
    }
}

async fn put_terms(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let (id, body) = match company_and_body(&p, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = model::set_terms(&mut app.data(), id, &body);
    answer(done)
}

async fn get_credit(State(app): State<Arc<App>>, Path(p): P) -> Response {
    match company_of(&p) {
        Ok(id) => {
            let found = model::credit(&app.data(), id);
            answer(found)
        }
        Err(r) => r,
    }
}

async fn put_credit(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let (id, body) = match company_and_body(&p, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = model::set_credit(&mut app.data(), id, &body);
    answer(done)
}
