//! [`MemoryState`]: the state store in memory, for tests and local runs; it keeps the parts of
//! the records built on it (the store registry, the dead-letter counts) without knowing them.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{ceil_secs, now_secs, Begin, Claim, DedupeStore, IdMap, StateError, Watermarks};

/// [`StateStore`](super::StateStore) in memory. `fail` makes every call fail, to test outages.
#[derive(Debug, Default)]
pub struct MemoryState {
    /// Key → (expiry, still in progress).
    claims: Mutex<HashMap<String, (i64, bool)>>,
    ids: Mutex<HashMap<String, i64>>,
    watermarks: Mutex<HashMap<String, serde_json::Value>>,
    /// The parts of the records built on the state store (the store registry's records and
    /// index, each store's dead-letter count).
    parts: Parts,
    /// When true, every call fails with a [`StateError`].
    pub fail: std::sync::atomic::AtomicBool,
}

/// What other modules keep in a [`MemoryState`]: one value of each type, made (empty) on first
/// use. The state store holds them without knowing them, as the table holds their items.
#[derive(Default)]
struct Parts(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl fmt::Debug for Parts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.lock().map(|parts| parts.len()).unwrap_or(0);
        f.debug_struct("Parts").field("count", &count).finish()
    }
}

impl MemoryState {
    /// The part of type `T` kept in this state (made with `T::default()` on first use), shared
    /// by every caller.
    pub(crate) fn part<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut parts = self.parts.0.lock().unwrap_or_else(PoisonError::into_inner);
        let part = parts
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match Arc::clone(part).downcast::<T>() {
            Ok(part) => part,
            // Never: a part is kept under its own type's id. Were it not, a fresh one replaces it.
            Err(_) => {
                let fresh = Arc::new(T::default());
                *part = fresh.clone();
                fresh
            }
        }
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
