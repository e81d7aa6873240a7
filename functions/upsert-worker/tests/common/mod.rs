//! Helpers shared by the worker's integration tests.

use std::sync::Arc;

use b2b_shared::queue::MemoryQueue;
use upsert_worker::{Applier, Worker};

/// A worker as the tests run it: one store, no mapping, webhook export or visibility control,
/// 4 records at once, the default receive count, dead letters into `dead_letters`.
pub fn worker(applier: Applier, dead_letters: Arc<MemoryQueue>) -> Worker {
    Worker {
        applier,
        mapping: None,
        dead_letters,
        visibility: None,
        events: None,
        concurrency: 4,
        max_receives: upsert_worker::DEFAULT_MAX_RECEIVES,
        stores: None,
    }
}
