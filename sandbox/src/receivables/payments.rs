//! Invoice Portal payment, receipt and receipt-line handlers (`/api/v3/io/ip/payments`,
//! `/receipts`, `/receipt-lines`), over `model::receivables::payments`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{body_object, portal_err, refused_as, List, P};
use crate::model::receivables::payments::{self as model, Ctx};
use crate::model::receivables::{offline, receipts, search_matches};
use crate::reply::{b2b_ok, path_id};
use crate::state::App;
use crate::store::{int, now_secs, text, Store};

fn ctx(app: &App) -> Ctx<'_> {
    Ctx {
        now: now_secs(),
        store_hash: &app.opts.store_hash,
    }
}

fn payment_missing() -> Response {
    portal_err(StatusCode::NOT_FOUND, "Payment does not exist")
}

fn receipt_missing() -> Response {
    portal_err(StatusCode::NOT_FOUND, "Receipt does not exist")
}

// ---------------------------------------------------------------- payments

/// `sortBy` of `GET /payments` (`totalAmount` sorts on `total`).
const PAYMENT_SORTS: [&str; 9] = [
    "moduleName",
    "processingStatus",
    "appliedStatus",
    "createdAt",
    "customerId",
    "externalCustomerId",
    "fundingStatus",
    "updatedAt",
    "totalAmount",
];

/// `searchBy` of `GET /payments`.
const PAYMENT_SEARCHES: [&str; 4] = ["id", "customerId", "externalId", "externalCustomerId"];

/// `GET /payments`: filters `invoiceId`, `processingStatus`, `customerName`, `channelIds`.
pub(super) async fn list_payments(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let list = match List::read(q, &PAYMENT_SORTS, "createdAt", &PAYMENT_SEARCHES) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let (invoice, status, channels) = match (
        list.int("invoiceId"),
        list.int("processingStatus"),
        list.ints("channelIds"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let name = list.p.get("customerName").map(str::to_lowercase);
    let items: Vec<Value> = app
        .data()
        .payments
        .values()
        .filter(|p| {
            invoice.is_none_or(|i| {
                p["lineItems"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| int(x, "invoiceId") == Some(i)))
            }) && status.is_none_or(|s| int(p, "processingStatus") == Some(s))
                && name
                    .as_ref()
                    .is_none_or(|n| text(p, "customerName").to_lowercase().contains(n))
                && (channels.is_empty() || channels.contains(&int(p, "channelId").unwrap_or(0)))
        })
        .cloned()
        .collect();
    list.answer(items)
}

pub(super) async fn get_payment(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = path_id(&p, "paymentId").and_then(|id| app.data().payments.get(&id).cloned());
    match found {
        Some(payment) => b2b_ok(payment),
        None => payment_missing(),
    }
}

pub(super) async fn delete_payment(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let ctx = ctx(&app);
    let gone =
        path_id(&p, "paymentId").filter(|id| model::delete_payment(&mut app.data(), *id, ctx));
    match gone {
        Some(id) => b2b_ok(json!({ "id": id })),
        None => payment_missing(),
    }
}

/// `POST /payments/offline`: `{paymentId}`; refusals are 422 (the only one documented).
pub(super) async fn create_offline(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let ctx = ctx(&app);
    let made = model::create_offline_payment(&mut app.data(), &body, ctx);
    match made {
        Ok(id) => b2b_ok(json!({ "paymentId": id })),
        Err(r) => refused_as(r, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// `PUT /payments/offline/{paymentId}`: `{paymentId}`; refusals are 422 (the only one
/// documented), an unknown payment 404.
pub(super) async fn update_offline(
    State(app): State<Arc<App>>,
    Path(p): P,
    body: Bytes,
) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = path_id(&p, "paymentId") else {
        return payment_missing();
    };
    let ctx = ctx(&app);
    let done = offline::update_offline_payment(&mut app.data(), id, &body, ctx);
    match done {
        Ok(id) => b2b_ok(json!({ "paymentId": id })),
        Err(r) => refused_as(r, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// `PUT /payments/{paymentId}/processing-status {processingStatus}`: `{id}`; refusals are 400
/// (the only one documented), an unknown payment 404.
pub(super) async fn processing_status(
    State(app): State<Arc<App>>,
    Path(p): P,
    body: Bytes,
) -> Response {
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(id) = path_id(&p, "paymentId") else {
        return payment_missing();
    };
    let Some(status) = body.get("processingStatus").and_then(Value::as_i64) else {
        return portal_err(
            StatusCode::BAD_REQUEST,
            "processingStatus: This field is required and must be a number.",
        );
    };
    let ctx = ctx(&app);
    let done = model::set_processing_status(&mut app.data(), id, status, ctx);
    match done {
        Ok(()) => b2b_ok(json!({ "id": id })),
        Err(r) => refused_as(r, StatusCode::BAD_REQUEST),
    }
}

// ---------------------------------------------------------------- receipts

/// `sortBy` of `GET /receipts`.
const RECEIPT_SORTS: [&str; 8] = [
    "customerId",
    "externalCustomerId",
    "paymentId",
    "total",
    "transactionType",
    "referenceNumber",
    "createdAt",
    "updatedAt",
];

/// `searchBy` of `GET /receipts`.
const RECEIPT_SEARCHES: [&str; 5] = [
    "payerName",
    "referenceNumber",
    "customerId",
    "externalId",
    "externalCustomerId",
];

/// `sortBy` of the receipt-line lists.
const LINE_SORTS: [&str; 7] = [
    "customerId",
    "externalCustomerId",
    "receiptId",
    "invoiceId",
    "amount",
    "createdAt",
    "updatedAt",
];

/// `searchBy` of the receipt-line lists (`payerName` and `payerCustomerId` are the receipt's).
const LINE_SEARCHES: [&str; 7] = [
    "customerId",
    "externalId",
    "externalCustomerId",
    "payerName",
    "payerCustomerId",
    "referenceNumber",
    "invoiceId",
];

/// The processing status of a receipt's payment (its lines' when the payment is gone).
fn receipt_status(store: &Store, receipt: &Value) -> Option<i64> {
    let payment = int(receipt, "paymentId");
    payment
        .and_then(|p| store.payments.get(&p))
        .and_then(|p| int(p, "processingStatus"))
        .or_else(|| {
            store
                .receipt_lines
                .values()
                .find(|l| int(l, "receiptId") == int(receipt, "id"))
                .and_then(|l| int(l, "paymentStatus"))
        })
}

/// `GET /receipts`: filter `paymentStatus[]` (the payments' processing status).
pub(super) async fn list_receipts(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let list = match List::read(q, &RECEIPT_SORTS, "createdAt", &RECEIPT_SEARCHES) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let statuses = match list.ints("paymentStatus") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = app.data();
    let items: Vec<Value> = store
        .receipts
        .values()
        .filter(|r| {
            statuses.is_empty() || receipt_status(&store, r).is_some_and(|s| statuses.contains(&s))
        })
        .cloned()
        .collect();
    drop(store);
    list.answer(items)
}

pub(super) async fn get_receipt(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let found = path_id(&p, "receiptId").and_then(|id| app.data().receipts.get(&id).cloned());
    match found {
        Some(r) => b2b_ok(r),
        None => receipt_missing(),
    }
}

pub(super) async fn delete_receipt(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let gone = path_id(&p, "receiptId").filter(|id| receipts::delete_receipt(&mut app.data(), *id));
    match gone {
        Some(id) => b2b_ok(json!({ "id": id })),
        None => receipt_missing(),
    }
}

/// The lines of receipt `receipt` (all when `None`) as a list answers them: searched (the
/// receipt's payer included), filtered by `paymentStatus[]`, sorted and paged.
fn lines_answer(store: &Store, q: Option<String>, receipt: Option<i64>) -> Response {
    let list = match List::read(q, &LINE_SORTS, "createdAt", &LINE_SEARCHES) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let statuses = match list.ints("paymentStatus") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut items: Vec<Value> = store
        .receipt_lines
        .values()
        .filter(|l| receipt.is_none_or(|r| int(l, "receiptId") == Some(r)))
        .filter(|l| {
            statuses.is_empty() || int(l, "paymentStatus").is_some_and(|s| statuses.contains(&s))
        })
        .cloned()
        .collect();
    if let Some(q) = list.p.get("q") {
        items.retain(|l| {
            let mut view = l.clone();
            if let Some(r) = int(l, "receiptId").and_then(|r| store.receipts.get(&r)) {
                view["payerName"] = r["payerName"].clone();
                view["payerCustomerId"] = r["payerCustomerId"].clone();
            }
            search_matches(&view, &list.search, q)
        });
    }
    list.finish(items)
}

/// `GET /receipt-lines`: every receipt's lines.
pub(super) async fn list_receipt_lines(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> Response {
    lines_answer(&app.data(), q, None)
}

/// `GET /receipts/{receiptId}/lines`.
pub(super) async fn receipt_lines(
    State(app): State<Arc<App>>,
    Path(p): P,
    RawQuery(q): RawQuery,
) -> Response {
    let store = app.data();
    match path_id(&p, "receiptId").filter(|id| store.receipts.contains_key(id)) {
        Some(id) => lines_answer(&store, q, Some(id)),
        None => receipt_missing(),
    }
}

/// The id of receipt line `receiptLineId` when it is one of receipt `receiptId`'s.
fn line_of(store: &Store, p: &HashMap<String, String>) -> Option<i64> {
    let receipt = path_id(p, "receiptId")?;
    let line = path_id(p, "receiptLineId")?;
    store
        .receipt_lines
        .get(&line)
        .filter(|l| int(l, "receiptId") == Some(receipt))
        .map(|_| line)
}

fn line_missing() -> Response {
    portal_err(StatusCode::NOT_FOUND, "Receipt line does not exist")
}

pub(super) async fn get_receipt_line(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let store = app.data();
    match line_of(&store, &p).and_then(|id| store.receipt_lines.get(&id)) {
        Some(l) => b2b_ok(l.clone()),
        None => line_missing(),
    }
}

pub(super) async fn delete_receipt_line(State(app): State<Arc<App>>, Path(p): P) -> Response {
    let mut store = app.data();
    match line_of(&store, &p) {
        Some(id) => {
            store.receipt_lines.remove(&id);
            b2b_ok(json!({ "id": id }))
        }
        None => line_missing(),
    }
}
