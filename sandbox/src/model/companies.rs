//! B2B companies: creating one (its customer group, its admin user and that user's core
//! customer come with it) and applying an update body.

use serde_json::{json, Value};

use super::customers::create_customer_group;
use super::events::Events;
use super::fields::{email_taken, extra_fields, field_error, missing, FieldErrors};
use super::users::create_user;
use crate::store::{int, max_key, text, uuid_for, Store};

/// Result of creating a company.
#[derive(Debug, Clone, Copy)]
pub struct CompanyIds {
    /// B2B company id.
    pub company_id: i64,
    /// Core customer id of the admin user.
    pub customer_id: i64,
    /// Core customer group of the company.
    pub customer_group_id: i64,
}

/// The fields a company create must have.
const REQUIRED_FIELDS: [&str; 7] = [
    "companyName",
    "companyPhone",
    "companyEmail",
    "country",
    "adminFirstName",
    "adminLastName",
    "adminEmail",
];

/// Company create: required fields, a customer group, the admin user and its core customer.
pub fn create_company(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<CompanyIds, FieldErrors> {
    let admin_email = check_company_body(store, body)?;
    let name = text(body, "companyName");
    let group_id = company_group(store, body, &name, now);
    let company_id = store.next_id("company", max_key(&store.companies));
    let company = company_document(store, body, company_id, group_id, now);
    store.companies.insert(company_id, company);
    ev.push((
        "store/company/created".into(),
        json!({"company_id": company_id}),
    ));
    let admin = admin_user_body(body, &admin_email, company_id);
    let (_, customer_id) = match create_user(store, &admin, now, ev) {
        Ok(ids) => ids,
        Err(e) => {
            store.companies.remove(&company_id);
            ev.pop();
            return Err(e);
        }
    };
    Ok(CompanyIds {
        company_id,
        customer_id,
        customer_group_id: group_id,
    })
}

/// Refuses a body that is no object, lacks a required field, or names an admin email a user or
/// customer already has; returns the admin email, lowercased.
fn check_company_body(store: &Store, body: &Value) -> Result<String, FieldErrors> {
    if !body.is_object() {
        return Err(field_error(
            "non_field_errors",
            json!(["The request body must be a JSON object."]),
        ));
    }
    let errs = missing(body, &REQUIRED_FIELDS);
    if !errs.is_empty() {
        return Err(errs);
    }
    let admin_email = text(body, "adminEmail").to_ascii_lowercase();
    if email_taken(&store.users, &admin_email) || email_taken(&store.customers, &admin_email) {
        return Err(field_error(
            "adminEmail",
            json!([format!("User with email {admin_email} already exists")]),
        ));
    }
    Ok(admin_email)
}

/// The customer group the body names when it exists, else a new group named after the company.
fn company_group(store: &mut Store, body: &Value, name: &str, now: i64) -> i64 {
    match int(body, "customerGroupId") {
        Some(g) if store.customer_groups.contains_key(&g) => g,
        _ => create_customer_group(store, name, now),
    }
}

/// The stored company `company_id` of a create body, in group `group_id`.
fn company_document(
    store: &Store,
    body: &Value,
    company_id: i64,
    group_id: i64,
    now: i64,
) -> Value {
    let group_name = store
        .customer_groups
        .get(&group_id)
        .map(|g| text(g, "name"))
        .unwrap_or_default();
    let status = int(body, "companyStatus").unwrap_or(1).clamp(0, 3);
    json!({
        "companyId": company_id,
        "companyName": text(body, "companyName"),
        "companyEmail": text(body, "companyEmail"),
        "companyPhone": text(body, "companyPhone"),
        "addressLine1": text(body, "addressLine1"),
        "addressLine2": text(body, "addressLine2"),
        "city": text(body, "city"),
        "state": text(body, "state"),
        "country": text(body, "country"),
        "zipCode": text(body, "zipCode"),
        "catalogId": text(body, "catalogId"),
        "catalogName": "",
        "bcGroupId": group_id,
        "bcGroupName": group_name,
        "companyStatus": status.to_string(),
        "parentCompany": {"id": 0, "name": ""},
        "priceListAssign": [],
        "extraFields": extra_fields(body),
        "uuid": uuid_for(0xc0, company_id),
        "createdAt": now.to_string(),
        "updatedAt": now.to_string(),
    })
}

/// The user body of a new company's admin (role 0), from the company create body.
fn admin_user_body(body: &Value, admin_email: &str, company_id: i64) -> Value {
    json!({
        "firstName": text(body, "adminFirstName"),
        "lastName": text(body, "adminLastName"),
        "email": admin_email,
        "phoneNumber": text(body, "adminPhoneNumber"),
        "role": 0,
        "companyId": company_id,
        "channelIds": body.get("channelIds").filter(|v| v.is_array()).cloned().unwrap_or_else(|| json!([1])),
        "extraFields": body.get("userExtraFields").cloned().unwrap_or_else(|| json!([])),
    })
}

/// Applies a company update body to `company` (names, address, catalog, extra fields, price
/// lists, customer group).
pub fn update_company(company: &mut Value, body: &Value, store_groups: &Store, now: i64) {
    for f in [
        "companyName",
        "companyEmail",
        "companyPhone",
        "addressLine1",
        "addressLine2",
        "city",
        "state",
        "country",
        "zipCode",
        "uuid",
        "catalogId",
    ] {
        if let Some(v) = body.get(f).filter(|v| !v.is_null()) {
            company[f] = json!(text(&json!({ "v": v }), "v"));
        }
    }
    if body.get("extraFields").is_some() {
        company["extraFields"] = extra_fields(body);
    }
    if let Some(Value::Array(a)) = body.get("priceListAssign") {
        company["priceListAssign"] = Value::Array(
            a.iter()
                .map(|p| {
                    let pl = int(p, "priceListId").unwrap_or(0);
                    let pl_name = store_groups
                        .pricelists
                        .get(&pl)
                        .map(|x| text(x, "name"))
                        .unwrap_or_default();
                    json!({"channelId": int(p, "channelId").unwrap_or(1), "priceListId": pl, "priceListName": pl_name, "channelName": "Default"})
                })
                .collect(),
        );
    }
    if let Some(g) = int(body, "customerGroupId") {
        company["bcGroupId"] = json!(g);
        if let Some(group) = store_groups.customer_groups.get(&g) {
            company["bcGroupName"] = json!(text(group, "name"));
        }
    }
    company["updatedAt"] = json!(now.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company_body(email: &str) -> Value {
        json!({
            "companyName": "Acme", "companyPhone": "1", "companyEmail": "a@acme.test", "country": "US",
            "adminFirstName": "Ada", "adminLastName": "Lovelace", "adminEmail": email,
        })
    }

    #[test]
    fn company_creates_group_admin_and_customer() {
        let mut s = Store::default();
        let mut ev = Events::new();
        let ids = create_company(&mut s, &company_body("ada@acme.test"), 1000, &mut ev)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.companies.len(), 1);
        assert_eq!(s.users.len(), 1);
        assert!(s.customers.contains_key(&ids.customer_id));
        assert!(s.customer_groups.contains_key(&ids.customer_group_id));
        let scopes: Vec<&str> = ev.iter().map(|(s, _)| s.as_str()).collect();
        assert!(scopes.contains(&"store/company/created"));
        assert!(scopes.contains(&"store/company/user/created"));
        assert!(scopes.contains(&"store/customer/created"));
        // duplicate admin email is refused and leaves nothing behind
        let again = create_company(&mut s, &company_body("ada@acme.test"), 1000, &mut ev);
        assert!(again.is_err());
        assert_eq!(s.companies.len(), 1);
    }

    #[test]
    fn company_requires_fields() {
        let mut s = Store::default();
        let mut ev = Events::new();
        let errs = create_company(&mut s, &json!({"companyName": "x"}), 1, &mut ev)
            .err()
            .unwrap_or_default();
        assert!(errs.contains_key("adminEmail"));
        assert!(errs.contains_key("companyPhone"));
        assert!(!errs.contains_key("companyName"));
    }

    #[test]
    fn accounts_copy_validates_as_the_store_would() {
        let mut s = crate::seed::generate(3, 20, 5);
        let body = company_body("new@acme.test");
        let taken = json!({"companyName": "B", "companyPhone": "1", "companyEmail": "b@b.test",
            "country": "US", "adminFirstName": "A", "adminLastName": "B",
            "adminEmail": s.customers.values().next().map(|c| text(c, "email")).unwrap_or_default()});
        let mut copy = s.accounts_copy();
        assert!(
            copy.orders.is_empty() && !s.orders.is_empty(),
            "orders are not copied"
        );
        let trial = create_company(&mut copy, &body, 1, &mut Events::new());
        assert!(create_company(&mut copy, &taken, 1, &mut Events::new()).is_err());
        let real = create_company(&mut s, &body, 1, &mut Events::new());
        match (trial, real) {
            (Ok(t), Ok(r)) => assert_eq!(
                (t.company_id, t.customer_id, t.customer_group_id),
                (r.company_id, r.customer_id, r.customer_group_id),
                "the copy hands out the same ids"
            ),
            other => panic!("{other:?}"),
        }
    }
}
