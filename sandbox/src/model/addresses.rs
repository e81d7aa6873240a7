//! B2B company addresses: creating one for an existing company.

use serde_json::{json, Value};

use super::events::Events;
use super::fields::{extra_fields, missing, FieldErrors, REQUIRED};
use crate::store::{int, max_key, text, Store};

/// Creates a B2B address.
pub fn create_address(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let mut errs = missing(
        body,
        &["companyId", "firstName", "lastName", "addressLine1", "city"],
    );
    if text(body, "countryName").is_empty() && text(body, "countryCode").is_empty() {
        errs.insert("countryCode".into(), json!([REQUIRED]));
    }
    if let Some(c) = int(body, "companyId") {
        if !store.companies.contains_key(&c) {
            errs.insert("companyId".into(), json!(["Company does not exist."]));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let company_id = int(body, "companyId").unwrap_or(0);
    let id = store.next_id("address", max_key(&store.addresses));
    let b = |f: &str, d: bool| body.get(f).and_then(Value::as_bool).unwrap_or(d);
    store.addresses.insert(
        id,
        json!({
            "addressId": id,
            "firstName": text(body, "firstName"),
            "lastName": text(body, "lastName"),
            "phoneNumber": text(body, "phoneNumber"),
            "zipCode": text(body, "zipCode"),
            "addressLine1": text(body, "addressLine1"),
            "addressLine2": text(body, "addressLine2"),
            "city": text(body, "city"),
            "stateName": text(body, "stateName"),
            "countryName": text(body, "countryName"),
            "stateCode": text(body, "stateCode"),
            "countryCode": text(body, "countryCode"),
            "companyId": company_id,
            "isBilling": b("isBilling", true),
            "isShipping": b("isShipping", true),
            "isDefaultBilling": b("isDefaultBilling", false),
            "isDefaultShipping": b("isDefaultShipping", false),
            "label": text(body, "label"),
            "externalId": text(body, "externalId"),
            "extraFields": extra_fields(body),
            "createdAt": now,
            "updatedAt": now,
        }),
    );
    ev.push((
        "store/company/address/created".into(),
        json!({"company_id": company_id, "address_id": id}),
    ));
    Ok(id)
}
