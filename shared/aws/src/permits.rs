//! Store-wide permits as leases in the state table, so that every worker instance together
//! keeps BigCommerce's per-store limits (at most 2 price-list upserts in flight): permit `i` of
//! limit `l` for store `s` is the claim `permit#{s}#{l}#{i}`, taken with a conditional write and
//! given back by deleting it. A permit whose holder died expires after its lease.

use std::sync::Arc;
use std::time::Duration;

use bigcommerce_b2b::permits::StorePermits;
use bigcommerce_b2b::BcError;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::state::{Claim, DedupeStore};

/// How long a permit lasts when its holder never gives it back: longer than one request may
/// take (the client's request timeout is 30 s).
pub const DEFAULT_PERMIT_LEASE: Duration = Duration::from_secs(45);

/// [`StorePermits`] in the state table.
#[derive(Clone)]
pub struct StatePermits {
    state: Arc<dyn DedupeStore>,
    slots: u32,
    lease: Duration,
}

impl StatePermits {
    /// `slots` permits per store and limit in `state`, each lasting at most `lease`.
    pub fn new(state: Arc<dyn DedupeStore>, slots: u32, lease: Duration) -> Self {
        Self {
            state,
            slots: slots.max(1),
            lease,
        }
    }

    /// One pass over the permits: the first one free, taken.
    async fn try_take(&self, store: &str, limit: &str) -> Result<Option<String>, BcError> {
        for i in 0..self.slots {
            let key = format!("permit#{store}#{limit}#{i}");
            match self.state.claim(&key, self.lease).await {
                Ok(Claim::New) => return Ok(Some(key)),
                Ok(Claim::Duplicate) => {}
                Err(e) => return Err(BcError::Permits(e.to_string())),
            }
        }
        Ok(None)
    }
}

impl StorePermits for StatePermits {
    fn acquire<'a>(
        &'a self,
        store: &'a str,
        limit: &'a str,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<String, BcError>> {
        Box::pin(async move {
            loop {
                if let Some(permit) = self.try_take(store, limit).await? {
                    return Ok(permit);
                }
                let pause = Duration::from_millis(fastrand::u64(50..250));
                if deadline.is_some_and(|d| Instant::now() + pause >= d) {
                    return Err(BcError::DeadlineExceeded { last: None });
                }
                tokio::time::sleep(pause).await;
            }
        })
    }

    fn release(&self, permit: String) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.state.release(&permit).await {
                tracing::warn!(%permit, error = %e, "permit not given back; it expires by itself");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryState;

    #[tokio::test]
    async fn at_most_the_slots_are_held_and_a_released_one_is_taken_again() {
        let permits =
            StatePermits::new(Arc::new(MemoryState::default()), 2, Duration::from_secs(60));
        let a = permits.acquire("abc", "l", None).await.unwrap();
        let b = permits.acquire("abc", "l", None).await.unwrap();
        assert_ne!(a, b);
        // Another store's permits are its own.
        permits.acquire("xyz", "l", None).await.unwrap();
        let soon = Instant::now() + Duration::from_millis(300);
        assert!(matches!(
            permits.acquire("abc", "l", Some(soon)).await,
            Err(BcError::DeadlineExceeded { .. })
        ));
        permits.release(a.clone()).await;
        assert_eq!(permits.acquire("abc", "l", None).await.unwrap(), a);
    }
}
