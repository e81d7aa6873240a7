//! The command vocabulary of the BigCommerce B2B Edition integration toolkit: what travels on
//! the inbound queue, versioned, with JSON Schema files for users. No AWS and no HTTP in here:
//! the functions (webhook-intake, upsert-worker), the demo and the tests share these types.
//!
//! - [`InboundMessage`]: what the inbound queue carries, either an ERP/CRM [`Command`] or a
//!   normalized BigCommerce [`WebhookEvent`] from webhook-intake. A queue message's body is one
//!   message or an array of them (each processed or refused on its own by the worker), or a
//!   [`DeadLetter`] sent back by a redrive.
//! - Every message has a `type` and a `version` (`1`); unknown types and versions are refused with
//!   a clear error, never guessed at.
//!
//! The schemas users read are `schemas/inbound-command.v1.schema.json` and
//! `schemas/webhook-event.v1.schema.json`; the command schema is compiled in and checked at run
//! time ([`validation`]), and tests keep the schemas and these types in agreement.
//!
//! # Layout
//! - [`envelope`]: [`Command`], the envelope every command shares (`type`, `version`,
//!   `store_hash`, `external_id`, `idempotency_key`, `trace_id`), its parsing and its keys;
//!   [`idempotency`]: an idempotency key bound to its command's content ([`KeyBinding`]);
//!   [`source_version`]: the source system's version of a command's entity
//!   ([`SourceVersion`]), by which an older command is known as stale.
//! - [`dead_letter`]: [`DeadLetter`], the worker's dead-letter wrapper, written and recognised
//!   when a redrive sends it back as it is.
//! - [`registry`]: the one list of command types, from which [`Action`] and [`COMMAND_TYPES`]
//!   are generated ([`with_command_registry!`] lends the list to other crates' dispatch).
//! - [`spec`]: [`CommandSpec`], what each command declares about itself (its company, its
//!   order, its own checks).
//! - One module per command family, each owning its command structs, payload types and checks:
//!   [`company`], [`user`], [`address`], [`price_list`], [`quote`], [`fulfillment`],
//!   [`inventory`], [`invoice`], [`staff`], [`customer_group`], [`shopping_list`],
//!   [`purchase`].
//! - [`order_ref`]: how a command names an order; [`webhook`]: the normalized webhook event; [`validation`]: the schema at run time;
//!   [`metric`]: the fixed set of metric dimensions a message kind maps to.
//!
//! Adding a command: `docs/extending/adding-a-command.md`.

pub mod address;
pub mod company;
pub mod customer_group;
pub mod dead_letter;
pub mod envelope;
pub mod fulfillment;
pub mod idempotency;
pub mod inventory;
pub mod invoice;
pub mod metric;
pub mod order_ref;
pub mod price_list;
pub mod purchase;
pub mod quote;
pub mod registry;
pub mod shopping_list;
pub mod source_version;
pub mod spec;
pub mod staff;
pub mod user;
pub mod validation;
pub mod webhook;

pub use address::AddressData;
pub use company::{
    ChannelPriceList, CompanyData, CreditData, PaymentTermsData, Person, PostalAddress,
};
pub use customer_group::{
    CategoryAccess, CategoryAccessKind, CustomerGroupData, DiscountMethod, DiscountRule,
    DiscountRuleKind,
};
pub use dead_letter::DeadLetter;
pub use envelope::Command;
pub use fulfillment::{ShipmentData, ShipmentLine};
pub use idempotency::{reused_keys, KeyBinding};
pub use inventory::StockLine;
pub use invoice::{
    BalanceData, BalanceLine, InvoiceCost, InvoiceData, InvoiceKind, InvoiceLine,
    OfflinePaymentData,
};
pub use metric::metric_kind;
pub use order_ref::OrderRef;
pub use purchase::{
    BuyerCredential, OrderAddress, OrderData, OrderLine, ProcurementRef,
    DEFAULT_PROCUREMENT_IDENTITY_FIELD,
};
pub use quote::{QuoteData, QuoteLine, QuoteStatus};
pub use registry::{Action, COMMAND_TYPES};
pub use shopping_list::{ShoppingListData, ShoppingListLine, ShoppingListStatus};
pub use source_version::SourceVersion;
pub use spec::CommandSpec;
pub use staff::{SalesRepData, SuperAdminData};
pub use user::UserData;
pub use webhook::*;

use serde::{Deserialize, Serialize};

/// The message schema version this code reads and writes.
pub const MESSAGE_VERSION: u32 = 1;

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
