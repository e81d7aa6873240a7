//! B2B company users: the create rules and creating a user with its core customer (an existing
//! customer of the same email is linked instead).

use serde_json::{json, Value};

use super::customers::create_customer;
use super::events::Events;
use super::fields::{email_taken, extra_fields, missing, FieldErrors};
use super::roles;
use crate::store::{int, max_key, text, uuid_for, Store};

/// Validates a user body (create rules).
pub fn validate_user(store: &Store, body: &Value) -> Result<(), FieldErrors> {
    let mut errs = missing(
        body,
        &[
            "firstName",
            "lastName",
            "email",
            "companyId",
            "role",
            "channelIds",
        ],
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    match int(body, "companyId") {
        Some(c) if store.companies.contains_key(&c) => {}
        _ => {
            errs.insert("companyId".into(), json!(["Company does not exist."]));
        }
    }
    match int(body, "role") {
        Some(0..=2) => {}
        _ => {
            errs.insert("role".into(), json!(["Role must be 0, 1 or 2."]));
        }
    }
    if let Some(r) = int(body, "companyRoleId") {
        if roles::role_name(store, r).is_none() {
            errs.insert(
                "companyRoleId".into(),
                json!(["Company role does not exist."]),
            );
        }
    }
    let email = text(body, "email");
    if !email.contains('@') {
        errs.insert("email".into(), json!(["Enter a valid email address."]));
    } else if email_taken(&store.users, &email) {
        errs.insert(
            "email".into(),
            json!([format!("User with email {email} already exists.")]),
        );
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Creates a B2B user and its core customer; returns `(userId, bcId)`.
pub fn create_user(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<(i64, i64), FieldErrors> {
    validate_user(store, body)?;
    let company_id = int(body, "companyId").unwrap_or(0);
    let email = text(body, "email").to_ascii_lowercase();
    let customer_id = user_customer(store, body, company_id, &email, now, ev)?;
    let user_id = store.next_id("user", max_key(&store.users));
    let role = int(body, "role").unwrap_or(2);
    let role_name = ["Admin", "Senior Buyer", "Junior Buyer"]
        .get(role as usize)
        .copied()
        .unwrap_or("Junior Buyer");
    let company_role = int(body, "companyRoleId").unwrap_or(role + 1);
    store.users.insert(
        user_id,
        json!({
            "id": user_id,
            "firstName": text(body, "firstName"),
            "lastName": text(body, "lastName"),
            "email": email,
            "phoneNumber": text(body, "phoneNumber"),
            "role": role,
            "companyRoleId": company_role,
            "companyRoleName": roles::role_name(store, company_role).unwrap_or_else(|| role_name.to_owned()),
            "uuid": body.get("uuid").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| uuid_for(0xa5, user_id)),
            "extraFields": extra_fields(body),
            "companyId": company_id,
            "createdAt": now,
            "updatedAt": now,
            "customerId": customer_id,
            "channelList": channel_list(body),
        }),
    );
    ev.push((
        "store/company/user/created".into(),
        json!({"company_id": company_id, "user_id": user_id}),
    ));
    Ok((user_id, customer_id))
}

/// The core customer of a new user: the one with its email, else a new one in the company's
/// customer group.
fn user_customer(
    store: &mut Store,
    body: &Value,
    company_id: i64,
    email: &str,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let existing = store
        .customers
        .values()
        .find(|c| text(c, "email").eq_ignore_ascii_case(email))
        .and_then(|c| int(c, "id"));
    if let Some(id) = existing {
        return Ok(id);
    }
    let (company_name, group_id) = store
        .companies
        .get(&company_id)
        .map(|c| (text(c, "companyName"), int(c, "bcGroupId").unwrap_or(0)))
        .unwrap_or_default();
    create_customer(
        store,
        &json!({
            "email": email,
            "first_name": text(body, "firstName"),
            "last_name": text(body, "lastName"),
            "company": company_name,
            "phone": text(body, "phoneNumber"),
            "customer_group_id": group_id,
            "channel_ids": body.get("channelIds").cloned().unwrap_or_else(|| json!([1])),
        }),
        now,
        ev,
    )
}

/// A user's `channelList` from the body's `channelIds`.
fn channel_list(body: &Value) -> Vec<Value> {
    body.get("channelIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_i64)
                .map(|c| json!({"channelId": c, "channelName": if c == 1 { "Default".to_string() } else { format!("Channel {c}") }, "iconUrl": ""}))
                .collect()
        })
        .unwrap_or_default()
}
