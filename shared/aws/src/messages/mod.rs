//! The messages that travel on our queues, versioned, with JSON Schema files for users.
//!
//! - [`InboundMessage`]: what the inbound queue carries, either an ERP/CRM [`Command`] or a
//!   normalized BigCommerce [`WebhookEvent`] from webhook-intake.
//! - Every message has a `type` and a `version` (`1`); unknown types and versions are refused with
//!   a clear error, never guessed at.
//!
//! The schemas users read are `schemas/inbound-command.v1.schema.json` and
//! `schemas/webhook-event.v1.schema.json`; tests keep them and these types in agreement.

mod assortment;
mod command;
mod purchase;
mod receivables;
pub mod validation;
mod webhook;

pub use command::*;
pub use webhook::*;

use serde::{Deserialize, Serialize};

/// The message schema version this code reads and writes.
pub const MESSAGE_VERSION: u32 = 1;

/// The webhook scope families a metric names; any other scope counts as `webhook:other`.
const WEBHOOK_FAMILIES: &[&str] = &[
    "order",
    "company",
    "quote",
    "customer",
    "product",
    "priceList",
    "shipment",
    "cart",
    "sku",
    "category",
    "inventory",
    "subscriber",
    "channel",
    "app",
    "information",
];

/// A metric's `Kind` dimension for a message known (in logs) as `kind`, from a fixed set so
/// that no caller can create metric series: a command type, `webhook:{family}` of a known
/// family, `webhook:other`, or `unknown` (a body that named no known type).
pub fn metric_kind(kind: &str) -> &'static str {
    if let Some(known) = COMMAND_TYPES.iter().find(|k| **k == kind) {
        return known;
    }
    if let Some(scope) = kind.strip_prefix("webhook:") {
        let family = scope.split('/').nth(1).unwrap_or_default();
        return match WEBHOOK_FAMILIES.iter().position(|f| *f == family) {
            Some(i) => WEBHOOK_METRIC_KINDS[i],
            None => "webhook:other",
        };
    }
    match kind {
        "blocked" => "blocked",
        "mapped" => "mapped",
        _ => "unknown",
    }
}

/// `webhook:{family}` for each of [`WEBHOOK_FAMILIES`], in the same order.
const WEBHOOK_METRIC_KINDS: &[&str] = &[
    "webhook:order",
    "webhook:company",
    "webhook:quote",
    "webhook:customer",
    "webhook:product",
    "webhook:priceList",
    "webhook:shipment",
    "webhook:cart",
    "webhook:sku",
    "webhook:category",
    "webhook:inventory",
    "webhook:subscriber",
    "webhook:channel",
    "webhook:app",
    "webhook:information",
];

/// Anything on the inbound queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InboundMessage {
    /// A command from an ERP or CRM.
    Command(Box<Command>),
    /// A BigCommerce webhook, normalized by webhook-intake.
    Webhook(Box<WebhookEvent>),
}

/// Why a message was refused. Its `Display` is the reason users read in the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", problems.join("; "))]
pub struct MessageError {
    /// Every problem found.
    pub problems: Vec<String>,
}

impl MessageError {
    fn one(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

impl InboundMessage {
    /// Parses and validates one message body.
    pub fn parse(body: &[u8]) -> Result<Self, MessageError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| MessageError::one(format!("not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Validates one message given as JSON.
    pub fn from_value(value: serde_json::Value) -> Result<Self, MessageError> {
        if !value.is_object() {
            return Err(MessageError::one("a message must be a JSON object"));
        }
        let probe: Probe =
            serde_json::from_value(value.clone()).map_err(|e| MessageError::one(e.to_string()))?;
        match probe.version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(MESSAGE_VERSION as u64) => {}
            Some(other) => {
                return Err(MessageError::one(format!(
                    "unsupported version {other}; this worker reads version {MESSAGE_VERSION}"
                )))
            }
            None => return Err(MessageError::one("missing field `version`")),
        }
        match probe.kind.as_ref().and_then(|k| k.as_str()) {
            Some(WEBHOOK_EVENT_TYPE) => {
                let event: WebhookEvent = serde_json::from_value(value)
                    .map_err(|e| MessageError::one(format!("webhook event: {e}")))?;
                Ok(InboundMessage::Webhook(Box::new(event)))
            }
            Some(_) => Command::from_value(value).map(|c| InboundMessage::Command(Box::new(c))),
            None => Err(MessageError::one("missing field `type`")),
        }
    }
}

#[cfg(test)]
mod schema_tests;

#[cfg(test)]
mod metric_kind_tests {
    use super::*;

    #[test]
    fn metric_kinds_come_from_a_fixed_set() {
        assert_eq!(WEBHOOK_FAMILIES.len(), WEBHOOK_METRIC_KINDS.len());
        for (family, kind) in WEBHOOK_FAMILIES.iter().zip(WEBHOOK_METRIC_KINDS) {
            assert_eq!(*kind, format!("webhook:{family}"));
        }
        for kind in COMMAND_TYPES.iter() {
            assert_eq!(metric_kind(kind), *kind);
        }
        assert_eq!(metric_kind("webhook:store/order/created"), "webhook:order");
        assert_eq!(
            metric_kind("webhook:store/company/user/created"),
            "webhook:company"
        );
        assert_eq!(metric_kind("webhook:store/x1234/anything"), "webhook:other");
        assert_eq!(metric_kind("webhook:"), "webhook:other");
        assert_eq!(metric_kind("company.upsert2"), "unknown");
        assert_eq!(metric_kind("any string a caller sends"), "unknown");
    }
}
