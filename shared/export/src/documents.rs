//! The documents sent to the ERP (schemas `schemas/{order,quote,company}-document.v1.schema.json`).
//!
//! Every document carries `dedupe_key` = `{type}:{id}:{modified}`: the export re-reads an overlap
//! window and a webhook may produce the same document as the schedule, so consumers keep the first
//! document of each key and drop repeats.

use b2b_shared::queue::MAX_MESSAGE_BYTES;
use bigcommerce_b2b::b2b::B2bOrder;
use bigcommerce_b2b::core::Order;
use serde::Serialize;
use serde_json::Value;

/// The document schema version.
pub const DOCUMENT_VERSION: u32 = 1;

/// One exported document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// `order`, `quote` or `company`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Schema version (1).
    pub version: u32,
    /// The store.
    pub store_hash: String,
    /// `{type}:{id}:{modified}`.
    pub dedupe_key: String,
    /// The entity's id.
    pub id: i64,
    /// When it was last modified (unix seconds).
    pub modified_at: i64,
    /// When this document was made (unix seconds).
    pub exported_at: i64,
    /// Part `n` of `parts`, when the entity was too large for one message (else absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<[usize; 2]>,
    /// The entity (absent from a tombstone).
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// For a tombstone: the entity was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deletion>,
}

/// How a deletion became known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deletion {
    /// When (unix seconds): the webhook's time.
    pub at: i64,
    /// `webhook` (a `.../deleted` or `.../archived` scope) or `not_found` (an event's entity
    /// BigCommerce no longer has).
    pub source: &'static str,
    /// The webhook scope it came with.
    pub scope: String,
}

impl Document {
    /// A document of `kind` for entity `id` modified at `modified_at`.
    pub fn new(
        kind: &'static str,
        store_hash: &str,
        id: i64,
        modified_at: i64,
        exported_at: i64,
        data: Value,
    ) -> Self {
        Self {
            kind,
            version: DOCUMENT_VERSION,
            store_hash: store_hash.to_owned(),
            dedupe_key: format!("{kind}:{id}:{modified_at}"),
            id,
            modified_at,
            exported_at,
            part: None,
            data,
            deleted: None,
        }
    }

    /// A tombstone: entity `id` of `kind` was deleted at `deletion.at` (its `modified_at`, so
    /// its dedupe key is `{kind}:{id}:{at}`, the same for every delivery of the event).
    pub fn tombstone(
        kind: &'static str,
        store_hash: &str,
        id: i64,
        exported_at: i64,
        deletion: Deletion,
    ) -> Self {
        let at = deletion.at;
        Self {
            deleted: Some(deletion),
            ..Self::new(kind, store_hash, id, at, exported_at, Value::Null)
        }
    }

    /// The document as one or more message bodies under the SQS limit. A document over the
    /// limit is split on its largest list (an order's `products`, a quote's `productList`, a
    /// company's buyers): each part has everything else and a slice of that list. One that
    /// cannot be split under the limit comes back as [`TooLarge`], for the caller to store
    /// elsewhere and point to ([`pointer_body`](Self::pointer_body)).
    pub fn into_bodies(self) -> Result<Vec<String>, Box<TooLarge>> {
        let whole = match serde_json::to_string(&self) {
            Ok(w) => w,
            Err(e) => {
                return Err(Box::new(TooLarge {
                    reason: format!("cannot be encoded: {e}"),
                    whole: String::new(),
                    doc: self,
                }))
            }
        };
        if whole.len() <= MAX_MESSAGE_BYTES {
            return Ok(vec![whole]);
        }
        if let Some(field) = self.largest_list() {
            if let Some(bodies) = self.split_on(&field) {
                return Ok(bodies);
            }
        }
        Err(Box::new(TooLarge {
            reason: format!(
                "{} bytes, over the 256 KiB message limit, and no list splits it under",
                whole.len()
            ),
            whole,
            doc: self,
        }))
    }

    /// The top-level list in `data` with the most bytes, when it has two items or more.
    fn largest_list(&self) -> Option<String> {
        self.data
            .as_object()?
            .iter()
            .filter_map(|(k, v)| v.as_array().filter(|a| a.len() >= 2).map(|a| (k, a)))
            .max_by_key(|(_, a)| a.iter().map(|v| v.to_string().len()).sum::<usize>())
            .map(|(k, _)| k.clone())
    }

    /// The bodies of the document split on list `field` into the fewest parts that fit.
    fn split_on(&self, field: &str) -> Option<Vec<String>> {
        let items = self.data.get(field)?.as_array()?;
        for parts in 2..=items.len() {
            let chunk = items.len().div_ceil(parts);
            let slices: Vec<&[Value]> = items.chunks(chunk).collect();
            let count = slices.len();
            let mut bodies = Vec::with_capacity(count);
            for (i, slice) in slices.into_iter().enumerate() {
                let mut part = self.clone();
                part.part = Some([i + 1, count]);
                part.data[field] = Value::Array(slice.to_vec());
                bodies.push(serde_json::to_string(&part).ok()?);
            }
            if bodies.iter().all(|b| b.len() <= MAX_MESSAGE_BYTES) {
                return Some(bodies);
            }
        }
        None
    }

    /// The pointer message for a document too large for the queue: its identity, no `data`,
    /// and `too_large` with its size and the archive key it was stored under (`None` without
    /// an archive: the consumer reads the entity from BigCommerce).
    pub fn pointer_body(&self, bytes: usize, reason: &str, archive_key: Option<&str>) -> String {
        serde_json::json!({
            "type": self.kind, "version": self.version, "store_hash": self.store_hash,
            "dedupe_key": self.dedupe_key, "id": self.id, "modified_at": self.modified_at,
            "exported_at": self.exported_at,
            "too_large": {"bytes": bytes, "reason": reason, "archive_key": archive_key},
        })
        .to_string()
    }
}

/// A document that no split brings under the message limit.
#[derive(Debug)]
pub struct TooLarge {
    /// The document.
    pub doc: Document,
    /// Its whole JSON (to store elsewhere).
    pub whole: String,
    /// Why it does not fit.
    pub reason: String,
}

/// Whether an order's metafields mark it as an invoice-portal payment.
pub fn is_invoice_payment(metafields: &[Value]) -> bool {
    metafields.iter().any(|m| {
        m.get("key").and_then(Value::as_str) == Some("orderType")
            && m.get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case("invoice payment"))
    })
}

/// The data of an order document.
pub fn order_data(
    order: &Order,
    products: Vec<Value>,
    shipping: Vec<Value>,
    shipments: &[bigcommerce_b2b::fulfillment::Shipment],
    b2b: Option<&B2bOrder>,
    invoice_payment: bool,
) -> Value {
    let b2b = b2b.map(|b| {
        serde_json::json!({
            "company_id": b.company_id,
            "po_number": b.po_number,
            "extra_fields": b.extra.get("extraFields").cloned().unwrap_or(Value::Array(Vec::new())),
            "channel_id": b.extra.get("channelId").cloned(),
        })
    });
    serde_json::json!({
        "order": order,
        "products": products,
        "shipping_addresses": shipping,
        "shipments": shipments,
        "b2b": b2b,
        "invoice_payment": invoice_payment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dedupe_key_and_shape() {
        let d = Document::new(
            "order",
            "abc123",
            250,
            1_700_000_000,
            1_700_000_100,
            json!({"order": {"id": 250}}),
        );
        assert_eq!(d.dedupe_key, "order:250:1700000000");
        let v: Value = serde_json::from_str(&d.into_bodies().unwrap()[0]).unwrap();
        assert_eq!(v["type"], "order");
        assert!(v.get("part").is_none());
    }

    #[test]
    fn huge_orders_are_split_into_parts_under_the_limit() {
        let products: Vec<Value> = (0..2_000)
            .map(|i| json!({"id": i, "name": "x".repeat(200)}))
            .collect();
        let d = Document::new(
            "order",
            "abc123",
            1,
            1,
            1,
            json!({"order": {"id": 1}, "products": products}),
        );
        let bodies = d.into_bodies().unwrap();
        assert!(bodies.len() >= 2);
        let mut lines = 0;
        for (i, b) in bodies.iter().enumerate() {
            assert!(b.len() <= MAX_MESSAGE_BYTES);
            let v: Value = serde_json::from_str(b).unwrap();
            assert_eq!(v["part"], json!([i + 1, bodies.len()]));
            lines += v["data"]["products"].as_array().unwrap().len();
        }
        assert_eq!(lines, 2_000);
    }

    #[test]
    fn a_quote_with_many_lines_is_split_on_them_and_an_unsplittable_one_is_too_large() {
        let lines: Vec<Value> = (0..1_500)
            .map(|i| json!({"productId": i, "productName": "y".repeat(300)}))
            .collect();
        let d = Document::new(
            "quote",
            "abc123",
            9,
            5,
            6,
            json!({"quoteId": 9, "productList": lines}),
        );
        let bodies = d.into_bodies().unwrap();
        assert!(bodies.len() >= 2);
        let total: usize = bodies
            .iter()
            .map(|b| {
                assert!(b.len() <= MAX_MESSAGE_BYTES);
                let v: Value = serde_json::from_str(b).unwrap();
                assert_eq!(v["data"]["quoteId"], 9);
                v["data"]["productList"].as_array().unwrap().len()
            })
            .sum();
        assert_eq!(total, 1_500);
        let huge = Document::new(
            "company",
            "abc123",
            3,
            5,
            6,
            json!({"companyId": 3, "note": "z".repeat(300_000)}),
        );
        let too_large = huge.into_bodies().unwrap_err();
        assert!(too_large.whole.len() > MAX_MESSAGE_BYTES);
        let pointer: Value = serde_json::from_str(&too_large.doc.pointer_body(
            too_large.whole.len(),
            &too_large.reason,
            Some("exports/abc123/too-large/company-3-5.json"),
        ))
        .unwrap();
        assert_eq!(pointer["dedupe_key"], "company:3:5");
        assert!(pointer.get("data").is_none());
        assert_eq!(
            pointer["too_large"]["archive_key"],
            "exports/abc123/too-large/company-3-5.json"
        );
    }

    #[test]
    fn invoice_payments_are_recognised() {
        assert!(is_invoice_payment(&[
            json!({"key": "orderType", "value": "invoice payment"})
        ]));
        assert!(!is_invoice_payment(&[
            json!({"key": "orderType", "value": "standard"})
        ]));
        assert!(!is_invoice_payment(&[]));
    }
}
