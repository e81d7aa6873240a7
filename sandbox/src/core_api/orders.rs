//! Core v2 orders (`/v2/orders`): list with the id, customer, status, date and external id
//! filters and the sorts, create (catalog lines priced as the request says, in the body's
//! currency, with its addresses, notes and amounts), read (with its consignments when asked), update (status,
//! notes, payment method) and the v2 status list.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::model::{self, set_order_status, Events, NewOrder};
use crate::reply::{
    json_status, no_content, path_id, v2_err, v2_not_found, v2_object_body, v2_page, within,
    Answer, Params, PathParams,
};
use crate::state::App;
use crate::store::{int, now_secs, parse_date, rfc2822, text, Store};

/// The order routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/stores/{store_hash}/v2/orders",
            get(list_orders).post(create_order),
        )
        .route(
            "/stores/{store_hash}/v2/orders/{order_id}",
            get(get_order).put(update_order),
        )
        .route(
            "/stores/{store_hash}/v2/order_statuses",
            get(order_statuses),
        )
}

/// The filters and sort of `GET /v2/orders`.
struct OrderQuery {
    min_created: Option<i64>,
    max_created: Option<i64>,
    min_modified: Option<i64>,
    max_modified: Option<i64>,
    min_id: Option<i64>,
    max_id: Option<i64>,
    customer: Option<i64>,
    status: Option<i64>,
    external: Option<String>,
    sort_field: &'static str,
    desc: bool,
}

impl OrderQuery {
    /// The query of `p`, or the 400 answer naming the first parameter that does not read.
    fn read(p: &Params) -> Result<OrderQuery, Response> {
        let date = |name: &str| match p.get(name) {
            None => Ok(None),
            Some(d) => parse_date(d).map(Some).ok_or_else(|| {
                v2_err(
                    StatusCode::BAD_REQUEST,
                    &format!("The filter {name} is not a valid date: {d:?}"),
                )
            }),
        };
        let (min_created, max_created) = (date("min_date_created")?, date("max_date_created")?);
        let (min_modified, max_modified) = (date("min_date_modified")?, date("max_date_modified")?);
        let int = |name: &str| p.int(name).map_err(|e| v2_err(StatusCode::BAD_REQUEST, &e));
        let (min_id, max_id) = (int("min_id")?, int("max_id")?);
        let (customer, status) = (int("customer_id")?, int("status_id")?);
        let (sort_field, desc) = sort_of(p)?;
        Ok(OrderQuery {
            min_created,
            max_created,
            min_modified,
            max_modified,
            min_id,
            max_id,
            customer,
            status,
            external: p.get("external_order_id").map(str::to_owned),
            sort_field,
            desc,
        })
    }

    /// Whether order `o` passes every filter given.
    fn matches(&self, o: &Value) -> bool {
        self.external
            .as_ref()
            .is_none_or(|e| text(o, "external_order_id") == *e)
            && within(int(o, "id").unwrap_or(0), self.min_id, self.max_id)
            && self
                .customer
                .is_none_or(|c| int(o, "customer_id") == Some(c))
            && self.status.is_none_or(|s| int(o, "status_id") == Some(s))
            && within(
                date_of(o, "date_created"),
                self.min_created,
                self.max_created,
            )
            && within(
                date_of(o, "date_modified"),
                self.min_modified,
                self.max_modified,
            )
    }

    /// The order of two orders in the sorted list (ties by id).
    fn compare(&self, a: &Value, b: &Value) -> Ordering {
        let key = |o: &Value| {
            if self.sort_field.starts_with("date_") {
                date_of(o, self.sort_field)
            } else {
                int(o, self.sort_field).unwrap_or(0)
            }
        };
        let o = key(a)
            .cmp(&key(b))
            .then(int(a, "id").unwrap_or(0).cmp(&int(b, "id").unwrap_or(0)));
        if self.desc {
            o.reverse()
        } else {
            o
        }
    }
}

/// An order date field in unix seconds (0 when it does not read).
fn date_of(o: &Value, field: &str) -> i64 {
    parse_date(&text(o, field)).unwrap_or(0)
}

/// The `sort` parameter (`field[:asc|desc]`): the field and whether descending.
fn sort_of(p: &Params) -> Result<(&'static str, bool), Response> {
    let Some(s) = p.get("sort") else {
        return Ok(("id", false));
    };
    let (f, dir) = s.split_once(':').unwrap_or((s, "asc"));
    let field = match f {
        "id" => "id",
        "date_created" => "date_created",
        "date_modified" => "date_modified",
        "status_id" => "status_id",
        "customer_id" => "customer_id",
        _ => {
            return Err(v2_err(
                StatusCode::BAD_REQUEST,
                &format!("Invalid sort field {f:?}"),
            ))
        }
    };
    Ok((field, dir.eq_ignore_ascii_case("desc")))
}

async fn list_orders(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = v2_page(q)?;
    let query = OrderQuery::read(&p)?;
    let store = app.data();
    let mut items: Vec<&Value> = store.orders.values().filter(|o| query.matches(o)).collect();
    items.sort_by(|a, b| query.compare(a, b));
    let items = page.slice_refs(&items);
    drop(store);
    if items.is_empty() {
        return Ok(no_content());
    }
    Ok(json_status(StatusCode::OK, &Value::Array(items)))
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

/// The currency a `POST /v2/orders` body makes the order in (`default_currency_code`, the
/// transactional currency; the store's default when absent), or why not: one the store does
/// not sell.
fn order_currency(body: &Value) -> Result<&str, String> {
    let Some(code) = body.get("default_currency_code").and_then(Value::as_str) else {
        return Ok(model::CURRENCIES[0].1);
    };
    match model::currency_id(code) {
        Some(_) => Ok(code),
        None => Err(format!(
            "The currency code {code:?} is not a transactional currency of this store."
        )),
    }
}

async fn create_order(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = v2_object_body(&body)?;
    let currency = order_currency(&body).map_err(|e| v2_err(StatusCode::BAD_REQUEST, &e))?;
    let mut ev = Events::new();
    let mut store = app.data();
    let lines = order_lines(&store, &body).map_err(|e| v2_err(StatusCode::BAD_REQUEST, &e))?;
    let o = NewOrder {
        customer_id: int(&body, "customer_id").unwrap_or(0),
        lines: Vec::new(),
        status_id: int(&body, "status_id").unwrap_or(1),
        po_number: text(&body, "po_number"),
        invoice_payment: false,
    };
    let id = model::create_priced_order(&mut store, &o, &lines, now_secs(), &mut ev)
        .map_err(|e| v2_err(StatusCode::BAD_REQUEST, &Value::Object(e).to_string()))?;
    apply_order_details(&mut store, id, &body);
    model::set_order_currency(&mut store, id, currency);
    let out = store.orders.get(&id).cloned().unwrap_or_default();
    drop(store);
    app.fire_all(ev);
    Ok(json_status(StatusCode::OK, &out))
}

/// `GET /v2/orders/{id}`; with `include=consignments.line_items` (or `consignments`) and
/// `consignment_structure=object`, the order's consignments in place of their resource link.
async fn get_order(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.as_deref());
    let include = params.get("include").unwrap_or_default();
    let consignments = include.split(',').any(|i| i.starts_with("consignments"))
        && params.get("consignment_structure") == Some("object");
    let found = path_id(&p, "order_id").and_then(|id| {
        let store = app.data();
        let mut o = store.orders.get(&id).cloned()?;
        if consignments {
            o["consignments"] = model::shipments::consignments(&store, id);
        }
        Some(o)
    });
    match found {
        Some(o) => json_status(StatusCode::OK, &o),
        None => v2_not_found(),
    }
}

async fn update_order(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = v2_object_body(&body)?;
    let Some(id) = path_id(&p, "order_id") else {
        return Err(v2_not_found());
    };
    let now = now_secs();
    let mut store = app.data();
    if !store.orders.contains_key(&id) {
        return Err(v2_not_found());
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
                return Err(v2_err(
                    StatusCode::BAD_REQUEST,
                    "status_id must be an integer 0..14.",
                ))
            }
        }
    }
    let Some(o) = store.orders.get_mut(&id) else {
        return Err(v2_not_found());
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
    Ok(json_status(StatusCode::OK, &out))
}

async fn order_statuses() -> Response {
    let items: Vec<Value> = (0..=14)
        .map(|i| {
            json!({"id": i, "name": model::status_name(i), "system_label": model::status_name(i), "custom_label": model::status_name(i), "system_description": ""})
        })
        .collect();
    json_status(StatusCode::OK, &Value::Array(items))
}
