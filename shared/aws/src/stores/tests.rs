//! Tests of the store registry and directory; test-only (`#[cfg(test)] mod tests` in `mod.rs`), so
//! their `unwrap`s fail the test, never a function.

use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::SecretString;

use super::*;
use crate::state::MemoryState;

/// Secrets by id, counting reads.
#[derive(Clone, Default)]
struct Secrets {
    values: Arc<Mutex<HashMap<String, String>>>,
    reads: Arc<AtomicUsize>,
}

impl Secrets {
    fn with(self, id: &str, hash: &str) -> Self {
        self.values.lock().unwrap().insert(
            id.to_owned(),
            format!(r#"{{"store_hash":"{hash}","access_token":"tok-{hash}"}}"#),
        );
        self
    }
}

impl SecretFetcher for Secrets {
    fn fetch(&self, secret_id: &str) -> BoxFuture<'_, Result<SecretString, SecretError>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let found = self.values.lock().unwrap().get(secret_id).cloned();
        let what = format!("secret `{secret_id}`");
        Box::pin(async move {
            found
                .map(SecretString::from)
                .ok_or(SecretError::NotFound { what })
        })
    }
}

fn hash(h: &str) -> StoreHash {
    StoreHash::parse(h).unwrap()
}

fn many(declared: &[&str]) -> StoreSetting {
    StoreSetting::Many {
        secret_prefix: "bc/".into(),
        declared: declared.iter().map(|h| hash(h)).collect(),
    }
}

fn installed(h: &str, status: StoreStatus) -> StoreRecord {
    StoreRecord {
        store_hash: h.into(),
        secret_id: format!("bc/{h}"),
        source: StoreSource::App,
        status,
        since: 1,
    }
}

#[tokio::test]
async fn one_store_serves_only_the_store_its_secret_names() {
    let secrets = Secrets::default().with("the/secret", "abc123");
    let setting = StoreSetting::Single {
        secret_id: "the/secret".into(),
    };
    let dir = StoreDirectory::new(setting, secrets.clone(), None);
    let own = dir.secret_of(&hash("abc123")).await.unwrap().unwrap();
    assert_eq!(own.store_hash.as_str(), "abc123");
    assert!(dir.secret_of(&hash("other1")).await.unwrap().is_none());
    assert!(dir.only_store().await.unwrap().is_some());
    assert_eq!(dir.stores().await.unwrap(), [hash("abc123")]);
    assert_eq!(secrets.reads.load(Ordering::SeqCst), 1, "one cached read");
}

#[tokio::test]
async fn declared_stores_are_served_from_their_prefixed_secrets() {
    let secrets = Secrets::default().with("bc/a1", "a1").with("bc/b2", "b2");
    let dir = StoreDirectory::new(many(&["b2", "a1"]), secrets.clone(), None);
    for h in ["a1", "b2"] {
        let s = dir.secret_of(&hash(h)).await.unwrap().unwrap();
        assert_eq!(s.store_hash.as_str(), h);
    }
    assert!(dir.secret_of(&hash("c3")).await.unwrap().is_none());
    assert!(
        dir.only_store().await.unwrap().is_none(),
        "no default store"
    );
    assert_eq!(dir.stores().await.unwrap(), [hash("a1"), hash("b2")]);
    dir.secret_of(&hash("a1")).await.unwrap();
    assert_eq!(
        secrets.reads.load(Ordering::SeqCst),
        2,
        "one read per store"
    );
}

#[tokio::test(start_paused = true)]
async fn installs_and_uninstalls_reach_the_directory_within_the_registry_ttl() {
    let secrets = Secrets::default().with("bc/app1", "app1");
    let state = Arc::new(MemoryState::default());
    let dir = StoreDirectory::new(many(&[]), secrets.clone(), Some(state.clone() as _));
    assert!(dir.secret_of(&hash("app1")).await.unwrap().is_none());
    state
        .put_store(&installed("app1", StoreStatus::Active))
        .await
        .unwrap();
    assert!(
        dir.secret_of(&hash("app1")).await.unwrap().is_none(),
        "the negative answer is trusted for the TTL"
    );
    tokio::time::advance(REGISTRY_TTL).await;
    let first = dir.cache_of(&hash("app1")).await.unwrap().unwrap();
    assert_eq!(dir.stores().await.unwrap(), [hash("app1")]);
    tokio::time::advance(REGISTRY_TTL).await;
    let again = dir.cache_of(&hash("app1")).await.unwrap().unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "a re-checked store keeps its warm cache"
    );
    state
        .put_store(&installed("app1", StoreStatus::Uninstalled))
        .await
        .unwrap();
    tokio::time::advance(REGISTRY_TTL).await;
    assert!(dir.secret_of(&hash("app1")).await.unwrap().is_none());
    assert!(dir.stores().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_registry_outage_is_retryable_and_a_secret_of_another_store_is_not() {
    let secrets = Secrets::default().with("bc/a1", "zz9");
    let state = Arc::new(MemoryState::default());
    state.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let dir = StoreDirectory::new(many(&["a1"]), secrets, Some(state.clone() as _));
    let down = dir.secret_of(&hash("b2")).await.unwrap_err();
    assert!(down.is_retryable(), "{down}");
    assert!(dir.stores().await.unwrap_err().is_retryable());
    let wrong = dir.secret_of(&hash("a1")).await.unwrap_err();
    assert!(!wrong.is_retryable());
    assert!(wrong.to_string().contains("`zz9`"), "{wrong}");
}
