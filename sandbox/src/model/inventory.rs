//! Inventory locations and stock levels (v3 `/inventory/locations`, `/inventory/adjustments/*`)
//! and the catalog's variants as `/v3/catalog/variants` answers them. Pure store mutations.
//!
//! An adjustment is all or nothing here: one item naming an unknown location or variant, or a
//! level out of range, refuses the request (422) with the items named. BigCommerce's spec does
//! not say whether it applies the rest; a client that resolves SKUs and locations first, as ours
//! does, never depends on it. A relative adjustment of an item that has no level at the location
//! yet is refused, as the spec's own 422 example says ("requires absolute adjustment before
//! relative").

use std::collections::HashMap;

use serde_json::{json, Value};

use super::events::Events;
use crate::store::{int, iso8601, text, Store};

/// Largest stock level of one item at one location.
pub const MAX_LEVEL: i64 = 2_147_483_647;
/// Items per adjustment request.
pub const ADJUSTMENT_ITEMS_MAX: usize = 2_000;

/// The key of an item's level at a location.
pub fn level_key(location_id: i64, variant_id: i64) -> String {
    format!("{location_id}:{variant_id:010}")
}

/// Adds the store's locations: the default one (id 1) and two warehouses.
pub fn seed_locations(store: &mut Store, now: i64) {
    for (id, code, label) in [
        (1, "BC-LOCATION-1", "Default location"),
        (2, "WH-EAST", "East warehouse"),
        (3, "WH-WEST", "West warehouse"),
    ] {
        store.locations.insert(
            id,
            json!({"id": id, "code": code, "label": label, "description": "", "managed_by_external_source": false,
                "type_id": "PHYSICAL", "enabled": true, "storefront_visibility": true, "time_zone": "America/Chicago",
                "created_at": iso8601(now), "updated_at": iso8601(now),
                "address": {"address1": format!("{id} Dock Rd"), "address2": "", "city": "Austin", "state": "Texas",
                    "zip": "78701", "email": "stock@sandbox.example", "phone": "555-0100", "country_code": "US",
                    "geo_coordinates": {"latitude": 30.27, "longitude": -97.74}},
                "special_hours": []}),
        );
    }
}

/// The variant ids of `skus`, in one pass over the catalog.
pub fn variants_by_sku(store: &Store, skus: &[String]) -> HashMap<String, i64> {
    let wanted: std::collections::HashSet<&str> = skus.iter().map(String::as_str).collect();
    store
        .variants
        .values()
        .filter(|v| wanted.contains(text(v, "sku").as_str()))
        .filter_map(|v| Some((text(v, "sku"), int(v, "variant_id")?)))
        .collect()
}

/// The variant an adjustment item names (`variant_id` or `sku`).
fn variant_of(store: &Store, by_sku: &HashMap<String, i64>, item: &Value) -> Result<i64, String> {
    if let Some(id) = int(item, "variant_id") {
        return store
            .variants
            .contains_key(&id)
            .then_some(id)
            .ok_or(format!("variant_id {id}"));
    }
    let sku = text(item, "sku");
    by_sku.get(&sku).copied().ok_or(format!("sku {sku}"))
}

/// Applies an adjustment request's `items` (absolute levels, or relative changes), all or
/// nothing; the refusal lists the items it could not take.
pub fn adjust(
    store: &mut Store,
    items: &[Value],
    absolute: bool,
    ev: &mut Events,
) -> Result<(), String> {
    let skus: Vec<String> = items
        .iter()
        .filter(|i| i.get("sku").is_some())
        .map(|i| text(i, "sku"))
        .collect();
    let by_sku = variants_by_sku(store, &skus);
    let mut changes = Vec::new();
    let mut bad = Vec::new();
    let mut needs_absolute = Vec::new();
    for item in items {
        let location = int(item, "location_id").unwrap_or(0);
        let qty = int(item, "quantity").unwrap_or(0);
        let variant = match variant_of(store, &by_sku, item) {
            Ok(v) if store.locations.contains_key(&location) => v,
            Ok(_) => {
                bad.push(format!("location_id {location}"));
                continue;
            }
            Err(identity) => {
                bad.push(identity);
                continue;
            }
        };
        let key = level_key(location, variant);
        let level = match (absolute, store.inventory.get(&key)) {
            (true, _) => qty,
            (false, Some(have)) => have + qty,
            (false, None) => {
                needs_absolute.push(format!("variant_id {variant}"));
                continue;
            }
        };
        // A relative change may oversell (below 0); no level goes above the maximum.
        if level > MAX_LEVEL || (absolute && level < 0) {
            bad.push(format!("variant_id {variant} quantity {level}"));
            continue;
        }
        changes.push((key, variant, level, qty));
    }
    if !bad.is_empty() {
        return Err(format!("Items not valid: [{}]", bad.join(", ")));
    }
    if !needs_absolute.is_empty() {
        return Err(format!(
            "Items with identity: [{}] requires absolute adjustment before relative",
            needs_absolute.join(", ")
        ));
    }
    for (key, variant, level, qty) in changes {
        store.inventory.insert(key, level);
        let product = store
            .variants
            .get(&variant)
            .and_then(|v| int(v, "product_id"))
            .unwrap_or(0);
        ev.push((
            "store/sku/inventory/updated".into(),
            json!({"type": "sku", "id": variant, "inventory": {"product_id": product,
                "method": if absolute { "absolute" } else { "relative" },
                "value": if absolute { level } else { qty }, "variant_id": variant}}),
        ));
    }
    Ok(())
}

/// A variant as `GET /v3/catalog/variants` answers it; with `fields`, the id and those only.
pub fn variant_answer(store: &Store, v: &Value, fields: Option<&[String]>) -> Value {
    let id = int(v, "variant_id").unwrap_or(0);
    let level: i64 = store
        .locations
        .keys()
        .filter_map(|l| store.inventory.get(&level_key(*l, id)))
        .sum();
    let price = v.get("price").and_then(Value::as_f64).unwrap_or(10.0);
    let full = json!({"id": id, "product_id": int(v, "product_id").unwrap_or(0), "sku": text(v, "sku"),
        "price": price, "calculated_price": price, "inventory_level": level, "inventory_warning_level": 0,
        "purchasing_disabled": false, "purchasing_disabled_message": "", "option_values": []});
    match fields {
        None => full,
        Some(fields) => {
            let mut out = serde_json::Map::new();
            for (k, val) in full.as_object().into_iter().flatten() {
                if k == "id" || fields.iter().any(|f| f == k) {
                    out.insert(k.clone(), val.clone());
                }
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Store, i64, String) {
        let s = crate::seed::generate(0, 0, 2);
        let (id, sku) = s
            .variants
            .iter()
            .next()
            .map(|(id, v)| (*id, text(v, "sku")))
            .unwrap_or_default();
        (s, id, sku)
    }

    #[test]
    fn levels_are_set_then_adjusted_and_a_bad_item_refuses_the_request() {
        let (mut s, id, sku) = store();
        let mut ev = Events::new();
        let set = [json!({"location_id": 2, "sku": sku, "quantity": 10})];
        adjust(&mut s, &set, true, &mut ev).unwrap_or_else(|e| panic!("{e}"));
        let minus = [json!({"location_id": 2, "variant_id": id, "quantity": -3})];
        adjust(&mut s, &minus, false, &mut ev).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.inventory.get(&level_key(2, id)), Some(&7));
        assert_eq!(ev.len(), 2);
        let mixed = [
            json!({"location_id": 2, "variant_id": id, "quantity": 1}),
            json!({"location_id": 2, "sku": "NOPE", "quantity": 1}),
            json!({"location_id": 9, "variant_id": id, "quantity": 1}),
        ];
        let e = adjust(&mut s, &mixed, true, &mut ev).unwrap_err();
        assert_eq!(e, "Items not valid: [sku NOPE, location_id 9]");
        assert_eq!(
            s.inventory.get(&level_key(2, id)),
            Some(&7),
            "nothing applied"
        );
        let fresh = [json!({"location_id": 3, "variant_id": id, "quantity": 1})];
        let e = adjust(&mut s, &fresh, false, &mut ev).unwrap_err();
        assert!(
            e.contains("requires absolute adjustment before relative"),
            "{e}"
        );
    }
}
