//! Admin endpoints under `/__sandbox/` (no auth, never rate limited or faulted): state dump,
//! statistics, fault profile, reset, placing orders as buyers would, paying invoices in the
//! Invoice Portal as a buyer would, and the contract violations recorded.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::model::receivables::{payments, portal, Refusal};
use crate::model::{self, Events, NewOrder};
use crate::reply::{json_status, parse_body, Answer};
use crate::state::{lock, App};
use crate::store::{int, now_secs, text};

/// The admin routes.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__sandbox/state", get(state))
        .route("/__sandbox/stats", get(stats))
        .route("/__sandbox/faults", post(faults).get(get_faults))
        .route("/__sandbox/reset", post(reset))
        .route("/__sandbox/settings", post(settings))
        .route("/__sandbox/sales-staff", post(sales_staff))
        .route("/__sandbox/orders", post(orders))
        .route("/__sandbox/invoice-payments", post(invoice_payments))
        .route("/__sandbox/contract", get(contract))
}

fn bad(msg: &str) -> Response {
    json_status(StatusCode::BAD_REQUEST, &json!({ "error": msg }))
}

fn body_object(bytes: &[u8]) -> Result<Value, Response> {
    match parse_body(bytes) {
        Ok(Value::Null) => Ok(json!({})),
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(e) => Err(bad(&e)),
    }
}

async fn state(State(app): State<Arc<App>>) -> Response {
    let v = serde_json::to_value(&*app.data()).unwrap_or_else(|e| json!({"error": e.to_string()}));
    json_status(StatusCode::OK, &v)
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    json_status(StatusCode::OK, &app.stats.to_json())
}

/// Whether requests are checked, against how many operations, and what broke the contract.
async fn contract(State(app): State<Arc<App>>) -> Response {
    let violations = lock(&app.violations).clone();
    json_status(
        StatusCode::OK,
        &json!({
            "mode": format!("{:?}", app.opts.contract).to_lowercase(),
            "checking": app.contract.is_some(),
            "operations": app.contract.as_ref().map_or(0, |c| c.operations()),
            "violations": violations,
        }),
    )
}

fn faults_json(app: &App) -> Value {
    let f = app.faults();
    json!({
        "fault_rate": f.fault_rate,
        "headerless_429_rate": f.headerless_429_rate,
        "latency_ms": [f.latency_ms.0, f.latency_ms.1],
        "burst_429": app.burst_429.load(Ordering::Relaxed),
        "post_504_after_write": app.post_504_after_write.load(Ordering::Relaxed),
    })
}

async fn get_faults(State(app): State<Arc<App>>) -> Response {
    json_status(StatusCode::OK, &faults_json(&app))
}

/// Rate `name` of a faults body (0..1), when given.
fn rate(body: &Value, name: &str) -> Result<Option<f64>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) => Ok(Some(r)),
            _ => Err(bad(&format!("{name} must be a number within 0..1"))),
        },
    }
}

/// Request count `name` of a faults body, when given.
fn requests(body: &Value, name: &str) -> Result<Option<u64>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) => Ok(Some(n)),
            None => Err(bad(&format!("{name} must be a whole number of requests"))),
        },
    }
}

/// The fault profile and counters a `POST /__sandbox/faults` body sets.
struct FaultSettings {
    fault_rate: Option<f64>,
    headerless_429_rate: Option<f64>,
    latency_ms: Option<(u64, u64)>,
    burst_429: Option<u64>,
    post_504_after_write: Option<u64>,
}

impl FaultSettings {
    /// The settings of `body`, or the 400 naming the first that does not read.
    fn read(body: &Value) -> Result<FaultSettings, Response> {
        let fault_rate = rate(body, "fault_rate")?;
        let headerless_429_rate = rate(body, "headerless_429_rate")?;
        let latency_ms = match body.get("latency_ms") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) if a.len() == 2 => match (a[0].as_u64(), a[1].as_u64()) {
                (Some(x), Some(y)) if x <= y => Some((x, y)),
                _ => return Err(bad("latency_ms must be [min, max] with min <= max")),
            },
            Some(_) => return Err(bad("latency_ms must be [min, max]")),
        };
        Ok(FaultSettings {
            fault_rate,
            headerless_429_rate,
            latency_ms,
            burst_429: requests(body, "burst_429")?,
            post_504_after_write: requests(body, "post_504_after_write")?,
        })
    }

    /// Sets the fault profile's rates and latency given.
    fn apply_profile(&self, app: &App) {
        let mut f = lock(&app.faults);
        if let Some(r) = self.fault_rate {
            f.fault_rate = r;
        }
        if let Some(r) = self.headerless_429_rate {
            f.headerless_429_rate = r;
        }
        if let Some(l) = self.latency_ms {
            f.latency_ms = l;
        }
    }
}

/// `fail_requests {method, path, query_contains, count, status?}`: the next `count` matching
/// requests fail.
fn set_fail_requests(app: &App, body: &Value) -> Result<(), Response> {
    let Some(f) = body.get("fail_requests").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let text = |k: &str| {
        f.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let Some(count) = f.get("count").and_then(Value::as_u64) else {
        return Err(bad(
            "fail_requests needs {method, path, query_contains, count}",
        ));
    };
    *lock(&app.fail_requests) = Some(crate::state::FailRequests {
        method: text("method"),
        path: text("path"),
        query_contains: text("query_contains"),
        count,
        status: f
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
    });
    Ok(())
}

/// `deactivate_hook`, `block_domain` (with `block_seconds`) and `unblock_domains`: webhook
/// delivery faults, kept in the store.
fn set_delivery_faults(app: &App, body: &Value) -> Result<(), Response> {
    let deactivate = int(body, "deactivate_hook");
    let block = body
        .get("block_domain")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut store = app.data();
    if let Some(id) = deactivate {
        match store.hooks.get_mut(&id) {
            Some(h) => {
                h["is_active"] = json!(false);
                h["status"] = json!("deactivated");
            }
            None => return Err(bad(&format!("no hook {id}"))),
        }
    }
    if let Some(d) = block {
        let secs = int(body, "block_seconds").unwrap_or(180);
        crate::webhooks::block_domain(&mut store, &d, secs, "blocked through /__sandbox/faults");
    }
    if body.get("unblock_domains").and_then(Value::as_bool) == Some(true) {
        store.blocked_domains.clear();
    }
    Ok(())
}

/// `POST /__sandbox/faults`: changes the fault profile and the aimed faults, in the order they
/// are listed here (a refusal leaves those before it applied), and answers the profile.
async fn faults(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let settings = FaultSettings::read(&body)?;
    if let Some(n) = settings.post_504_after_write {
        app.post_504_after_write.store(n, Ordering::Relaxed);
    }
    set_fail_requests(&app, &body)?;
    if let Some(name) = body.get("remove_extra_field").and_then(Value::as_str) {
        lock(&app.company_extra_fields).retain(|f| f != name);
    }
    set_delivery_faults(&app, &body)?;
    if let Some(n) = settings.burst_429 {
        app.burst_429.store(n, Ordering::Relaxed);
    }
    settings.apply_profile(&app);
    Ok(json_status(StatusCode::OK, &faults_json(&app)))
}

/// Store settings made in the control panel: `{"company_credit": false}` switches the store's
/// company credit feature off (the credit routes then answer 400), `true` on again;
/// `{"independent_companies": true}` puts it on Independent Companies behavior (company
/// catalogs then follow customer groups: `PUT /companies/{id}/catalogs` answers 405).
async fn settings(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = app.data();
    if let Some(on) = body.get("company_credit").and_then(Value::as_bool) {
        store.credit_disabled = !on;
    }
    if let Some(on) = body.get("independent_companies").and_then(Value::as_bool) {
        store.independent_companies = on;
    }
    json_status(
        StatusCode::OK,
        &json!({"company_credit": !store.credit_disabled,
                "independent_companies": store.independent_companies}),
    )
}

/// Adds a sales staff member `{email, name, phone}`, as the control panel would (the API has
/// no create): `201 {id}`.
async fn sales_staff(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let made = crate::model::staff::add_sales_staff(&mut app.data(), &body, now_secs());
    match made {
        Ok(id) => json_status(StatusCode::CREATED, &json!({ "id": id })),
        Err(
            crate::model::staff::Refusal::Invalid(m) | crate::model::staff::Refusal::NotFound(m),
        ) => bad(&m),
    }
}

async fn reset(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut opts = app.opts.clone();
    if let Some(n) = body.get("seed_companies").and_then(Value::as_u64) {
        opts.seed_companies = n as usize;
        opts.seed_file = None;
    }
    if let Some(n) = body.get("seed_orders").and_then(Value::as_u64) {
        opts.seed_orders = n as usize;
        opts.seed_file = None;
    }
    let fresh = match crate::state::initial_store(&opts) {
        Ok(s) => s,
        Err(e) => {
            return json_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": e.to_string()}),
            )
        }
    };
    *app.data() = fresh;
    app.core_limit.reset();
    app.b2b_limit.reset();
    app.stats.clear();
    *lock(&app.faults) = crate::state::Faults {
        fault_rate: app.opts.fault_rate,
        headerless_429_rate: app.opts.headerless_429_rate,
        latency_ms: app.opts.latency_ms,
    };
    json_status(StatusCode::OK, &json!({"reset": true}))
}

async fn orders(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let now = now_secs();
    let mut ev = Events::new();
    let mut created = Vec::new();
    {
        let mut store = app.data();
        let specs: Vec<NewOrder> = if let Some(list) = body.get("orders").and_then(Value::as_array)
        {
            let mut out = Vec::new();
            for o in list {
                let lines: Vec<(i64, i64)> = o
                    .get("products")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .filter_map(|p| {
                                let q = int(p, "quantity").unwrap_or(1);
                                let v = int(p, "variant_id").or_else(|| {
                                    p.get("sku")
                                        .and_then(Value::as_str)
                                        .and_then(|s| store.variant_by_sku(s))
                                        .and_then(|v| int(v, "variant_id"))
                                })?;
                                Some((v, q))
                            })
                            .collect()
                    })
                    .unwrap_or_else(|| vec![(1, 1)]);
                out.push(NewOrder {
                    customer_id: int(o, "customer_id").unwrap_or(0),
                    lines,
                    status_id: int(o, "status_id").unwrap_or(11),
                    po_number: text(o, "po_number"),
                    invoice_payment: o
                        .get("invoice_payment")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                });
            }
            out
        } else {
            let count = int(&body, "count").unwrap_or(1).clamp(0, 10_000);
            let buyers: Vec<i64> = store
                .users
                .values()
                .filter_map(|u| int(u, "customerId"))
                .collect();
            let start = store.orders.len();
            (0..count as usize)
                .map(|k| NewOrder {
                    customer_id: buyers
                        .get((start + k) % buyers.len().max(1))
                        .copied()
                        .unwrap_or(0),
                    lines: vec![(((start + k) as i64 % 100) + 1, 1 + (k as i64 % 3))],
                    status_id: 11,
                    po_number: format!("PO-LIVE-{}", start + k + 1),
                    invoice_payment: false,
                })
                .collect()
        };
        for o in &specs {
            match model::create_order(&mut store, o, now, &mut ev) {
                Ok(id) => created.push(id),
                Err(e) => return bad(&Value::Object(e).to_string()),
            }
        }
    }
    app.fire_all(ev);
    json_status(StatusCode::OK, &json!({ "order_ids": created }))
}

/// A buyer pays invoices in the portal with a card: `{customerId, lineItems [{invoiceId |
/// invoiceNumber, amount}], payerName?, memo?}`. The payment (completed, applied at once), its
/// receipt and the v2 "invoice payment" order are created; 201 with the payment.
async fn invoice_payments(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let ctx = payments::Ctx {
        now: now_secs(),
        store_hash: &app.opts.store_hash,
    };
    let mut ev = Events::new();
    let made = portal::portal_payment(&mut app.data(), &body, ctx, &mut ev);
    match made {
        Ok(payment) => {
            app.fire_all(ev);
            json_status(StatusCode::CREATED, &payment)
        }
        Err(Refusal::NotFound(m)) => json_status(StatusCode::NOT_FOUND, &json!({ "error": m })),
        Err(Refusal::Invalid(m) | Refusal::Bad(m)) => bad(&m),
    }
}
