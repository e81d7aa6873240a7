//! [`DynamoState`]: the state store on a DynamoDB table, and the table access the records
//! built on it (the store registry, the dead-letter counts) share.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::BoxFuture;

use super::{
    ceil_secs, now_secs, Begin, Claim, DedupeStore, IdMap, StateError, Watermarks, PARTITION_KEY,
    TTL_ATTRIBUTE,
};

const ID_ATTRIBUTE: &str = "id";
const VALUE_ATTRIBUTE: &str = "value";
const STATUS_ATTRIBUTE: &str = "status";
const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// [`StateStore`](super::StateStore) on a DynamoDB table (or moto through `AWS_ENDPOINT_URL`).
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

/// An AWS SDK error with its causes, as one line.
pub(crate) fn describe<E: std::error::Error + 'static>(e: &E) -> String {
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
