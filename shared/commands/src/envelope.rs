//! The envelope of an inbound command from an ERP/CRM system (schema
//! `schemas/inbound-command.v1.schema.json`).
//!
//! Every command carries `type`, `version`, `store_hash`, the source system's `external_id`, an
//! optional `idempotency_key`, an optional `trace_id` and an optional source version
//! (`source_version`, `source_updated_at`: see [`crate::source_version`]); the payload depends
//! on the type ([`Action`], one struct per type in its own module). Parsing refuses unknown fields (a typo must not silently drop data) and
//! [`Command::from_value`] reports every problem at once: the schema's, then the command's own
//! checks ([`CommandSpec::problems`](crate::spec::CommandSpec::problems)).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::inventory::StockLine;
use crate::registry::{Action, COMMAND_TYPES};
use crate::source_version::{SourceVersion, UPDATED_AT_PROBLEM};
use crate::MessageError;

/// An inbound command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Schema version (1).
    pub version: u32,
    /// The store the command is for.
    pub store_hash: String,
    /// The source system's id of the entity.
    pub external_id: String,
    /// Replays with the same key are applied once. A key is bound to the first command sent
    /// with it ([`KeyBinding`](crate::KeyBinding)): another command with the same key is
    /// refused, naming `idempotency_key`, never skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The id that follows the command from its sender through the queue, the worker's log
    /// lines and the dead-letter queue: the sender's own, or the `id` `POST /inbound` answered
    /// with. Not part of what the command says (a replay with another trace id is a replay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The version of the entity in the source system, a number that grows with every change:
    /// a command older than the last one applied on its version line is skipped as `stale`
    /// ([`crate::source_version`]). Part of what the command says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<u64>,
    /// When the entity last changed in the source system (RFC 3339 with an offset, compared as
    /// an instant), kept as sent; with `source_version`, it breaks a tie. Part of what the
    /// command says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated_at: Option<String>,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
}

impl Command {
    /// Parses and validates a command, reporting every problem found.
    pub fn from_value(value: Value) -> Result<Self, MessageError> {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !COMMAND_TYPES.contains(&kind.as_str()) {
            return Err(MessageError::one(format!(
                "unknown command type `{kind}`; expected one of {}",
                COMMAND_TYPES.join(", ")
            )));
        }
        let problems = crate::validation::schema_problems(&kind, &value);
        if !problems.is_empty() {
            return Err(MessageError { problems });
        }
        // The schema and these types are kept in agreement by tests; a disagreement still
        // refuses the command, with the reason.
        let cmd: Command =
            serde_json::from_value(value).map_err(|e| MessageError::one(format!("{kind}: {e}")))?;
        let mut problems = cmd.action.spec().problems();
        if cmd.source_updated_at.is_some() && cmd.source().is_none_or(|v| v.updated_at.is_none()) {
            problems.push(UPDATED_AT_PROBLEM.to_owned());
        }
        if problems.is_empty() {
            Ok(cmd)
        } else {
            Err(MessageError { problems })
        }
    }

    /// The command type, e.g. `company.upsert`.
    pub fn kind(&self) -> &'static str {
        self.action.kind()
    }

    /// The source version this command carries ([`SourceVersion::of`]), if any.
    pub fn source(&self) -> Option<SourceVersion> {
        SourceVersion::of(self.source_version, self.source_updated_at.as_deref())
    }

    /// The record of the last version applied on this command's version line: its store, its
    /// type and its external id (`version#{store}#{type}#{external_id}`). A line is what one
    /// lease serialises, so reading, comparing and recording a version never race.
    pub fn version_key(&self) -> String {
        format!(
            "version#{}#{}#{}",
            self.store_hash,
            self.kind(),
            self.external_id
        )
    }

    /// What keeps this command in order with the others about the same thing (its FIFO message
    /// group within the store): its company's external id, else its order (`order:id:101`),
    /// else its own external id.
    pub fn group(&self) -> String {
        let spec = self.action.spec();
        if let Some(company) = spec.company(&self.external_id) {
            return company.to_owned();
        }
        if let Some(leader) = spec.follows() {
            return leader.to_owned();
        }
        match spec.order() {
            Some(order) => format!("order:{}", order.key()),
            None => self.external_id.clone(),
        }
    }

    /// This inventory command with only `items` (the ones a worker refused), as the JSON a
    /// redrive sends again; its idempotency key, if any, gets `:remainder` so the original's
    /// markers do not skip it. Other commands come back unchanged.
    pub fn with_stock_lines(&self, items: Vec<StockLine>) -> String {
        let mut rest = self.clone();
        match &mut rest.action {
            Action::InventorySet(set) => set.items = items,
            Action::InventoryAdjust(adjust) => adjust.items = items,
            _ => {}
        }
        rest.idempotency_key = rest
            .idempotency_key
            .map(|k| format!("{}:remainder", k.chars().take(245).collect::<String>()));
        serde_json::to_string(&rest).unwrap_or_default()
    }

    /// What the command says, as 32 hex characters (a SHA-256 prefix of its JSON without its
    /// `idempotency_key` and `trace_id`): two commands with the same digest are the same
    /// command.
    pub fn content_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut content = self.clone();
        content.idempotency_key = None;
        content.trace_id = None;
        let body = serde_json::to_vec(&content).unwrap_or_default();
        let digest = Sha256::digest(&body);
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The key replays are recognised by (done markers, FIFO deduplication ids): the store, the
    /// idempotency key and the content digest; without a key, the type, the external id and the
    /// content digest. The same key with other content is another command, which the worker
    /// refuses ([`KeyBinding`](crate::KeyBinding)), so no marker of the first ever skips it.
    pub fn dedupe_key(&self) -> String {
        let digest = self.content_digest();
        match &self.idempotency_key {
            Some(k) => format!("{}#{k}#{digest}", self.store_hash),
            None => format!(
                "{}#{}#{}#{digest}",
                self.store_hash,
                self.kind(),
                self.external_id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn company_upsert() -> Value {
        json!({
            "type": "company.upsert", "version": 1, "store_hash": "abc123", "external_id": "C-1001",
            "company": {
                "name": "Acme Supply", "email": "ap@acme.example", "phone": "555-0100", "country": "US",
                "address": {"line1": "1 Main St", "city": "Austin", "state": "Texas", "zip_code": "78701"},
                "admin": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"},
                "extra_fields": {"erp_id": "C-1001"},
                "price_lists": [{"channel_id": 1, "price_list_id": 3}],
                "status": "approved"
            }
        })
    }

    #[test]
    fn a_valid_command_round_trips() {
        let cmd = Command::from_value(company_upsert()).unwrap();
        assert_eq!(cmd.kind(), "company.upsert");
        assert_eq!(cmd.action.company_key(&cmd.external_id), Some("C-1001"));
        let again = Command::from_value(serde_json::to_value(&cmd).unwrap()).unwrap();
        assert_eq!(cmd, again);
    }

    #[test]
    fn unknown_fields_and_every_problem_are_reported() {
        let mut v = company_upsert();
        v["company"]["compnay_size"] = json!(50);
        v["company"]["email"] = json!("not-an-email");
        v["store_hash"] = json!("bad/hash");
        let err = Command::from_value(v).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("unknown field `company.compnay_size`"),
            "{text}"
        );
        assert!(
            text.contains("`company.email` is not an email address"),
            "{text}"
        );
        assert!(text.contains("`store_hash`"), "{text}");
        assert_eq!(err.problems.len(), 3);
    }

    #[test]
    fn an_inconsistent_invoice_is_refused_naming_each_field() {
        let err = Command::from_value(json!({
            "type": "invoice.upsert", "version": 1, "store_hash": "abc", "external_id": "INV-E-1",
            "company_external_id": "C-1", "invoice": {"number": "INV-1", "currency": "USD",
            "total": "100", "open_balance": "120", "issued_on": "2026-11-10", "due_on": "2026-11-01"}
        }))
        .unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("`invoice.open_balance` (120.0000) is more than"),
            "{text}"
        );
        assert!(
            text.contains("`invoice.due_on` (2026-11-01) is before"),
            "{text}"
        );
    }

    #[test]
    fn missing_fields_and_unknown_types_are_named() {
        let err = Command::from_value(
            json!({"type":"user.upsert","version":1,"store_hash":"a","external_id":"u"}),
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            ["`company_external_id` is required", "`user` is required"]
        );
        let err = Command::from_value(json!({"type":"order.delete","version":1})).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown command type `order.delete`"),
            "{err}"
        );
    }

    #[test]
    fn price_records_need_a_variant_and_a_currency() {
        let err = Command::from_value(json!({
            "type":"pricelist.records.upsert","version":1,"store_hash":"abc","external_id":"pl-3",
            "price_list_id":3,"records":[{"currency":"usd","price":1.0},{"sku":"A","currency":"dollars","price":-1}]
        }))
        .unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                "`records[0]` needs a `variant_id` or a `sku`".to_string(),
                "`records[1].currency` must be a 3-letter ISO 4217 code".to_string(),
                "`records[1].price` must be a non-negative number".to_string(),
            ]
        );
    }

    #[test]
    fn fulfillment_refusals_name_their_field() {
        let err = Command::from_value(json!({
            "type": "shipment.create", "version": 1, "store_hash": "abc", "external_id": "S-1",
            "order": {}, "shipment": {"lines": [{"sku": "A", "order_product_id": 3, "quantity": 0}]}
        }))
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`order` needs an `id` or a `reference`"),
            "{text}"
        );
        assert!(
            text.contains("`shipment.lines[0]` needs exactly one of `sku` and `order_product_id`"),
            "{text}"
        );
        assert!(
            text.contains("`shipment.lines[0].quantity` must be a whole number"),
            "{text}"
        );
        let err = Command::from_value(json!({
            "type": "order.status", "version": 1, "store_hash": "abc", "external_id": "SO-1",
            "order": {"id": 5}, "status_id": 99
        }))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`status_id` must be a BigCommerce order status id"),
            "{err}"
        );
    }

    #[test]
    fn a_remainder_is_the_command_with_the_refused_lines_only() {
        let cmd = Command::from_value(json!({
            "type": "inventory.adjust", "version": 1, "store_hash": "abc", "external_id": "RMA-1",
            "idempotency_key": "k", "items": [
                {"sku": "A", "location_id": 1, "quantity": -1},
                {"sku": "B", "location_id": 1, "quantity": 2}]
        }))
        .unwrap();
        let Action::InventoryAdjust(adjust) = &cmd.action else {
            panic!("{cmd:?}")
        };
        let items = &adjust.items;
        let rest: Value =
            serde_json::from_str(&cmd.with_stock_lines(vec![items[1].clone()])).unwrap();
        assert_eq!(
            rest["items"],
            json!([{"sku": "B", "location_id": 1, "quantity": 2}])
        );
        assert_eq!(rest["idempotency_key"], "k:remainder");
        assert_eq!(Command::from_value(rest).unwrap().external_id, "RMA-1");
    }

    #[test]
    fn an_orders_commands_share_a_group() {
        let cmd = |kind: &str, ext: &str| {
            let mut v = json!({"type": kind, "version": 1, "store_hash": "abc", "external_id": ext,
                "order": {"id": 101}});
            match kind {
                "order.status" => v["status"] = json!("SHIPPED"),
                _ => v["shipment"] = json!({"lines": [{"sku": "A", "quantity": 1}]}),
            }
            Command::from_value(v).unwrap()
        };
        assert_eq!(cmd("shipment.create", "S-1").group(), "order:id:101");
        assert_eq!(cmd("order.status", "SO-1").group(), "order:id:101");
        let company = Command::from_value(company_upsert()).unwrap();
        assert_eq!(company.group(), "C-1001");
    }

    #[test]
    fn a_cancellation_follows_its_order_and_is_checked_by_the_schema() {
        let cancel = Command::from_value(json!({"type": "order.cancel", "version": 1,
            "store_hash": "abc", "external_id": "AN01:PO-1:cancel",
            "order": {"reference": "AN01:PO-1"}, "reason": "not needed",
            "procurement": {"partner": "coupa", "payload_id": "p2@coupa", "order_id": "PO-1"}}))
        .unwrap();
        assert_eq!(cancel.kind(), "order.cancel");
        // The group of the order.create it cancels (whose external id is the reference).
        assert_eq!(cancel.group(), "AN01:PO-1");
        let err = Command::from_value(json!({"type": "order.cancel", "version": 1,
            "store_hash": "abc", "external_id": "X", "order": {}, "status_id": 5}))
        .unwrap_err();
        assert!(!err.problems.is_empty(), "{err:?}");
    }

    #[test]
    fn a_reused_key_with_other_content_is_not_taken_for_a_replay() {
        let mut v = company_upsert();
        v["idempotency_key"] = json!("batch-7-line-3");
        let first = Command::from_value(v.clone()).unwrap();
        assert_eq!(
            first.dedupe_key(),
            Command::from_value(v.clone()).unwrap().dedupe_key(),
            "an identical replay is recognised"
        );
        v["company"]["name"] = json!("Another Company");
        let other = Command::from_value(v).unwrap();
        assert_ne!(first.dedupe_key(), other.dedupe_key());
    }

    #[test]
    fn a_trace_id_travels_with_the_command_and_is_not_its_content() {
        let mut v = company_upsert();
        let plain = Command::from_value(v.clone()).unwrap();
        v["trace_id"] = json!("0af7651916cd43dd8448eb211c80319c-0");
        let traced = Command::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&traced).unwrap(), v);
        assert_eq!(traced.dedupe_key(), plain.dedupe_key());
        v["trace_id"] = json!("has spaces");
        let err = Command::from_value(v).unwrap_err();
        assert!(err.to_string().contains("`trace_id`"), "{err}");
    }

    #[test]
    fn a_source_version_is_content_and_a_bad_one_is_refused_naming_it() {
        let mut v = company_upsert();
        v["source_version"] = json!(7);
        v["source_updated_at"] = json!("2026-11-10T10:00:00+02:00");
        let cmd = Command::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&cmd).unwrap(), v, "kept as sent");
        let version = cmd.source().unwrap();
        assert_eq!(version.version, Some(7));
        assert_eq!(
            version.updated_at.map(|t| t.timestamp()),
            Some(1_794_297_600)
        );
        assert_eq!(cmd.version_key(), "version#abc123#company.upsert#C-1001");
        let mut newer = v.clone();
        newer["source_version"] = json!(8);
        assert_ne!(
            Command::from_value(newer).unwrap().dedupe_key(),
            cmd.dedupe_key(),
            "another version is another command, not a replay"
        );
        assert_eq!(
            Command::from_value(company_upsert()).unwrap().source(),
            None
        );

        v["source_version"] = json!(-1);
        v["source_updated_at"] = json!("2026-11-10 10:00:00");
        let err = Command::from_value(v.clone()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`source_version` must be a whole number, 0 or more"),
            "{text}"
        );
        assert!(
            text.contains("`source_updated_at` must be an RFC 3339 date-time with an offset"),
            "{text}"
        );
        v["source_version"] = json!("5");
        v["source_updated_at"] = json!("2026-11-10T10:00:00");
        let text = Command::from_value(v).unwrap_err().to_string();
        assert!(text.contains("`source_version`"), "{text}");
        assert!(
            text.contains("`source_updated_at` must be an RFC 3339 date-time with an offset"),
            "{text}"
        );
    }

    #[test]
    fn dedupe_key_prefers_the_idempotency_key() {
        let mut v = company_upsert();
        let plain = Command::from_value(v.clone()).unwrap().dedupe_key();
        assert!(plain.starts_with("abc123#company.upsert#C-1001#"));
        v["idempotency_key"] = json!("batch-7-line-3");
        let keyed = Command::from_value(v).unwrap();
        assert_eq!(
            keyed.dedupe_key(),
            format!("abc123#batch-7-line-3#{}", keyed.content_digest())
        );
    }
}
