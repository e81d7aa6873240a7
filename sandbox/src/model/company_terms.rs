//! A company's payment methods, payment terms and credit (`payment.yaml`): pure store reads and
//! changes behind the `/companies/{id}/payments`, `/payment-terms` and `/credit` routes. A
//! company without settings of its own has every store method enabled, terms off and credit
//! off; the store's company credit feature can be switched off (`credit_disabled`), which the
//! credit routes then refuse.

use serde_json::{json, Map, Value};

use crate::store::Store;

/// The net days B2B Edition offers (`paymentTerms` enum).
pub const TERM_DAYS: [i64; 6] = [0, 5, 15, 30, 45, 60];

/// Why a change was refused: the `data.errMsg` (and `meta.message`) of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404.
    NotFound(String),
    /// 400.
    Invalid(String),
    /// 400: the store's company credit feature is off.
    CreditOff,
}

/// The store's payment methods when a store has none of its own.
pub fn default_methods() -> Vec<Value> {
    [
        (1, "cod", "Cash on Delivery"),
        (2, "purchase_order", "Purchase Order"),
        (3, "authorizenet", "Authorize.net"),
        (4, "bankdeposit", "Bank Deposit"),
    ]
    .into_iter()
    .map(|(id, code, title)| json!({"id": id, "paymentCode": code, "paymentTitle": title}))
    .collect()
}

/// The store's payment methods (`GET /payments`).
pub fn store_methods(store: &Store) -> Vec<Value> {
    if store.payment_methods.is_empty() {
        default_methods()
    } else {
        store.payment_methods.clone()
    }
}

fn company_exists(store: &Store, id: i64) -> Result<(), Refusal> {
    if store.companies.contains_key(&id) {
        Ok(())
    } else {
        Err(Refusal::NotFound("Company Does not Exist".into()))
    }
}

/// Every store method as company `id` has it.
pub fn company_methods(store: &Store, id: i64) -> Result<Vec<Value>, Refusal> {
    company_exists(store, id)?;
    let own = store.company_payments.get(&id);
    Ok(store_methods(store)
        .iter()
        .map(|m| {
            let code = m["paymentCode"].as_str().unwrap_or_default();
            let enabled = own
                .and_then(|o| o.get(code))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            json!({"paymentId": m["id"], "code": code, "paymentTitle": m["paymentTitle"], "isEnabled": enabled})
        })
        .collect())
}

/// Applies `{payments: [{code, isEnabled}]}`: only the listed codes change; all or nothing.
pub fn set_company_methods(store: &mut Store, id: i64, body: &Value) -> Result<(), Refusal> {
    company_exists(store, id)?;
    let Some(items) = body.get("payments").and_then(Value::as_array) else {
        return Err(Refusal::Invalid("Payments is required.; ".into()));
    };
    let known: Vec<String> = store_methods(store)
        .iter()
        .filter_map(|m| m["paymentCode"].as_str().map(str::to_owned))
        .collect();
    let mut changes = Vec::new();
    for item in items {
        let Some(code) = item.get("code").and_then(Value::as_str) else {
            return Err(Refusal::Invalid("Code is required.; ".into()));
        };
        let Some(enabled) = item.get("isEnabled").and_then(Value::as_bool) else {
            return Err(Refusal::Invalid("IsEnabled is required.; ".into()));
        };
        if !known.iter().any(|k| k == code) {
            return Err(Refusal::NotFound("Payment Does not Exist".into()));
        }
        changes.push((code.to_owned(), enabled));
    }
    let own = store.company_payments.entry(id).or_default();
    for (code, enabled) in changes {
        own.insert(code, Value::Bool(enabled));
    }
    Ok(())
}

/// The company's payment terms.
pub fn terms(store: &Store, id: i64) -> Result<Value, Refusal> {
    company_exists(store, id)?;
    Ok(store
        .company_terms
        .get(&id)
        .cloned()
        .unwrap_or_else(|| json!({"isEnabled": false, "paymentTerms": 0})))
}

/// Sets the company's payment terms (both fields required, the days one of [`TERM_DAYS`]).
pub fn set_terms(store: &mut Store, id: i64, body: &Value) -> Result<Value, Refusal> {
    company_exists(store, id)?;
    let enabled = body.get("isEnabled").and_then(Value::as_bool);
    let days = body.get("paymentTerms").and_then(Value::as_i64);
    let (Some(enabled), Some(days)) = (enabled, days) else {
        return Err(Refusal::Invalid(
            "IsEnabled and paymentTerms are required.; ".into(),
        ));
    };
    if !TERM_DAYS.contains(&days) {
        return Err(Refusal::Invalid(
            "Payment terms value error, must be in [0, 5, 15, 30, 45, 60]; ".into(),
        ));
    }
    // Off, the company has the store's default (0 here), whatever was sent.
    let days = if enabled { days } else { 0 };
    let terms = json!({"isEnabled": enabled, "paymentTerms": days});
    store.company_terms.insert(id, terms.clone());
    Ok(terms)
}

fn credit_feature(store: &Store) -> Result<(), Refusal> {
    if store.credit_disabled {
        Err(Refusal::Invalid(
            "Store company credit is not enabled".into(),
        ))
    } else {
        Ok(())
    }
}

/// The company's credit.
pub fn credit(store: &Store, id: i64) -> Result<Value, Refusal> {
    company_exists(store, id)?;
    credit_feature(store)?;
    Ok(store.company_credit.get(&id).cloned().unwrap_or_else(|| {
        json!({"creditEnabled": false, "creditCurrency": "USD", "availableCredit": 0,
               "limitPurchases": false, "creditHold": false})
    }))
}

/// Changes the credit fields `body` gives (each of its declared type) and answers the result.
pub fn set_credit(store: &mut Store, id: i64, body: &Value) -> Result<Value, Refusal> {
    let mut now = credit(store, id)?;
    let Some(fields) = body.as_object() else {
        return Err(Refusal::Invalid("The body must be an object.".into()));
    };
    let mut changed = Map::new();
    for (key, value) in fields {
        let fits = match key.as_str() {
            "creditEnabled" | "limitPurchases" | "creditHold" => value.is_boolean(),
            "creditCurrency" => value.as_str().is_some_and(|c| c.len() == 3),
            "availableCredit" => value.as_f64().is_some_and(|v| v >= 0.0),
            _ => return Err(Refusal::Invalid(format!("Unknown field {key}."))),
        };
        if !fits {
            return Err(Refusal::Invalid(format!("Invalid value of {key}.")));
        }
        changed.insert(key.clone(), value.clone());
    }
    for (key, value) in changed {
        now[key] = value;
    }
    store.company_credit.insert(id, now.clone());
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let mut s = Store::default();
        s.companies.insert(1, json!({"companyId": 1}));
        s
    }

    #[test]
    fn methods_change_only_where_named_and_unknown_codes_change_nothing() {
        let mut s = store();
        let body = json!({"payments": [{"code": "cod", "isEnabled": false}]});
        set_company_methods(&mut s, 1, &body).unwrap();
        let m = company_methods(&s, 1).unwrap();
        let enabled: Vec<bool> = m.iter().map(|m| m["isEnabled"] == true).collect();
        assert_eq!(enabled, [false, true, true, true]);
        let bad = json!({"payments": [{"code": "purchase_order", "isEnabled": false},
                                      {"code": "barter", "isEnabled": true}]});
        assert_eq!(
            set_company_methods(&mut s, 1, &bad),
            Err(Refusal::NotFound("Payment Does not Exist".into()))
        );
        assert_eq!(company_methods(&s, 1).unwrap()[1]["isEnabled"], true);
        assert!(matches!(company_methods(&s, 9), Err(Refusal::NotFound(_))));
    }

    #[test]
    fn terms_take_the_offered_days_only() {
        let mut s = store();
        let t = set_terms(&mut s, 1, &json!({"isEnabled": true, "paymentTerms": 30})).unwrap();
        assert_eq!(t, json!({"isEnabled": true, "paymentTerms": 30}));
        assert!(set_terms(&mut s, 1, &json!({"isEnabled": true, "paymentTerms": 31})).is_err());
        assert!(set_terms(&mut s, 1, &json!({"isEnabled": true})).is_err());
        assert_eq!(terms(&s, 1).unwrap()["paymentTerms"], 30);
        let off = set_terms(&mut s, 1, &json!({"isEnabled": false, "paymentTerms": 45})).unwrap();
        assert_eq!(off, json!({"isEnabled": false, "paymentTerms": 0}));
    }

    #[test]
    fn credit_changes_what_is_sent_and_is_refused_with_the_feature_off() {
        let mut s = store();
        let c = set_credit(
            &mut s,
            1,
            &json!({"availableCredit": 12.5, "creditEnabled": true}),
        )
        .unwrap();
        assert_eq!(c["availableCredit"], 12.5);
        assert_eq!(c["creditHold"], false);
        assert!(set_credit(&mut s, 1, &json!({"creditHold": "yes"})).is_err());
        s.credit_disabled = true;
        assert_eq!(
            credit(&s, 1),
            Err(Refusal::Invalid(
                "Store company credit is not enabled".into()
            ))
        );
    }
}
