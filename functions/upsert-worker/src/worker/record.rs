//! One record: its body read once ([`Incoming`]), applied (or its create held back:
//! [`Processed::Deferred`]) or handed to the webhook reactions, and its result concluded (logged,
//! and dead-lettered when permanent).

use aws_lambda_events::event::sqs::SqsMessage;
use b2b_commands::{Command, InboundMessage, WebhookEvent};
use b2b_shared::queue::OutgoingMessage;
use serde_json::{json, Value};

use super::{RecordResult, Worker};
use crate::engine::family::{HeldCreate, Step};
use crate::engine::lease::Begun;
use crate::engine::lease::Lease;
use crate::engine::outcome::{ApplyError, Outcome};
use crate::engine::Engine;
use crate::now_secs;
use crate::reactions;

/// What a record's body turned out to be.
pub(super) enum Parsed {
    /// An inbound command.
    Command(Box<Command>),
    /// A normalized webhook event.
    Event(Box<WebhookEvent>),
}

/// A record whose body could not become a message: its type and store (as far as known) and
/// why.
pub(super) struct Refused {
    kind: String,
    store: Option<bigcommerce_b2b::StoreHash>,
    reason: String,
}

/// A record with its body parsed once, for every step of the batch.
pub(super) struct Incoming<'r> {
    /// The SQS record.
    pub record: &'r SqsMessage,
    /// Its message, or why it has none.
    pub message: Result<Parsed, Refused>,
}

impl Incoming<'_> {
    /// Whether the record belongs to a FIFO message group.
    pub fn in_fifo_group(&self) -> bool {
        self.record.attributes.contains_key("MessageGroupId")
    }

    /// The store its message names (or, for a body that is no valid message, its
    /// `store_hash`), when the hash is valid.
    pub fn store(&self) -> Option<bigcommerce_b2b::StoreHash> {
        let named = match &self.message {
            Ok(Parsed::Command(c)) => &c.store_hash,
            Ok(Parsed::Event(e)) => &e.store_hash,
            Err(refused) => return refused.store.clone(),
        };
        bigcommerce_b2b::StoreHash::parse(named).ok()
    }

    /// Its type, as far as known (the command type, `webhook:{scope}`, or what the body said).
    pub fn kind(&self) -> String {
        match &self.message {
            Ok(Parsed::Command(c)) => c.kind().to_owned(),
            Ok(Parsed::Event(e)) => event_kind(e),
            Err(refused) => refused.kind.clone(),
        }
    }

    /// The same record refused for `reason` (it is dead-lettered with it, nothing applied, and
    /// counted for no store).
    pub fn refused(self, reason: &str) -> Self {
        let kind = self.kind();
        Incoming {
            record: self.record,
            message: Err(Refused {
                kind,
                store: None,
                reason: reason.to_owned(),
            }),
        }
    }

    /// The order its command is about (`{store}#order:{key}`), for fulfillment commands: a
    /// batch runs one order's commands one after another, in batch order, instead of letting
    /// the second wait for the first's lease (and for SQS to deliver it again).
    pub fn order_group(&self) -> Option<String> {
        match &self.message {
            Ok(Parsed::Command(c)) => c
                .action
                .order()
                .map(|_| format!("{}#{}", c.store_hash, c.group())),
            _ => None,
        }
    }

    /// The command it carries, if it is one.
    pub fn command(&self) -> Option<&Command> {
        match &self.message {
            Ok(Parsed::Command(c)) => Some(c),
            _ => None,
        }
    }

    /// The webhook event it carries, if it is one.
    pub fn event(&self) -> Option<&WebhookEvent> {
        match &self.message {
            Ok(Parsed::Event(e)) => Some(e),
            _ => None,
        }
    }
}

/// A `company.upsert` or `user.upsert` whose entity was missing: leased and looked up, its
/// create held back.
pub(super) struct Deferred<'r> {
    /// The record it came in.
    pub item: &'r Incoming<'r>,
    /// Its command.
    pub cmd: &'r Command,
    /// Its lease, ended when the command is finished.
    pub lease: Lease,
    /// The create held back.
    pub create: HeldCreate,
}

/// A record after a pass.
pub(super) enum Processed<'r> {
    /// Its result.
    Finished(RecordResult),
    /// Its create is held back.
    Deferred(Deferred<'r>),
}

/// A record and its result.
pub(super) type Finished<'r> = (&'r Incoming<'r>, RecordResult);

/// Splits records after a pass into the finished and the deferred.
pub(super) fn split_processed<'r>(
    processed: impl IntoIterator<Item = (&'r Incoming<'r>, Processed<'r>)>,
) -> (Vec<Finished<'r>>, Vec<Deferred<'r>>) {
    let mut finished = Vec::new();
    let mut deferred = Vec::new();
    for (item, p) in processed {
        match p {
            Processed::Finished(r) => finished.push((item, r)),
            Processed::Deferred(d) => deferred.push(d),
        }
    }
    (finished, deferred)
}

/// The `webhook:{scope}` kind of an event's record in logs and metrics.
pub(super) fn event_kind(event: &WebhookEvent) -> String {
    format!("webhook:{}", event.scope)
}

impl Worker {
    /// Reads a record's body: JSON, the field mapping for raw source-system records, then the
    /// message schema.
    pub(super) fn parse<'r>(&self, record: &'r SqsMessage) -> Incoming<'r> {
        Incoming {
            record,
            message: self.parse_body(record.body.as_deref().unwrap_or("")),
        }
    }

    fn parse_body(&self, body: &str) -> Result<Parsed, Refused> {
        let value: Value = serde_json::from_str(body).map_err(|e| Refused {
            kind: "unknown".to_owned(),
            store: None,
            reason: format!("not valid JSON: {e}"),
        })?;
        let store = value
            .get("store_hash")
            .and_then(Value::as_str)
            .and_then(|s| bigcommerce_b2b::StoreHash::parse(s).ok());
        let refused = |kind: &str, reason: String| Refused {
            kind: kind.to_owned(),
            store: store.clone(),
            reason,
        };
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let is_message = value.get("version").is_some() && value.get("type").is_some();
        let value = match (&self.mapping, is_message) {
            (Some(mapping), false) => mapping
                .apply(&value)
                .map_err(|e| refused("mapped", format!("field mapping: {e}")))?,
            _ => value,
        };
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or(kind);
        match InboundMessage::from_value(value) {
            Ok(InboundMessage::Command(c)) => Ok(Parsed::Command(c)),
            Ok(InboundMessage::Webhook(e)) => Ok(Parsed::Event(e)),
            Err(e) => Err(refused(&kind, e.to_string())),
        }
    }

    /// Processes one record; with `defer`, a `company.upsert` or `user.upsert` whose entity does
    /// not exist comes back [`Processed::Deferred`] (leased, looked up, not created) for a bulk
    /// create.
    pub(super) async fn process<'r>(&self, item: &'r Incoming<'r>, defer: bool) -> Processed<'r> {
        let (kind, result) = match &item.message {
            Err(refused) => (
                refused.kind.clone(),
                Err(ApplyError::Permanent(refused.reason.clone())),
            ),
            Ok(Parsed::Command(cmd)) if defer && Engine::may_hold_create(cmd) => {
                match self.begin_deferring(item, cmd).await {
                    Ok(deferred) => return Processed::Deferred(deferred),
                    Err(result) => (cmd.kind().to_owned(), result),
                }
            }
            Ok(Parsed::Command(cmd)) => (
                cmd.kind().to_owned(),
                self.engine.apply(cmd).await.map(Outcome::as_str),
            ),
            Ok(Parsed::Event(event)) => {
                let r = reactions::react(&self.engine.context, self.events.as_deref(), event).await;
                (event_kind(event), r)
            }
        };
        Processed::Finished(self.conclude(item.record, kind, result).await)
    }

    /// Leases `cmd`'s entity and looks it up: the create held back when it is missing, else the
    /// command's result.
    async fn begin_deferring<'r>(
        &self,
        item: &'r Incoming<'r>,
        cmd: &'r Command,
    ) -> Result<Deferred<'r>, Result<&'static str, ApplyError>> {
        let lease = match self.engine.begin(cmd).await {
            Ok(Begun::Replayed) => return Err(Ok(Outcome::Replayed.as_str())),
            Err(e) => return Err(Err(e)),
            Ok(Begun::Leased(lease)) => lease,
        };
        let result = match self.engine.apply_or_hold(cmd).await {
            Ok(Step::Create(create)) => {
                return Ok(Deferred {
                    item,
                    cmd,
                    lease,
                    create,
                })
            }
            Ok(Step::Done(outcome)) => Ok(outcome),
            Err(e) => Err(e),
        };
        Err(self.engine.finish(lease, result).await.map(Outcome::as_str))
    }

    /// Logs a record's result and turns it into a [`RecordResult`], dead-lettering a permanent
    /// failure.
    pub(super) async fn conclude(
        &self,
        record: &SqsMessage,
        kind: String,
        result: Result<&'static str, ApplyError>,
    ) -> RecordResult {
        let id = record.message_id.as_deref().unwrap_or("");
        match result {
            Ok(outcome) => {
                tracing::info!(message_id = %id, %kind, outcome, "command done");
                RecordResult::Done { kind, outcome }
            }
            Err(
                e @ (ApplyError::Retryable { .. }
                | ApplyError::MissingCompany(_)
                | ApplyError::MissingParent(_)
                | ApplyError::Missing { .. }),
            ) => {
                let reason = e.to_string();
                tracing::warn!(message_id = %id, %kind, outcome = "retry", %reason, "command will be retried");
                RecordResult::Retry {
                    kind,
                    reason,
                    after: match e {
                        ApplyError::Retryable { after, .. } => after,
                        _ => None,
                    },
                    missing_company: matches!(
                        e,
                        ApplyError::MissingCompany(_)
                            | ApplyError::MissingParent(_)
                            | ApplyError::Missing { .. }
                    ),
                }
            }
            Err(ApplyError::Permanent(reason)) => {
                self.dead_letter(record, kind, reason, None).await
            }
            Err(ApplyError::PartlyApplied { reason, remainder }) => {
                self.dead_letter(record, kind, reason, Some(remainder))
                    .await
            }
        }
    }

    /// Parks `record` in the dead-letter queue with its reason and original body (or, for a
    /// command applied in part, `remainder`: the command with only what was refused, so a
    /// redrive applies that and nothing twice); when the queue cannot take it, it stays on the
    /// inbound queue (retried) instead.
    pub(super) async fn dead_letter(
        &self,
        record: &SqsMessage,
        kind: String,
        reason: String,
        remainder: Option<String>,
    ) -> RecordResult {
        let id = record.message_id.clone().unwrap_or_default();
        let partly = remainder.is_some();
        let mut doc = json!({
            "error": reason,
            "kind": kind,
            "message_id": id,
            "failed_at": now_secs(),
            "receive_count": record.attributes.get("ApproximateReceiveCount"),
            "original": remainder.or_else(|| record.body.clone()),
        });
        if partly {
            doc["partly_applied"] = json!(true);
        }
        let mut msg = OutgoingMessage::new("0", doc.to_string());
        if let Some(group) = record.attributes.get("MessageGroupId") {
            msg.group_id = Some(group.clone());
            msg.dedup_id = Some(format!("dlq-{id}").chars().take(128).collect());
        }
        match self.dead_letters.send_all(std::slice::from_ref(&msg)).await {
            Ok(()) => {
                tracing::error!(message_id = %id, %kind, outcome = "dead_lettered", %reason, "command refused permanently");
                RecordResult::DeadLettered { kind, reason }
            }
            Err(e) => {
                tracing::error!(message_id = %id, %kind, error = %e, %reason, "dead-letter queue unavailable; leaving the message on the queue");
                RecordResult::Retry {
                    kind,
                    reason: format!("{reason} (dead-letter queue unavailable: {e})"),
                    after: None,
                    missing_company: false,
                }
            }
        }
    }
}
