//! B2B companies (`/companies`): list with the date, status, group, customer, keyword and
//! extra-field filters, create (with its group, admin user and core customer), read, update,
//! delete, status and catalog changes, and the company extra fields defined.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Map, Value};

use super::requests::{
    b2b_page, body_object, create_one, int_or_zero, int_params, order_dir, sort_by,
};
use crate::model;
use crate::reply::{
    b2b_err, b2b_invalid, b2b_list, b2b_not_found, b2b_ok, path_id, within, Answer, PathParams,
};
use crate::state::App;
use crate::store::{now_secs, text};

/// The company routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/v3/io/companies",
            get(list_companies).post(create_company),
        )
        .route(
            "/api/v3/io/companies/{companyId}",
            get(get_company).put(update_company).delete(delete_company),
        )
        .route(
            "/api/v3/io/companies/{companyId}/status",
            put(company_status),
        )
        .route(
            "/api/v3/io/companies/{companyId}/catalogs",
            put(company_catalog),
        )
        .route(
            "/api/v3/io/companies/extra-fields",
            get(company_extra_fields),
        )
}

async fn list_companies(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = b2b_page(q, 250)?;
    let [min_mod, max_mod, min_cre, max_cre, status, group, customer] = int_params(
        &p,
        [
            "minModified",
            "maxModified",
            "minCreated",
            "maxCreated",
            "companyStatus",
            "bcGroupId",
            "customerId",
        ],
    )?;
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
    let desc = order_dir(&p, ["ASC", "DESC"])?;
    let store = app.data();
    let customer_company = customer.map(|c| {
        store
            .user_by_customer(c)
            .map(|u| int_or_zero(u, "companyId"))
    });
    let mut items: Vec<&Value> = store
        .companies
        .values()
        .filter(|c| {
            let upd = int_or_zero(c, "updatedAt");
            let cre = int_or_zero(c, "createdAt");
            within(upd, min_mod, max_mod)
                && within(cre, min_cre, max_cre)
                && status.is_none_or(|s| int_or_zero(c, "companyStatus") == s)
                && group.is_none_or(|g| int_or_zero(c, "bcGroupId") == g)
                && customer_company.is_none_or(|cc| cc == Some(int_or_zero(c, "companyId")))
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
    Ok(b2b_list(
        out.into_iter().map(company_answer).collect(),
        &page,
        total,
    ))
}

/// `GET /companies/extra-fields`: the company extra fields defined, as text fields.
async fn company_extra_fields(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (_, page) = b2b_page(q, 250)?;
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
    Ok(b2b_list(out, &page, total))
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

async fn create_company(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let (ids, ev) = create_one(&app, &body, model::create_company)?;
    // Creating the admin user also creates a core customer: the fan-out spends core quota.
    app.core_limit.charge();
    app.fire_all(ev);
    Ok(b2b_ok(json!({
        "companyId": ids.company_id,
        "customerId": ids.customer_id,
        "customerGroupId": ids.customer_group_id,
    })))
}

async fn get_company(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let Some(id) = path_id(&p, "companyId") else {
        return Err(b2b_not_found("Company"));
    };
    let found = app.data().companies.get(&id).cloned();
    let c = found.ok_or_else(|| b2b_not_found("Company"))?;
    Ok(b2b_ok(company_answer(c)))
}

async fn update_company(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "companyId") else {
        return Err(b2b_not_found("Company"));
    };
    apply_company_update(&app, id, &body)?;
    app.fire("store/company/updated", json!({"company_id": id}));
    Ok(b2b_ok(json!({ "companyId": id })))
}

/// Applies an update body to company `id` (`PUT /companies/{id}` and each item of a bulk
/// update): 404 when there is none, 422 for a blank name, email or phone.
pub(super) fn apply_company_update(app: &App, id: i64, body: &Value) -> Result<(), Response> {
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

async fn delete_company(State(app): State<Arc<App>>, Path(p): PathParams) -> Answer {
    let Some(id) = path_id(&p, "companyId") else {
        return Err(b2b_not_found("Company"));
    };
    let mut store = app.data();
    if store.companies.remove(&id).is_none() {
        return Err(b2b_not_found("Company"));
    }
    store.users.retain(|_, u| int_or_zero(u, "companyId") != id);
    store
        .addresses
        .retain(|_, a| int_or_zero(a, "companyId") != id);
    drop(store);
    app.fire("store/company/deleted", json!({"company_id": id}));
    Ok(b2b_ok(json!({})))
}

async fn company_status(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "companyId") else {
        return Err(b2b_not_found("Company"));
    };
    let status = match body.get("companyStatus") {
        Some(Value::Number(n)) => n.as_i64().filter(|s| (0..=3).contains(s)),
        Some(Value::String(s)) => s.parse::<i64>().ok().filter(|s| (0..=3).contains(s)),
        _ => None,
    };
    let Some(status) = status else {
        return Err(b2b_invalid(
            json!({"companyStatus": ["companyStatus must be 0, 1, 2 or 3."]}),
        ));
    };
    {
        let mut store = app.data();
        let Some(c) = store.companies.get_mut(&id) else {
            return Err(b2b_not_found("Company"));
        };
        c["companyStatus"] = json!(status.to_string());
        c["updatedAt"] = json!(now_secs().to_string());
    }
    app.fire("store/company/statusUpdated", json!({"company_id": id}));
    Ok(b2b_ok(json!({ "companyId": id })))
}

/// `PUT /companies/{id}/catalogs` `{catalogId}`: the price list the company's buyers see. 405
/// on a store using Independent Companies behavior (as the spec says); 422 for a catalog that
/// is no price list of the store.
async fn company_catalog(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "companyId") else {
        return Err(b2b_not_found("Company"));
    };
    let catalog = match body.get("catalogId") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let Some(catalog) = catalog else {
        return Err(b2b_invalid(
            json!({"catalogId": ["This field is required."]}),
        ));
    };
    {
        let mut store = app.data();
        if store.independent_companies {
            return Err(b2b_err(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not Allowed: the store uses Independent Companies behavior.",
                json!({}),
            ));
        }
        let Some(name) = store.pricelists.get(&catalog).map(|l| text(l, "name")) else {
            return Err(b2b_invalid(
                json!({"catalogId": [format!("Catalog {catalog} does not exist.")]}),
            ));
        };
        let Some(c) = store.companies.get_mut(&id) else {
            return Err(b2b_not_found("Company"));
        };
        c["catalogId"] = json!(catalog.to_string());
        c["catalogName"] = json!(name);
        c["updatedAt"] = json!(now_secs().to_string());
    }
    app.fire("store/company/updated", json!({"company_id": id}));
    Ok(b2b_ok(json!({ "companyId": id })))
}
