//! B2B quotes (`/rfq`): list with the date, status and company filters, create (In Process),
//! read (on its creation date), update (an expiry in the past expires it), delete, mark
//! ordered and the checkout link.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::requests::{b2b_page, body_object, detail, int_or_zero, int_params, order_dir, sort_by};
use crate::model::{self, Events};
use crate::reply::{
    b2b_err, b2b_ok, json_status, path_id, quote_ok, within, Answer, Params, PathParams,
};
use crate::state::App;
use crate::store::{now_secs, parse_mdy, text};

/// The quote routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v3/io/rfq", get(list_quotes).post(create_quote))
        .route(
            "/api/v3/io/rfq/{quote_id}",
            get(get_quote).put(update_quote).delete(delete_quote),
        )
        .route("/api/v3/io/rfq/{quote_id}/ordered", post(quote_ordered))
        .route("/api/v3/io/rfq/{quote_id}/checkout", post(quote_checkout))
}

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

async fn list_quotes(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let (p, page) = b2b_page(q, 250)?;
    let [min_mod, max_mod, min_cre, max_cre, status] = int_params(
        &p,
        [
            "minModified",
            "maxModified",
            "minCreated",
            "maxCreated",
            "status",
        ],
    )?;
    let company = p.get("company").map(str::to_lowercase);
    let sort_key = match p.get("sortBy") {
        Some("createdAt") => "createdAt",
        Some("expiredAt") => "expiredAt",
        Some("quoteNumber") => "quoteId",
        _ => "updatedAt",
    };
    let desc = order_dir(&p, ["asc", "desc"])?;
    let mut items: Vec<Value> = app
        .data()
        .quotes
        .values()
        .filter(|x| {
            within(int_or_zero(x, "updatedAt"), min_mod, max_mod)
                && within(int_or_zero(x, "createdAt"), min_cre, max_cre)
                && status.is_none_or(|s| int_or_zero(x, "status") == s)
                && company
                    .as_ref()
                    .is_none_or(|c| text(x, "company").to_lowercase().contains(c))
        })
        .map(quote_summary)
        .collect();
    sort_by(&mut items, sort_key, desc, "quoteId");
    let total = items.len();
    Ok(json_status(
        StatusCode::OK,
        &json!({
            "code": 200,
            "message": "SUCCESS",
            "data": {
                "list": page.slice(&items),
                "pagination": {"totalCount": total, "offset": page.offset, "limit": page.limit},
            },
        }),
    ))
}

fn quote_err(status: StatusCode, msg: &str) -> Response {
    b2b_err(status, msg, json!({ "errMsg": msg }))
}

/// The status of a quote created through `POST /rfq`.
const QUOTE_CREATED_STATUS: i64 = 2;

async fn create_quote(State(app): State<Arc<App>>, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    // The spec's create takes no status: a quote made through the API is In Process (2),
    // "created by a member of your staff and submitted back to the buyer".
    let mut body = body;
    body["status"] = json!(QUOTE_CREATED_STATUS);
    let mut ev = Events::new();
    let res = model::create_quote(&mut app.data(), &body, now_secs(), &mut ev);
    let id = res.map_err(|e| quote_err(StatusCode::UNPROCESSABLE_ENTITY, &detail(&e)))?;
    app.fire_all(ev);
    Ok(quote_ok(
        json!({"quoteId": id, "quoteUrl": format!("https://sandbox.example/quote/{id}")}),
    ))
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
async fn get_quote(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    RawQuery(q): RawQuery,
) -> Answer {
    let params = Params::parse(q.as_deref());
    let Some(day) = params
        .get("date")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%m/%d/%Y").ok())
    else {
        return Err(quote_err(
            StatusCode::BAD_REQUEST,
            "date is required: the quote's creation date as MM/DD/YYYY",
        ));
    };
    let found = path_id(&p, "quote_id").and_then(|id| app.data().quotes.get(&id).cloned());
    let created_on = |x: &Value| {
        chrono::DateTime::from_timestamp(int_or_zero(x, "createdAt"), 0).map(|t| t.date_naive())
    };
    Ok(match found {
        Some(mut x) if created_on(&x) == Some(day) => {
            if let Some(m) = x.as_object_mut() {
                for list_only in QUOTE_LIST_ONLY_FIELDS {
                    m.remove(list_only);
                }
            }
            b2b_ok(x)
        }
        _ => quote_err(StatusCode::NOT_FOUND, "Quote not found"),
    })
}

async fn update_quote(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "quote_id") else {
        return Err(quote_err(StatusCode::NOT_FOUND, "Quote not found"));
    };
    let mut status_changed = false;
    {
        let mut store = app.data();
        let Some(q) = store.quotes.get_mut(&id) else {
            return Err(quote_err(StatusCode::NOT_FOUND, "Quote not found"));
        };
        // The spec's update takes no status; an expiry date in the past expires the quote
        // ("not purchased before its expiration date").
        if let Some(e) = body.get("expiredAt").and_then(Value::as_str) {
            match parse_mdy(e) {
                Some(t) => {
                    q["expiredAt"] = json!(t);
                    let day = |secs: i64| secs.div_euclid(86_400);
                    if day(t) < day(now_secs()) && !matches!(int_or_zero(q, "status"), 4 | 5) {
                        q["status"] = json!(5);
                        status_changed = true;
                    }
                }
                None => {
                    return Err(quote_err(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "expiredAt: Date has wrong format. Use MM/DD/YYYY.",
                    ))
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
    Ok(quote_ok(
        json!({"quoteId": id, "quoteUrl": format!("https://sandbox.example/quote/{id}")}),
    ))
}

async fn delete_quote(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let removed = path_id(&p, "quote_id").and_then(|id| app.data().quotes.remove(&id).map(|_| id));
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

async fn quote_ordered(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let body = body_object(&body)?;
    let Some(id) = path_id(&p, "quote_id") else {
        return Err(quote_err(StatusCode::NOT_FOUND, "Quote not found"));
    };
    let order_id = text(&body, "orderId");
    if order_id.is_empty() {
        return Err(quote_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "orderId: This field is required.",
        ));
    }
    {
        let mut store = app.data();
        let order_known = order_id
            .parse::<i64>()
            .is_ok_and(|o| store.orders.contains_key(&o));
        if !order_known {
            return Err(quote_err(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Order {order_id} does not exist"),
            ));
        }
        let Some(q) = store.quotes.get_mut(&id) else {
            return Err(quote_err(StatusCode::NOT_FOUND, "Quote not found"));
        };
        if !matches!(int_or_zero(q, "status"), 0 | 2 | 3) {
            return Err(quote_err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only a quote that is new, in process or updated by customer can be ordered",
            ));
        }
        q["status"] = json!(4);
        q["bcOrderId"] = json!(order_id);
        q["orderId"] = json!(order_id);
        q["updatedAt"] = json!(now_secs());
    }
    let data = json!({"quote_id": id, "quote_uuid": crate::store::uuid_for(0x9e, id)});
    app.fire("store/quote/updated", data.clone());
    app.fire("store/quote/statusUpdated", data);
    Ok(quote_ok(json!({})))
}

async fn quote_checkout(State(app): State<Arc<App>>, Path(p): PathParams) -> Response {
    let found = path_id(&p, "quote_id").filter(|id| app.data().quotes.contains_key(id));
    match found {
        Some(id) => quote_ok(json!({
            "checkoutUrl": format!("https://sandbox.example/checkout?quote={id}"),
            "cartId": format!("cart-{id}"),
            "cartUrl": format!("https://sandbox.example/cart.php?quote={id}"),
        })),
        None => quote_err(StatusCode::UNPROCESSABLE_ENTITY, "Quote not found"),
    }
}
