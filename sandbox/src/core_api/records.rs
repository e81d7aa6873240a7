//! Core price-list records (`/v3/pricelists/{id}/records`): list, batch upsert (non-strict: the
//! valid records are written, the others named in a 422) under the store's cap of two upserts
//! in flight, and delete by filter.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::reply::{
    json_status, no_content, path_id, v3_array_body, v3_data, v3_err, v3_list, v3_not_found,
    v3_page, v3_unprocessable, Answer, Links, Params, PathParams,
};
use crate::state::App;
use crate::store::{int, iso8601, now_secs, text, Store};

/// Records per `PUT /v3/pricelists/{id}/records`.
pub const RECORDS_MAX: usize = 1_000;
/// Concurrent batch upserts allowed per store.
pub const UPSERTS_CONCURRENT: usize = 2;

/// The record routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new().route(
        "/stores/{store_hash}/v3/pricelists/{price_list_id}/records",
        get(list_records).put(upsert_records).delete(delete_records),
    )
}

/// The `variant_id:in`, `sku:in` and `currency` filters of a records request.
struct RecordFilter {
    variants: Vec<i64>,
    skus: Vec<String>,
    currency: Option<String>,
}

impl RecordFilter {
    /// The filters of `params`, or the 422 answer when `variant_id:in` holds no integers.
    fn read(params: &Params) -> Result<RecordFilter, Response> {
        let variants = params
            .ints("variant_id:in")
            .map_err(|e| v3_unprocessable(&e))?;
        Ok(RecordFilter {
            variants,
            skus: params.all("sku:in"),
            currency: params.get("currency").map(str::to_ascii_lowercase),
        })
    }

    /// Whether record `r` passes every filter given.
    fn matches(&self, r: &Value) -> bool {
        (self.variants.is_empty()
            || int(r, "variant_id").is_some_and(|v| self.variants.contains(&v)))
            && (self.skus.is_empty() || self.skus.contains(&text(r, "sku")))
            && self
                .currency
                .as_ref()
                .is_none_or(|c| text(r, "currency").eq_ignore_ascii_case(c))
    }
}

async fn list_records(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    RawQuery(q): RawQuery,
) -> Answer {
    let (params, page) = v3_page(q)?;
    let Some(id) = path_id(&p, "price_list_id") else {
        return Err(v3_not_found("Price list"));
    };
    let filter = RecordFilter::read(&params)?;
    let store = app.data();
    if !store.pricelists.contains_key(&id) {
        return Err(v3_not_found("Price list"));
    }
    let prefix = format!("{id}:");
    let items: Vec<Value> = store
        .records
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, r)| r)
        .filter(|r| filter.matches(r))
        .cloned()
        .collect();
    drop(store);
    let total = items.len();
    Ok(v3_list(page.slice(&items), &page, total, Links::Without))
}

/// One of the store's batch upserts in flight; taking it counts it, dropping it frees it.
struct UpsertSlot(Arc<App>);

impl UpsertSlot {
    /// Takes a slot, or the 429 answer when the store's upserts in flight are at the cap.
    fn take(app: &Arc<App>) -> Result<UpsertSlot, Response> {
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
            return Err(v3_err(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many concurrent price list record upserts; at most 2 may run at once per store",
                json!({}),
            ));
        }
        app.stats
            .peak_concurrent_pricelist_upserts
            .fetch_max(now_in_flight, Ordering::SeqCst);
        Ok(slot)
    }
}

impl Drop for UpsertSlot {
    fn drop(&mut self) {
        self.0
            .stats
            .pricelist_upserts_in_flight
            .fetch_sub(1, Ordering::SeqCst);
    }
}

/// The price fields a record may set.
const PRICE_FIELDS: [&str; 4] = ["price", "sale_price", "retail_price", "map_price"];

/// Checks one record of a batch: the variant (by id or SKU) it prices, from its list; else the
/// batch error naming it and its field errors.
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

/// The records of an upsert body: an array of at most [`RECORDS_MAX`].
fn upsert_batch(body: &[u8]) -> Result<Vec<Value>, Response> {
    let records = v3_array_body(body, "The request body must be an array of price records")?;
    if records.len() > RECORDS_MAX {
        return Err(v3_err(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "A batch upsert accepts at most {RECORDS_MAX} records, got {}",
                records.len()
            ),
            json!({}),
        ));
    }
    Ok(records)
}

async fn upsert_records(State(app): State<Arc<App>>, Path(p): PathParams, body: Bytes) -> Answer {
    let slot = UpsertSlot::take(&app)?;
    let records = upsert_batch(&body)?;
    let Some(list_id) = path_id(&p, "price_list_id") else {
        return Err(v3_not_found("Price list"));
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
        return Err(v3_not_found("Price list"));
    }
    let errors = write_valid_records(&mut store, list_id, &records, now);
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
        return Err(json_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "batch_errors": errors }),
        ));
    }
    Ok(v3_data(json!({})))
}

/// Non-strict mode, BigCommerce's default: every record is checked first, then the valid ones
/// are written; returns the batch errors naming the others.
fn write_valid_records(store: &mut Store, list_id: i64, records: &[Value], now: i64) -> Vec<Value> {
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for r in records {
        match validate_record(store, list_id, r) {
            Ok(v) => valid.push((r, v)),
            Err(e) => errors.push(e),
        }
    }
    for (r, (vid, variant)) in valid {
        write_record(store, list_id, r, vid, &variant, now);
    }
    errors
}

/// Writes valid record `r` of variant `vid` over the stored one (a new one when there is none).
fn write_record(store: &mut Store, list_id: i64, r: &Value, vid: i64, variant: &Value, now: i64) {
    let currency = text(r, "currency").to_ascii_lowercase();
    let key = Store::record_key(list_id, vid, &currency);
    let mut rec = store.records.get(&key).cloned().unwrap_or_else(|| {
        json!({
            "price_list_id": list_id, "variant_id": vid, "product_id": int(variant, "product_id"),
            "sku": text(variant, "sku"), "currency": currency, "date_created": iso8601(now),
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

async fn delete_records(
    State(app): State<Arc<App>>,
    Path(p): PathParams,
    RawQuery(q): RawQuery,
) -> Answer {
    let params = Params::parse(q.as_deref());
    let Some(id) = path_id(&p, "price_list_id") else {
        return Err(v3_not_found("Price list"));
    };
    let filter = RecordFilter::read(&params)?;
    let prefix = format!("{id}:");
    app.data()
        .records
        .retain(|k, r| !(k.starts_with(&prefix) && filter.matches(r)));
    Ok(no_content())
}
