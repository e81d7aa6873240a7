//! Reading an entity's request body: the required fields (a refusal names each missing one with
//! [`REQUIRED`] in [`FieldErrors`]), text fields and the B2B `extraFields` list.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::store::text;

/// A validation failure: field → messages (B2B `errMsg` / v3 `errors` shape).
pub type FieldErrors = Map<String, Value>;

/// The "required" message BigCommerce uses.
pub const REQUIRED: &str = "This field is required.";

/// The errors naming every field of `fields` that `body` lacks (absent, null, blank or empty).
pub fn missing(body: &Value, fields: &[&str]) -> FieldErrors {
    let mut errs = Map::new();
    for f in fields {
        let present = match body.get(*f) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        if !present {
            errs.insert((*f).to_string(), json!([REQUIRED]));
        }
    }
    errs
}

/// One field's error: `field` → `message`.
pub fn field_error(field: &str, message: Value) -> FieldErrors {
    let mut e = Map::new();
    e.insert(field.into(), message);
    e
}

/// The B2B `extraFields` of a body as stored: `[{fieldName, fieldValue}]`.
pub fn extra_fields(body: &Value) -> Value {
    match body.get("extraFields") {
        Some(Value::Array(a)) => Value::Array(
            a.iter()
                .filter_map(|f| {
                    let name = f.get("fieldName")?.as_str()?;
                    Some(json!({"fieldName": name, "fieldValue": text(f, "fieldValue")}))
                })
                .collect(),
        ),
        // The bulk-create schema declares a single object.
        Some(Value::Object(o)) if o.contains_key("fieldName") => {
            let f = Value::Object(o.clone());
            json!([{"fieldName": text(&f, "fieldName"), "fieldValue": text(&f, "fieldValue")}])
        }
        _ => json!([]),
    }
}

/// Whether an entity of `entities` has email `email` (case aside).
pub fn email_taken(entities: &BTreeMap<i64, Value>, email: &str) -> bool {
    entities
        .values()
        .any(|e| text(e, "email").eq_ignore_ascii_case(email))
}
