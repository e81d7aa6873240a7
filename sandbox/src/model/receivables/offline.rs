//! Changes to a recorded offline payment (`PUT /ip/payments/offline/{id}`): details, external
//! ids, payer and funding status at any time; its lines, currency and company only while it is
//! neither completed nor refunded; its processing status as [`super::payments`] moves it.

use serde_json::{json, Value};

use super::payments::{check_apply, given, lines_of, memo_of, payment_missing, perform};
use super::payments::{put_lines, read_lines, status_field, transition, Step};
use super::payments::{AWAITING, REFUNDED, STATUS_NOT_ALLOWED};
use super::{company_name, is_currency, Amount, Ctx, Outcome, Refusal, OFFLINE_MODULE};
use crate::store::{int, text, Store};

/// Applies a `PUT /payments/offline/{id}` body: details, external ids, payer, funding status;
/// the lines, currency and company while the payment is not completed or refunded; and the
/// processing status as [`super::payments::set_processing_status`] moves it.
pub fn update_offline_payment(
    store: &mut Store,
    id: i64,
    body: &Value,
    ctx: Ctx<'_>,
) -> Outcome<i64> {
    let current = store
        .payments
        .get(&id)
        .cloned()
        .ok_or_else(payment_missing)?;
    if text(&current, "moduleName") != OFFLINE_MODULE {
        return Err(Refusal::Invalid(format!(
            "Payment {id} is not an offline payment"
        )));
    }
    let mut next = current.clone();
    if body.get("details").is_some_and(|d| !d.is_null()) {
        let memo = memo_of(body)?;
        next["details"] = json!({ "memo": memo });
        next["moduleData"]["transactions"][0]["memo"] = json!(memo);
    }
    for f in [
        "externalId",
        "externalCustomerId",
        "payerName",
        "payerCustomerId",
    ] {
        match body.get(f) {
            Some(Value::Null) if f.starts_with("external") => next[f] = Value::Null,
            Some(_) => match given(body, f) {
                Some(v) => next[f] = json!(v),
                None if f.starts_with("external") => next[f] = Value::Null,
                None => {}
            },
            None => {}
        }
    }
    if let Some(f) = status_field(body, "fundingStatus", 0..=3)? {
        next["fundingStatus"] = json!(f);
    }
    relines(store, &mut next, body)?;
    let status = status_field(body, "processingStatus", AWAITING..=REFUNDED)?;
    let from = int(&current, "processingStatus").unwrap_or(0);
    let step = match status {
        Some(s) => transition(from, s).map_err(|_| Refusal::Invalid(STATUS_NOT_ALLOWED.into()))?,
        None => Step::Stay,
    };
    if step == Step::Apply {
        check_apply(store, &next)?;
    }
    next["updatedAt"] = json!(ctx.now);
    store.payments.insert(id, next);
    perform(store, id, status.unwrap_or(from), step, ctx);
    Ok(id)
}

/// New lines, currency or company for a payment that is neither completed nor refunded.
fn relines(store: &Store, next: &mut Value, body: &Value) -> Outcome<()> {
    let customer = given(body, "customerId").unwrap_or_else(|| text(next, "customerId"));
    let currency = given(body, "currency")
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| text(&next["total"], "code"));
    let asked: Option<Vec<(i64, Amount)>> =
        body.get("lineItems").and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|l| {
                    (
                        int(l, "invoiceId").unwrap_or(0),
                        l.get("amount")
                            .and_then(Amount::from_json)
                            .unwrap_or_default(),
                    )
                })
                .collect()
        });
    let now: Vec<(i64, Amount)> = lines_of(next)
        .iter()
        .map(|l| (l.invoice_id, l.amount))
        .collect();
    let changed = customer != text(next, "customerId")
        || currency != text(&next["total"], "code")
        || asked.as_ref().is_some_and(|a| *a != now);
    if !changed {
        return Ok(());
    }
    if int(next, "appliedStatus") == Some(1) || int(next, "processingStatus") == Some(REFUNDED) {
        return Err(Refusal::Invalid(
            "The lineItems, currency and customerId of a completed or refunded payment cannot change"
                .into(),
        ));
    }
    if !is_currency(&currency) {
        return Err(Refusal::Invalid("Invalid currency code".into()));
    }
    let name = company_name(store, &customer)
        .map_err(|_| Refusal::Invalid(format!("customerId: company {customer} does not exist")))?;
    let items = body
        .get("lineItems")
        .cloned()
        .unwrap_or_else(|| next["lineItems"].clone());
    let (lines, currency) = read_lines(store, &items, &customer, Some(&currency))?;
    let id = int(next, "id").unwrap_or(0);
    put_lines(next, id, &lines, &currency);
    next["customerId"] = json!(customer);
    next["customerName"] = json!(name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{offline, open, store, CTX};
    use super::super::payments::{create_offline_payment, delete_payment, OFFLINE_PAYER};
    use super::*;

    #[test]
    fn an_offline_update_changes_only_what_is_given() {
        let mut s = store();
        let mut body = offline("10");
        body["processingStatus"] = json!(AWAITING);
        let id = create_offline_payment(&mut s, &body, CTX).unwrap_or_default();
        let up = json!({"externalId": "ERP-9", "details": {"memo": "wire 7"},
            "lineItems": [{"invoiceId": 1, "amount": "15.00"}]});
        assert_eq!(update_offline_payment(&mut s, id, &up, CTX), Ok(id));
        let p = &s.payments[&id];
        assert_eq!(
            (p["externalId"].as_str(), p["details"]["memo"].as_str()),
            (Some("ERP-9"), Some("wire 7"))
        );
        assert_eq!(p["moduleData"]["transactions"][0]["memo"], "wire 7");
        assert_eq!(p["total"]["value"], "15.0000");
        assert_eq!(p["payerName"], OFFLINE_PAYER);
        assert_eq!(
            update_offline_payment(&mut s, id, &json!({"processingStatus": 3}), CTX),
            Ok(id)
        );
        let relined = update_offline_payment(
            &mut s,
            id,
            &json!({"lineItems": [{"invoiceId": 1, "amount": "1"}]}),
            CTX,
        );
        assert!(matches!(relined, Err(Refusal::Invalid(m)) if m.contains("cannot change")));
        assert!(delete_payment(&mut s, id, CTX));
        assert_eq!(open(&s), "100.0000", "a deleted payment no longer pays");
    }
}
