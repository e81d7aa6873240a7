//! The state table (DynamoDB): claims with a TTL (webhook dedupe, command leases and done
//! markers) and the map from external ids to BigCommerce ids.
//!
//! One table, partition key `pk` (string), TTL attribute `expires_at` (unix seconds). Items:
//! `dedupe#{key}` (a claim; attribute `status` `in_progress` or `completed` for the two-step
//! records of [`DedupeStore::begin`]), `idmap#{key}` (attribute `id`), `wm#{key}` (an export
//! position, attribute `value`, JSON) and `deadletters#{store}` (see
//! [`crate::stores::dead_letters`]). Expired claims that DynamoDB has not deleted yet count as
//! absent. [`MemoryState`] behaves the same in memory, for tests and local runs.
//!
//! This module holds what every state store offers (the traits, their answers and error, the
//! table's keys); [`DynamoState`] and [`MemoryState`] implement them in their own modules. The
//! store registry and the dead-letter counts ([`crate::stores`]) are records of the same table:
//! they build on these, and nothing here knows them.

mod dynamo;
mod memory;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

pub(crate) use dynamo::describe;
pub use dynamo::DynamoState;
pub use memory::MemoryState;

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

/// What [`DedupeStore::begin`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Nothing live: the key is now `in_progress` for this caller, who must
    /// [`complete`](DedupeStore::complete) or [`release`](DedupeStore::release) it.
    Started,
    /// Another caller is acting on it now (or died doing so, and its record has not expired).
    InProgress,
    /// It was done before (within the TTL): do not act again.
    Completed,
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
    /// Whether `key` is claimed now (without claiming it).
    fn is_claimed<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>>;
    /// The first of two steps (the idempotency pattern of Powertools for AWS Lambda): marks
    /// `key` `in_progress` for `in_progress` (longer than the caller can live), atomically,
    /// unless a live record exists. An `in_progress` record whose time has passed belongs to a
    /// caller that died: it is taken over. A record without a status (a plain
    /// [`claim`](Self::claim)) counts as completed.
    fn begin<'a>(
        &'a self,
        key: &'a str,
        in_progress: Duration,
    ) -> BoxFuture<'a, Result<Begin, StateError>>;
    /// The second step: `key` is `completed` for `ttl`, after the act succeeded.
    fn complete<'a>(&'a self, key: &'a str, ttl: Duration)
        -> BoxFuture<'a, Result<(), StateError>>;
}

/// Maps external ids to BigCommerce ids.
pub trait IdMap: Send + Sync + 'static {
    /// The BigCommerce id recorded for `key`, if any.
    fn get_id<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<i64>, StateError>>;
    /// Records `id` for `key`.
    fn put_id<'a>(&'a self, key: &'a str, id: i64) -> BoxFuture<'a, Result<(), StateError>>;
}

/// Export positions and other small JSON records (`wm#{key}`, attribute `value`: a JSON
/// document), such as the cXML purchase order an order came from.
pub trait Watermarks: Send + Sync + 'static {
    /// The saved position for `key`, if any.
    fn get_watermark<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, StateError>>;
    /// Saves the position for `key`.
    fn put_watermark<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), StateError>>;
    /// Saves a record for `key` that the table deletes some time after `expires_at` (unix
    /// seconds; DynamoDB's TTL lags, so readers check an expiry kept in the value itself).
    fn put_watermark_until<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StateError>>;
}

/// One store's dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetters {
    /// Records parked for it.
    pub count: u64,
    /// When the last one was parked (unix seconds).
    pub last_at: i64,
    /// Why the last one was refused (its first 300 characters).
    pub last_reason: String,
}

/// Counts each store's dead letters.
pub trait DeadLetterCounts: Send + Sync + 'static {
    /// Adds `count` parked records to `store_hash`'s count, the last parked at `at` for `reason`.
    fn add_dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
        count: u64,
        at: i64,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>>;
    /// `store_hash`'s dead letters; `None` when it never had one.
    fn dead_letters<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<DeadLetters>, StateError>>;
}

/// Everything the state table offers.
pub trait StateStore: DedupeStore + IdMap + Watermarks + DeadLetterCounts {}
impl<T: DedupeStore + IdMap + Watermarks + DeadLetterCounts> StateStore for T {}

/// Now, in unix seconds.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Whole seconds, rounded up (a record never expires before the time asked).
pub(crate) fn ceil_secs(d: Duration) -> i64 {
    (d.as_millis().div_ceil(1000)) as i64
}
