//! A record's body read once, into the items the batch works with:
//!
//! - one message: one item;
//! - an array of messages (what the command schema allows a body to hold): one item per
//!   element, each processed or refused on its own, in order (a FIFO group keeps it);
//! - the worker's own dead letter sent back as it is (the SQS console's redrive): opened, and
//!   its original read as above, keeping the dead letter's trace id.
//!
//! Each item is then parsed: the field mapping for raw source-system records, then the message
//! schema. Items of an array dead-lettered on an earlier receive of their message are left out
//! (see [`Worker::incoming`]).

use std::borrow::Cow;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use b2b_commands::{DeadLetter, InboundMessage};
use serde_json::Value;

use super::record::{Incoming, Parsed, Refused};
use super::Worker;

impl Worker {
    /// The items of `event`'s records, less the items of arrays that an earlier receive of
    /// their message dead-lettered already.
    pub(super) async fn incoming<'r>(&self, event: &'r SqsEvent) -> Vec<Incoming<'r>> {
        let mut out = Vec::with_capacity(event.records.len());
        for item in event.records.iter().flat_map(|r| self.parse(r)) {
            if item.receives() != 1 && self.parked_before(&item).await {
                tracing::info!(message_id = %item.message_id(), trace_id = %item.trace_id(), outcome = "parked_before", "item of an array dead-lettered on an earlier receive; skipped");
                continue;
            }
            out.push(item);
        }
        out
    }

    /// Whether `item`, an item of an array, was dead-lettered on an earlier receive (when the
    /// table cannot say: not, so it is processed again and never lost).
    async fn parked_before(&self, item: &Incoming<'_>) -> bool {
        let Some(key) = item.parked_key() else {
            return false;
        };
        match self.engine.context.state.is_claimed(&key).await {
            Ok(parked) => parked,
            Err(e) => {
                tracing::warn!(%key, error = %e, "could not read whether an item was dead-lettered before; processing it");
                false
            }
        }
    }

    /// Reads a record's body into its items (see the module documentation).
    pub(super) fn parse<'r>(&self, record: &'r SqsMessage) -> Vec<Incoming<'r>> {
        let text = record.body.as_deref().unwrap_or("");
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return vec![unreadable(record, Cow::Borrowed(text), None, &e)],
        };
        let Some(letter) = DeadLetter::open(&value) else {
            return self.items(record, Cow::Borrowed(text), value, None);
        };
        tracing::info!(message_id = ?record.message_id, trace_id = ?letter.trace_id, previous_error = %letter.error,
            "a dead letter came back: processing its original");
        let trace = letter.trace_id;
        match serde_json::from_str::<Value>(&letter.original) {
            Ok(v) => self.items(record, Cow::Owned(letter.original), v, trace),
            Err(e) => vec![unreadable(record, Cow::Owned(letter.original), trace, &e)],
        }
    }

    /// The items of a body: one per element of an array, else the body itself.
    fn items<'r>(
        &self,
        record: &'r SqsMessage,
        body: Cow<'r, str>,
        value: Value,
        carried_trace: Option<String>,
    ) -> Vec<Incoming<'r>> {
        let items = match value {
            Value::Array(items) if items.is_empty() => {
                let reason = "an empty array holds no message: send one message, or an array of at least one";
                return vec![Incoming {
                    record,
                    index: None,
                    body,
                    carried_trace,
                    message: Err(Refused {
                        kind: "unknown".into(),
                        store: None,
                        trace: None,
                        reason: reason.into(),
                    }),
                }];
            }
            Value::Array(items) => items,
            value => {
                return vec![Incoming {
                    record,
                    index: None,
                    body,
                    carried_trace,
                    message: self.parse_message(value),
                }]
            }
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, value)| Incoming {
                record,
                index: Some(i),
                body: Cow::Owned(value.to_string()),
                carried_trace: carried_trace.clone(),
                message: self.parse_message(value),
            })
            .collect()
    }

    /// Reads one message: the field mapping for raw source-system records, then the message
    /// schema.
    fn parse_message(&self, value: Value) -> Result<Parsed, Refused> {
        let store = value
            .get("store_hash")
            .and_then(Value::as_str)
            .and_then(|s| bigcommerce_b2b::StoreHash::parse(s).ok());
        let trace = sent_trace(&value);
        let refused = |kind: &str, reason: String| Refused {
            kind: kind.to_owned(),
            store: store.clone(),
            trace: trace.clone(),
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
}

/// The one item of a body that is not JSON.
fn unreadable<'r>(
    record: &'r SqsMessage,
    body: Cow<'r, str>,
    carried_trace: Option<String>,
    e: &serde_json::Error,
) -> Incoming<'r> {
    Incoming {
        record,
        index: None,
        body,
        carried_trace,
        message: Err(Refused {
            kind: "unknown".to_owned(),
            store: None,
            trace: None,
            reason: format!("not valid JSON: {e}"),
        }),
    }
}

/// The `trace_id` a body that is no valid message names, when it is one the schema would take
/// (1 to 128 printable characters without spaces): its dead letter and log lines carry it.
fn sent_trace(value: &Value) -> Option<String> {
    let trace = value.get("trace_id")?.as_str()?;
    let fits = (1..=128).contains(&trace.len()) && trace.bytes().all(|b| b.is_ascii_graphic());
    fits.then(|| trace.to_owned())
}
