//! Locking the std mutexes the sandbox shares between requests, at the bottom of the module
//! graph so that every layer (the contract cache, the state, the handlers) can use it.

use std::sync::{Mutex, MutexGuard};

/// Locks a std mutex, recovering from poisoning (a panicked holder leaves consistent JSON).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
