//! The dead-letter wrapper: what the worker parks in the dead-letter queue for a message it
//! refused (the reason, what it was, where it came from, and the body to send again).
//!
//! A wrapper that comes back to the inbound queue as it is (the SQS console's "Start DLQ
//! redrive" moves bodies unchanged) is recognised ([`DeadLetter::open`]) and its `original` is
//! processed: the command, or for a command applied in part its remainder. A wrapper whose
//! original is refused again is dead-lettered again with the new reason around the same
//! original, never around the wrapper. `make redrive` sends the original itself.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// How many wrappers deep a body is opened (a wrapper around a wrapper comes only from workers
/// that did not recognise their own).
const MAX_DEPTH: usize = 8;

/// A dead letter, as the worker writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Why the message was refused: the reason users read.
    pub error: String,
    /// What it was, as far as known (a command type, `webhook:{scope}`, `unknown`).
    #[serde(default)]
    pub kind: String,
    /// The SQS message id it came in.
    #[serde(default)]
    pub message_id: String,
    /// When it was refused (unix seconds).
    #[serde(default)]
    pub failed_at: i64,
    /// The message's `ApproximateReceiveCount` then.
    #[serde(default, deserialize_with = "lenient_text")]
    pub receive_count: Option<String>,
    /// The body to process again: the message's, an array item's, or, for a command applied in
    /// part, the command with only what was refused.
    pub original: String,
    /// Whether the command was applied in part (`original` is then the remainder).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partly_applied: bool,
    /// Its position in the array of commands the message held, when it held one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The id that follows the command from its sender (see [`crate::Command::trace_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// A string, or a number as text; anything else as absent.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl DeadLetter {
    /// The wrapper `value` is, if it is one: an object with a string `error` and a string
    /// `original`, and no `type` (which every message has; a command's schema refuses both
    /// fields).
    pub fn recognise(value: &Value) -> Option<Self> {
        let fields = value.as_object()?;
        let shaped = !fields.contains_key("type")
            && fields.get("error").is_some_and(Value::is_string)
            && fields.get("original").is_some_and(Value::is_string);
        if !shaped {
            return None;
        }
        serde_json::from_value(value.clone()).ok()
    }

    /// The wrapper `value` is, opened down to the message it holds: its `original` is the
    /// innermost (through wrappers of wrappers), its trace id the first one found; `None` when
    /// `value` is no wrapper.
    pub fn open(value: &Value) -> Option<Self> {
        let mut outer = Self::recognise(value)?;
        for _ in 0..MAX_DEPTH {
            let Ok(held) = serde_json::from_str::<Value>(&outer.original) else {
                break;
            };
            let Some(inner) = Self::recognise(&held) else {
                break;
            };
            outer.original = inner.original;
            outer.partly_applied |= inner.partly_applied;
            outer.trace_id = outer.trace_id.or(inner.trace_id);
        }
        Some(outer)
    }

    /// The dead letter as the queue carries it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wrapper(original: &str) -> Value {
        json!({"error": "bad", "kind": "company.upsert", "message_id": "m1", "failed_at": 1,
            "receive_count": "1", "original": original})
    }

    #[test]
    fn a_wrapper_is_recognised_and_a_message_is_not() {
        let dl = DeadLetter::recognise(&wrapper("{\"type\":\"x\"}")).unwrap();
        assert_eq!(dl.original, "{\"type\":\"x\"}");
        assert_eq!(dl.receive_count.as_deref(), Some("1"));
        // What the worker writes reads back the same.
        let again: Value = serde_json::from_str(&dl.to_json()).unwrap();
        assert_eq!(DeadLetter::recognise(&again), Some(dl));
        for not in [
            json!({"type": "company.upsert", "error": "x", "original": "y"}),
            json!({"error": "x"}),
            json!({"error": "x", "original": 5}),
            json!([wrapper("{}")]),
            json!("text"),
        ] {
            assert_eq!(DeadLetter::recognise(&not), None, "{not}");
        }
        let mut numbered = wrapper("{}");
        numbered["receive_count"] = json!(3);
        assert_eq!(
            DeadLetter::recognise(&numbered)
                .unwrap()
                .receive_count
                .as_deref(),
            Some("3")
        );
    }

    #[test]
    fn a_wrapper_of_wrappers_opens_to_the_innermost_original() {
        let mut inner = wrapper("{\"type\":\"company.upsert\"}");
        inner["trace_id"] = json!("t-1");
        let outer = wrapper(&inner.to_string());
        let opened = DeadLetter::open(&outer).unwrap();
        assert_eq!(opened.original, "{\"type\":\"company.upsert\"}");
        assert_eq!(opened.trace_id.as_deref(), Some("t-1"));
        assert_eq!(opened.message_id, "m1");
        assert_eq!(
            DeadLetter::open(&wrapper("not json")).unwrap().original,
            "not json"
        );
    }
}
