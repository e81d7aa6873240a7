//! Company user roles as entities: the three predefined roles (ids 1 Admin, 2 Senior Buyer,
//! 3 Junior Buyer, `roleType` 1) and the store's custom roles (`roleType` 2). A user's
//! `companyRoleId` must name one of them; the `/companies/roles` routes list and add them.

use serde_json::{json, Value};

use crate::store::{text, Store};

/// The predefined roles, by id.
pub const PREDEFINED: [(i64, &str); 3] = [(1, "Admin"), (2, "Senior Buyer"), (3, "Junior Buyer")];

/// Every role, predefined first, as the list shows them.
pub fn all_roles(store: &Store) -> Vec<Value> {
    let predefined = PREDEFINED
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name, "roleType": 1, "roleLevel": 1}));
    let custom = store
        .company_roles
        .values()
        .map(|r| json!({"id": r["id"], "name": r["name"], "roleType": 2, "roleLevel": 1}));
    predefined.chain(custom).collect()
}

/// The name of role `id`, when there is one.
pub fn role_name(store: &Store, id: i64) -> Option<String> {
    all_roles(store)
        .into_iter()
        .find(|r| r["id"].as_i64() == Some(id))
        .map(|r| text(&r, "name"))
}
