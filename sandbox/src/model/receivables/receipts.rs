//! Invoice Portal receipts and receipt lines: what a payment leaves behind when it is applied
//! (`Paid`) or refunded (`Refund`), one line per invoice; the lines' `paymentStatus` follows
//! the payment's processing status.

use serde_json::{json, Value};

use super::{Ctx, PORTAL_MODULE};
use crate::store::{int, max_key, text, Store};

/// How receipts name a portal card payment.
pub const CARD: &str = "Visa ending in 1111";

/// What a receipt calls a payment: its payment type and reference number.
fn receipt_names(payment: &Value) -> (String, String) {
    if text(payment, "moduleName") == PORTAL_MODULE {
        let id = int(payment, "id").unwrap_or(0);
        (CARD.into(), transaction_id(id))
    } else {
        ("Offline".into(), text(&payment["details"], "memo"))
    }
}

/// The card transaction id of portal payment `id`.
pub fn transaction_id(id: i64) -> String {
    format!("{}", 375_000 + id)
}

/// Records a receipt of `kind` (`Paid`, `Refund`) for a payment, one line per invoice.
pub(super) fn record_receipt(store: &mut Store, payment: &Value, kind: &str, ctx: Ctx<'_>) -> i64 {
    let id = store.next_id("receipt", max_key(&store.receipts));
    let (payment_type, reference) = receipt_names(payment);
    let common = json!({
        "createdAt": ctx.now, "updatedAt": ctx.now, "storeHash": ctx.store_hash,
        "customerId": payment["customerId"], "externalId": payment["externalId"],
        "externalCustomerId": payment["externalCustomerId"], "transactionType": kind,
        "paymentType": payment_type, "referenceNumber": reference, "paymentId": payment["id"],
    });
    let mut receipt = common.clone();
    receipt["id"] = json!(id);
    receipt["payerName"] = payment["payerName"].clone();
    receipt["payerCustomerId"] = payment["payerCustomerId"].clone();
    receipt["details"] = json!({"paymentDetails": {"memo": text(&payment["details"], "memo")}});
    receipt["total"] = payment["total"].clone();
    store.receipts.insert(id, receipt);
    for l in payment["lineItems"].as_array().into_iter().flatten() {
        let line_id = store.next_id("receipt_line", max_key(&store.receipt_lines));
        let mut line = common.clone();
        line["id"] = json!(line_id);
        line["receiptId"] = json!(id);
        line["invoiceId"] = l["invoiceId"].clone();
        line["invoiceNumber"] = l["invoiceNumber"].clone();
        line["amount"] = l["amount"].clone();
        line["paymentStatus"] = payment["processingStatus"].clone();
        store.receipt_lines.insert(line_id, line);
    }
    id
}

/// Keeps the `paymentStatus` of a payment's receipt lines at its processing status.
pub(super) fn sync_receipt_lines(store: &mut Store, payment: i64, status: i64, now: i64) {
    for l in store.receipt_lines.values_mut() {
        if int(l, "paymentId") == Some(payment) && int(l, "paymentStatus") != Some(status) {
            l["paymentStatus"] = json!(status);
            l["updatedAt"] = json!(now);
        }
    }
}

/// Deletes a receipt and its lines; false when there is none.
pub fn delete_receipt(store: &mut Store, id: i64) -> bool {
    let gone = store.receipts.remove(&id).is_some();
    if gone {
        store
            .receipt_lines
            .retain(|_, l| int(l, "receiptId") != Some(id));
    }
    gone
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx<'static> = Ctx {
        now: 7,
        store_hash: "teststore",
    };

    fn payment(module: &str) -> Value {
        json!({"id": 3, "customerId": "1", "externalId": null, "externalCustomerId": "C1",
            "payerName": "Cash", "payerCustomerId": "1", "details": {"memo": "wire 12"},
            "moduleName": module, "processingStatus": 3,
            "total": {"code": "USD", "value": "5.0000"},
            "lineItems": [{"paymentId": 3, "invoiceId": 8, "invoiceNumber": "N8", "amount": {"code": "USD", "value": "5.0000"}}]})
    }

    #[test]
    fn a_receipt_has_a_line_per_invoice_and_goes_with_them() {
        let mut s = Store::default();
        let id = record_receipt(&mut s, &payment("payments_offline"), "Paid", CTX);
        let r = &s.receipts[&id];
        assert_eq!(
            (r["paymentType"].as_str(), r["referenceNumber"].as_str()),
            (Some("Offline"), Some("wire 12"))
        );
        assert_eq!(r["details"], json!({"paymentDetails": {"memo": "wire 12"}}));
        let line = s.receipt_lines.values().next().cloned().unwrap_or_default();
        assert_eq!(
            (int(&line, "receiptId"), int(&line, "invoiceId")),
            (Some(id), Some(8))
        );
        assert_eq!(
            (line["storeHash"].as_str(), int(&line, "paymentStatus")),
            (Some("teststore"), Some(3))
        );
        sync_receipt_lines(&mut s, 3, 4, 9);
        let line = s.receipt_lines.values().next().cloned().unwrap_or_default();
        assert_eq!(
            (int(&line, "paymentStatus"), int(&line, "updatedAt")),
            (Some(4), Some(9))
        );
        let card = record_receipt(&mut s, &payment(PORTAL_MODULE), "Paid", CTX);
        assert_eq!(s.receipts[&card]["paymentType"], CARD);
        assert!(delete_receipt(&mut s, id));
        assert!(!delete_receipt(&mut s, id));
        assert_eq!(
            s.receipt_lines.len(),
            1,
            "only the other receipt's line is left"
        );
    }
}
