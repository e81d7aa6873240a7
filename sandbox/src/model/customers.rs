//! Core customers: v2 customer groups and v3 customers, as a company's group and its buyers'
//! core accounts are made too.

use serde_json::{json, Value};

use super::events::Events;
use super::fields::{email_taken, field_error, missing, FieldErrors};
use crate::store::{int, iso8601, max_key, rfc2822, text, Store};

/// Creates a v2 customer group.
pub fn create_customer_group(store: &mut Store, name: &str, now: i64) -> i64 {
    let id = store.next_id("customer_group", max_key(&store.customer_groups));
    store.customer_groups.insert(
        id,
        json!({
            "id": id,
            "name": name,
            "is_default": false,
            "category_access": {"type": "all"},
            "discount_rules": [],
            "date_created": rfc2822(now),
            "date_modified": rfc2822(now),
            "is_group_for_guests": false,
        }),
    );
    id
}

/// Creates a v3 customer from a v3-shaped body (`email`, `first_name`, `last_name` required).
pub fn create_customer(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let errs = missing(body, &["email", "first_name", "last_name"]);
    if !errs.is_empty() {
        return Err(errs);
    }
    let email = text(body, "email").to_ascii_lowercase();
    if email_taken(&store.customers, &email) {
        return Err(field_error(
            "email",
            json!(format!("Email address {email} is already in use")),
        ));
    }
    let id = store.next_id("customer", max_key(&store.customers));
    let channel_ids = body
        .get("channel_ids")
        .filter(|v| v.is_array())
        .cloned()
        .unwrap_or_else(|| json!([1]));
    store.customers.insert(
        id,
        json!({
            "id": id,
            "email": email,
            "first_name": text(body, "first_name"),
            "last_name": text(body, "last_name"),
            "company": text(body, "company"),
            "phone": text(body, "phone"),
            "registration_ip_address": "",
            "notes": text(body, "notes"),
            "tax_exempt_category": text(body, "tax_exempt_category"),
            "customer_group_id": int(body, "customer_group_id").unwrap_or(0),
            "date_created": iso8601(now),
            "date_modified": iso8601(now),
            "address_count": 0,
            "attribute_count": 0,
            "authentication": {"force_password_reset": false},
            "accepts_product_review_abandoned_cart_emails": false,
            "origin_channel_id": int(body, "origin_channel_id").unwrap_or(1),
            "channel_ids": channel_ids,
        }),
    );
    ev.push((
        "store/customer/created".into(),
        json!({"type": "customer", "id": id}),
    ));
    Ok(id)
}
