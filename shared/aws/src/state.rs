//! The state table (DynamoDB): claims with a TTL (webhook dedupe, command leases and done
//! markers) and the map from external ids to BigCommerce ids.
//!
//! One table, partition key `pk` (string), TTL attribute `expires_at` (unix seconds). Items:
//! `dedupe#{key}` (a claim; attribute `status` `in_progress` or `completed` for the two-step
//! records of [`DedupeStore::begin`]), `idmap#{key}` (attribute `id`), `wm#{key}` (an export
//! position, attribute `value`, JSON) and `deadletters#{store}` (see
//! [`crate::stores::dead_letters`]). Expired claims that DynamoDB has not deleted yet count as
//! absent. [`MemoryState`] behaves the same in memory, for tests and local runs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::BoxFuture;

pub use crate::stores::dead_letters::{DeadLetterCounts, DeadLetters};

/// The table's partition key attribute.
pub const PARTITION_KEY: &str = "pk";
/// The table's TTL attribute.
pub const TTL_ATTRIBUTE: &str = "expires_at";
const ID_ATTRIBUTE: &str = "id";
const VALUE_ATTRIBUTE: &str = "value";
const STATUS_ATTRIBUTE: &str = "status";
const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

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

/// Everything the state table offers.
pub trait StateStore: DedupeStore + IdMap + Watermarks + DeadLetterCounts {}
impl<T: DedupeStore + IdMap + Watermarks + DeadLetterCounts> StateStore for T {}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// [`StateStore`] on a DynamoDB table (or moto through `AWS_ENDPOINT_URL`).
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

impl DynamoState {
    /// Writes the record of `key` for `ttl`, with `status` when given, unless a live one exists
    /// (a conditional write: exactly one concurrent caller succeeds). Whether it was written.
    async fn put_unless_live(
        &self,
        key: &str,
        ttl: Duration,
        status: Option<&str>,
    ) -> Result<bool, StateError> {
        let now = now_secs();
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, AttributeValue::S(format!("dedupe#{key}")))
            .item(
                TTL_ATTRIBUTE,
                AttributeValue::N((now + ceil_secs(ttl)).to_string()),
            );
        if let Some(status) = status {
            put = put.item(STATUS_ATTRIBUTE, AttributeValue::S(status.to_owned()));
        }
        let result = put
            .condition_expression("attribute_not_exists(#pk) OR #exp < :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#exp", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StateError(describe(&e))),
        }
    }
}

impl DedupeStore for DynamoState {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StateError>> {
        Box::pin(async move {
            Ok(match self.put_unless_live(key, ttl, None).await? {
                true => Claim::New,
                false => Claim::Duplicate,
            })
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

    fn is_claimed<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>> {
        Box::pin(self.claimed(key))
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
        in_progress: Duration,
    ) -> BoxFuture<'a, Result<Begin, StateError>> {
        Box::pin(async move {
            if self
                .put_unless_live(key, in_progress, Some(IN_PROGRESS))
                .await?
            {
                Ok(Begin::Started)
            } else {
                self.existing(key).await
            }
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.client
                .put_item()
                .table_name(&self.table)
                .item(PARTITION_KEY, AttributeValue::S(format!("dedupe#{key}")))
                .item(STATUS_ATTRIBUTE, AttributeValue::S(COMPLETED.into()))
                .item(
                    TTL_ATTRIBUTE,
                    AttributeValue::N((now_secs() + ceil_secs(ttl)).to_string()),
                )
                .send()
                .await
                .map(drop)
                .map_err(|e| StateError(describe(&e)))
        })
    }
}

/// Whole seconds, rounded up (a record never expires before the time asked).
fn ceil_secs(d: Duration) -> i64 {
    (d.as_millis().div_ceil(1000)) as i64
}

impl DynamoState {
    /// The table's name.
    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// The DynamoDB client.
    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// The item `pk`, read consistently; `None` when it is absent.
    pub(crate) async fn item(
        &self,
        pk: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StateError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(pk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StateError(describe(&e)))?;
        Ok(out.item)
    }

    /// One attribute of the item `pk`, read consistently; `None` when the item or attribute is absent.
    async fn attribute(&self, pk: &str, name: &str) -> Result<Option<AttributeValue>, StateError> {
        Ok(self.item(pk).await?.and_then(|mut item| item.remove(name)))
    }

    /// What the live record of `key` that refused a [`begin`](DedupeStore::begin) says. One that
    /// vanished or expired since counts as in progress: the caller retries, and takes it then.
    async fn existing(&self, key: &str) -> Result<Begin, StateError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(format!("dedupe#{key}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StateError(describe(&e)))?
            .item
            .unwrap_or_default();
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let expires = item
            .get(TTL_ATTRIBUTE)
            .and_then(|v| v.as_n().ok().and_then(|n| n.parse::<i64>().ok()));
        let live = expires.is_some_and(|exp| exp >= now_secs());
        if live && text(STATUS_ATTRIBUTE).as_deref() != Some(IN_PROGRESS) {
            Ok(Begin::Completed)
        } else {
            Ok(Begin::InProgress)
        }
    }

    async fn claimed(&self, key: &str) -> Result<bool, StateError> {
        let attribute = self
            .attribute(&format!("dedupe#{key}"), TTL_ATTRIBUTE)
            .await?;
        let expires = attribute.and_then(|v| v.as_n().ok().and_then(|n| n.parse::<i64>().ok()));
        Ok(expires.is_some_and(|exp| exp >= now_secs()))
    }
}

impl IdMap for DynamoState {
    fn get_id<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<i64>, StateError>> {
        Box::pin(async move {
            let attribute = self
                .attribute(&format!("idmap#{key}"), ID_ATTRIBUTE)
                .await?;
            Ok(attribute.and_then(|v| v.as_n().ok().and_then(|n| n.parse().ok())))
        })
    }

    fn put_id<'a>(&'a self, key: &'a str, id: i64) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.client
                .put_item()
                .table_name(&self.table)
                .item(PARTITION_KEY, AttributeValue::S(format!("idmap#{key}")))
                .item(ID_ATTRIBUTE, AttributeValue::N(id.to_string()))
                .send()
                .await
                .map(drop)
                .map_err(|e| StateError(describe(&e)))
        })
    }
}

impl Watermarks for DynamoState {
    fn get_watermark<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, StateError>> {
        Box::pin(async move {
            let attribute = self
                .attribute(&format!("wm#{key}"), VALUE_ATTRIBUTE)
                .await?;
            let Some(raw) = attribute else {
                return Ok(None);
            };
            let text = raw
                .as_s()
                .map_err(|_| StateError(format!("watermark `{key}` is not a string")))?;
            serde_json::from_str(text)
                .map(Some)
                .map_err(|e| StateError(format!("watermark `{key}` is not JSON: {e}")))
        })
    }

    fn put_watermark<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(self.put_record(key, value, None))
    }

    fn put_watermark_until<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(self.put_record(key, value, Some(expires_at)))
    }
}

impl DynamoState {
    /// Writes the record `wm#{key}`, deleted by the table's TTL after `expires_at` if given.
    async fn put_record(
        &self,
        key: &str,
        value: &serde_json::Value,
        expires_at: Option<i64>,
    ) -> Result<(), StateError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, AttributeValue::S(format!("wm#{key}")))
            .item(VALUE_ATTRIBUTE, AttributeValue::S(value.to_string()));
        if let Some(at) = expires_at {
            put = put.item(TTL_ATTRIBUTE, AttributeValue::N(at.to_string()));
        }
        put.send()
            .await
            .map(drop)
            .map_err(|e| StateError(describe(&e)))
    }
}

/// [`StateStore`] in memory. `fail` makes every call fail, to test outages.
#[derive(Debug, Default)]
pub struct MemoryState {
    /// Key → (expiry, still in progress).
    claims: Mutex<HashMap<String, (i64, bool)>>,
    ids: Mutex<HashMap<String, i64>>,
    watermarks: Mutex<HashMap<String, serde_json::Value>>,
    registry: crate::stores::registry::MemoryRegistry,
    dead_letters: crate::stores::dead_letters::MemoryDeadLetters,
    /// When true, every call fails with a [`StateError`].
    pub fail: std::sync::atomic::AtomicBool,
}

impl MemoryState {
    /// The store registry's records and index.
    pub(crate) fn registry(&self) -> &crate::stores::registry::MemoryRegistry {
        &self.registry
    }

    /// Each store's dead-letter count.
    pub(crate) fn dead_letter_counts(&self) -> &crate::stores::dead_letters::MemoryDeadLetters {
        &self.dead_letters
    }

    /// The record saved under `key`, if any (for tests: no failure simulated).
    pub fn watermark(&self, key: &str) -> Option<serde_json::Value> {
        self.watermarks.lock().ok()?.get(key).cloned()
    }

    /// How many records are saved (for tests).
    pub fn watermark_count(&self) -> usize {
        self.watermarks.lock().map(|w| w.len()).unwrap_or(0)
    }

    pub(crate) fn check(&self) -> Result<(), StateError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            Err(StateError("state table down (simulated)".into()))
        } else {
            Ok(())
        }
    }

    /// Number of live claims (for tests).
    pub fn claims(&self) -> usize {
        let now = now_secs();
        self.claims
            .lock()
            .map(|c| c.values().filter(|(exp, _)| *exp >= now).count())
            .unwrap_or(0)
    }
}

impl MemoryState {
    /// Records `key` for `ttl` (in progress or not) unless a live record exists; returns the
    /// live record's in-progress flag when one does.
    fn put_unless_live(
        &self,
        key: &str,
        ttl: Duration,
        in_progress: bool,
    ) -> Result<Option<bool>, StateError> {
        self.check()?;
        let now = now_secs();
        let mut claims = self
            .claims
            .lock()
            .map_err(|_| StateError("poisoned".into()))?;
        match claims.get(key) {
            Some((exp, live_in_progress)) if *exp >= now => Ok(Some(*live_in_progress)),
            _ => {
                claims.insert(key.to_owned(), (now + ceil_secs(ttl), in_progress));
                Ok(None)
            }
        }
    }
}

impl DedupeStore for MemoryState {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StateError>> {
        Box::pin(async move {
            Ok(match self.put_unless_live(key, ttl, false)? {
                None => Claim::New,
                Some(_) => Claim::Duplicate,
            })
        })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            self.claims
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .remove(key);
            Ok(())
        })
    }

    fn is_claimed<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>> {
        Box::pin(async move {
            self.check()?;
            let now = now_secs();
            Ok(self
                .claims
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .get(key)
                .is_some_and(|(exp, _)| *exp >= now))
        })
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
        in_progress: Duration,
    ) -> BoxFuture<'a, Result<Begin, StateError>> {
        Box::pin(async move {
            Ok(match self.put_unless_live(key, in_progress, true)? {
                None => Begin::Started,
                Some(true) => Begin::InProgress,
                Some(false) => Begin::Completed,
            })
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            self.claims
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .insert(key.to_owned(), (now_secs() + ceil_secs(ttl), false));
            Ok(())
        })
    }
}

impl IdMap for MemoryState {
    fn get_id<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<i64>, StateError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self
                .ids
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .get(key)
                .copied())
        })
    }

    fn put_id<'a>(&'a self, key: &'a str, id: i64) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            self.ids
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .insert(key.to_owned(), id);
            Ok(())
        })
    }
}

impl Watermarks for MemoryState {
    fn get_watermark<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, StateError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self
                .watermarks
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .get(key)
                .cloned())
        })
    }

    fn put_watermark<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            self.watermarks
                .lock()
                .map_err(|_| StateError("poisoned".into()))?
                .insert(key.to_owned(), value.clone());
            Ok(())
        })
    }
    fn put_watermark_until<'a>(
        &'a self,
        key: &'a str,
        value: &'a serde_json::Value,
        _expires_at: i64,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        self.put_watermark(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_state_claims_once_and_maps_ids() {
        let s = MemoryState::default();
        assert_eq!(
            s.claim("k", Duration::from_secs(60)).await.unwrap(),
            Claim::New
        );
        assert_eq!(
            s.claim("k", Duration::from_secs(60)).await.unwrap(),
            Claim::Duplicate
        );
        s.release("k").await.unwrap();
        assert_eq!(
            s.claim("k", Duration::from_secs(60)).await.unwrap(),
            Claim::New
        );
        assert_eq!(s.get_id("c").await.unwrap(), None);
        s.put_id("c", 7).await.unwrap();
        assert_eq!(s.get_id("c").await.unwrap(), Some(7));
        s.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(s.get_id("c").await.is_err());
    }

    #[tokio::test]
    async fn begin_is_in_progress_until_completed_and_a_dead_callers_record_is_taken_over() {
        let s = MemoryState::default();
        let short = Duration::from_secs(60);
        assert_eq!(s.begin("w", short).await.unwrap(), Begin::Started);
        assert_eq!(s.begin("w", short).await.unwrap(), Begin::InProgress);
        s.complete("w", Duration::from_secs(3600)).await.unwrap();
        assert_eq!(s.begin("w", short).await.unwrap(), Begin::Completed);
        // A caller that died: its in-progress record has expired, and the next one takes over.
        assert_eq!(s.begin("d", Duration::ZERO).await.unwrap(), Begin::Started);
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(s.begin("d", short).await.unwrap(), Begin::Started);
        // A plain claim counts as completed.
        s.claim("c", short).await.unwrap();
        assert_eq!(s.begin("c", short).await.unwrap(), Begin::Completed);
        s.release("w").await.unwrap();
        assert_eq!(s.begin("w", short).await.unwrap(), Begin::Started);
    }
}
