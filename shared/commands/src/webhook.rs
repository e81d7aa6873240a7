//! BigCommerce webhook deliveries and the normalized event webhook-intake enqueues
//! (schema `schemas/webhook-event.v1.schema.json`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MESSAGE_VERSION;
use bigcommerce_b2b::lenient;

/// The `type` of a normalized webhook event on the inbound queue.
pub const WEBHOOK_EVENT_TYPE: &str = "webhook.event";

/// A delivery as BigCommerce posts it: `{scope, store_id, data, hash, created_at, producer}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookPayload {
    /// E.g. `store/order/created`, `store/company/statusUpdated`.
    pub scope: String,
    /// The store's numeric id (a string or a number).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub store_id: Option<String>,
    /// The resource: `{type, id}` for core scopes, `{company_id}`-like objects for B2B scopes,
    /// an array for batch scopes.
    #[serde(default)]
    pub data: Value,
    /// BigCommerce's hash of the event, meant for detecting duplicates.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub hash: Option<String>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// `stores/{hash}`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub producer: Option<String>,
}

/// The resource a webhook is about, when it can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// `order`, `company`, `quote`, `user`, `address`, or the scope's noun.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: i64,
}

/// A webhook, normalized, as it travels on the inbound queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Always `webhook.event`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Schema version (1).
    pub version: u32,
    /// The scope as delivered.
    pub scope: String,
    /// The store hash of this deployment's store secret.
    pub store_hash: String,
    /// `producer` as delivered (`stores/{hash}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// The store's numeric id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// The main resource, when the payload names one (`data.id`, `data.company_id`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
    /// `data` exactly as delivered.
    pub data: Value,
    /// BigCommerce's event hash (or, without one, a hash of the body).
    pub hash: String,
    /// When BigCommerce created the event (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// When webhook-intake accepted it (unix seconds).
    pub received_at: i64,
}

/// Finds the main resource of a delivery: `{type,id}` or a B2B `{x_id}` (the most specific one).
pub fn resource_of(scope: &str, data: &Value) -> Option<ResourceRef> {
    let obj = data.as_object()?;
    if let (Some(kind), Some(id)) = (
        obj.get("type").and_then(Value::as_str),
        obj.get("id").and_then(Value::as_i64),
    ) {
        return Some(ResourceRef {
            kind: kind.to_owned(),
            id,
        });
    }
    for key in [
        "quote_id",
        "address_id",
        "user_id",
        "company_id",
        "order_id",
    ] {
        let id = obj
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        if let Some(id) = id {
            return Some(ResourceRef {
                kind: key.trim_end_matches("_id").to_owned(),
                id,
            });
        }
    }
    let _ = scope;
    None
}

impl WebhookEvent {
    /// Normalizes a delivery to the store `store_hash` received at `received_at`.
    pub fn normalize(
        payload: WebhookPayload,
        store_hash: &str,
        body_hash: &str,
        received_at: i64,
    ) -> Self {
        Self {
            kind: WEBHOOK_EVENT_TYPE.to_owned(),
            version: MESSAGE_VERSION,
            resource: resource_of(&payload.scope, &payload.data),
            store_hash: store_hash.to_owned(),
            producer: payload.producer,
            scope: payload.scope,
            store_id: payload.store_id,
            data: payload.data,
            hash: payload.hash.unwrap_or_else(|| body_hash.to_owned()),
            created_at: payload.created_at,
            received_at,
        }
    }

    /// The key duplicates are recognised by: scope and hash.
    pub fn dedupe_key(&self) -> String {
        format!("{}#{}#{}", self.store_hash, self.scope, self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalizes_core_b2b_and_batch_payloads() {
        let core: WebhookPayload = serde_json::from_value(json!({
            "scope":"store/order/created","store_id":"1025646","data":{"type":"order","id":250},
            "hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","created_at":1561479335,"producer":"stores/abc123"
        })).unwrap();
        let e = WebhookEvent::normalize(core, "abc123", "bodyhash", 1);
        assert_eq!(
            e.resource,
            Some(ResourceRef {
                kind: "order".into(),
                id: 250
            })
        );
        assert_eq!(e.store_hash, "abc123");
        assert_eq!(
            e.dedupe_key(),
            "abc123#store/order/created#dd70c0976e06b67aaf671e73f49dcb79230ebf9d"
        );

        let b2b: WebhookPayload = serde_json::from_value(json!({
            "scope":"store/company/user/created","store_id":1025646,"data":{"company_id":1,"user_id":2},
            "hash":"h","created_at":1,"producer":"stores/abc123"
        })).unwrap();
        let e = WebhookEvent::normalize(b2b, "x", "b", 1);
        assert_eq!(
            e.resource,
            Some(ResourceRef {
                kind: "user".into(),
                id: 2
            })
        );
        assert_eq!(e.store_id.as_deref(), Some("1025646"));

        let batch: WebhookPayload = serde_json::from_value(json!({
            "scope":"store/priceList/record/updated","data":[{"price_list_id":1}],"producer":"stores/abc123"
        })).unwrap();
        let e = WebhookEvent::normalize(batch, "x", "sha-of-body", 1);
        assert_eq!(e.resource, None);
        assert_eq!(e.hash, "sha-of-body");
        assert!(e.data.is_array());
    }
}
