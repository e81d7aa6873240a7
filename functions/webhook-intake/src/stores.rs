//! Which store a request is for, and with whose secret it is authenticated: a webhook by its
//! `producer` (`stores/{hash}`), inbound commands by their `store_hash`, cXML documents by their
//! path (`/procurement/cxml/{hash}`) or the deployment's only store. A store this deployment
//! does not serve is refused with 401 and counted (`UnknownStore`); one store's secret never
//! authenticates a request for another.

use std::sync::Arc;

use b2b_shared::secrets::StoreSecret;
use b2b_shared::stores::{LookupError, StoreSecrets};
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::StoreHash;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{
    names_a_command_type, segment_after, CxmlAnswer, Refusal, MAPPED_RECORDS_GO_TO_THE_QUEUE,
};

/// The store a webhook delivery names: its `producer` (`stores/{hash}`), when present.
#[derive(Debug, PartialEq, Eq)]
pub enum Producer {
    /// `producer` is absent (or the body is not a JSON object): the deployment's only store.
    Unnamed,
    /// `producer` names this store.
    Store(StoreHash),
    /// `producer` is not `stores/{hash}`.
    Invalid(String),
}

/// Reads the `producer` of a delivery without trusting anything else in it.
pub fn producer_of(body: &[u8]) -> Producer {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        producer: Option<Value>,
    }
    let Ok(Named {
        producer: Some(producer),
    }) = serde_json::from_slice::<Named>(body)
    else {
        return Producer::Unnamed;
    };
    let text = producer.as_str().unwrap_or_default();
    match text
        .strip_prefix("stores/")
        .and_then(|h| StoreHash::parse(h).ok())
    {
        Some(hash) => Producer::Store(hash),
        None => Producer::Invalid(producer.to_string()),
    }
}

/// The secret of the store a delivery comes from, or the refusal to answer with.
pub async fn webhook_store(
    stores: &dyn StoreSecrets,
    body: &[u8],
) -> Result<Arc<StoreSecret>, Refusal> {
    let found = match producer_of(body) {
        Producer::Store(hash) => stores
            .secret_of(&hash)
            .await
            .map(|s| s.ok_or_else(|| unknown_store("webhook", hash.as_str()))),
        Producer::Unnamed => stores.only_store().await.map(|s| {
            s.ok_or_else(|| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "`producer` (stores/{store hash}) is required: this deployment serves many stores",
                )
            })
        }),
        Producer::Invalid(p) => Ok(Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            &format!("`producer` {p} is not stores/{{store hash}}"),
        ))),
    };
    found.map_err(unavailable)?
}

/// The store a procurement path names: `Some(hash)` for `/procurement/cxml/{hash}`.
pub fn store_in_path(path: &str) -> Option<&str> {
    segment_after(path, "/procurement/cxml")
}

/// The secret of the store a `POST /procurement/cxml[/{store}]` is for, or the cXML answer.
pub async fn procurement_store(
    stores: &dyn StoreSecrets,
    path: &str,
) -> Result<Arc<StoreSecret>, CxmlAnswer> {
    use b2b_cxml::Status;
    let found = match store_in_path(path) {
        Some(named) => match StoreHash::parse(named) {
            Ok(hash) => stores.secret_of(&hash).await.map(|s| {
                s.ok_or_else(|| {
                    let refusal = unknown_store("procurement", hash.as_str());
                    CxmlAnswer::new(
                        Status::Unauthorized,
                        refusal.body["error"].as_str().unwrap_or_default(),
                    )
                })
            }),
            Err(_) => Ok(Err(CxmlAnswer::new(
                Status::BadRequest,
                format!("`{named}` in the path is not a store hash"),
            ))),
        },
        None => stores.only_store().await.map(|s| {
            s.ok_or_else(|| {
                CxmlAnswer::new(
                    Status::BadRequest,
                    "this deployment serves many stores: send to /procurement/cxml/{store hash}",
                )
            })
        }),
    };
    found.map_err(|e| {
        let _ = unavailable(e);
        CxmlAnswer::unavailable()
    })?
}

/// The stores the commands of an inbound batch name (valid hashes, each once, in order).
pub fn stores_named(items: &[Value]) -> Vec<StoreHash> {
    let mut stores = Vec::new();
    for item in items {
        let named = item.get("store_hash").and_then(Value::as_str);
        if let Some(hash) = named.and_then(|h| StoreHash::parse(h).ok()) {
            if !stores.contains(&hash) {
                stores.push(hash);
            }
        }
    }
    stores
}

/// The secrets of every store an inbound batch names, or the refusal to answer with.
pub async fn inbound_stores(
    stores: &dyn StoreSecrets,
    items: &[Value],
) -> Result<Vec<Arc<StoreSecret>>, Refusal> {
    let named = stores_named(items);
    if named.is_empty() {
        let mut reason =
            "every command must name its `store_hash`: this deployment serves many stores"
                .to_owned();
        if !items.iter().all(names_a_command_type) {
            reason = format!("{reason}; {MAPPED_RECORDS_GO_TO_THE_QUEUE}");
        }
        return Err(Refusal::new(StatusCode::BAD_REQUEST, &reason));
    }
    let mut secrets = Vec::with_capacity(named.len());
    for hash in named {
        match stores.secret_of(&hash).await.map_err(unavailable)? {
            Some(secret) => secrets.push(secret),
            None => return Err(unknown_store("inbound", hash.as_str())),
        }
    }
    Ok(secrets)
}

/// The refusal of a request for a store this deployment does not serve, logged and counted.
fn unknown_store(route: &str, store: &str) -> Refusal {
    tracing::warn!(%store, route, outcome = "unknown_store", "refused: this deployment does not serve the store");
    emit_metrics(
        &[("Function", "webhook-intake"), ("Route", route)],
        &[Metric {
            name: "UnknownStore",
            value: 1.0,
            unit: "Count",
        }],
    );
    Refusal::new(
        StatusCode::UNAUTHORIZED,
        &format!("store `{store}` is not served by this deployment"),
    )
}

/// The answer when the registry or a secret cannot be read: 503, so the sender retries.
fn unavailable(e: LookupError) -> Refusal {
    tracing::error!(error = %e, retryable = e.is_retryable(), "store secret unavailable");
    Refusal::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily unavailable, retry later",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_producer_names_the_store_or_is_refused() {
        let hash = |h: &str| Producer::Store(StoreHash::parse(h).unwrap());
        assert_eq!(
            producer_of(br#"{"producer":"stores/abc123"}"#),
            hash("abc123")
        );
        assert_eq!(producer_of(br#"{"scope":"x"}"#), Producer::Unnamed);
        assert_eq!(producer_of(b"not json"), Producer::Unnamed);
        assert_eq!(
            producer_of(br#"{"producer":"stores/a/../b"}"#),
            Producer::Invalid(r#""stores/a/../b""#.into())
        );
        assert!(matches!(
            producer_of(br#"{"producer":7}"#),
            Producer::Invalid(_)
        ));
    }

    #[test]
    fn the_stores_a_batch_names_are_listed_once_in_order() {
        let items: Vec<Value> = serde_json::from_str(
            r#"[{"store_hash":"b2"},{"store_hash":"a1"},{"store_hash":"b2"},{"store_hash":"x/y"},{}]"#,
        )
        .unwrap();
        let named: Vec<String> = stores_named(&items).iter().map(|h| h.to_string()).collect();
        assert_eq!(named, ["b2", "a1"]);
    }
}

#[cfg(test)]
#[path = "stores_tests.rs"]
mod handler_tests;
