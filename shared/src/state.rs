//! The state table (DynamoDB): dedupe keys with a TTL, so a delivery is acted on once.
//!
//! One table, partition key `pk` (string), TTL attribute `expires_at` (unix seconds). Items:
//! `dedupe#{key}`. Expired items that DynamoDB has not deleted yet count as absent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::BoxFuture;

/// The table's partition key attribute.
pub const PARTITION_KEY: &str = "pk";
/// The table's TTL attribute.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Whether a key was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First sight: act on it.
    New,
    /// Seen before (within the TTL): do not act again.
    Duplicate,
}

/// The state table could not be used (retryable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state table unavailable: {0}")]
pub struct StateError(pub String);

/// Records which keys were seen.
pub trait DedupeStore: Send + Sync + 'static {
    /// Claims `key` for `ttl`, atomically: exactly one concurrent caller gets [`Claim::New`].
    fn claim<'a>(&'a self, key: &'a str, ttl: Duration)
        -> BoxFuture<'a, Result<Claim, StateError>>;
    /// Forgets `key`, so a redelivery is acted on (after a failure to act).
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>>;
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// [`DedupeStore`] on a DynamoDB table (or moto through `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone)]
pub struct DynamoState {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoState {
    /// The state store in `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn describe<E: std::error::Error + 'static>(e: &E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()
}

impl DedupeStore for DynamoState {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StateError>> {
        Box::pin(async move {
            let now = now_secs();
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(PARTITION_KEY, AttributeValue::S(format!("dedupe#{key}")))
                .item(
                    TTL_ATTRIBUTE,
                    AttributeValue::N((now + ttl.as_secs() as i64).to_string()),
                )
                .condition_expression("attribute_not_exists(#pk) OR #exp < :now")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#exp", TTL_ATTRIBUTE)
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .send()
                .await;
            match result {
                Ok(_) => Ok(Claim::New),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(Claim::Duplicate)
                }
                Err(e) => Err(StateError(describe(&e))),
            }
        })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, AttributeValue::S(format!("dedupe#{key}")))
                .send()
                .await
                .map(drop)
                .map_err(|e| StateError(describe(&e)))
        })
    }
}
