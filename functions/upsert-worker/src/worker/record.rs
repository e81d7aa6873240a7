//! One item of a record (the record's message, or one of the array of messages its body holds):
//! its body read once ([`Incoming`], see `parse`), applied (or its create held back:
//! [`Processed::Deferred`]) or handed to the webhook reactions, and its result concluded
//! (logged with its trace id, and dead-lettered when permanent).

use std::borrow::Cow;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsMessage;
use b2b_commands::{Command, DeadLetter, WebhookEvent};
use b2b_shared::queue::OutgoingMessage;

use super::{RecordResult, Worker};
use crate::engine::family::{HeldCreate, Step};
use crate::engine::lease::Begun;
use crate::engine::lease::Lease;
use crate::engine::outcome::{ApplyError, Outcome};
use crate::engine::Engine;
use crate::now_secs;
use crate::reactions;

/// How long the worker remembers that an item of an array message was dead-lettered, so that
/// the message's redeliveries (for its other items) do not dead-letter it again: SQS's longest
/// retention.
const PARKED_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// What an item's body turned out to be.
pub(super) enum Parsed {
    /// An inbound command.
    Command(Box<Command>),
    /// A normalized webhook event.
    Event(Box<WebhookEvent>),
}

/// A body that could not become a message: its type and store (as far as known) and why.
pub(super) struct Refused {
    /// What it said it was (`unknown` when it did not say).
    pub(super) kind: String,
    /// The store it named, when the hash is valid.
    pub(super) store: Option<bigcommerce_b2b::StoreHash>,
    /// The `trace_id` it named, when it is one.
    pub(super) trace: Option<String>,
    /// Why it is refused.
    pub(super) reason: String,
}

/// One item of a record, its body parsed once, for every step of the batch.
pub(super) struct Incoming<'r> {
    /// The SQS record.
    pub record: &'r SqsMessage,
    /// Its position in the array of messages the record's body holds; `None`: the whole body.
    pub index: Option<usize>,
    /// The body it was read from (the record's, an array item's, or the original a dead letter
    /// sent back held): what its own dead letter carries.
    pub body: Cow<'r, str>,
    /// The trace id of the dead letter it was sent back in, if any.
    pub carried_trace: Option<String>,
    /// Its message, or why it has none.
    pub message: Result<Parsed, Refused>,
}

impl Incoming<'_> {
    /// Whether the record belongs to a FIFO message group.
    pub fn in_fifo_group(&self) -> bool {
        self.record.attributes.contains_key("MessageGroupId")
    }

    /// The id that follows it in logs, dead letters and metric properties: its command's
    /// `trace_id`, else the one of the dead letter it was sent back in, else its SQS message id
    /// (`{message id}-{index}` for an item of an array).
    pub fn trace_id(&self) -> String {
        let own = match &self.message {
            Ok(Parsed::Command(c)) => c.trace_id.as_ref(),
            Ok(Parsed::Event(_)) => None,
            Err(refused) => refused.trace.as_ref(),
        };
        if let Some(own) = own {
            return own.clone();
        }
        if let Some(carried) = &self.carried_trace {
            return carried.clone();
        }
        let id = self.message_id();
        match self.index {
            Some(i) => format!("{id}-{i}"),
            None => id.to_owned(),
        }
    }

    /// The SQS message id of its record.
    pub fn message_id(&self) -> &str {
        self.record.message_id.as_deref().unwrap_or("")
    }

    /// How many times its record was received (`ApproximateReceiveCount`; 0 when not said).
    pub fn receives(&self) -> u32 {
        self.record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    }

    /// The state-table claim that says this item of an array was dead-lettered already.
    pub fn parked_key(&self) -> Option<String> {
        self.index
            .map(|i| format!("parked#{}#{i}", self.message_id()))
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
        let (kind, trace) = (self.kind(), Some(self.trace_id()));
        Incoming {
            message: Err(Refused {
                kind,
                store: None,
                trace,
                reason: reason.to_owned(),
            }),
            ..self
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

    /// The version line of its command ([`Command::version_key`]), when the command carries a
    /// source version: a batch runs one line's commands one after another, newest first, so
    /// only the newest is applied.
    pub fn version_group(&self) -> Option<String> {
        self.command()
            .filter(|c| c.source().is_some())
            .map(|c| c.version_key())
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
        Processed::Finished(self.conclude(item, kind, result).await)
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
            Ok(Begun::Stale) => return Err(Ok(Outcome::Stale.as_str())),
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

    /// Logs an item's result (with its trace id) and turns it into a [`RecordResult`],
    /// dead-lettering a permanent failure.
    pub(super) async fn conclude(
        &self,
        item: &Incoming<'_>,
        kind: String,
        result: Result<&'static str, ApplyError>,
    ) -> RecordResult {
        let (id, trace_id) = (item.message_id(), item.trace_id());
        match result {
            Ok(outcome) => {
                tracing::info!(message_id = %id, %trace_id, %kind, outcome, "command done");
                RecordResult::Done { kind, outcome }
            }
            Err(
                e @ (ApplyError::Retryable { .. }
                | ApplyError::MissingCompany(_)
                | ApplyError::MissingParent(_)
                | ApplyError::Missing { .. }),
            ) => {
                let reason = e.to_string();
                tracing::warn!(message_id = %id, %trace_id, %kind, outcome = "retry", %reason, "command will be retried");
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
            Err(ApplyError::Permanent(reason)) => self.dead_letter(item, kind, reason, None).await,
            Err(ApplyError::PartlyApplied { reason, remainder }) => {
                self.dead_letter(item, kind, reason, Some(remainder)).await
            }
        }
    }

    /// Parks `item` in the dead-letter queue ([`DeadLetter`]) with its reason, trace id and
    /// body (or, for a command applied in part, `remainder`: the command with only what was
    /// refused, so a redrive applies that and nothing twice); when the queue cannot take it, it
    /// stays on the inbound queue (retried) instead. An item of an array is remembered as
    /// parked, so the redeliveries of its message for the other items skip it.
    pub(super) async fn dead_letter(
        &self,
        item: &Incoming<'_>,
        kind: String,
        reason: String,
        remainder: Option<String>,
    ) -> RecordResult {
        let (id, trace_id) = (item.message_id().to_owned(), item.trace_id());
        let letter = DeadLetter {
            error: reason.clone(),
            kind: kind.clone(),
            message_id: id.clone(),
            failed_at: now_secs(),
            receive_count: item
                .record
                .attributes
                .get("ApproximateReceiveCount")
                .cloned(),
            partly_applied: remainder.is_some(),
            original: remainder.unwrap_or_else(|| item.body.clone().into_owned()),
            index: item.index,
            trace_id: Some(trace_id.clone()),
        };
        let mut msg = OutgoingMessage::new("0", letter.to_json());
        if let Some(group) = item.record.attributes.get("MessageGroupId") {
            let dedup = match item.index {
                Some(i) => format!("dlq-{id}-{i}"),
                None => format!("dlq-{id}"),
            };
            msg.group_id = Some(group.clone());
            msg.dedup_id = Some(dedup.chars().take(128).collect());
        }
        match self.dead_letters.send_all(std::slice::from_ref(&msg)).await {
            Ok(()) => {
                tracing::error!(message_id = %id, %trace_id, %kind, outcome = "dead_lettered", %reason, "command refused permanently");
                self.remember_parked(item).await;
                RecordResult::DeadLettered { kind, reason }
            }
            Err(e) => {
                tracing::error!(message_id = %id, %trace_id, %kind, error = %e, %reason, "dead-letter queue unavailable; leaving the message on the queue");
                RecordResult::Retry {
                    kind,
                    reason: format!("{reason} (dead-letter queue unavailable: {e})"),
                    after: None,
                    missing_company: false,
                }
            }
        }
    }

    /// Records that `item`, an item of an array, was dead-lettered; a record that cannot be
    /// written is logged (a redelivery may then dead-letter it twice, never lose it).
    async fn remember_parked(&self, item: &Incoming<'_>) {
        let Some(key) = item.parked_key() else {
            return;
        };
        if let Err(e) = self.engine.context.state.claim(&key, PARKED_TTL).await {
            tracing::warn!(%key, error = %e, "dead-lettered item not recorded; a redelivery of its message may dead-letter it again");
        }
    }
}
