//! B2B Edition Invoice Portal handlers under `/api/v3/io/ip` (`invoice-management.yaml`):
//! invoices here, payments, receipts and receipt lines in `payments`. Thin: each reads the
//! request, changes the store through `model::receivables` and answers in the portal's
//! envelope, errors as `{code, data:{errMsg}, meta:{message}}` with the spec's messages
//! (`Not Found Error`, `Bad Requests Error`, `Parameter Error`).

mod payments;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Value};

use crate::model::receivables::{self as model, search_matches, sort_items, Refusal};
use crate::reply::{b2b_list, b2b_ok, json_status, parse_body, path_id, Page, Params};
use crate::state::App;
use crate::store::{int, now_secs, text};

type P = Path<HashMap<String, String>>;

/// The largest page of a portal list.
const MAX_LIMIT: usize = 250;

/// The Invoice Portal routes.
pub fn routes() -> Router<Arc<App>> {
    let ip = |p: &str| format!("/api/v3/io/ip{p}");
    Router::new()
        .route(&ip("/invoices"), get(list_invoices).post(create_invoice))
        .route(
            &ip("/invoices/{invoiceId}"),
            get(get_invoice).put(update_invoice).delete(delete_invoice),
        )
        .route(&ip("/orders/{orderId}/invoices"), post(invoice_from_order))
        .route(&ip("/payments"), get(payments::list_payments))
        .route(&ip("/payments/offline"), post(payments::create_offline))
        .route(
            &ip("/payments/offline/{paymentId}"),
            put(payments::update_offline),
        )
        .route(
            &ip("/payments/{paymentId}"),
            get(payments::get_payment).delete(payments::delete_payment),
        )
        .route(
            &ip("/payments/{paymentId}/processing-status"),
            put(payments::processing_status),
        )
        .route(&ip("/receipts"), get(payments::list_receipts))
        .route(
            &ip("/receipts/{receiptId}"),
            get(payments::get_receipt).delete(payments::delete_receipt),
        )
        .route(&ip("/receipt-lines"), get(payments::list_receipt_lines))
        .route(
            &ip("/receipts/{receiptId}/lines"),
            get(payments::receipt_lines),
        )
        .route(
            &ip("/receipts/{receiptId}/lines/{receiptLineId}"),
            get(payments::get_receipt_line).delete(payments::delete_receipt_line),
        )
}

/// A portal error: `{code, data:{errMsg}, meta:{message}}`.
fn portal_err(status: StatusCode, errmsg: &str) -> Response {
    let message = match status.as_u16() {
        404 => "Not Found Error",
        400 => "Bad Requests Error",
        422 => "Parameter Error",
        _ => "Error",
    };
    json_status(
        status,
        &json!({"code": status.as_u16(), "data": {"errMsg": errmsg}, "meta": {"message": message}}),
    )
}

/// A refusal answered with its own status: 422, 400 or 404.
fn refused(r: Refusal) -> Response {
    match r {
        Refusal::Invalid(m) => portal_err(StatusCode::UNPROCESSABLE_ENTITY, &m),
        Refusal::Bad(m) => portal_err(StatusCode::BAD_REQUEST, &m),
        Refusal::NotFound(m) => portal_err(StatusCode::NOT_FOUND, &m),
    }
}

/// A refusal where the route documents one status for every refusal but 404 (`as_status`).
fn refused_as(r: Refusal, as_status: StatusCode) -> Response {
    match r {
        Refusal::Invalid(m) | Refusal::Bad(m) => portal_err(as_status, &m),
        Refusal::NotFound(m) => portal_err(StatusCode::NOT_FOUND, &m),
    }
}

fn invalid(msg: &str) -> Response {
    portal_err(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// The JSON object of a request body; 422 otherwise.
fn body_object(bytes: &[u8]) -> Result<Value, Response> {
    match parse_body(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(invalid("The request body must be a JSON object")),
        Err(e) => Err(invalid(&e)),
    }
}

/// The id of path parameter `name`, when it reads.
/// The paging, order, sort and keyword search of a portal list.
struct List {
    p: Params,
    page: Page,
    sort: String,
    desc: bool,
    /// The fields `q` is looked for in (`searchBy`, or all it allows).
    search: Vec<&'static str>,
}

impl List {
    /// Reads a list query: `offset`, `limit` (default 10, at most 250), `orderBy` `DESC` (the
    /// default) or `ASC`, `sortBy` among `sorts` (`default_sort` when absent), `searchBy`
    /// among `searches`; anything else is 422.
    fn read(
        q: Option<String>,
        sorts: &[&str],
        default_sort: &str,
        searches: &[&'static str],
    ) -> Result<List, Response> {
        let p = Params::parse(q.as_deref());
        let page = Page::b2b(&p, MAX_LIMIT).map_err(|e| invalid(&e))?;
        let desc = match p.get("orderBy") {
            None | Some("DESC") => true,
            Some("ASC") => false,
            Some(o) => return Err(invalid(&format!("orderBy `{o}` must be DESC or ASC"))),
        };
        let sort = match p.get("sortBy") {
            None => default_sort.to_owned(),
            Some(s) if sorts.contains(&s) => s.to_owned(),
            Some(s) => {
                let allowed = sorts.join(", ");
                return Err(invalid(&format!("sortBy `{s}` must be one of: {allowed}")));
            }
        };
        let search = match p.get("searchBy") {
            None => searches.to_vec(),
            Some(s) => match searches.iter().find(|x| **x == s) {
                Some(x) => vec![*x],
                None => {
                    let allowed = searches.join(", ");
                    return Err(invalid(&format!(
                        "searchBy `{s}` must be one of: {allowed}"
                    )));
                }
            },
        };
        Ok(List {
            p,
            page,
            sort,
            desc,
            search,
        })
    }

    /// An integer filter; 422 when it does not read.
    fn int(&self, name: &str) -> Result<Option<i64>, Response> {
        self.p.int(name).map_err(|e| invalid(&e))
    }

    /// The integers of a repeated filter (`paymentStatus[]`, `channelIds`); 422 when one does
    /// not read.
    fn ints(&self, name: &str) -> Result<Vec<i64>, Response> {
        self.p.ints(name).map_err(|e| invalid(&e))
    }

    /// `items` searched with `q`, sorted and paged, as a portal list.
    fn answer(&self, mut items: Vec<Value>) -> Response {
        if let Some(q) = self.p.get("q") {
            items.retain(|i| search_matches(i, &self.search, q));
        }
        self.finish(items)
    }

    /// `items` (searched already) sorted and paged, as a portal list.
    fn finish(&self, mut items: Vec<Value>) -> Response {
        sort_items(&mut items, &self.sort, self.desc);
        let total = items.len();
        b2b_list(self.page.slice(&items), &self.page, total)
    }
}

// ---------------------------------------------------------------- invoices

/// `sortBy` of `GET /invoices`.
const INVOICE_SORTS: [&str; 10] = [
    "invoiceNumber",
    "createdAt",
    "customerId",
    "externalCustomerId",
    "dueDate",
    "updatedAt",
    "isPendingPayment",
    "openBalance",
    "originalBalance",
    "status",
];

/// `searchBy` of `GET /invoices`.
const INVOICE_SEARCHES: [&str; 6] = [
    "invoiceNumber",
    "type",
    "orderNumber",
    "purchaseOrderNumber",
    "customerId",
    "externalCustomerId",
];

/// The filters of `GET /invoices` besides the list's own.
struct InvoiceFilter {
    customer: Option<String>,
    customer_name: Option<String>,
    status: Option<i64>,
    begin: Option<i64>,
    end: Option<i64>,
    external: Vec<String>,
    channels: Vec<i64>,
}

impl InvoiceFilter {
    fn read(l: &List) -> Result<InvoiceFilter, Response> {
        Ok(InvoiceFilter {
            customer: l.p.get("customerId").map(str::to_owned),
            customer_name: l.p.get("customerName").map(str::to_lowercase),
            status: l.int("status")?,
            begin: l.int("beginDateAt")?,
            end: l.int("endDateAt")?,
            external: l.p.all("externalId"),
            channels: l.ints("channelIds")?,
        })
    }

    fn keeps(&self, i: &Value) -> bool {
        let created = int(i, "createdAt").unwrap_or(0);
        self.customer
            .as_ref()
            .is_none_or(|c| text(i, "customerId") == *c)
            && self
                .customer_name
                .as_ref()
                .is_none_or(|n| text(i, "customerName").to_lowercase().contains(n))
            && self.status.is_none_or(|s| int(i, "status") == Some(s))
            && self.begin.is_none_or(|b| created >= b)
            && self.end.is_none_or(|e| created <= e)
            && (self.external.is_empty() || self.external.contains(&text(i, "externalId")))
            && (self.channels.is_empty()
                || self.channels.contains(&int(i, "channelId").unwrap_or(0)))
    }
}

/// `GET /invoices`: filters `customerId`, `customerName`, `status`, `beginDateAt`/`endDateAt`
/// (created, unix seconds), `externalId[]`, `channelIds`, `isIncludeExtraFields=0`.
async fn list_invoices(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let list = match List::read(q, &INVOICE_SORTS, "createdAt", &INVOICE_SEARCHES) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let filter = match InvoiceFilter::read(&list) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let without_extra = list.p.get("isIncludeExtraFields") == Some("0");
    let store = app.data();
    let items: Vec<Value> = store
        .invoices
        .values()
        .filter(|i| filter.keeps(i))
        .map(|i| {
            let mut a = model::invoice_answer(&store, i);
            if without_extra {
                if let Some(m) = a.as_object_mut() {
                    m.remove("extraFields");
                }
            }
            a
        })
        .collect();
    drop(store);
    list.answer(items)
}

async fn create_invoice(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let made = model::create_invoice(&mut app.data(), &body, now_secs());
    match made {
        Ok(id) => b2b_ok(json!({ "id": id })),
        Err(r) => refused(r),
    }
}

fn invoice_missing() -> Response {
    portal_err(StatusCode::NOT_FOUND, "Invoice does not exist")
}

async fn get_invoice(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let store = app.data();
    let found = path_id(&p, "invoiceId").and_then(|id| store.invoices.get(&id));
    match found {
        Some(i) => b2b_ok(model::invoice_answer(&store, i)),
        None => invoice_missing(),
    }
}

async fn update_invoice(State(app): State<Arc<App>>, Path(p): P, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = path_id(&p, "invoiceId") else {
        return invoice_missing();
    };
    let done = model::update_invoice(&mut app.data(), id, &body, now_secs());
    match done {
        Ok(id) => b2b_ok(json!({ "id": id })),
        Err(r) => refused(r),
    }
}

async fn delete_invoice(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let gone = path_id(&p, "invoiceId").filter(|id| model::delete_invoice(&mut app.data(), *id));
    match gone {
        Some(id) => b2b_ok(json!({ "id": id })),
        None => invoice_missing(),
    }
}

/// `POST /orders/{orderId}/invoices`: the invoice of a B2B order (by `bcOrderId`).
async fn invoice_from_order(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let Some(order) = path_id(&p, "orderId") else {
        return portal_err(StatusCode::NOT_FOUND, "Order does not exist");
    };
    let made = model::invoice_from_order(&mut app.data(), order, now_secs());
    match made {
        Ok((id, number)) => b2b_ok(json!({"invoiceNumber": number, "invoiceId": id})),
        Err(r) => refused(r),
    }
}
