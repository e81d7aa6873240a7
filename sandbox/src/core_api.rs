//! Core management API handlers under `/stores/{store_hash}`: price lists, records (batch
//! upsert with the concurrency cap), assignments, customer groups (v2), customers (v3),
//! orders (v2, products, shipping addresses; v3 metafields) and webhooks (`/v3/hooks`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::model::{self, insert_assignment, insert_pricelist, set_order_status, Events, NewOrder};
use crate::reply::{
    json_status, no_content, parse_body, v2_err, v3_data, v3_err, v3_list, v3_not_found, Links,
    Page, Params,
};
use crate::state::App;
use crate::store::{int, iso8601, now_secs, parse_date, rfc2822, text, Store};

type P = Path<HashMap<String, String>>;

/// Records per `PUT /v3/pricelists/{id}/records`.
pub const RECORDS_MAX: usize = 1_000;
/// Concurrent batch upserts allowed per store.
pub const UPSERTS_CONCURRENT: usize = 2;
/// Assignments per `POST /v3/pricelists/assignments`.
pub const ASSIGNMENTS_MAX: usize = 25;
/// Customers per v3 create/update.
pub const CUSTOMERS_MAX: usize = 10;

/// The core routes.
pub fn routes() -> Router<Arc<App>> {
    let c = |p: &str| format!("/stores/{{store_hash}}{p}");
    Router::new()
        .route(
            &c("/v3/pricelists"),
            get(list_pricelists).post(create_pricelist),
        )
        .route(
            &c("/v3/pricelists/assignments"),
            get(list_assignments)
                .post(create_assignments)
                .delete(delete_assignments),
        )
        .route(
            &c("/v3/pricelists/{price_list_id}"),
            get(get_pricelist)
                .put(update_pricelist)
                .delete(delete_pricelist),
        )
        .route(
            &c("/v3/pricelists/{price_list_id}/records"),
            get(list_records).put(upsert_records).delete(delete_records),
        )
        .route(
            &c("/v3/pricelists/{price_list_id}/assignments"),
            put(upsert_assignment),
        )
        .route(
            &c("/v2/customer_groups"),
            get(list_groups).post(create_group),
        )
        .route(&c("/v2/customer_groups/count"), get(count_groups))
        .route(
            &c("/v2/customer_groups/{customer_group_id}"),
            get(get_group).put(update_group).delete(delete_group),
        )
        .route(
            &c("/v3/customers"),
            get(list_customers)
                .post(create_customers)
                .put(update_customers)
                .delete(delete_customers),
        )
        .route(&c("/v2/orders"), get(list_orders).post(create_order))
        .route(
            &c("/v2/orders/{order_id}"),
            get(get_order).put(update_order),
        )
        .route(&c("/v2/orders/{order_id}/products"), get(order_products))
        .route(
            &c("/v2/orders/{order_id}/shipping_addresses"),
            get(order_shipping),
        )
        .route(&c("/v2/order_statuses"), get(order_statuses))
        .route(
            &c("/v3/orders/{order_id}/metafields"),
            get(order_metafields),
        )
        .route(&c("/v3/hooks"), get(list_hooks).post(create_hook))
        .route(
            &c("/v3/hooks/admin"),
            get(hooks_admin).put(update_hooks_admin),
        )
        .route(
            &c("/v3/hooks/{webhook_id}"),
            get(get_hook).put(update_hook).delete(delete_hook),
        )
}

/// An integer path parameter.
pub(crate) fn pid(p: &HashMap<String, String>, k: &str) -> Option<i64> {
    p.get(k).and_then(|v| v.trim().parse().ok())
}

/// Queues the webhook events of a change.
pub(crate) fn fire(app: &App, ev: Events) {
    for (scope, data) in ev {
        app.fire(&scope, data);
    }
}

fn v3_bad(msg: &str) -> Response {
    v3_err(StatusCode::UNPROCESSABLE_ENTITY, msg, json!({}))
}

fn v3_invalid(errors: Map<String, Value>) -> Response {
    v3_err(
        StatusCode::UNPROCESSABLE_ENTITY,
        "JSON data is missing or invalid",
        Value::Object(errors),
    )
}

fn v3_body(bytes: &[u8]) -> Result<Value, Response> {
    parse_body(bytes).map_err(|e| v3_err(StatusCode::BAD_REQUEST, &e, json!({})))
}

/// A v3 list's `page` and `limit`, or the 400 answer.
pub(crate) fn v3_params(q: Option<String>) -> Result<(Params, Page), Response> {
    let p = Params::parse(q.as_deref());
    match Page::pages(&p) {
        Ok(page) => Ok((p, page)),
        Err(e) => Err(v3_bad(&e)),
    }
}

// ---------------------------------------------------------------- price lists

async fn list_pricelists(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ids = match p.ints("id:in") {
        Ok(i) => i,
        Err(e) => return v3_bad(&e),
    };
    let name = p.get("name").map(str::to_string);
    let store = app.data();
    let items: Vec<&Value> = store
        .pricelists
        .values()
        .filter(|l| {
            (ids.is_empty() || int(l, "id").is_some_and(|i| ids.contains(&i)))
                && name.as_ref().is_none_or(|n| text(l, "name") == *n)
        })
        .collect();
    let total = items.len();
    let out = page.slice_refs(&items);
    drop(store);
    v3_list(out, &page, total, Links::Without)
}

fn pricelist_fields(body: &Value) -> Result<(String, bool), Response> {
    let name = text(body, "name");
    if name.trim().is_empty() {
        let mut e = Map::new();
        e.insert("name".into(), json!("name is a required field"));
        return Err(v3_invalid(e));
    }
    let active = match body.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            let mut e = Map::new();
            e.insert("active".into(), json!("active must be a boolean"));
            return Err(v3_invalid(e));
        }
    };
    Ok((name, active))
}

async fn create_pricelist(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match v3_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (name, active) = match pricelist_fields(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut store = app.data();
    if store.pricelists.values().any(|l| text(l, "name") == name) {
        return v3_err(
            StatusCode::CONFLICT,
            "A price list with this name already exists",
            json!({"name": format!("duplicate name {name:?}")}),
        );
    }
    let id = insert_pricelist(&mut store, &name, active, now_secs());
    let out = store.pricelists.get(&id).cloned().unwrap_or_default();
    drop(store);
    app.fire(
        "store/priceList/created",
        json!({"type": "price_list", "id": id}),
    );
    v3_data(out)
}

async fn get_pricelist(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "price_list_id").and_then(|id| app.data().pricelists.get(&id).cloned());
    match found {
        Some(l) => v3_data(l),
        None => v3_not_found("Price list"),
    }
}

async fn update_pricelist(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match v3_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (name, active) = match pricelist_fields(&body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "price_list_id") else {
        return v3_not_found("Price list");
    };
    let mut store = app.data();
    let Some(l) = store.pricelists.get_mut(&id) else {
        return v3_not_found("Price list");
    };
    l["name"] = json!(name);
    l["active"] = json!(active);
    l["date_modified"] = json!(iso8601(now_secs()));
    let out = l.clone();
    drop(store);
    app.fire(
        "store/priceList/updated",
        json!({"type": "price_list", "id": id}),
    );
    v3_data(out)
}

async fn delete_pricelist(State(app): State<Arc<App>>, Path(p): P) -> Response {
    if let Some(id) = pid(&p, "price_list_id") {
        let mut store = app.data();
        if store.pricelists.remove(&id).is_some() {
            let prefix = format!("{id}:");
            store.records.retain(|k, _| !k.starts_with(&prefix));
            store
                .assignments
                .retain(|_, a| int(a, "price_list_id") != Some(id));
        }
    }
    no_content()
}

// ---------------------------------------------------------------- records

async fn list_records(State(app): State<Arc<App>>, Path(p): P, RawQuery(q): RawQuery) -> Response {
    let (params, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "price_list_id") else {
        return v3_not_found("Price list");
    };
    let variants = match params.ints("variant_id:in") {
        Ok(v) => v,
        Err(e) => return v3_bad(&e),
    };
    let skus = params.all("sku:in");
    let currency = params.get("currency").map(str::to_ascii_lowercase);
    let store = app.data();
    if !store.pricelists.contains_key(&id) {
        return v3_not_found("Price list");
    }
    let prefix = format!("{id}:");
    let items: Vec<Value> = store
        .records
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, r)| r)
        .filter(|r| {
            (variants.is_empty() || int(r, "variant_id").is_some_and(|v| variants.contains(&v)))
                && (skus.is_empty() || skus.contains(&text(r, "sku")))
                && currency
                    .as_ref()
                    .is_none_or(|c| text(r, "currency").eq_ignore_ascii_case(c))
        })
        .cloned()
        .collect();
    drop(store);
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::Without)
}

struct UpsertSlot(Arc<App>);

impl Drop for UpsertSlot {
    fn drop(&mut self) {
        self.0
            .stats
            .pricelist_upserts_in_flight
            .fetch_sub(1, Ordering::SeqCst);
    }
}

const PRICE_FIELDS: [&str; 4] = ["price", "sale_price", "retail_price", "map_price"];

fn validate_record(store: &Store, list_id: i64, r: &Value) -> Result<(i64, Value), Value> {
    let mut fe = Map::new();
    let currency = text(r, "currency");
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        fe.insert(
            "currency".into(),
            json!("currency is required and must be an ISO 4217 code"),
        );
    }
    let variant = match (int(r, "variant_id"), r.get("sku").and_then(Value::as_str)) {
        (Some(v), _) => store.variants.get(&v).cloned(),
        (None, Some(sku)) => store.variant_by_sku(sku).cloned(),
        (None, None) => None,
    };
    if variant.is_none() {
        if int(r, "variant_id").is_none() && r.get("sku").is_none() {
            fe.insert("variant_id".into(), json!("variant_id or sku is required"));
        } else {
            fe.insert("variant_id".into(), json!("variant not found"));
        }
    }
    for f in PRICE_FIELDS {
        if let Some(v) = r.get(f) {
            if !v.is_null() && !v.as_f64().is_some_and(|x| x >= 0.0) {
                fe.insert(
                    f.into(),
                    json!(format!("{f} must be a non-negative number")),
                );
            }
        }
    }
    if let Some(t) = r.get("bulk_pricing_tiers") {
        if !t.is_array() && !t.is_null() {
            fe.insert(
                "bulk_pricing_tiers".into(),
                json!("bulk_pricing_tiers must be an array"),
            );
        }
    }
    let variant_id = variant.as_ref().and_then(|v| int(v, "variant_id"));
    if let Some(vid) = variant_id {
        let exists = store
            .records
            .contains_key(&Store::record_key(list_id, vid, &currency));
        if !exists && r.get("price").is_none_or(Value::is_null) {
            fe.insert("price".into(), json!("price is required for a new record"));
        }
    }
    match (variant, fe.is_empty()) {
        (Some(v), true) => Ok((int(&v, "variant_id").unwrap_or(0), v)),
        _ => {
            let mut data = Map::new();
            data.insert("price_list_id".into(), json!(list_id));
            if let Some(v) = int(r, "variant_id") {
                data.insert("variant_id".into(), json!(v));
            }
            if let Some(sku) = r.get("sku").and_then(Value::as_str) {
                data.insert("sku".into(), json!(sku));
            }
            data.insert("currency".into(), json!(currency));
            Err(json!({ "data": data, "field_errors": fe }))
        }
    }
}

async fn upsert_records(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let now_in_flight = app
        .stats
        .pricelist_upserts_in_flight
        .fetch_add(1, Ordering::SeqCst)
        + 1;
    let slot = UpsertSlot(app.clone());
    if now_in_flight > UPSERTS_CONCURRENT {
        drop(slot);
        app.stats
            .pricelist_concurrency_refusals
            .fetch_add(1, Ordering::Relaxed);
        return v3_err(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many concurrent price list record upserts; at most 2 may run at once per store",
            json!({}),
        );
    }
    app.stats
        .peak_concurrent_pricelist_upserts
        .fetch_max(now_in_flight, Ordering::SeqCst);
    let records = match v3_body(&body) {
        Ok(Value::Array(a)) => a,
        Ok(_) => return v3_bad("The request body must be an array of price records"),
        Err(r) => return r,
    };
    if records.len() > RECORDS_MAX {
        return v3_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "A batch upsert accepts at most {RECORDS_MAX} records, got {}",
                records.len()
            ),
            json!({}),
        );
    }
    let Some(list_id) = pid(&p, "price_list_id") else {
        return v3_not_found("Price list");
    };
    let hold = app
        .opts
        .records_hold_ms
        .unwrap_or(records.len() as u64 / 20);
    if hold > 0 {
        tokio::time::sleep(Duration::from_millis(hold)).await;
    }
    let now = now_secs();
    let mut store = app.data();
    if !store.pricelists.contains_key(&list_id) {
        return v3_not_found("Price list");
    }
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for r in &records {
        match validate_record(&store, list_id, r) {
            Ok(v) => valid.push((r, v)),
            Err(e) => errors.push(e),
        }
    }
    // Non-strict mode, BigCommerce's default: the valid records are written, and the answer is
    // 422 naming the others.
    for (r, (vid, variant)) in valid {
        let currency = text(r, "currency").to_ascii_lowercase();
        let key = Store::record_key(list_id, vid, &currency);
        let mut rec = store.records.get(&key).cloned().unwrap_or_else(|| {
            json!({
                "price_list_id": list_id, "variant_id": vid, "product_id": int(&variant, "product_id"),
                "sku": text(&variant, "sku"), "currency": currency, "date_created": iso8601(now),
                "bulk_pricing_tiers": [],
            })
        });
        for f in PRICE_FIELDS {
            if let Some(v) = r.get(f).filter(|v| !v.is_null()) {
                rec[f] = v.clone();
            }
        }
        if let Some(t) = r.get("bulk_pricing_tiers").filter(|t| t.is_array()) {
            rec["bulk_pricing_tiers"] = t.clone();
        }
        let calc = rec
            .get("sale_price")
            .and_then(Value::as_f64)
            .or_else(|| rec.get("price").and_then(Value::as_f64))
            .unwrap_or(0.0);
        rec["calculated_price"] = json!(calc);
        rec["date_modified"] = json!(iso8601(now));
        store.records.insert(key, rec);
    }
    drop(store);
    drop(slot);
    let written = records.len() - errors.len();
    if written > 0 {
        app.fire(
            "store/priceList/records/updated",
            json!({"type": "price_list_records", "price_list_id": list_id, "count": written}),
        );
    }
    if !errors.is_empty() {
        return json_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "batch_errors": errors }),
        );
    }
    v3_data(json!({}))
}

async fn delete_records(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.as_deref());
    let Some(id) = pid(&p, "price_list_id") else {
        return v3_not_found("Price list");
    };
    let variants = match params.ints("variant_id:in") {
        Ok(v) => v,
        Err(e) => return v3_bad(&e),
    };
    let skus = params.all("sku:in");
    let currency = params.get("currency").map(str::to_ascii_lowercase);
    let prefix = format!("{id}:");
    app.data().records.retain(|k, r| {
        !(k.starts_with(&prefix)
            && (variants.is_empty() || int(r, "variant_id").is_some_and(|v| variants.contains(&v)))
            && (skus.is_empty() || skus.contains(&text(r, "sku")))
            && currency
                .as_ref()
                .is_none_or(|c| text(r, "currency").eq_ignore_ascii_case(c)))
    });
    no_content()
}

// ---------------------------------------------------------------- assignments

async fn list_assignments(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut f = Vec::new();
    for name in ["price_list_id", "customer_group_id", "channel_id"] {
        match p.ints(name) {
            Ok(mut v) => {
                if let Ok(more) = p.ints(&format!("{name}:in")) {
                    v.extend(more);
                }
                f.push((name, v));
            }
            Err(e) => return v3_bad(&e),
        }
    }
    let items: Vec<Value> = app
        .data()
        .assignments
        .values()
        .filter(|a| {
            f.iter().all(|(name, vals)| {
                vals.is_empty() || int(a, name).is_some_and(|x| vals.contains(&x))
            })
        })
        .cloned()
        .collect();
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::Without)
}

async fn create_assignments(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match v3_body(&body) {
        Ok(Value::Array(a)) => a,
        Ok(_) => return v3_bad("The request body must be an array of assignments"),
        Err(r) => return r,
    };
    if items.len() > ASSIGNMENTS_MAX {
        return v3_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "At most {ASSIGNMENTS_MAX} assignments per request, got {}",
                items.len()
            ),
            json!({}),
        );
    }
    let mut store = app.data();
    let mut errors = Map::new();
    for (i, a) in items.iter().enumerate() {
        match int(a, "price_list_id") {
            Some(pl) if store.pricelists.contains_key(&pl) => {}
            Some(pl) => {
                errors.insert(
                    format!("{i}.price_list_id"),
                    json!(format!("price list {pl} not found")),
                );
            }
            None => {
                errors.insert(
                    format!("{i}.price_list_id"),
                    json!("price_list_id is required"),
                );
            }
        }
        if let Some(g) = int(a, "customer_group_id") {
            if !store.customer_groups.contains_key(&g) {
                errors.insert(
                    format!("{i}.customer_group_id"),
                    json!(format!("customer group {g} not found")),
                );
            }
        }
    }
    if !errors.is_empty() {
        return json_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"status": 422, "title": "Assignments are invalid", "type": crate::reply::V3_ERROR_TYPE, "errors": errors, "meta": {"saved_records": 0}}),
        );
    }
    for a in &items {
        insert_assignment(
            &mut store,
            int(a, "price_list_id").unwrap_or(0),
            int(a, "customer_group_id").unwrap_or(0),
            int(a, "channel_id").unwrap_or(1),
        );
    }
    drop(store);
    app.fire(
        "store/priceList/assignment/updated",
        json!({"type": "price_list_assignment", "count": items.len()}),
    );
    json_status(StatusCode::OK, &json!({"data": [], "meta": {}}))
}

async fn delete_assignments(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let mut f = Vec::new();
    for name in ["id", "price_list_id", "customer_group_id", "channel_id"] {
        match p.ints(name) {
            Ok(v) => f.push((name, v)),
            Err(e) => return v3_bad(&e),
        }
    }
    if f.iter().all(|(_, v)| v.is_empty()) {
        return v3_bad("At least one filter is required to delete assignments");
    }
    app.data().assignments.retain(|_, a| {
        !f.iter()
            .all(|(name, vals)| vals.is_empty() || int(a, name).is_some_and(|x| vals.contains(&x)))
    });
    no_content()
}

async fn upsert_assignment(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match v3_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(list) = pid(&p, "price_list_id") else {
        return v3_not_found("Price list");
    };
    let (Some(group), Some(channel)) = (int(&body, "customer_group_id"), int(&body, "channel_id"))
    else {
        let mut e = Map::new();
        e.insert(
            "customer_group_id".into(),
            json!("customer_group_id and channel_id are required"),
        );
        return v3_invalid(e);
    };
    let mut store = app.data();
    if !store.pricelists.contains_key(&list) {
        return v3_not_found("Price list");
    }
    let a = insert_assignment(&mut store, list, group, channel);
    drop(store);
    v3_data(a)
}

// ---------------------------------------------------------------- customer groups (v2)

/// A v2 list's `page` and `limit`, or the 400 answer.
pub(crate) fn v2_page(q: Option<String>) -> Result<(Params, Page), Response> {
    let p = Params::parse(q.as_deref());
    match Page::pages(&p) {
        Ok(page) => Ok((p, page)),
        Err(e) => Err(v2_err(StatusCode::BAD_REQUEST, &e)),
    }
}

async fn list_groups(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v2_page(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = p.get("name").map(str::to_string);
    let like = p.get("name:like").map(str::to_lowercase);
    let items: Vec<Value> = app
        .data()
        .customer_groups
        .values()
        .filter(|g| {
            name.as_ref().is_none_or(|n| text(g, "name") == *n)
                && like
                    .as_ref()
                    .is_none_or(|l| text(g, "name").to_lowercase().contains(l))
        })
        .cloned()
        .collect();
    let items = page.slice(&items);
    if items.is_empty() {
        return no_content();
    }
    json_status(StatusCode::OK, &Value::Array(items))
}

async fn count_groups(State(app): State<Arc<App>>) -> Response {
    let n = app.data().customer_groups.len();
    json_status(StatusCode::OK, &json!({ "count": n }))
}

fn group_update(g: &mut Value, body: &Value) -> Result<(), String> {
    if let Some(v) = body.get("name") {
        match v.as_str() {
            Some(s) if !s.trim().is_empty() => g["name"] = json!(s),
            _ => return Err("name must be a non-empty string".into()),
        }
    }
    for f in ["is_default", "is_group_for_guests"] {
        if let Some(v) = body.get(f) {
            match v.as_bool() {
                Some(b) => g[f] = json!(b),
                None => return Err(format!("{f} must be a boolean")),
            }
        }
    }
    if let Some(v) = body.get("category_access") {
        g["category_access"] = v.clone();
    }
    if let Some(v) = body.get("discount_rules") {
        let Some(rules) = v.as_array() else {
            return Err("discount_rules must be an array".into());
        };
        // A PUT of discount_rules replaces every rule; amounts come back as strings.
        let mut out = Vec::new();
        for r in rules {
            let mut r = r.clone();
            if let Some(a) = r.get("amount").filter(|a| a.is_number()) {
                r["amount"] = json!(format!("{:.4}", a.as_f64().unwrap_or(0.0)));
            }
            if r.get("type").and_then(Value::as_str).is_none() {
                return Err("every discount rule needs a type".into());
            }
            out.push(r);
        }
        g["discount_rules"] = Value::Array(out);
    }
    g["date_modified"] = json!(rfc2822(now_secs()));
    Ok(())
}

async fn create_group(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
    };
    let name = text(&body, "name");
    if name.trim().is_empty() {
        return v2_err(StatusCode::BAD_REQUEST, "The field 'name' is required.");
    }
    let mut store = app.data();
    if store
        .customer_groups
        .values()
        .any(|g| text(g, "name") == name)
    {
        return v2_err(
            StatusCode::CONFLICT,
            &format!("A customer group named {name:?} already exists."),
        );
    }
    let id = model::create_customer_group(&mut store, &name, now_secs());
    let Some(g) = store.customer_groups.get_mut(&id) else {
        return v2_err(StatusCode::INTERNAL_SERVER_ERROR, "group vanished");
    };
    if let Err(e) = group_update(g, &body) {
        store.customer_groups.remove(&id);
        return v2_err(StatusCode::BAD_REQUEST, &e);
    }
    let out = g.clone();
    drop(store);
    json_status(StatusCode::OK, &out)
}

async fn get_group(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found =
        pid(&p, "customer_group_id").and_then(|id| app.data().customer_groups.get(&id).cloned());
    match found {
        Some(g) => json_status(StatusCode::OK, &g),
        None => v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

async fn update_group(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
    };
    let Some(id) = pid(&p, "customer_group_id") else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    let mut store = app.data();
    let Some(g) = store.customer_groups.get_mut(&id) else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    let mut copy = g.clone();
    if let Err(e) = group_update(&mut copy, &body) {
        return v2_err(StatusCode::BAD_REQUEST, &e);
    }
    *g = copy.clone();
    drop(store);
    json_status(StatusCode::OK, &copy)
}

async fn delete_group(State(app): State<Arc<App>>, Path(p): P) -> Response {
    if let Some(id) = pid(&p, "customer_group_id") {
        app.data().customer_groups.remove(&id);
    }
    no_content()
}

// ---------------------------------------------------------------- customers (v3)

async fn list_customers(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (ids, groups) = match (p.ints("id:in"), p.ints("customer_group_id:in")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return v3_bad(&e),
    };
    let emails: Vec<String> = p.all("email:in").iter().map(|e| e.to_lowercase()).collect();
    let min_mod = match p.get("date_modified:min") {
        Some(d) => match parse_date(d) {
            Some(t) => Some(t),
            None => return v3_bad(&format!("date_modified:min is not a date: {d:?}")),
        },
        None => None,
    };
    let like = p.get("name:like").map(str::to_lowercase);
    let items: Vec<Value> = app
        .data()
        .customers
        .values()
        .filter(|c| {
            (ids.is_empty() || int(c, "id").is_some_and(|i| ids.contains(&i)))
                && (groups.is_empty()
                    || int(c, "customer_group_id").is_some_and(|g| groups.contains(&g)))
                && (emails.is_empty() || emails.contains(&text(c, "email").to_lowercase()))
                && min_mod.is_none_or(|m| parse_date(&text(c, "date_modified")).unwrap_or(0) >= m)
                && like.as_ref().is_none_or(|l| {
                    format!("{} {}", text(c, "first_name"), text(c, "last_name"))
                        .to_lowercase()
                        .contains(l)
                })
        })
        .cloned()
        .collect();
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::With)
}

fn array_body(bytes: &[u8], max: usize) -> Result<Vec<Value>, Response> {
    match v3_body(bytes)? {
        Value::Array(a) if a.len() > max => Err(v3_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("At most {max} items per request, got {}", a.len()),
            json!({}),
        )),
        Value::Array(a) => Ok(a),
        _ => Err(v3_bad("The request body must be an array")),
    }
}

async fn create_customers(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match array_body(&body, CUSTOMERS_MAX) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let now = now_secs();
    let mut store = app.data();
    let mut trial = store.accounts_copy();
    let mut errors = Map::new();
    for (i, c) in items.iter().enumerate() {
        if let Err(e) = model::create_customer(&mut trial, c, now, &mut Events::new()) {
            for (k, v) in e {
                let msg = match v {
                    Value::Array(a) => a
                        .first()
                        .map(|m| text(&json!({ "m": m }), "m"))
                        .unwrap_or_default(),
                    other => text(&json!({ "m": other }), "m"),
                };
                errors.insert(format!("{i}.{k}"), json!(msg));
            }
        }
    }
    if !errors.is_empty() {
        return v3_invalid(errors);
    }
    let mut ev = Events::new();
    let mut out = Vec::new();
    for c in &items {
        if let Ok(id) = model::create_customer(&mut store, c, now, &mut ev) {
            if let Some(c) = store.customers.get(&id) {
                out.push(c.clone());
            }
        }
    }
    drop(store);
    fire(&app, ev);
    json_status(StatusCode::OK, &json!({"data": out, "meta": {}}))
}

async fn update_customers(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let items = match array_body(&body, CUSTOMERS_MAX) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let now = now_secs();
    let mut store = app.data();
    let mut errors = Map::new();
    for (i, c) in items.iter().enumerate() {
        match int(c, "id") {
            Some(id) if store.customers.contains_key(&id) => {}
            Some(id) => {
                errors.insert(format!("{i}.id"), json!(format!("customer {id} not found")));
            }
            None => {
                errors.insert(format!("{i}.id"), json!("id is required"));
            }
        }
    }
    if !errors.is_empty() {
        return v3_invalid(errors);
    }
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for c in &items {
        let id = int(c, "id").unwrap_or(0);
        if let Some(cur) = store.customers.get_mut(&id) {
            if let Some(obj) = c.as_object() {
                for (k, v) in obj {
                    if k != "id" && k != "date_created" && !v.is_null() {
                        cur[k.as_str()] = v.clone();
                    }
                }
            }
            cur["date_modified"] = json!(iso8601(now));
            out.push(cur.clone());
            ids.push(id);
        }
    }
    drop(store);
    for id in ids {
        app.fire(
            "store/customer/updated",
            json!({"type": "customer", "id": id}),
        );
    }
    json_status(StatusCode::OK, &json!({"data": out, "meta": {}}))
}

async fn delete_customers(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let ids = match p.ints("id:in") {
        Ok(i) if !i.is_empty() => i,
        Ok(_) => return v3_bad("id:in is required"),
        Err(e) => return v3_bad(&e),
    };
    let mut removed = Vec::new();
    {
        let mut store = app.data();
        for id in &ids {
            if store.customers.remove(id).is_some() {
                removed.push(*id);
            }
        }
    }
    for id in removed {
        app.fire(
            "store/customer/deleted",
            json!({"type": "customer", "id": id}),
        );
    }
    no_content()
}

// ---------------------------------------------------------------- orders (v2)

async fn list_orders(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v2_page(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut dates = Vec::new();
    for name in [
        "min_date_created",
        "max_date_created",
        "min_date_modified",
        "max_date_modified",
    ] {
        match p.get(name) {
            None => dates.push(None),
            Some(d) => match parse_date(d) {
                Some(t) => dates.push(Some(t)),
                None => {
                    return v2_err(
                        StatusCode::BAD_REQUEST,
                        &format!("The filter {name} is not a valid date: {d:?}"),
                    )
                }
            },
        }
    }
    let [min_c, max_c, min_m, max_m] = dates[..] else {
        return v2_err(StatusCode::BAD_REQUEST, "bad filters");
    };
    let mut ints = Vec::new();
    for name in ["min_id", "max_id", "customer_id", "status_id"] {
        match p.int(name) {
            Ok(v) => ints.push(v),
            Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
        }
    }
    let [min_id, max_id, customer, status] = ints[..] else {
        return v2_err(StatusCode::BAD_REQUEST, "bad filters");
    };
    let (sort_field, desc) = match p.get("sort") {
        None => ("id", false),
        Some(s) => {
            let (f, dir) = s.split_once(':').unwrap_or((s, "asc"));
            let field = match f {
                "id" => "id",
                "date_created" => "date_created",
                "date_modified" => "date_modified",
                "status_id" => "status_id",
                "customer_id" => "customer_id",
                _ => {
                    return v2_err(
                        StatusCode::BAD_REQUEST,
                        &format!("Invalid sort field {f:?}"),
                    )
                }
            };
            (field, dir.eq_ignore_ascii_case("desc"))
        }
    };
    let date = |o: &Value, f: &str| parse_date(&text(o, f)).unwrap_or(0);
    let external = p.get("external_order_id");
    let store = app.data();
    let mut items: Vec<&Value> = store
        .orders
        .values()
        .filter(|o| {
            let id = int(o, "id").unwrap_or(0);
            external.is_none_or(|e| text(o, "external_order_id") == e)
                && min_id.is_none_or(|m| id >= m)
                && max_id.is_none_or(|m| id <= m)
                && customer.is_none_or(|c| int(o, "customer_id") == Some(c))
                && status.is_none_or(|s| int(o, "status_id") == Some(s))
                && min_c.is_none_or(|m| date(o, "date_created") >= m)
                && max_c.is_none_or(|m| date(o, "date_created") <= m)
                && min_m.is_none_or(|m| date(o, "date_modified") >= m)
                && max_m.is_none_or(|m| date(o, "date_modified") <= m)
        })
        .collect();
    items.sort_by(|a, b| {
        let key = |o: &Value| {
            if sort_field.starts_with("date_") {
                date(o, sort_field)
            } else {
                int(o, sort_field).unwrap_or(0)
            }
        };
        let o = key(a)
            .cmp(&key(b))
            .then(int(a, "id").unwrap_or(0).cmp(&int(b, "id").unwrap_or(0)));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    let items = page.slice_refs(&items);
    drop(store);
    if items.is_empty() {
        return no_content();
    }
    json_status(StatusCode::OK, &Value::Array(items))
}

/// The lines of a `POST /v2/orders` body: catalog products by `variant_id` (of `product_id`
/// when both are given), `sku` or `product_id`, at `price_ex_tax` when given (the request's
/// price overrides the catalog's, as BigCommerce does), else the variant's price.
fn order_lines(store: &Store, body: &Value) -> Result<Vec<model::PricedLine>, String> {
    let Some(products) = body.get("products").and_then(Value::as_array) else {
        return Err("The field 'products' is required.".into());
    };
    let mut lines = Vec::new();
    for p in products {
        let variant = if let Some(v) = int(p, "variant_id") {
            store.variants.get(&v).filter(|v| {
                int(p, "product_id").is_none_or(|pid| int(v, "product_id") == Some(pid))
            })
        } else if let Some(sku) = p.get("sku").and_then(Value::as_str) {
            store.variant_by_sku(sku)
        } else if let Some(pid) = int(p, "product_id") {
            store
                .variants
                .values()
                .find(|v| int(v, "product_id") == Some(pid))
        } else {
            None
        };
        let Some(v) = variant else {
            return Err(format!("Product not found: {p}"));
        };
        let catalog = v.get("price").and_then(Value::as_f64).unwrap_or(10.0);
        lines.push(model::PricedLine {
            product_id: int(v, "product_id").unwrap_or(0),
            variant_id: int(v, "variant_id").unwrap_or(0),
            name: text(v, "product_name"),
            sku: text(v, "sku"),
            price: p
                .get("price_ex_tax")
                .and_then(Value::as_f64)
                .unwrap_or(catalog),
            quantity: int(p, "quantity").unwrap_or(1),
        });
    }
    Ok(lines)
}

/// A `POST /v2/orders` amount field: a number or a numeric string.
fn amount_field(body: &Value, field: &str) -> Option<f64> {
    match body.get(field)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What a `POST /v2/orders` body says beyond its lines: the addresses (merged over the
/// customer's defaults), `external_order_id`, notes, and the shipping and total overrides.
fn apply_order_details(store: &mut Store, id: i64, body: &Value) {
    let merge = |target: &mut Value, given: Option<&Value>| {
        if let (Some(t), Some(Value::Object(g))) = (target.as_object_mut(), given) {
            for (k, v) in g {
                t.insert(k.clone(), v.clone());
            }
        }
    };
    let given_ship = body.pointer("/shipping_addresses/0");
    if let Some(addr) = store
        .order_shipping_addresses
        .get_mut(&id)
        .and_then(|a| a.first_mut())
    {
        merge(addr, given_ship);
        if let Some(cost) = amount_field(body, "shipping_cost_inc_tax") {
            addr["cost_inc_tax"] = json!(format!("{cost:.4}"));
        }
    }
    let Some(o) = store.orders.get_mut(&id) else {
        return;
    };
    merge(&mut o["billing_address"], body.get("billing_address"));
    for field in ["external_order_id", "staff_notes", "customer_message"] {
        if let Some(v) = body.get(field).and_then(Value::as_str) {
            o[field] = json!(v);
        }
    }
    for field in [
        "shipping_cost_ex_tax",
        "shipping_cost_inc_tax",
        "subtotal_ex_tax",
        "subtotal_inc_tax",
        "total_ex_tax",
        "total_inc_tax",
    ] {
        if let Some(v) = amount_field(body, field) {
            o[field] = json!(format!("{v:.4}"));
        }
    }
    let total = |f: &str| text(o, f).parse::<f64>().unwrap_or(0.0);
    o["total_tax"] = json!(format!(
        "{:.4}",
        total("total_inc_tax") - total("total_ex_tax")
    ));
}

async fn create_order(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b @ Value::Object(_)) => b,
        Ok(_) => {
            return v2_err(
                StatusCode::BAD_REQUEST,
                "The request body must be a JSON object.",
            )
        }
        Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
    };
    let mut ev = Events::new();
    let mut store = app.data();
    let lines = match order_lines(&store, &body) {
        Ok(l) => l,
        Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
    };
    let o = NewOrder {
        customer_id: int(&body, "customer_id").unwrap_or(0),
        lines: Vec::new(),
        status_id: int(&body, "status_id").unwrap_or(1),
        po_number: text(&body, "po_number"),
        invoice_payment: false,
    };
    match model::create_priced_order(&mut store, &o, &lines, now_secs(), &mut ev) {
        Ok(id) => {
            apply_order_details(&mut store, id, &body);
            let out = store.orders.get(&id).cloned().unwrap_or_default();
            drop(store);
            fire(&app, ev);
            json_status(StatusCode::OK, &out)
        }
        Err(e) => v2_err(StatusCode::BAD_REQUEST, &Value::Object(e).to_string()),
    }
}

/// `GET /v2/orders/{id}`; with `include=consignments.line_items` (or `consignments`) and
/// `consignment_structure=object`, the order's consignments in place of their resource link.
async fn get_order(State(app): State<Arc<App>>, Path(p): P, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let include = params.get("include").unwrap_or_default();
    let consignments = include.split(',').any(|i| i.starts_with("consignments"))
        && params.get("consignment_structure") == Some("object");
    let found = pid(&p, "order_id").and_then(|id| {
        let store = app.data();
        let mut o = store.orders.get(&id).cloned()?;
        if consignments {
            o["consignments"] = model::shipments::consignments(&store, id);
        }
        Some(o)
    });
    match found {
        Some(o) => json_status(StatusCode::OK, &o),
        None => v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

async fn update_order(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b @ Value::Object(_)) => b,
        Ok(_) => {
            return v2_err(
                StatusCode::BAD_REQUEST,
                "The request body must be a JSON object.",
            )
        }
        Err(e) => return v2_err(StatusCode::BAD_REQUEST, &e),
    };
    let Some(id) = pid(&p, "order_id") else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    let now = now_secs();
    let mut store = app.data();
    if !store.orders.contains_key(&id) {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    }
    let mut status_change = None;
    if let Some(s) = body.get("status_id") {
        match s.as_i64().filter(|s| (0..=14).contains(s)) {
            Some(s) => {
                let prev = set_order_status(&mut store, id, s, now).unwrap_or(0);
                if prev != s {
                    status_change = Some((prev, s));
                }
            }
            None => {
                return v2_err(
                    StatusCode::BAD_REQUEST,
                    "status_id must be an integer 0..14.",
                )
            }
        }
    }
    let Some(o) = store.orders.get_mut(&id) else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    for f in ["staff_notes", "customer_message", "payment_method"] {
        if let Some(v) = body.get(f).and_then(Value::as_str) {
            o[f] = json!(v);
        }
    }
    o["date_modified"] = json!(rfc2822(now));
    let out = o.clone();
    if let Some(b) = store.b2b_orders.get_mut(&id) {
        b["updatedAt"] = json!(now);
    }
    drop(store);
    app.fire("store/order/updated", json!({"type": "order", "id": id}));
    if let Some((prev, new)) = status_change {
        app.fire(
            "store/order/statusUpdated",
            json!({"type": "order", "id": id, "status": {"previous_status_id": prev, "new_status_id": new}}),
        );
    }
    json_status(StatusCode::OK, &out)
}

async fn order_products(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, page) = match v2_page(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "order_id") else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    let store = app.data();
    if !store.orders.contains_key(&id) {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    }
    let items = page.slice(
        store
            .order_products
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    );
    drop(store);
    if items.is_empty() {
        return no_content();
    }
    json_status(StatusCode::OK, &Value::Array(items))
}

async fn order_shipping(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, page) = match v2_page(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "order_id") else {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    let store = app.data();
    if !store.orders.contains_key(&id) {
        return v2_err(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    }
    let items = page.slice(
        store
            .order_shipping_addresses
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    );
    drop(store);
    if items.is_empty() {
        return no_content();
    }
    json_status(StatusCode::OK, &Value::Array(items))
}

async fn order_statuses() -> Response {
    let items: Vec<Value> = (0..=14)
        .map(|i| {
            json!({"id": i, "name": model::status_name(i), "system_label": model::status_name(i), "custom_label": model::status_name(i), "system_description": ""})
        })
        .collect();
    json_status(StatusCode::OK, &Value::Array(items))
}

async fn order_metafields(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "order_id") else {
        return v3_not_found("Order");
    };
    let store = app.data();
    if !store.orders.contains_key(&id) {
        return v3_not_found("Order");
    }
    let items = store.order_metafields.get(&id).cloned().unwrap_or_default();
    drop(store);
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::With)
}

// ---------------------------------------------------------------- hooks

fn hook_public(h: &Value) -> Value {
    let mut h = h.clone();
    if let Some(o) = h.as_object_mut() {
        o.remove("status");
    }
    h
}

async fn list_hooks(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let active = p.get("is_active").map(|v| v == "true" || v == "1");
    let scope = p.get("scope").map(str::to_string);
    let dest = p.get("destination").map(str::to_string);
    let items: Vec<Value> = app
        .data()
        .hooks
        .values()
        .filter(|h| {
            active.is_none_or(|a| h.get("is_active").and_then(Value::as_bool) == Some(a))
                && scope.as_ref().is_none_or(|s| text(h, "scope") == *s)
                && dest.as_ref().is_none_or(|d| text(h, "destination") == *d)
        })
        .map(hook_public)
        .collect();
    let total = items.len();
    v3_list(page.slice(&items), &page, total, Links::With)
}

async fn create_hook(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match v3_body(&body) {
        Ok(b @ Value::Object(_)) => b,
        Ok(_) => {
            return v3_err(
                StatusCode::BAD_REQUEST,
                "The request body must be a JSON object",
                json!({}),
            )
        }
        Err(r) => return r,
    };
    let mut errors = Map::new();
    let scope = text(&body, "scope");
    if !scope.starts_with("store/") {
        errors.insert(
            "scope".into(),
            json!("scope is required and must start with store/"),
        );
    }
    let dest = text(&body, "destination");
    if !(dest.starts_with("https://") || dest.starts_with("http://")) {
        errors.insert(
            "destination".into(),
            json!("destination must be an http(s) URL"),
        );
    }
    let headers = match body.get("headers") {
        None | Some(Value::Null) => json!({}),
        Some(h @ Value::Object(_)) => h.clone(),
        Some(_) => {
            errors.insert(
                "headers".into(),
                json!("headers must be an object of strings"),
            );
            json!({})
        }
    };
    if !errors.is_empty() {
        return v3_invalid(errors);
    }
    let now = now_secs();
    let mut store = app.data();
    let max = crate::store::max_key(&store.hooks);
    let id = store.next_id("hook", max);
    let hook = json!({
        "id": id,
        "client_id": "sandbox-client",
        "store_hash": app.opts.store_hash,
        "scope": scope,
        "destination": dest,
        "headers": headers,
        "is_active": body.get("is_active").and_then(Value::as_bool).unwrap_or(true),
        "created_at": now,
        "updated_at": now,
    });
    store.hooks.insert(id, hook.clone());
    drop(store);
    v3_data(hook)
}

async fn get_hook(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = pid(&p, "webhook_id").and_then(|id| app.data().hooks.get(&id).cloned());
    match found {
        Some(h) => v3_data(hook_public(&h)),
        None => v3_not_found("Webhook"),
    }
}

async fn update_hook(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match v3_body(&body) {
        Ok(b @ Value::Object(_)) => b,
        Ok(_) => {
            return v3_err(
                StatusCode::BAD_REQUEST,
                "The request body must be a JSON object",
                json!({}),
            )
        }
        Err(r) => return r,
    };
    let Some(id) = pid(&p, "webhook_id") else {
        return v3_not_found("Webhook");
    };
    let mut store = app.data();
    let Some(h) = store.hooks.get_mut(&id) else {
        return v3_not_found("Webhook");
    };
    for f in ["scope", "destination"] {
        if let Some(v) = body.get(f).and_then(Value::as_str) {
            h[f] = json!(v);
        }
    }
    if let Some(v) = body.get("headers").filter(|v| v.is_object()) {
        h["headers"] = v.clone();
    }
    if let Some(a) = body.get("is_active").and_then(Value::as_bool) {
        h["is_active"] = json!(a);
        if a {
            if let Some(o) = h.as_object_mut() {
                o.remove("status");
            }
        }
    }
    h["updated_at"] = json!(now_secs());
    let out = hook_public(h);
    drop(store);
    v3_data(out)
}

async fn delete_hook(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let removed = pid(&p, "webhook_id").and_then(|id| app.data().hooks.remove(&id));
    match removed {
        Some(h) => v3_data(hook_public(&h)),
        None => v3_not_found("Webhook"),
    }
}

async fn hooks_admin(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let (p, page) = match v3_params(q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let active = p.get("is_active").map(|v| v == "true" || v == "1");
    let store = app.data();
    let now = now_secs();
    let hooks: Vec<Value> = store
        .hooks
        .values()
        .filter(|h| {
            let is_active = h.get("is_active").and_then(Value::as_bool).unwrap_or(true);
            match active {
                Some(a) => is_active == a,
                None => !is_active,
            }
        })
        .map(|h| {
            let mut h = h.clone();
            if h.get("status").is_none() {
                let active = h.get("is_active").and_then(Value::as_bool).unwrap_or(true);
                h["status"] = json!(if active { "active" } else { "inactive" });
            }
            h
        })
        .collect();
    let blocked: Vec<Value> = store
        .blocked_domains
        .iter()
        .filter(|d| int(d, "until").unwrap_or(0) > now)
        .map(|d| {
            json!({
                "destination": text(d, "destination"),
                "time_left": int(d, "until").unwrap_or(0) - now,
                "reasons": d.get("reasons").cloned().unwrap_or_else(|| json!([])),
            })
        })
        .collect();
    drop(store);
    let total = hooks.len();
    let mut body = crate::reply::v3_list_body(page.slice(&hooks), &page, total, Links::With);
    let list = body.get("data").cloned().unwrap_or_else(|| json!([]));
    body["data"] = json!({"emails": [], "hooks_list": list, "blocked_domains": blocked});
    json_status(StatusCode::OK, &body)
}

async fn update_hooks_admin(body: Bytes) -> Response {
    match v3_body(&body) {
        Ok(b) if b.get("emails").is_some_and(Value::is_array) => no_content(),
        Ok(_) => v3_bad("emails must be an array"),
        Err(r) => r,
    }
}
