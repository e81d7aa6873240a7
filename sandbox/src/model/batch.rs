//! All-or-nothing batch creates, as the bulk endpoints make them: every item is first tried, in
//! order, on a copy of the store's accounts (so that each sees the ones before it, and nothing
//! is written when one is refused), then created for real.

use serde_json::Value;

use super::events::Events;
use super::fields::FieldErrors;
use crate::store::Store;

/// An entity constructor: `(store, body, now, events)` to what it created, or its refusal.
pub type Create<T> = fn(&mut Store, &Value, i64, &mut Events) -> Result<T, FieldErrors>;

/// The refusal of each item of `items` that `create` refuses when they are tried in order on a
/// copy of the store's accounts, with the item's index.
pub fn trial_refusals<T>(
    store: &Store,
    items: &[Value],
    now: i64,
    create: Create<T>,
) -> Vec<(usize, FieldErrors)> {
    let mut trial = store.accounts_copy();
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            create(&mut trial, item, now, &mut Events::new())
                .err()
                .map(|e| (i, e))
        })
        .collect()
}

/// Creates each item of `items` with `create`, in order; what each created, or its refusal.
pub fn create_each<T>(
    store: &mut Store,
    items: &[Value],
    now: i64,
    ev: &mut Events,
    create: Create<T>,
) -> Vec<Result<T, FieldErrors>> {
    items
        .iter()
        .map(|item| create(store, item, now, ev))
        .collect()
}

/// Creates every item of `items` with `create`, or none: when the trial refuses one, the first
/// refusal and its index.
pub fn create_all<T>(
    store: &mut Store,
    items: &[Value],
    now: i64,
    ev: &mut Events,
    create: Create<T>,
) -> Result<Vec<T>, (usize, FieldErrors)> {
    if let Some(first) = trial_refusals(store, items, now, create).into_iter().next() {
        return Err(first);
    }
    Ok(create_each(store, items, now, ev, create)
        .into_iter()
        .flatten()
        .collect())
}
