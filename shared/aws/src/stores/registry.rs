//! The store registry in the state table: which stores this deployment serves, with the secret
//! each one's credentials live in.
//!
//! Items: `store#{hash}` (attributes `secret_id`, `source`, `status`, `since`: unix seconds of the
//! last change) and one index item `stores` whose string set `hashes` holds every active store.
//! Both are written in one transaction, so a store is listed exactly while its record is active:
//! a process that dies during an install or an uninstall leaves the registry as it was.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use futures_util::future::BoxFuture;

use crate::state::{describe, DynamoState, MemoryState, StateError, PARTITION_KEY};

/// The partition key of the index item.
const INDEX_KEY: &str = "stores";
const HASHES_ATTRIBUTE: &str = "hashes";

/// How a store came to be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreSource {
    /// Installed as an app: auth-callback wrote its secret and registered it.
    App,
    /// Connected with a store-level API account and declared in the `STORES` setting.
    Settings,
}

/// Whether a registered store is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStatus {
    /// Served: webhooks, commands and exports are accepted.
    Active,
    /// Uninstalled: everything for it is refused; its record stays for the status history.
    Uninstalled,
}

impl StoreSource {
    fn name(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Settings => "settings",
        }
    }
}

impl StoreStatus {
    /// The name stored in the table (`active`, `uninstalled`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Uninstalled => "uninstalled",
        }
    }
}

/// One store's registry record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRecord {
    /// The store hash.
    pub store_hash: String,
    /// The Secrets Manager id of its secret.
    pub secret_id: String,
    /// How it came to be served.
    pub source: StoreSource,
    /// Whether it is served.
    pub status: StoreStatus,
    /// When the status last changed (unix seconds).
    pub since: i64,
}

/// Reads and writes the store registry.
pub trait StoreRegistry: Send + Sync + 'static {
    /// Writes `record` and lists or unlists its store accordingly, atomically.
    fn put_store<'a>(&'a self, record: &'a StoreRecord) -> BoxFuture<'a, Result<(), StateError>>;
    /// The record of `store_hash`, active or not.
    fn get_store<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoreRecord>, StateError>>;
    /// The hashes of every active store, sorted.
    fn active_stores(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>>;
}

fn record_key(store_hash: &str) -> String {
    format!("store#{store_hash}")
}

fn record_item(record: &StoreRecord) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    HashMap::from([
        (PARTITION_KEY.to_owned(), s(&record_key(&record.store_hash))),
        ("secret_id".to_owned(), s(&record.secret_id)),
        ("source".to_owned(), s(record.source.name())),
        ("status".to_owned(), s(record.status.name())),
        (
            "since".to_owned(),
            AttributeValue::N(record.since.to_string()),
        ),
    ])
}

fn parse_record(
    store_hash: &str,
    item: &HashMap<String, AttributeValue>,
) -> Result<StoreRecord, StateError> {
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| StateError(format!("store record `{store_hash}` has no `{name}`")))
    };
    let source = match text("source")?.as_str() {
        "app" => StoreSource::App,
        "settings" => StoreSource::Settings,
        other => {
            return Err(StateError(format!(
                "store record `{store_hash}` has source `{other}`"
            )))
        }
    };
    let status = match text("status")?.as_str() {
        "active" => StoreStatus::Active,
        "uninstalled" => StoreStatus::Uninstalled,
        other => {
            return Err(StateError(format!(
                "store record `{store_hash}` has status `{other}`"
            )))
        }
    };
    let since = item
        .get("since")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| StateError(format!("store record `{store_hash}` has no `since`")))?;
    Ok(StoreRecord {
        store_hash: store_hash.to_owned(),
        secret_id: text("secret_id")?,
        source,
        status,
        since,
    })
}

impl DynamoState {
    /// The index update that lists (`ADD`) or unlists (`DELETE`) `record`'s store.
    fn index_update(&self, record: &StoreRecord) -> Result<Update, StateError> {
        let verb = match record.status {
            StoreStatus::Active => "ADD",
            StoreStatus::Uninstalled => "DELETE",
        };
        Update::builder()
            .table_name(self.table())
            .key(PARTITION_KEY, AttributeValue::S(INDEX_KEY.to_owned()))
            .update_expression(format!("{verb} {HASHES_ATTRIBUTE} :h"))
            .expression_attribute_values(":h", AttributeValue::Ss(vec![record.store_hash.clone()]))
            .build()
            .map_err(|e| StateError(e.to_string()))
    }
}

impl StoreRegistry for DynamoState {
    fn put_store<'a>(&'a self, record: &'a StoreRecord) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            let put = Put::builder()
                .table_name(self.table())
                .set_item(Some(record_item(record)))
                .build()
                .map_err(|e| StateError(e.to_string()))?;
            self.client()
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put).build())
                .transact_items(
                    TransactWriteItem::builder()
                        .update(self.index_update(record)?)
                        .build(),
                )
                .send()
                .await
                .map(drop)
                .map_err(|e| StateError(describe(&e)))
        })
    }

    fn get_store<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoreRecord>, StateError>> {
        Box::pin(async move {
            let item = self.item(&record_key(store_hash)).await?;
            item.map(|item| parse_record(store_hash, &item)).transpose()
        })
    }

    fn active_stores(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>> {
        Box::pin(async move {
            let item = self.item(INDEX_KEY).await?.unwrap_or_default();
            let mut hashes = match item.get(HASHES_ATTRIBUTE) {
                None => Vec::new(),
                Some(v) => v
                    .as_ss()
                    .map_err(|_| StateError("the store index is not a string set".into()))?
                    .clone(),
            };
            hashes.sort();
            Ok(hashes)
        })
    }
}

/// The registry part of [`MemoryState`].
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    records: Mutex<HashMap<String, StoreRecord>>,
    index: Mutex<BTreeSet<String>>,
}

impl StoreRegistry for MemoryState {
    fn put_store<'a>(&'a self, record: &'a StoreRecord) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.check()?;
            let registry = self.part::<MemoryRegistry>();
            let mut records = registry.records.lock().unwrap_or_else(|e| e.into_inner());
            let mut index = registry.index.lock().unwrap_or_else(|e| e.into_inner());
            match record.status {
                StoreStatus::Active => index.insert(record.store_hash.clone()),
                StoreStatus::Uninstalled => index.remove(&record.store_hash),
            };
            records.insert(record.store_hash.clone(), record.clone());
            Ok(())
        })
    }

    fn get_store<'a>(
        &'a self,
        store_hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoreRecord>, StateError>> {
        Box::pin(async move {
            self.check()?;
            let registry = self.part::<MemoryRegistry>();
            let records = registry.records.lock();
            let records = records.unwrap_or_else(|e| e.into_inner());
            Ok(records.get(store_hash).cloned())
        })
    }

    fn active_stores(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>> {
        Box::pin(async move {
            self.check()?;
            let registry = self.part::<MemoryRegistry>();
            let index = registry.index.lock().unwrap_or_else(|e| e.into_inner());
            Ok(index.iter().cloned().collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hash: &str, status: StoreStatus) -> StoreRecord {
        StoreRecord {
            store_hash: hash.into(),
            secret_id: format!("bigcommerce/store/{hash}"),
            source: StoreSource::App,
            status,
            since: 1_790_000_000,
        }
    }

    #[tokio::test]
    async fn a_store_is_listed_exactly_while_active() {
        let state = MemoryState::default();
        state
            .put_store(&record("b2", StoreStatus::Active))
            .await
            .unwrap();
        state
            .put_store(&record("a1", StoreStatus::Active))
            .await
            .unwrap();
        assert_eq!(state.active_stores().await.unwrap(), ["a1", "b2"]);
        state
            .put_store(&record("a1", StoreStatus::Uninstalled))
            .await
            .unwrap();
        assert_eq!(state.active_stores().await.unwrap(), ["b2"]);
        let a1 = state.get_store("a1").await.unwrap().unwrap();
        assert_eq!(a1.status, StoreStatus::Uninstalled);
        assert_eq!(state.get_store("zz").await.unwrap(), None);
    }

    #[test]
    fn records_round_trip_through_their_item_and_a_bad_one_is_named() {
        let r = StoreRecord {
            source: StoreSource::Settings,
            ..record("abc123", StoreStatus::Uninstalled)
        };
        assert_eq!(parse_record("abc123", &record_item(&r)).unwrap(), r);
        let mut item = record_item(&r);
        item.insert("status".into(), AttributeValue::S("paused".into()));
        let e = parse_record("abc123", &item).unwrap_err();
        assert!(e.0.contains("status `paused`"), "{e}");
        item.remove("secret_id");
        assert!(parse_record("abc123", &item).is_err());
    }
}
