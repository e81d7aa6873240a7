//! Price-list entities: the list itself and its assignments to customer groups. Pure store
//! mutations shared by the core API handlers and the seeder.

use serde_json::{json, Value};

use crate::store::{int, iso8601, max_key, Store};

/// Creates a price list and returns its id (the API handler and the seeder).
pub fn insert_pricelist(store: &mut Store, name: &str, active: bool, now: i64) -> i64 {
    let id = store.next_id("pricelist", max_key(&store.pricelists));
    store.pricelists.insert(
        id,
        json!({"id": id, "name": name, "active": active, "date_created": iso8601(now), "date_modified": iso8601(now)}),
    );
    id
}

/// Adds an assignment of price list `list` to customer group `group` on `channel`, replacing one
/// for the same group and channel, and returns it (the API handlers and the seeder).
pub fn insert_assignment(store: &mut Store, list: i64, group: i64, channel: i64) -> Value {
    store.assignments.retain(|_, a| {
        !(int(a, "customer_group_id") == Some(group) && int(a, "channel_id") == Some(channel))
    });
    let id = store.next_id("assignment", max_key(&store.assignments));
    let a =
        json!({"id": id, "price_list_id": list, "customer_group_id": group, "channel_id": channel});
    store.assignments.insert(id, a.clone());
    a
}
