//! Dead letters per store in the state table, for the store's status page: how many of its
//! records were parked in the dead-letter queue, and the last one's time and reason.
//!
//! Item `deadletters#{hash}`: `count` (a number the worker `ADD`s to, once per store per batch,
//! after the dead-letter queue took the records), `last_at` (unix seconds) and `last_reason`.
//! The count is of records parked since the store was first served; a redrive does not lower
//! it. A worker that dies between parking a record and counting it leaves it uncounted, and one
//! that dies after counting but before acknowledging parks and counts the redelivery again: the
//! queue itself is the record, this is the signal that something needs looking at.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::BoxFuture;

use crate::state::{describe, DynamoState, MemoryState, StateError, PARTITION_KEY};
pub use crate::state::{DeadLetterCounts, DeadLetters};

/// How much of a reason is kept (a page shows it, the queue keeps it whole).
const REASON_CHARS: usize = 300;

fn counter_key(store_hash: &str) -> String {
    format!("deadletters#{store_hash}")
}

fn shortened(reason: &str) -> String {
    reason.chars().take(REASON_CHARS).collect()
}

fn parse_counter(
    store_hash: &str,
    item: &HashMap<String, AttributeValue>,
) -> Result<DeadLetters, StateError> {
    let bad = |name: &str| {
        StateError(format!(
            "dead-letter count of `{store_hash}` has no `{name}`"
        ))
    };
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .ok_or_else(|| bad(name))
    };
    Ok(DeadLetters {
        count: number("count")?.parse().map_err(|_| bad("count"))?,
        last_at: number("last_at")?.parse().map_err(|_| bad("last_at"))?,
        last_reason: item
            .get("last_reason")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| bad("last_reason"))?,
    })
}

impl DeadLetterCounts for DynamoState {
    fn add_dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
        count: u64,
        at: i64,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.client()
                .update_item()
                .table_name(self.table())
                .key(PARTITION_KEY, AttributeValue::S(counter_key(store_hash)))
                .update_expression("ADD #count :n SET last_at = :t, last_reason = :r")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":n", AttributeValue::N(count.to_string()))
                .expression_attribute_values(":t", AttributeValue::N(at.to_string()))
                .expression_attribute_values(":r", AttributeValue::S(shortened(reason)))
                .send()
                .await
                .map(drop)
                .map_err(|e| StateError(describe(&e)))
        })
    }

    fn dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<DeadLetters>, StateError>> {
        Box::pin(async move {
            let item = self.item(&counter_key(store_hash)).await?;
            item.map(|item| parse_counter(store_hash, &item))
                .transpose()
        })
    }
}

/// The dead-letter part of [`MemoryState`].
#[derive(Debug, Default)]
pub struct MemoryDeadLetters {
    counts: Mutex<HashMap<String, DeadLetters>>,
}

impl DeadLetterCounts for MemoryState {
    fn add_dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
        count: u64,
        at: i64,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            let part = self.part::<MemoryDeadLetters>();
            let mut counts = part.counts.lock().unwrap_or_else(|e| e.into_inner());
            let entry = counts.entry(store_hash.to_owned()).or_insert(DeadLetters {
                count: 0,
                last_at: at,
                last_reason: String::new(),
            });
            entry.count += count;
            entry.last_at = at;
            entry.last_reason = shortened(reason);
            Ok(())
        })
    }

    fn dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<DeadLetters>, StateError>> {
        Box::pin(async move {
            self.check()?;
            let part = self.part::<MemoryDeadLetters>();
            let counts = part.counts.lock().unwrap_or_else(|e| e.into_inner());
            Ok(counts.get(store_hash).cloned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_add_up_per_store_and_keep_the_last_reason() {
        let state = MemoryState::default();
        assert_eq!(state.dead_letters("abc123").await.unwrap(), None);
        state
            .add_dead_letters("abc123", 2, 100, "unknown SKU `X`")
            .await
            .unwrap();
        state
            .add_dead_letters("abc123", 1, 200, &"r".repeat(400))
            .await
            .unwrap();
        state
            .add_dead_letters("def456", 5, 150, "other")
            .await
            .unwrap();
        let a = state.dead_letters("abc123").await.unwrap().unwrap();
        assert_eq!((a.count, a.last_at, a.last_reason.len()), (3, 200, 300));
        assert_eq!(
            state.dead_letters("def456").await.unwrap().unwrap().count,
            5
        );
    }

    #[test]
    fn a_counter_item_missing_a_field_is_named() {
        let item = HashMap::from([
            ("count".to_owned(), AttributeValue::N("4".into())),
            ("last_at".to_owned(), AttributeValue::N("9".into())),
        ]);
        let e = parse_counter("abc123", &item).unwrap_err();
        assert!(e.0.contains("`last_reason`"), "{e}");
    }
}
