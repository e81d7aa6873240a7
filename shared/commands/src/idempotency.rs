//! An idempotency key bound to its command's content, as Stripe binds a key to its request: the
//! first command sent with a key fixes what the key means for [`KEY_TTL`]; the identical
//! command sent again is a replay (applied once), and any other command with the same key is
//! refused naming `idempotency_key`, never skipped.
//!
//! The binding ([`KeyBinding`]: the content digest, with the command's type and external id to
//! name it) is a small JSON record in the state table under [`Command::key_record`]. The worker
//! writes it before it applies the command, so a worker killed between its write to BigCommerce
//! and its done marker leaves the key bound: the redelivery of the same command is applied, any
//! other is refused. `POST /inbound` reads it, to answer 409 when it already knows.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Command;

/// How long a key stays bound to its first command (as long as a done marker lets a replay
/// skip). After that the key may be used again.
pub const KEY_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What an idempotency key was first used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBinding {
    /// The first command's [`Command::content_digest`].
    pub digest: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its external id.
    pub external_id: String,
    /// When the binding ends (unix seconds).
    pub expires_at: i64,
}

impl Command {
    /// The state-table record of this command's idempotency key (`idem#{store}#{key}`), when it
    /// has one.
    pub fn key_record(&self) -> Option<String> {
        self.idempotency_key
            .as_ref()
            .map(|k| format!("idem#{}#{k}", self.store_hash))
    }
}

impl KeyBinding {
    /// `cmd`'s key bound to `cmd`, from `now` (unix seconds) for [`KEY_TTL`].
    pub fn of(cmd: &Command, now: i64) -> Self {
        Self {
            digest: cmd.content_digest(),
            kind: cmd.kind().to_owned(),
            external_id: cmd.external_id.clone(),
            expires_at: now + KEY_TTL.as_secs() as i64,
        }
    }

    /// The binding a state-table record holds, if it is one and still holds at `now`.
    pub fn from_record(record: &Value, now: i64) -> Option<Self> {
        serde_json::from_value::<Self>(record.clone())
            .ok()
            .filter(|b| b.expires_at > now)
    }

    /// The record to keep in the state table.
    pub fn to_record(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Why `cmd` is refused under this binding of its key: `None` when it is the command the key
    /// was first used for.
    pub fn refusal(&self, cmd: &Command) -> Option<String> {
        if cmd.content_digest() == self.digest {
            return None;
        }
        let key = cmd.idempotency_key.as_deref().unwrap_or_default();
        let days = KEY_TTL.as_secs() / 86_400;
        Some(format!(
            "`idempotency_key` `{key}` was used before for another command ({} `{}`, other \
             content); a key stands for one command for {days} days: send the same command to \
             replay it, or a changed command with a new `idempotency_key`",
            self.kind, self.external_id
        ))
    }
}

/// The commands of `batch` whose key an earlier one of the batch used with other content: each
/// one's index and why it is refused.
pub fn reused_keys(batch: &[Command]) -> Vec<(usize, String)> {
    let mut first: Vec<(String, KeyBinding)> = Vec::new();
    let mut out = Vec::new();
    for (index, cmd) in batch.iter().enumerate() {
        let Some(record) = cmd.key_record() else {
            continue;
        };
        match first.iter().find(|(r, _)| *r == record) {
            Some((_, bound)) => out.extend(bound.refusal(cmd).map(|why| (index, why))),
            None => first.push((record, KeyBinding::of(cmd, 0))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keyed(external_id: &str, key: &str) -> Command {
        Command::from_value(json!({"type": "company.status", "version": 1,
            "store_hash": "abc123", "external_id": external_id, "status": "inactive",
            "idempotency_key": key}))
        .unwrap()
    }

    #[test]
    fn a_key_binds_its_first_command_only() {
        let first = keyed("C-1", "k");
        assert_eq!(first.key_record().as_deref(), Some("idem#abc123#k"));
        let bound = KeyBinding::of(&first, 100);
        assert_eq!(bound.refusal(&first), None);
        let mut traced = first.clone();
        traced.trace_id = Some("another-trace".into());
        assert_eq!(bound.refusal(&traced), None, "a trace id is not content");
        let why = bound.refusal(&keyed("C-2", "k")).unwrap();
        assert!(
            why.starts_with(
                "`idempotency_key` `k` was used before for another command (company.status `C-1`"
            ),
            "{why}"
        );
    }

    #[test]
    fn a_binding_is_read_back_until_it_expires() {
        let bound = KeyBinding::of(&keyed("C-1", "k"), 100);
        let record = bound.to_record();
        assert_eq!(KeyBinding::from_record(&record, 101), Some(bound.clone()));
        assert_eq!(KeyBinding::from_record(&record, bound.expires_at), None);
        assert_eq!(KeyBinding::from_record(&json!({"position": 3}), 101), None);
    }

    #[test]
    fn a_batch_reusing_a_key_names_each_later_command() {
        let batch = [
            keyed("C-1", "k"),
            keyed("C-1", "k"),
            keyed("C-2", "k"),
            keyed("C-2", "j"),
        ];
        let reused = reused_keys(&batch);
        assert_eq!(reused.len(), 1, "{reused:?}");
        assert_eq!(reused[0].0, 2);
        let unkeyed = Command::from_value(json!({"type": "company.status", "version": 1,
            "store_hash": "abc123", "external_id": "C-1", "status": "inactive"}))
        .unwrap();
        assert!(reused_keys(&[unkeyed.clone(), unkeyed]).is_empty());
    }
}
