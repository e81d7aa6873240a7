//! The Invoice Portal's streams: payments (online ones buyers made in the portal, and offline
//! ones) with the invoices they pay, and receipts with their lines, so the ERP can apply cash.
//!
//! The portal's lists cannot filter by modification time, so a run reads everything changed
//! since the stream's position newest first (stopping at the first older entry), and hands it
//! to the walk oldest first as one page: the same cursor, overlap and dedupe keys as the other
//! streams, and the position still moves only after delivery.
//!
//! Each run of the payments stream also reports `OpenReceivables`: the open balance of every
//! open or partly paid invoice, per store and currency.

use std::collections::BTreeMap;

use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::money::Amount;
use bigcommerce_b2b::receivables::{Payment, Receipt, INVOICE_OPEN, INVOICE_PARTIALLY_PAID};
use bigcommerce_b2b::{BcClient, BcError};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

/// Everything changed at or after `since`, oldest first (ties by id).
pub async fn payments_since(client: &BcClient, since: i64) -> Result<Vec<Payment>, BcError> {
    let mut all = client.invoice_portal().payments_since(since).await?;
    all.sort_by_key(|p| (p.updated_at, p.id));
    Ok(all)
}

/// Every receipt changed at or after `since`, oldest first (ties by id).
pub async fn receipts_since(client: &BcClient, since: i64) -> Result<Vec<Receipt>, BcError> {
    let mut all = client.invoice_portal().receipts_since(since).await?;
    all.sort_by_key(|r| (r.updated_at, r.id));
    Ok(all)
}

/// The data of a payment document: the payment as the portal returns it, the invoices it pays
/// with the ERP's ids for them (`invoice_external_id`, when the invoice came from the ERP), and
/// the order an online payment made (the orders stream flags that order `invoice_payment`).
pub async fn payment_data(client: &BcClient, payment: &Payment) -> Result<Value, BcError> {
    let mut invoices = Vec::with_capacity(payment.line_items.len());
    for line in &payment.line_items {
        let invoice = client.invoice_portal().invoice(line.invoice_id).await?;
        invoices.push(json!({
            "invoice_id": line.invoice_id,
            "invoice_number": line.invoice_number.clone()
                .or_else(|| invoice.as_ref().and_then(|i| i.invoice_number.clone())),
            "invoice_external_id": invoice.as_ref().and_then(|i| i.external_id.clone()),
            "amount": line.amount,
            "open_balance": invoice.as_ref().map(|i| &i.open_balance),
        }));
    }
    Ok(json!({
        "payment": payment,
        "invoices": invoices,
        "order_id": order_of(payment),
    }))
}

/// How long before an invoice-payment order its payment may have been made (clocks, delays).
const PAYMENT_ORDER_SLACK_SECS: i64 = 86_400;

/// The portal payment that made invoice-payment order `order_id` (modified at `modified`): the
/// payment whose `moduleData.orderId` is the order, among those changed since a day before.
pub async fn payment_of_order(
    client: &BcClient,
    order_id: i64,
    modified: i64,
) -> Result<Option<i64>, BcError> {
    let since = modified.saturating_sub(PAYMENT_ORDER_SLACK_SECS);
    let payments = client.invoice_portal().payments_since(since).await?;
    Ok(payments
        .iter()
        .find(|p| order_of(p) == Some(order_id))
        .map(|p| p.id))
}

/// The order an online payment made (`moduleData.orderId`).
fn order_of(payment: &Payment) -> Option<i64> {
    payment
        .extra
        .get("moduleData")
        .and_then(|m| m.get("orderId"))
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
}

/// The data of a receipt document: the receipt and its lines.
pub async fn receipt_data(client: &BcClient, receipt: &Receipt) -> Result<Value, BcError> {
    let lines = client.invoice_portal().receipt_lines(receipt.id).await?;
    Ok(json!({ "receipt": receipt, "lines": lines }))
}

/// Emits `OpenReceivables` per currency: the open balance of the store's open and partly paid
/// invoices.
pub async fn emit_open_receivables(client: &BcClient) -> Result<(), BcError> {
    let store = client.store_hash().await?;
    let mut open: BTreeMap<String, Amount> = BTreeMap::new();
    for status in [INVOICE_OPEN, INVOICE_PARTIALLY_PAID] {
        let query = vec![("status".to_owned(), status.to_string())];
        let mut invoices = std::pin::pin!(client.invoice_portal().invoices(query));
        while let Some(i) = invoices.try_next().await? {
            let sum = open.entry(i.open_balance.code.clone()).or_default();
            *sum = sum.checked_add(i.open_balance.value).unwrap_or(*sum);
        }
    }
    for (currency, amount) in open {
        emit_metrics(
            &[
                ("Function", "order-export"),
                ("Stream", "payments"),
                ("Store", store.as_str()),
                ("Currency", currency.as_str()),
            ],
            &[Metric {
                name: "OpenReceivables",
                value: amount.ten_thousandths() as f64 / 10_000.0,
                unit: "None",
            }],
        );
    }
    Ok(())
}
