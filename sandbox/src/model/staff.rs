//! Sales staff (`sales_staff.yaml`) and super admins (`super_admin.yaml`): pure store reads and
//! changes. Sales staff are made in the control panel (here: `POST /__sandbox/sales-staff`);
//! super admins by the API. Each keeps the companies it is assigned to as
//! `assigned: {companyId: assignedAt}`; assignment changes touch only the companies named.

use serde_json::{json, Map, Value};

use crate::store::{int, max_key, text, Store};

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404: no such staff member or super admin.
    NotFound(String),
    /// 400 (super admins) or 422 (sales staff): the request cannot be applied.
    Invalid(String),
}

/// Adds a sales staff member `{email, name, phone}` (the control panel's job): its id.
pub fn add_sales_staff(store: &mut Store, body: &Value, now: i64) -> Result<i64, Refusal> {
    let email = text(body, "email");
    if !email.contains('@') {
        return Err(Refusal::Invalid("email is required".into()));
    }
    let id = store.next_id("sales_staff", max_key(&store.sales_staff));
    store.sales_staff.insert(
        id,
        json!({"id": id, "email": email, "name": text(body, "name"),
               "phoneNumber": text(body, "phone"), "roleName": "Sales Rep",
               "assigned": {}, "updatedAt": now}),
    );
    Ok(id)
}

fn assigned_ids(entry: &Value) -> Vec<i64> {
    entry["assigned"]
        .as_object()
        .map(|m| m.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default()
}

/// The sales staff list items (`id, email, salesRepName, roleName, companyCount`), of those
/// assigned to `company` when given.
pub fn sales_staff_list(store: &Store, company: Option<i64>) -> Vec<Value> {
    store
        .sales_staff
        .values()
        .filter(|s| company.is_none_or(|c| assigned_ids(s).contains(&c)))
        .map(|s| {
            json!({"id": s["id"], "email": s["email"], "salesRepName": s["name"],
                   "roleName": s["roleName"], "companyCount": assigned_ids(s).len()})
        })
        .collect()
}

/// A sales staff member with the companies they are assigned to.
pub fn sales_staff_detail(store: &Store, id: i64) -> Option<Value> {
    let s = store.sales_staff.get(&id)?;
    let companies: Vec<Value> = s["assigned"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, at)| {
            let c = store.companies.get(&k.parse().ok()?)?;
            Some(json!({"id": c["companyId"], "bcId": int(c, "bcGroupId").unwrap_or(0).to_string(),
                        "companyName": text(c, "companyName"), "bcGroupName": text(c, "bcGroupName"),
                        "assignedAt": at}))
        })
        .collect();
    Some(
        json!({"id": s["id"], "email": s["email"], "name": s["name"],
                "phoneNumber": s["phoneNumber"], "assignedCompanies": companies}),
    )
}

/// Applies `changes` (`[{companyId, isAssigned|assignStatus}]`, under `flag`) to `assigned`:
/// all or nothing, every company must exist.
fn reassign(
    companies: &std::collections::BTreeMap<i64, Value>,
    assigned: &mut Map<String, Value>,
    changes: &[Value],
    flag: &str,
    now: i64,
) -> Result<(), Refusal> {
    let mut parsed = Vec::new();
    for c in changes {
        let company = int(c, "companyId").filter(|id| companies.contains_key(id));
        let Some(company) = company else {
            return Err(Refusal::Invalid("Company does not exist.".into()));
        };
        let Some(on) = c.get(flag).and_then(Value::as_bool) else {
            return Err(Refusal::Invalid("Must be a valid boolean.".into()));
        };
        parsed.push((company, on));
    }
    for (company, on) in parsed {
        let key = company.to_string();
        if !on {
            assigned.remove(&key);
        } else if !assigned.contains_key(&key) {
            assigned.insert(key, json!(now));
        }
    }
    Ok(())
}

/// `PUT /sales-staffs/{id}`: `[{companyId, assignStatus}]`.
pub fn assign_sales_staff(
    store: &mut Store,
    id: i64,
    body: &Value,
    now: i64,
) -> Result<(), Refusal> {
    let Some(changes) = body.as_array() else {
        return Err(Refusal::Invalid("The body must be an array.".into()));
    };
    let Some(staff) = store.sales_staff.get_mut(&id) else {
        return Err(Refusal::Invalid("Sales staff does not exist.".into()));
    };
    let mut assigned = staff["assigned"].as_object().cloned().unwrap_or_default();
    reassign(
        &store.companies,
        &mut assigned,
        changes,
        "assignStatus",
        now,
    )?;
    staff["assigned"] = Value::Object(assigned);
    staff["updatedAt"] = json!(now);
    Ok(())
}

/// `POST /super-admins`: `{userId, customerId}`; an email already a super admin or a company
/// user is refused.
pub fn create_super_admin(store: &mut Store, body: &Value, now: i64) -> Result<Value, Refusal> {
    let email = text(body, "email");
    for field in ["firstName", "lastName", "email"] {
        if text(body, field).trim().is_empty() {
            return Err(Refusal::Invalid(format!("{field} is required.")));
        }
    }
    let taken = store
        .super_admins
        .values()
        .chain(store.users.values())
        .any(|u| text(u, "email").eq_ignore_ascii_case(&email));
    if taken {
        return Err(Refusal::Invalid("The user already exists.".into()));
    }
    let id = store.next_id(
        "user",
        max_key(&store.users).max(max_key(&store.super_admins)),
    );
    let customer = store.next_id("customer", max_key(&store.customers));
    let channels: Vec<Value> = body["channelIds"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![json!(1)])
        .into_iter()
        .map(|c| json!({"channelId": c, "channelName": "Default", "iconUrl": ""}))
        .collect();
    store.super_admins.insert(
        id,
        json!({"id": id, "firstName": text(body, "firstName"), "lastName": text(body, "lastName"),
               "email": email, "phone": text(body, "phone"), "createdAt": now, "updatedAt": now,
               "channelList": channels, "customerId": customer, "assigned": {}}),
    );
    Ok(json!({"userId": id, "customerId": customer}))
}

/// The super admins whose email or name contains `q` (all without it), as the list shows them.
pub fn super_admins(store: &Store, q: Option<&str>) -> Vec<Value> {
    let q = q.map(str::to_lowercase);
    store
        .super_admins
        .values()
        .filter(|a| {
            q.as_deref().is_none_or(|q| {
                ["email", "firstName", "lastName"]
                    .iter()
                    .any(|f| text(a, f).to_lowercase().contains(q))
            })
        })
        .map(|a| {
            json!({"id": a["id"], "firstName": a["firstName"], "lastName": a["lastName"],
                   "email": a["email"], "phone": a["phone"], "createdAt": a["createdAt"],
                   "updatedAt": a["updatedAt"], "channelList": a["channelList"]})
        })
        .collect()
}

/// The companies super admin `id` is assigned to.
pub fn super_admin_companies(store: &Store, id: i64) -> Option<Vec<Value>> {
    let a = store.super_admins.get(&id)?;
    Some(
        assigned_ids(a)
            .into_iter()
            .filter_map(|c| store.companies.get(&c))
            .map(|c| {
                json!({"companyId": c["companyId"], "companyName": text(c, "companyName"),
                       "companyEmail": text(c, "companyEmail")})
            })
            .collect(),
    )
}

/// `PUT /super-admins/{id}`: `{companies: [{companyId, isAssigned}]}`.
pub fn assign_super_admin(
    store: &mut Store,
    id: i64,
    body: &Value,
    now: i64,
) -> Result<(), Refusal> {
    let Some(admin) = store.super_admins.get_mut(&id) else {
        return Err(Refusal::NotFound(
            "The ID provided does not match an available resource of the appropriate type.".into(),
        ));
    };
    let Some(changes) = body["companies"].as_array() else {
        return Err(Refusal::Invalid("companies is required.".into()));
    };
    let mut assigned = admin["assigned"].as_object().cloned().unwrap_or_default();
    reassign(&store.companies, &mut assigned, changes, "isAssigned", now)?;
    admin["assigned"] = Value::Object(assigned);
    admin["updatedAt"] = json!(now);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let mut s = Store::default();
        for id in [1, 2] {
            s.companies.insert(
                id,
                json!({"companyId": id, "companyName": format!("Co {id}"), "bcGroupId": 7}),
            );
        }
        s
    }

    #[test]
    fn sales_staff_assignments_change_only_the_companies_named_all_or_nothing() {
        let mut s = store();
        let id = add_sales_staff(&mut s, &json!({"email": "m@x.example", "name": "M"}), 5).unwrap();
        let on =
            json!([{"companyId": 1, "assignStatus": true}, {"companyId": 2, "assignStatus": true}]);
        assign_sales_staff(&mut s, id, &on, 6).unwrap();
        let off = json!([{"companyId": 2, "assignStatus": false}]);
        assign_sales_staff(&mut s, id, &off, 7).unwrap();
        let d = sales_staff_detail(&s, id).unwrap();
        assert_eq!(d["assignedCompanies"].as_array().unwrap().len(), 1);
        assert_eq!(d["assignedCompanies"][0]["assignedAt"], 6);
        let bad =
            json!([{"companyId": 2, "assignStatus": true}, {"companyId": 9, "assignStatus": true}]);
        assert!(assign_sales_staff(&mut s, id, &bad, 8).is_err());
        assert_eq!(sales_staff_list(&s, None)[0]["companyCount"], 1);
        assert_eq!(sales_staff_list(&s, Some(1)).len(), 1);
        assert!(sales_staff_list(&s, Some(2)).is_empty());
    }

    #[test]
    fn a_super_admin_is_made_once_per_email_and_found_by_it() {
        let mut s = store();
        let body = json!({"firstName": "O", "lastName": "P", "email": "ops@a.example"});
        let made = create_super_admin(&mut s, &body, 1).unwrap();
        assert_eq!(
            create_super_admin(&mut s, &body, 2),
            Err(Refusal::Invalid("The user already exists.".into()))
        );
        let id = made["userId"].as_i64().unwrap();
        assert_eq!(super_admins(&s, Some("OPS@a"))[0]["id"], id);
        assert!(super_admins(&s, Some("nobody")).is_empty());
        let on = json!({"companies": [{"companyId": 2, "isAssigned": true}]});
        assign_super_admin(&mut s, id, &on, 3).unwrap();
        assert_eq!(super_admin_companies(&s, id).unwrap()[0]["companyId"], 2);
        assert!(matches!(
            assign_super_admin(&mut s, 99, &on, 3),
            Err(Refusal::NotFound(_))
        ));
    }
}
