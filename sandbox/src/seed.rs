//! Deterministic generated data: a catalog, companies with buyers and addresses, customer
//! groups, price lists with records and assignments, quotes in every status, B2C customers and
//! core orders linked to B2B orders (a few of them invoice-portal payments).

use serde_json::{json, Value};

use crate::model::{self, insert_assignment, insert_pricelist, Events, NewOrder, QUOTE_STATUSES};
use crate::store::{int, iso8601, Store};

/// Timestamp the generated data starts from (2026-01-01T00:00:00Z).
pub const BASE_TIME: i64 = 1_767_225_600;
/// Products in the generated catalog.
pub const PRODUCTS: i64 = 50;
/// Variants per product.
pub const VARIANTS_PER_PRODUCT: i64 = 2;

/// Adds the catalog of `products` products (always present: records and orders refer to it).
pub fn catalog(store: &mut Store, products: i64) {
    if store.locations.is_empty() {
        crate::model::inventory::seed_locations(store, 1_700_000_000);
    }
    for p in 1..=products.max(PRODUCTS) {
        for v in 1..=VARIANTS_PER_PRODUCT {
            let vid = (p - 1) * VARIANTS_PER_PRODUCT + v;
            store.variants.insert(
                vid,
                json!({
                    "variant_id": vid,
                    "product_id": p,
                    "sku": format!("SKU-{p:03}-{v}"),
                    "product_name": format!("Sandbox Product {p}"),
                    "price": (10 + p) as f64 + if v == 2 { 0.5 } else { 0.0 },
                }),
            );
            // Stock at the default location, as a store that tracks inventory has.
            store
                .inventory
                .insert(crate::model::inventory::level_key(1, vid), 100);
        }
    }
}

/// Builds the seeded store.
pub fn generate(companies: usize, orders: usize, products: usize) -> Store {
    let mut s = Store::default();
    catalog(&mut s, products as i64);
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut ev = Events::new();
    add_companies(&mut s, companies, &mut ev);
    if companies > 0 {
        add_pricelists(&mut s, companies);
        add_quotes(&mut s, companies, &mut rng, &mut ev);
    }
    if orders > 0 {
        add_orders(&mut s, orders, &mut rng, &mut ev);
    }
    s
}

/// Companies `Company 0001`.. with 0-2 buyers and 1-2 addresses each.
fn add_companies(s: &mut Store, companies: usize, ev: &mut Events) {
    let statuses = [1, 1, 1, 0, 2, 3];
    for i in 0..companies {
        let n = i + 1;
        let t = BASE_TIME + i as i64 * 3_600;
        let body = json!({
            "companyName": format!("Company {n:04}"),
            "companyPhone": format!("+1 512 555 {:04}", n % 10_000),
            "companyEmail": format!("office@company{n:04}.example"),
            "addressLine1": format!("{n} Commerce St"),
            "city": "Austin", "state": "Texas", "country": "US", "zipCode": "78701",
            "adminFirstName": "Admin", "adminLastName": format!("Company{n:04}"),
            "adminEmail": format!("admin@company{n:04}.example"),
            "companyStatus": statuses[i % statuses.len()],
            "extraFields": [{"fieldName": "externalId", "fieldValue": format!("EXT-{n:05}")}],
        });
        let Ok(ids) = model::create_company(s, &body, t, ev) else {
            continue;
        };
        let buyers = i % 3;
        for b in 0..buyers {
            let _ = model::create_user(
                s,
                &json!({
                    "firstName": format!("Buyer{}", b + 1), "lastName": format!("Company{n:04}"),
                    "email": format!("buyer{}@company{n:04}.example", b + 1),
                    "companyId": ids.company_id, "role": 1 + (b % 2), "channelIds": [1],
                }),
                t + 60 * (b as i64 + 1),
                ev,
            );
        }
        for a in 0..(1 + i % 2) {
            let _ = model::create_address(
                s,
                &json!({
                    "companyId": ids.company_id, "firstName": "Admin", "lastName": format!("Company{n:04}"),
                    "addressLine1": format!("{} Warehouse Rd", n * 10 + a), "city": "Austin", "stateName": "Texas",
                    "stateCode": "TX", "countryName": "United States", "countryCode": "US", "zipCode": "78701",
                    "isDefaultBilling": a == 0, "isDefaultShipping": a == 0, "externalId": format!("ADDR-{n:05}-{a}"),
                }),
                t + 30,
                ev,
            );
        }
    }
}

/// One price list per five companies (at least one) with 20 records each, assigned round-robin
/// to the companies' customer groups.
fn add_pricelists(s: &mut Store, companies: usize) {
    let lists = (companies / 5).max(1);
    let list_ids: Vec<i64> = (0..lists)
        .map(|k| insert_pricelist(s, &format!("Price List {}", k + 1), true, BASE_TIME))
        .collect();
    for (k, list) in list_ids.iter().enumerate() {
        for v in 1..=20 {
            let vid = ((k as i64 * 7 + v) % (PRODUCTS * VARIANTS_PER_PRODUCT)) + 1;
            let Some(variant) = s.variants.get(&vid).cloned() else {
                continue;
            };
            let base = variant.get("price").and_then(Value::as_f64).unwrap_or(10.0);
            let price = (base * (0.8 + 0.05 * k as f64) * 100.0).round() / 100.0;
            s.records.insert(
                Store::record_key(*list, vid, "usd"),
                json!({
                    "price_list_id": list, "variant_id": vid, "product_id": int(&variant, "product_id"),
                    "sku": variant.get("sku"), "currency": "usd", "price": price, "calculated_price": price,
                    "bulk_pricing_tiers": [], "date_created": iso8601(BASE_TIME), "date_modified": iso8601(BASE_TIME),
                }),
            );
        }
    }
    let groups: Vec<(i64, i64)> = s
        .companies
        .values()
        .map(|c| {
            (
                int(c, "companyId").unwrap_or(0),
                int(c, "bcGroupId").unwrap_or(0),
            )
        })
        .collect();
    for (j, (company, group)) in groups.iter().enumerate() {
        let list = list_ids[j % list_ids.len()];
        insert_assignment(s, list, *group, 1);
        let name = s
            .pricelists
            .get(&list)
            .map(|l| crate::store::text(l, "name"))
            .unwrap_or_default();
        if let Some(c) = s.companies.get_mut(company) {
            c["priceListAssign"] = json!([{"channelId": 1, "priceListId": list, "priceListName": name, "channelName": "Default"}]);
        }
    }
}

/// Quotes round-robin over the companies, at least one in every status.
fn add_quotes(s: &mut Store, companies: usize, rng: &mut fastrand::Rng, ev: &mut Events) {
    let quotes = companies.max(QUOTE_STATUSES.len());
    for j in 0..quotes {
        let company = (j % companies) as i64 + 1;
        let vid = (j as i64 % 20) + 1;
        let qty = rng.i64(1..20);
        let price = 10.0 + vid as f64;
        let total = price * qty as f64;
        let _ = model::create_quote(
            s,
            &json!({
                "companyId": company, "status": QUOTE_STATUSES[j % QUOTE_STATUSES.len()],
                "grandTotal": total, "subtotal": total, "discount": 0, "totalAmount": total,
                "expiredAt": "12/31/2026", "userEmail": format!("admin@company{company:04}.example"),
                "quoteTitle": format!("Quote {}", j + 1),
                "contactInfo": {"name": "Admin", "email": format!("admin@company{company:04}.example")},
                "productList": [{"productId": (vid - 1) / 2 + 1, "variantId": vid, "sku": format!("SKU-{:03}-{}", (vid - 1) / 2 + 1, (vid - 1) % 2 + 1), "basePrice": price, "offeredPrice": price, "discount": 0, "quantity": qty}],
            }),
            BASE_TIME + j as i64 * 1_800,
            ev,
        );
    }
}

/// Three B2C shoppers and `orders` core orders over buyers and shoppers; ordered quotes then
/// point at the first order.
fn add_orders(s: &mut Store, orders: usize, rng: &mut fastrand::Rng, ev: &mut Events) {
    let mut b2c = Vec::new();
    for k in 0..3 {
        if let Ok(id) = model::create_customer(
            s,
            &json!({"email": format!("shopper{}@retail.example", k + 1), "first_name": "Shopper", "last_name": format!("{}", k + 1)}),
            BASE_TIME,
            ev,
        ) {
            b2c.push(id);
        }
    }
    let mut buyers: Vec<i64> = s
        .users
        .values()
        .filter_map(|u| int(u, "customerId"))
        .collect();
    buyers.extend(&b2c);
    let order_statuses = [11, 2, 10, 1, 9, 5];
    for k in 0..orders {
        let customer = buyers[k % buyers.len()];
        let lines: Vec<(i64, i64)> = (0..rng.i64(1..4))
            .map(|_| (rng.i64(1..=PRODUCTS * VARIANTS_PER_PRODUCT), rng.i64(1..6)))
            .collect();
        let o = NewOrder {
            customer_id: customer,
            lines,
            status_id: order_statuses[k % order_statuses.len()],
            po_number: format!("PO-{:05}", k + 1),
            invoice_payment: k % 10 == 9,
        };
        let _ = model::create_order(s, &o, BASE_TIME + 86_400 + k as i64 * 1_800, ev);
    }
    // Ordered quotes point at real orders.
    let first_order = s.orders.keys().next().copied();
    if let Some(order) = first_order {
        for q in s.quotes.values_mut() {
            if int(q, "status") == Some(4) {
                q["bcOrderId"] = json!(order.to_string());
                q["orderId"] = json!(order.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_complete() {
        let a = generate(12, 30, 0);
        let b = generate(12, 30, 0);
        assert_eq!(
            serde_json::to_string(&a).unwrap_or_default(),
            serde_json::to_string(&b).unwrap_or_default()
        );
        assert_eq!(a.companies.len(), 12);
        assert_eq!(a.orders.len(), 30);
        assert!(a.users.len() > 12);
        assert!(!a.addresses.is_empty());
        assert!(!a.records.is_empty());
        assert!(!a.assignments.is_empty());
        for s in QUOTE_STATUSES {
            assert!(
                a.quotes.values().any(|q| int(q, "status") == Some(s)),
                "no quote in status {s}"
            );
        }
        assert!(!a.b2b_orders.is_empty());
        assert!(
            a.b2b_orders.len() < a.orders.len(),
            "B2C orders have no B2B view"
        );
        assert_eq!(a.order_metafields.len(), 3);
    }

    #[test]
    fn empty_seed_has_only_catalog() {
        let s = generate(0, 0, 0);
        assert!(s.companies.is_empty() && s.orders.is_empty());
        assert_eq!(s.variants.len() as i64, PRODUCTS * VARIANTS_PER_PRODUCT);
    }
}
