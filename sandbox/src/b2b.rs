//! B2B Edition API handlers under `/api/v3/io`: companies (incl. bulk and status), users (incl.
//! bulk and by customer id), addresses, quotes (`/rfq`), orders and their products.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::model::{self, Events};
use crate::reply::{
    b2b_err, b2b_invalid, b2b_list, b2b_not_found, b2b_ok, b2b_ok_bare, b2b_too_large, json_status,
    parse_body, quote_ok, Page, Params,
};
use crate::state::App;
use crate::store::{int, now_secs, parse_mdy, text};

type P = Path<HashMap<String, String>>;

/// Bulk endpoints accept at most this many items.
pub const BULK_MAX: usize = 10;

/// The B2B routes.
pub fn routes() -> Router<Arc<App>> {
    let b = |p: &str| format!("/api/v3/io{p}");
    Router::new()
        .route(&b("/companies"), get(list_companies).post(create_company))
        .route(
            &b("/companies/bulk"),
            post(bulk_create_companies).put(bulk_update_companies),
        )
        .route(
            &b("/companies/{companyId}"),
            get(get_company).put(update_company).delete(delete_company),
        )
        .route(&b("/companies/{companyId}/status"), put(company_status))
        .route(&b("/companies/{companyId}/catalogs"), put(company_catalog))
        .route(&b("/companies/extra-fields"), get(company_extra_fields))
        .route(&b("/users"), get(list_users).post(create_user))
        .route(&b("/users/bulk"), post(bulk_create_users))
        .route(&b("/users/customer/{customerId}"), get(user_by_customer))
        .route(
            &b("/users/{userId}"),
            get(get_user).put(update_user).delete(delete_user),
        )
        .route(&b("/countries"), get(country))
        .route(&b("/addresses"), get(list_addresses).post(create_address))
        .route(&b("/addresses/bulk"), post(bulk_create_addresses))
        .route(
            &b("/addresses/{addressId}"),
            get(get_address).put(update_address).delete(delete_address),
        )
        .route(&b("/rfq"), get(list_quotes).post(create_quote))
        .route(
            &b("/rfq/{quote_id}"),
            get(get_quote).put(update_quote).delete(delete_quote),
        )
        .route(&b("/rfq/{quote_id}/ordered"), post(quote_ordered))
        .route(&b("/rfq/{quote_id}/checkout"), post(quote_checkout))
        .route(&b("/orders"), get(list_orders).post(link_order))
        .route(&b("/orders/{bcOrderId}"), get(get_order).put(update_order))
        .route(&b("/orders/{bcOrderId}/products"), get(order_products))
}

fn pid(p: &HashMap<String, String>, k: &str) -> Option<i64> {
    p.get(k).and_then(|v| v.trim().parse().ok())
}

fn ts(v: &Value, f: &str) -> i64 {
    int(v, f).unwrap_or(0)
}

fn fire(app: &App, ev: Events) {
    for (scope, data) in ev {
        app.fire(&scope, data);
    }
}

fn body_object(bytes: &[u8]) -> Result<Value, Response> {
    match parse_body(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(b2b_err(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object",
            json!({"errMsg": "The request body must be a JSON object"}),
        )),
        Err(e) => Err(b2b_err(StatusCode::BAD_REQUEST, &e, json!({ "errMsg": e }))),
    }
}

fn body_array(bytes: &[u8]) -> Result<Vec<Value>, Response> {
    match parse_body(bytes) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(b2b_err(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON array",
            json!({"errMsg": "The request body must be a JSON array"}),
        )),
        Err(e) => Err(b2b_err(StatusCode::BAD_REQUEST, &e, json!({ "errMsg": e }))),
    }
}

fn params(q: Option<String>, max: usize) -> Result<(Params, Page), Response> {
    let p = Params::parse(q.as_deref());
    match Page::b2b(&p, max) {
        Ok(page) => Ok((p, page)),
        Err(e) => Err(b2b_invalid(json!(e))),
    }
}

fn int_param(p: &Params, name: &str) -> Result<Option<i64>, Response> {
    p.int(name).map_err(|e| b2b_invalid(json!(e)))
}

/// `orderBy` as the route's spec spells its enum (`[ascending, descending]`: `ASC`/`DESC` on
/// companies and orders, `asc`/`desc` on quotes); descending when absent. Any other spelling is
/// refused with the spec's words, so a client that sends what the spec does not allow finds out.
fn order_dir(p: &Params, allowed: [&str; 2]) -> Result<bool, Response> {
    match p.get("orderBy") {
        None => Ok(true),
        Some(o) if o == allowed[0] => Ok(false),
        Some(o) if o == allowed[1] => Ok(true),
        Some(o) => Err(b2b_invalid(json!(format!(
            "orderBy `{o}` must be one of: {}, {}",
            allowed[0], allowed[1]
        )))),
    }
}

/// The B2B list paging of `GET /addresses`, whose spec declares `limit` with an exclusive
/// minimum of 1 and an exclusive maximum of 250.
fn address_params(q: Option<String>) -> Result<(Params, Page), Response> {
    let (p, page) = params(q, 249)?;
    match int_param(&p, "limit")? {
        Some(limit) if !(2..=249).contains(&limit) => Err(b2b_invalid(json!(format!(
            "limit {limit} must be greater than 1 and less than 250"
        )))),
        _ => Ok((p, page)),
    }
}

fn sort_by<T: std::borrow::Borrow<Value>>(items: &mut [T], key: &str, desc: bool, id_field: &str) {
    items.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        let o = match (a.get(key), b.get(key)) {
            (Some(Value::String(x)), Some(Value::String(y))) if key.contains("Name") => {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
            _ => ts(a, key).cmp(&ts(b, key)),
        };
        let o = if o == Ordering::Equal {
            ts(a, id_field).cmp(&ts(b, id_field))
        } else {
            o
        };
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

// ---------------------------------------------------------------- companies

async fn list_companies(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match params(q, 250) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut filters = Vec::new();
    for name in [
        "minModified",
        "maxModified",
        "minCreated",
        "maxCreated",
        "companyStatus",
        "bcGroupId",
        "customerId",
    ] {
        match int_param(&p, name) {
            Ok(v) => filters.push(v),
            Err(r) => return r,
        }
    }
    let [min_mod, max_mod, min_cre, max_cre, status, group, customer] = filters[..] else {
        return b2b_invalid(json!("bad filters"));
    };
    let q = p.get("q").map(str::to_lowercase);
    let extra: Vec<(String, String)> = p
        .all("extraFields")
        .iter()
        .filter_map(|kv| {
            kv.split_once(':')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let sort_key = match p.get("sortBy") {
        Some("companyName") => "companyName",
        _ => "updatedAt",
    };
    let desc = match order_dir(&p, ["ASC", "DESC"]) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let store = app.data();
    let customer_company = customer.map(|c| store.user_by_customer(c).map(|u| ts(u, "companyId")));
    let mut items: Vec<&Value> = store
        .companies
        .values()
        .filter(|c| {
            let upd = ts(c, "updatedAt");
            let cre = ts(c, "createdAt");
            min_mod.is_none_or(|m| upd >= m)
                && max_mod.is_none_or(|m| upd <= m)
                && min_cre.is_none_or(|m| cre >= m)
                && max_cre.is_none_or(|m| cre <= m)
                && status.is_none_or(|s| ts(c, "companyStatus") == s)
                && group.is_none_or(|g| ts(c, "bcGroupId") == g)
                && customer_company.is_none_or(|cc| cc == Some(ts(c, "companyId")))
                && q.as_ref().is_none_or(|q| {
                    text(c, "companyName").to_lowercase().contains(q)
                        || text(c, "companyEmail").to_lowercase().contains(q)
                })
                && extra.iter().all(|(k, v)| {
                    c.get("extraFields")
                        .and_then(Value::as_array)
                        .is_some_and(|fs| {
                            fs.iter()
                                .any(|f| text(f, "fieldName") == *k && text(f, "fieldValue") == *v)
                        })
                })
        })
        .collect();
    sort_by(&mut items, sort_key, desc, "companyId");
    let total = items.len();
    let out = page.slice_refs(&items);
    drop(store);
    b2b_list(out.into_iter().map(company_answer).collect(), &page, total)
}

/// `GET /companies/extra-fields`: the company extra fields defined, as text fields.
async fn company_extra_fields(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (_, page) = match params(q, 250) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let names = crate::state::lock(&app.company_extra_fields).clone();
    let configs: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"id": 100 + i as i64, "fieldName": name, "fieldType": 0, "isRequired": false,
                "isUnique": false, "visibleToEnduser": false, "configType": 2,
                "defaultValue": "", "maximumLength": "100"})
        })
        .collect();
    let total = configs.len();
    let refs: Vec<&Value> = configs.iter().collect();
    let out = page.slice_refs(&refs);
    b2b_list(out, &page, total)
}

/// Fields a company is created and updated with that the spec's reads do not return.
const COMPANY_WRITE_ONLY_FIELDS: [&str; 6] = [
    "addressLine1",
    "addressLine2",
    "city",
    "state",
    "zipCode",
    "country",
];

/// A stored company as `GET /companies` and `GET /companies/{id}` answer it.
fn company_answer(mut c: Value) -> Value {
    if let Some(m) = c.as_object_mut() {
        for f in COMPANY_WRITE_ONLY_FIELDS {
            m.remove(f);
        }
    }
    c
}

async fn create_company(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut ev = Events::new();
    let res = model::create_company(&mut app.data(), &body, now_secs(), &mut ev);
    match res {
        Ok(ids) => {
            // Creating the admin user also creates a core customer: the fan-out spends core quota.
            app.core_limit.charge();
            fire(&app, ev);
            b2b_ok(json!({
                "companyId": ids.company_id,
                "customerId": ids.customer_id,
                "customerGroupId": ids.customer_group_id,
            }))
        }
        Err(e) => b2b_invalid(Value::Object(e)),
    }
}

async fn get_company(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let Some(id) = pid(&p, "companyId") else {
        return b2b_not_found("Company");
    };
    match app.data().companies.get(&id).cloned() {
        Some(c) => b2b_ok(company_answer(c)),
        None => b2b_not_found("Company"),
    }
}

async fn update_company(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "companyId") else {
        return b2b_not_found("Company");
    };
    if let Err(e) = apply_company_update(&app, id, &body) {
        return e;
    }
    app.fire("store/company/updated", json!({"company_id": id}));
    b2b_ok(json!({ "companyId": id }))
}

fn apply_company_update(app: &App, id: i64, body: &Value) -> Result<(), Response> {
    let mut store = app.data();
    let Some(mut company) = store.companies.get(&id).cloned() else {
        return Err(b2b_not_found("Company"));
    };
    for f in ["companyName", "companyEmail", "companyPhone"] {
        if body
            .get(f)
            .is_some_and(|v| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()))
        {
            let mut e = Map::new();
            e.insert(f.to_string(), json!(["This field may not be blank."]));
            return Err(b2b_invalid(Value::Object(e)));
        }
    }
    model::update_company(&mut company, body, &store, now_secs());
    store.companies.insert(id, company);
    Ok(())
}

async fn delete_company(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let Some(id) = pid(&p, "companyId") else {
        return b2b_not_found("Company");
    };
    let mut store = app.data();
    if store.companies.remove(&id).is_none() {
        return b2b_not_found("Company");
    }
    store.users.retain(|_, u| ts(u, "companyId") != id);
    store.addresses.retain(|_, a| ts(a, "companyId") != id);
    drop(store);
    app.fire("store/company/deleted", json!({"company_id": id}));
    b2b_ok(json!({}))
}

async fn company_status(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "companyId") else {
        return b2b_not_found("Company");
    };
    let status = match body.get("companyStatus") {
        Some(Value::Number(n)) => n.as_i64().filter(|s| (0..=3).contains(s)),
        Some(Value::String(s)) => s.parse::<i64>().ok().filter(|s| (0..=3).contains(s)),
        _ => None,
    };
    let Some(status) = status else {
        return b2b_invalid(json!({"companyStatus": ["companyStatus must be 0, 1, 2 or 3."]}));
    };
    {
        let mut store = app.data();
        let Some(c) = store.companies.get_mut(&id) else {
            return b2b_not_found("Company");
        };
        c["companyStatus"] = json!(status.to_string());
        c["updatedAt"] = json!(now_secs().to_string());
    }
    app.fire("store/company/statusUpdated", json!({"company_id": id}));
    b2b_ok(json!({ "companyId": id }))
}

/// `PUT /companies/{id}/catalogs` `{catalogId}`: the price list the company's buyers see. 405
/// on a store using Independent Companies behavior (as the spec says); 422 for a catalog that
/// is no price list of the store.
async fn company_catalog(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "companyId") else {
        return b2b_not_found("Company");
    };
    let catalog = match body.get("catalogId") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let Some(catalog) = catalog else {
        return b2b_invalid(json!({"catalogId": ["This field is required."]}));
    };
    {
        let mut store = app.data();
        if store.independent_companies {
            return b2b_err(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not Allowed: the store uses Independent Companies behavior.",
                json!({}),
            );
        }
        let Some(name) = store.pricelists.get(&catalog).map(|l| text(l, "name")) else {
            return b2b_invalid(
                json!({"catalogId": [format!("Catalog {catalog} does not exist.")]}),
            );
        };
        let Some(c) = store.companies.get_mut(&id) else {
            return b2b_not_found("Company");
        };
        c["catalogId"] = json!(catalog.to_string());
        c["catalogName"] = json!(name);
        c["updatedAt"] = json!(now_secs().to_string());
    }
    app.fire("store/company/updated", json!({"company_id": id}));
    b2b_ok(json!({ "companyId": id }))
}

fn bulk_errors(errors: Vec<Value>) -> Response {
    json_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"code": 422, "data": {"errors": errors}, "meta": {"message": "Validation failed"}}),
    )
}

fn detail(e: &Map<String, Value>) -> String {
    e.iter()
        .map(|(k, v)| {
            let msg = match v {
                Value::Array(a) => a
                    .iter()
                    .map(|m| text(&json!({ "m": m }), "m"))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => text(&json!({ "m": other }), "m"),
            };
            format!("{k}: {msg}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `POST /companies/bulk`. A company missing required fields refuses the whole request (422,
/// nothing created). Conflicts alone (an admin email already in use) give the documented
/// 400 "creation failed for some Companies" with the others created: the harder case for a
/// client, which must not create those again.
async fn bulk_create_companies(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match body_array(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if items.len() > BULK_MAX {
        return b2b_too_large(BULK_MAX, items.len());
    }
    let mut ev = Events::new();
    let now = now_secs();
    let mut store = app.data();
    // Validate on a copy first: required fields are all or nothing.
    let mut trial = store.accounts_copy();
    let mut invalid = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Err(e) = model::create_company(&mut trial, item, now, &mut Events::new()) {
            if e.keys().any(|k| k != "adminEmail") {
                invalid.push(json!({"id": i.to_string(), "_detail": detail(&e)}));
            }
        }
    }
    if !invalid.is_empty() {
        return bulk_errors(invalid);
    }
    let mut ids = Vec::new();
    let mut conflicts = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match model::create_company(&mut store, item, now, &mut ev) {
            Ok(c) => ids.push(json!({"companyId": c.company_id})),
            Err(e) => conflicts.push(json!({"id": i.to_string(), "_detail": detail(&e)})),
        }
    }
    drop(store);
    for _ in &ids {
        app.core_limit.charge();
    }
    fire(&app, ev);
    // Count each company created: the middleware counts a successful request once.
    let counted = usize::from(conflicts.is_empty());
    app.stats.writes_total.fetch_add(
        ids.len().saturating_sub(counted) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    if !conflicts.is_empty() {
        return json_status(
            StatusCode::BAD_REQUEST,
            &json!({"code": 400, "data": {"errors": conflicts},
                    "meta": {"message": "Some companies created failed, you can see these in errors."}}),
        );
    }
    let task = app.next_seq();
    json_status(
        StatusCode::OK,
        &json!({"code": 200, "meta": ids, "data": {"id": format!("bulk-{task}")}}),
    )
}

async fn bulk_update_companies(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match body_array(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if items.len() > BULK_MAX {
        return b2b_too_large(BULK_MAX, items.len());
    }
    let mut ids = Vec::new();
    {
        let store = app.data();
        for (i, item) in items.iter().enumerate() {
            match int(item, "companyId") {
                Some(id) if store.companies.contains_key(&id) => ids.push(id),
                Some(id) => {
                    return b2b_err(
                        StatusCode::NOT_FOUND,
                        &format!("Company {id} not found"),
                        json!({"errors": [{"id": i.to_string(), "_detail": format!("Company {id} not found")}]}),
                    )
                }
                None => {
                    return b2b_err(
                        StatusCode::BAD_REQUEST,
                        "companyId is required",
                        json!({"errors": [{"id": i.to_string(), "_detail": "companyId: This field is required."}]}),
                    )
                }
            }
        }
    }
    for (item, id) in items.iter().zip(&ids) {
        if let Err(r) = apply_company_update(&app, *id, item) {
            return r;
        }
    }
    for id in &ids {
        app.fire("store/company/updated", json!({"company_id": id}));
    }
    b2b_ok(json!({"companyId": ids.first(), "companyIds": ids}))
}

// ---------------------------------------------------------------- users

async fn list_users(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match params(q, 250) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (company, min_mod, max_mod, min_cre) = match (
        int_param(&p, "companyId"),
        int_param(&p, "minModified"),
        int_param(&p, "maxModified"),
        int_param(&p, "minCreated"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        _ => {
            return b2b_invalid(json!(
                "companyId, minModified, maxModified and minCreated must be integers"
            ))
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
            company.is_none_or(|c| ts(u, "companyId") == c)
                && min_mod.is_none_or(|m| ts(u, "updatedAt") >= m)
                && max_mod.is_none_or(|m| ts(u, "updatedAt") <= m)
                && min_cre.is_none_or(|m| ts(u, "createdAt") >= m)
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
    b2b_list(page.slice(&items), &page, total)
}

async fn create_user(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut ev = Events::new();
    let res = model::create_user(&mut app.data(), &body, now_secs(), &mut ev);
    match res {
        Ok((user_id, bc_id)) => {
            app.core_limit.charge();
            fire(&app, ev);
            b2b_ok(json!({"userId": user_id, "bcId": bc_id}))
        }
        Err(e) => b2b_invalid(Value::Object(e)),
    }
}

async fn bulk_create_users(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match body_array(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if items.len() > BULK_MAX {
        return b2b_too_large(BULK_MAX, items.len());
    }
    let now = now_secs();
    let mut store = app.data();
    let mut trial = store.accounts_copy();
    for (i, item) in items.iter().enumerate() {
        if let Err(e) = model::create_user(&mut trial, item, now, &mut Events::new()) {
            let mut m = e;
            m.insert("index".into(), json!(i));
            return b2b_invalid(Value::Object(m));
        }
    }
    let mut ev = Events::new();
    let mut out = Vec::new();
    for item in &items {
        if let Ok((u, c)) = model::create_user(&mut store, item, now, &mut ev) {
            out.push(json!({"userId": u, "bcId": c}));
        }
    }
    drop(store);
    for _ in &out {
        app.core_limit.charge();
    }
    fire(&app, ev);
    // Count each buyer created: the middleware counts the successful request once.
    app.stats.writes_total.fetch_add(
        out.len().saturating_sub(1) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    b2b_ok(Value::Array(out))
}

async fn get_user(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "userId").and_then(|id| app.data().users.get(&id).cloned());
    match found {
        Some(u) => b2b_ok(u),
        None => b2b_not_found("User"),
    }
}

async fn user_by_customer(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "customerId").and_then(|id| app.data().user_by_customer(id).cloned());
    match found {
        Some(u) => b2b_ok(u),
        None => b2b_not_found("User"),
    }
}

async fn update_user(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "userId") else {
        return b2b_not_found("User");
    };
    let updated = {
        let mut store = app.data();
        if let Some(email) = body.get("email").and_then(Value::as_str) {
            if store
                .users
                .values()
                .any(|u| ts(u, "id") != id && text(u, "email").eq_ignore_ascii_case(email))
            {
                return b2b_invalid(
                    json!({"email": [format!("User with email {email} already exists.")]}),
                );
            }
        }
        if let Some(r) = body.get("role") {
            if !r.as_i64().is_some_and(|r| (0..=2).contains(&r)) {
                return b2b_invalid(json!({"role": ["Role must be 0, 1 or 2."]}));
            }
        }
        let company_role = match int(&body, "companyRoleId") {
            Some(r) => match crate::roles::role_name(&store, r) {
                Some(name) => Some(name),
                None => {
                    return b2b_invalid(json!({"companyRoleId": ["Company role does not exist."]}))
                }
            },
            None => None,
        };
        let Some(u) = store.users.get_mut(&id) else {
            return b2b_not_found("User");
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
        u.clone()
    };
    app.fire(
        "store/company/user/updated",
        json!({"company_id": ts(&updated, "companyId"), "user_id": id}),
    );
    b2b_ok(updated)
}

async fn delete_user(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let Some(id) = pid(&p, "userId") else {
        return b2b_not_found("User");
    };
    let company = {
        let mut store = app.data();
        let Some(u) = store.users.get(&id) else {
            return b2b_not_found("User");
        };
        let company = ts(u, "companyId");
        let siblings = store
            .users
            .values()
            .filter(|u| ts(u, "companyId") == company)
            .count();
        if siblings <= 1 {
            return b2b_invalid(json!(
                "A company must keep at least one user: this is its last user."
            ));
        }
        store.users.remove(&id);
        company
    };
    app.fire(
        "store/company/user/deleted",
        json!({"company_id": company, "user_id": id}),
    );
    b2b_ok(json!({ "userId": id }))
}

// ---------------------------------------------------------------- addresses

async fn list_addresses(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match address_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (company, min_mod) = match (int_param(&p, "companyId"), int_param(&p, "minModified")) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return b2b_invalid(json!("companyId and minModified must be integers")),
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
            company.is_none_or(|c| ts(a, "companyId") == c)
                && min_mod.is_none_or(|m| ts(a, "updatedAt") >= m)
                && (external.is_empty() || external.contains(&text(a, "externalId")))
                && billing.is_none_or(|b| a.get("isBilling").and_then(Value::as_bool) == Some(b))
                && shipping.is_none_or(|b| a.get("isShipping").and_then(Value::as_bool) == Some(b))
        })
        .cloned()
        .collect();
    let total = items.len();
    b2b_list(page.slice(&items), &page, total)
}

async fn create_address(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut ev = Events::new();
    let res = model::create_address(&mut app.data(), &body, now_secs(), &mut ev);
    match res {
        Ok(id) => {
            fire(&app, ev);
            b2b_ok(json!({ "addressId": id }))
        }
        Err(e) => b2b_invalid(Value::Object(e)),
    }
}

async fn bulk_create_addresses(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match body_array(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if items.len() > BULK_MAX {
        // The address spec declares `errMsg` as an object here (a string for users).
        let msg = format!(
            "Bulk requests accept at most {BULK_MAX} items, got {}",
            items.len()
        );
        return b2b_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &msg,
            json!({"errMsg": {"non_field_errors": [msg]}}),
        );
    }
    let now = now_secs();
    let mut store = app.data();
    let mut trial = store.accounts_copy();
    for (i, item) in items.iter().enumerate() {
        if let Err(mut e) = model::create_address(&mut trial, item, now, &mut Events::new()) {
            e.insert("index".into(), json!(i));
            return b2b_invalid(Value::Object(e));
        }
    }
    let mut ev = Events::new();
    let mut out = Vec::new();
    for item in &items {
        if let Ok(id) = model::create_address(&mut store, item, now, &mut ev) {
            if let Some(a) = store.addresses.get(&id) {
                out.push(a.clone());
            }
        }
    }
    drop(store);
    fire(&app, ev);
    b2b_ok(Value::Array(out))
}

async fn get_address(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "addressId").and_then(|id| app.data().addresses.get(&id).cloned());
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

async fn update_address(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "addressId") else {
        return b2b_not_found("Address");
    };
    let company = {
        let mut store = app.data();
        let Some(a) = store.addresses.get_mut(&id) else {
            return b2b_not_found("Address");
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
        ts(a, "companyId")
    };
    app.fire(
        "store/company/address/updated",
        json!({"company_id": company, "address_id": id}),
    );
    b2b_ok(json!({ "addressId": id }))
}

async fn delete_address(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let removed = pid(&p, "addressId").and_then(|id| app.data().addresses.remove(&id));
    match removed {
        Some(a) => {
            let id = ts(&a, "addressId");
            app.fire(
                "store/company/address/deleted",
                json!({"company_id": ts(&a, "companyId"), "address_id": id}),
            );
            b2b_ok(json!({ "addressId": id }))
        }
        None => b2b_not_found("Address"),
    }
}

// ---------------------------------------------------------------- quotes

const QUOTE_LIST_FIELDS: [&str; 18] = [
    "quoteId",
    "company",
    "salesRep",
    "updatedAt",
    "quoteNumber",
    "status",
    "bcOrderId",
    "orderId",
    "channelName",
    "createdAt",
    "expiredAt",
    "createdBy",
    "subtotal",
    "channelId",
    "quoteTitle",
    "referenceNumber",
    "currency",
    "extraFields",
];

fn quote_summary(q: &Value) -> Value {
    let mut m = Map::new();
    for f in QUOTE_LIST_FIELDS {
        if let Some(v) = q.get(f) {
            m.insert(f.to_string(), v.clone());
        }
    }
    Value::Object(m)
}

async fn list_quotes(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match params(q, 250) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut ints = Vec::new();
    for name in [
        "minModified",
        "maxModified",
        "minCreated",
        "maxCreated",
        "status",
    ] {
        match int_param(&p, name) {
            Ok(v) => ints.push(v),
            Err(r) => return r,
        }
    }
    let [min_mod, max_mod, min_cre, max_cre, status] = ints[..] else {
        return b2b_invalid(json!("bad filters"));
    };
    let company = p.get("company").map(str::to_lowercase);
    let sort_key = match p.get("sortBy") {
        Some("createdAt") => "createdAt",
        Some("expiredAt") => "expiredAt",
        Some("quoteNumber") => "quoteId",
        _ => "updatedAt",
    };
    let desc = match order_dir(&p, ["asc", "desc"]) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut items: Vec<Value> = app
        .data()
        .quotes
        .values()
        .filter(|x| {
            min_mod.is_none_or(|m| ts(x, "updatedAt") >= m)
                && max_mod.is_none_or(|m| ts(x, "updatedAt") <= m)
                && min_cre.is_none_or(|m| ts(x, "createdAt") >= m)
                && max_cre.is_none_or(|m| ts(x, "createdAt") <= m)
                && status.is_none_or(|s| ts(x, "status") == s)
                && company
                    .as_ref()
                    .is_none_or(|c| text(x, "company").to_lowercase().contains(c))
        })
        .map(quote_summary)
        .collect();
    sort_by(&mut items, sort_key, desc, "quoteId");
    let total = items.len();
    json_status(
        StatusCode::OK,
        &json!({
            "code": 200,
            "message": "SUCCESS",
            "data": {
                "list": page.slice(&items),
                "pagination": {"totalCount": total, "offset": page.offset, "limit": page.limit},
            },
        }),
    )
}

fn quote_err(status: StatusCode, msg: &str) -> Response {
    b2b_err(status, msg, json!({ "errMsg": msg }))
}

/// The status of a quote created through `POST /rfq`.
const QUOTE_CREATED_STATUS: i64 = 2;

async fn create_quote(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The spec's create takes no status: a quote made through the API is In Process (2),
    // "created by a member of your staff and submitted back to the buyer".
    let mut body = body;
    body["status"] = json!(QUOTE_CREATED_STATUS);
    let mut ev = Events::new();
    let res = model::create_quote(&mut app.data(), &body, now_secs(), &mut ev);
    match res {
        Ok(id) => {
            fire(&app, ev);
            quote_ok(
                json!({"quoteId": id, "quoteUrl": format!("https://sandbox.example/quote/{id}")}),
            )
        }
        Err(e) => {
            let msg = detail(&e);
            quote_err(StatusCode::UNPROCESSABLE_ENTITY, &msg)
        }
    }
}

/// The countries `GET /countries` knows here (ISO code, name), a sample of BigCommerce's list.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("CA", "Canada"),
    ("MX", "Mexico"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("JP", "Japan"),
];

/// `GET /countries?searchType=0|1&q=`: one country by name (0) or ISO code (1); 404 otherwise.
async fn country(RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let wanted = p.get("q").unwrap_or("").trim().to_lowercase();
    let by_code = p.get("searchType") == Some("1");
    let found = COUNTRIES.iter().find(|(code, name)| {
        let key = if by_code { code } else { name };
        key.to_lowercase() == wanted
    });
    match found {
        Some((code, name)) => b2b_ok(json!({"countryCode": code, "countryName": name})),
        None => b2b_err(StatusCode::NOT_FOUND, "Country not found", json!({})),
    }
}

/// Fields of a stored quote that its list entry has and the spec's detail does not (the detail
/// names the company in `companyInfo`, the rep in `salesRepInfo`).
const QUOTE_LIST_ONLY_FIELDS: [&str; 6] = [
    "quoteId",
    "company",
    "companyId",
    "salesRep",
    "updatedAt",
    "uuid",
];

/// `GET /rfq/{quote_id}?date=MM/DD/YYYY`: the spec requires the quote's creation date. Without
/// it, or with one that does not read, 400; with another day than the quote's (UTC), 404. The
/// detail carries none of the list-only fields, `quoteId` included.
async fn get_quote(State(app): State<Arc<App>>, Path(p): P, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let Some(day) = params
        .get("date")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%m/%d/%Y").ok())
    else {
        return quote_err(
            StatusCode::BAD_REQUEST,
            "date is required: the quote's creation date as MM/DD/YYYY",
        );
    };
    let found = pid(&p, "quote_id").and_then(|id| app.data().quotes.get(&id).cloned());
    let created_on =
        |x: &Value| chrono::DateTime::from_timestamp(ts(x, "createdAt"), 0).map(|t| t.date_naive());
    match found {
        Some(mut x) if created_on(&x) == Some(day) => {
            if let Some(m) = x.as_object_mut() {
                for list_only in QUOTE_LIST_ONLY_FIELDS {
                    m.remove(list_only);
                }
            }
            b2b_ok(x)
        }
        _ => quote_err(StatusCode::NOT_FOUND, "Quote not found"),
    }
}

async fn update_quote(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "quote_id") else {
        return quote_err(StatusCode::NOT_FOUND, "Quote not found");
    };
    let mut status_changed = false;
    {
        let mut store = app.data();
        let Some(q) = store.quotes.get_mut(&id) else {
            return quote_err(StatusCode::NOT_FOUND, "Quote not found");
        };
        // The spec's update takes no status; an expiry date in the past expires the quote
        // ("not purchased before its expiration date").
        if let Some(e) = body.get("expiredAt").and_then(Value::as_str) {
            match parse_mdy(e) {
                Some(t) => {
                    q["expiredAt"] = json!(t);
                    let day = |secs: i64| secs.div_euclid(86_400);
                    if day(t) < day(now_secs()) && !matches!(ts(q, "status"), 4 | 5) {
                        q["status"] = json!(5);
                        status_changed = true;
                    }
                }
                None => {
                    return quote_err(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "expiredAt: Date has wrong format. Use MM/DD/YYYY.",
                    )
                }
            }
        }
        if let Some(obj) = body.as_object() {
            for (k, v) in obj {
                if matches!(
                    k.as_str(),
                    "status" | "expiredAt" | "quoteId" | "createdAt" | "companyId"
                ) || v.is_null()
                {
                    continue;
                }
                q[k.as_str()] = v.clone();
            }
        }
        q["updatedAt"] = json!(now_secs());
    }
    let data = json!({"quote_id": id, "quote_uuid": crate::store::uuid_for(0x9e, id)});
    app.fire("store/quote/updated", data.clone());
    if status_changed {
        app.fire("store/quote/statusUpdated", data);
    }
    quote_ok(json!({"quoteId": id, "quoteUrl": format!("https://sandbox.example/quote/{id}")}))
}

async fn delete_quote(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let removed = pid(&p, "quote_id").and_then(|id| app.data().quotes.remove(&id).map(|_| id));
    match removed {
        Some(id) => {
            app.fire(
                "store/quote/deleted",
                json!({"quote_id": id, "quote_uuid": crate::store::uuid_for(0x9e, id)}),
            );
            quote_ok(json!({}))
        }
        None => quote_err(StatusCode::NOT_FOUND, "Quote not found"),
    }
}

async fn quote_ordered(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "quote_id") else {
        return quote_err(StatusCode::NOT_FOUND, "Quote not found");
    };
    let order_id = text(&body, "orderId");
    if order_id.is_empty() {
        return quote_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "orderId: This field is required.",
        );
    }
    {
        let mut store = app.data();
        let order_known = order_id
            .parse::<i64>()
            .is_ok_and(|o| store.orders.contains_key(&o));
        if !order_known {
            return quote_err(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Order {order_id} does not exist"),
            );
        }
        let Some(q) = store.quotes.get_mut(&id) else {
            return quote_err(StatusCode::NOT_FOUND, "Quote not found");
        };
        if !matches!(ts(q, "status"), 0 | 2 | 3) {
            return quote_err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only a quote that is new, in process or updated by customer can be ordered",
            );
        }
        q["status"] = json!(4);
        q["bcOrderId"] = json!(order_id);
        q["orderId"] = json!(order_id);
        q["updatedAt"] = json!(now_secs());
    }
    let data = json!({"quote_id": id, "quote_uuid": crate::store::uuid_for(0x9e, id)});
    app.fire("store/quote/updated", data.clone());
    app.fire("store/quote/statusUpdated", data);
    quote_ok(json!({}))
}

async fn quote_checkout(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "quote_id").filter(|id| app.data().quotes.contains_key(id));
    match found {
        Some(id) => quote_ok(json!({
            "checkoutUrl": format!("https://sandbox.example/checkout?quote={id}"),
            "cartId": format!("cart-{id}"),
            "cartUrl": format!("https://sandbox.example/cart.php?quote={id}"),
        })),
        None => quote_err(StatusCode::UNPROCESSABLE_ENTITY, "Quote not found"),
    }
}

// ---------------------------------------------------------------- orders

async fn list_orders(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match params(q, 200) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut ints = Vec::new();
    for name in [
        "companyId",
        "minModified",
        "maxModified",
        "minCreated",
        "maxCreated",
        "bcOrderId",
    ] {
        match int_param(&p, name) {
            Ok(v) => ints.push(v),
            Err(r) => return r,
        }
    }
    let [company, min_mod, max_mod, min_cre, max_cre, bc_order] = ints[..] else {
        return b2b_invalid(json!("bad filters"));
    };
    let sort_key = match p.get("sortBy") {
        Some("updatedAt") => "updatedAt",
        _ => "createdAt",
    };
    let desc = match order_dir(&p, ["ASC", "DESC"]) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let store = app.data();
    let mut items: Vec<&Value> = store
        .b2b_orders
        .values()
        .filter(|o| {
            company.is_none_or(|c| ts(o, "companyId") == c)
                && min_mod.is_none_or(|m| ts(o, "updatedAt") >= m)
                && max_mod.is_none_or(|m| ts(o, "updatedAt") <= m)
                && min_cre.is_none_or(|m| ts(o, "createdAt") >= m)
                && max_cre.is_none_or(|m| ts(o, "createdAt") <= m)
                && bc_order.is_none_or(|b| ts(o, "bcOrderId") == b)
        })
        .collect();
    sort_by(&mut items, sort_key, desc, "bcOrderId");
    let total = items.len();
    let out = page.slice_refs(&items);
    drop(store);
    b2b_list(out, &page, total)
}

async fn get_order(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "bcOrderId").and_then(|id| app.data().b2b_orders.get(&id).cloned());
    match found {
        Some(o) => b2b_ok_bare(o),
        None => b2b_not_found("Order"),
    }
}

async fn update_order(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "bcOrderId") else {
        return b2b_not_found("Order");
    };
    let mut store = app.data();
    let Some(o) = store.b2b_orders.get_mut(&id) else {
        return b2b_not_found("Order");
    };
    if let Some(v) = body.get("poNumber") {
        match v.as_str() {
            Some(s) => o["poNumber"] = json!(s),
            None => return b2b_invalid(json!("poNumber must be a string")),
        }
    }
    if let Some(x) = body.get("extraFields").filter(|v| v.is_array()) {
        o["extraFields"] = x.clone();
    }
    o["updatedAt"] = json!(now_secs());
    b2b_ok_bare(o.clone())
}

async fn link_order(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (Some(order_id), Some(customer_id)) = (int(&body, "bcOrderId"), int(&body, "customerId"))
    else {
        return b2b_err(
            StatusCode::BAD_REQUEST,
            "bcOrderId and customerId are required",
            json!({"errMsg": "bcOrderId and customerId are required"}),
        );
    };
    let mut store = app.data();
    if !store.orders.contains_key(&order_id) {
        return b2b_err(
            StatusCode::BAD_REQUEST,
            "Order not found",
            json!({"errMsg": format!("Order {order_id} not found")}),
        );
    }
    let Some(company) = store
        .user_by_customer(customer_id)
        .map(|u| ts(u, "companyId"))
    else {
        return b2b_err(
            StatusCode::BAD_REQUEST,
            "Customer is not a company user",
            json!({"errMsg": format!("Customer {customer_id} is not a company user")}),
        );
    };
    model::link_b2b_order(
        &mut store,
        order_id,
        company,
        &text(&body, "poNumber"),
        now_secs(),
    );
    match store.b2b_orders.get(&order_id) {
        Some(o) => b2b_ok(o.clone()),
        None => b2b_not_found("Order"),
    }
}

async fn order_products(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let Some(id) = pid(&p, "bcOrderId") else {
        return b2b_not_found("Order");
    };
    let store = app.data();
    let Some(order) = store.b2b_orders.get(&id) else {
        return b2b_not_found("Order");
    };
    let created = ts(order, "createdAt");
    let products: Vec<Value> = store
        .order_products
        .get(&id)
        .map(|ps| {
            ps.iter()
                .map(|op| {
                    json!({
                        "id": ts(op, "id"),
                        "productId": ts(op, "product_id"),
                        "variantId": ts(op, "variant_id"),
                        "variantSku": text(op, "sku"),
                        "productName": text(op, "name"),
                        "productBrandName": text(op, "brand"),
                        "quantity": ts(op, "quantity"),
                        "options": [],
                        "createdAt": created,
                        "updatedAt": created,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    drop(store);
    b2b_ok_bare(Value::Array(products))
}
