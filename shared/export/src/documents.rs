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
    /// The entity.
    pub data: Value,
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
        }
    }

    /// The document as one or more message bodies under the SQS limit: an order with too many
    /// lines is split into parts, each with the order and a slice of its `products`.
    pub fn into_bodies(self) -> Result<Vec<String>, String> {
        let whole = serde_json::to_string(&self).map_err(|e| e.to_string())?;
        if whole.len() <= MAX_MESSAGE_BYTES {
            return Ok(vec![whole]);
        }
        let products = self
            .data
            .get("products")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if products.len() < 2 {
            return Err(format!(
                "{} is {} bytes, over the 256 KiB message limit, and cannot be split",
                self.dedupe_key,
                whole.len()
            ));
        }
        for parts in 2..=products.len() {
            let chunk = products.len().div_ceil(parts);
            let mut bodies = Vec::with_capacity(parts);
            let slices: Vec<&[Value]> = products.chunks(chunk).collect();
            let count = slices.len();
            for (i, slice) in slices.into_iter().enumerate() {
                let mut part = self.clone();
                part.part = Some([i + 1, count]);
                part.data["products"] = Value::Array(slice.to_vec());
                bodies.push(serde_json::to_string(&part).map_err(|e| e.to_string())?);
            }
            if bodies.iter().all(|b| b.len() <= MAX_MESSAGE_BYTES) {
                return Ok(bodies);
            }
        }
        Err(format!(
            "{} cannot be split under the message limit",
            self.dedupe_key
        ))
    }
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
