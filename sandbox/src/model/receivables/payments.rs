//! Invoice Portal payments: an offline payment (`POST /ip/payments/offline`) or a buyer's card
//! payment in the portal ([`super::portal`]) pays parts of invoices. Completed (processing
//! status 3), it is applied once: each invoice's open balance drops by its line and a `Paid`
//! receipt with one line per invoice is recorded ([`super::receipts`]). Refunded (3 → 4), the
//! balances come back and a `Refund` receipt is recorded.

use serde_json::{json, Value};

use super::invoices::paid_status;
use super::receipts::{record_receipt, sync_receipt_lines};
use super::{company_name, is_currency, money, require, Amount, Outcome, Refusal};
pub use super::{Ctx, OFFLINE_MODULE, PORTAL_MODULE};
use crate::store::{int, max_key, text, Store};

/// Processing status: awaiting processing.
pub const AWAITING: i64 = 1;
/// Processing status: processing.
pub const PROCESSING: i64 = 2;
/// Processing status: completed (an offline payment's default; applied to the invoices).
pub const COMPLETED: i64 = 3;
/// Processing status: refunded.
pub const REFUNDED: i64 = 4;

/// The payer of an offline payment recorded without one.
pub const OFFLINE_PAYER: &str = "Store offline payment";
/// The spec's refusal of a status change (its `Payment400` example).
pub const STATUS_NOT_ALLOWED: &str = "The payment processing status is not allowed.";

/// One invoice a payment pays.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    pub(super) invoice_id: i64,
    pub(super) number: String,
    pub(super) amount: Amount,
}

pub(super) fn payment_missing() -> Refusal {
    Refusal::NotFound("Payment does not exist".into())
}

/// The lines of a request (`[{invoiceId, amount}]`), each checked against its invoice: it
/// exists, belongs to `customer`, is in `currency` (the first invoice's when `None`), and the
/// amounts (> 0) do not exceed its open balance. Returns the lines and the currency.
pub(super) fn read_lines(
    store: &Store,
    items: &Value,
    customer: &str,
    currency: Option<&str>,
) -> Outcome<(Vec<Line>, String)> {
    let Some(items) = items.as_array().filter(|a| !a.is_empty()) else {
        return Err(Refusal::Invalid(
            "lineItems: This field is required.".into(),
        ));
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut currency = currency.map(str::to_owned);
    for (i, item) in items.iter().enumerate() {
        let bad = |why: String| Refusal::Invalid(format!("lineItems[{i}]: {why}"));
        let id = int(item, "invoiceId").ok_or_else(|| bad("invoiceId is required".into()))?;
        let amount = item
            .get("amount")
            .and_then(Amount::from_json)
            .ok_or_else(|| bad("amount must be a decimal string".into()))?;
        if amount <= Amount(0) {
            return Err(bad("amount must be greater than 0".into()));
        }
        let invoice = store
            .invoices
            .get(&id)
            .ok_or_else(|| bad(format!("invoice {id} does not exist")))?;
        if text(invoice, "customerId") != customer {
            return Err(bad(format!(
                "invoice {id} does not belong to company {customer}"
            )));
        }
        let code = text(&invoice["openBalance"], "code");
        let wanted = currency.get_or_insert_with(|| code.clone());
        if !code.eq_ignore_ascii_case(wanted) {
            return Err(bad(format!("invoice {id} is in {code}, not {wanted}")));
        }
        lines.push(Line {
            invoice_id: id,
            number: text(invoice, "invoiceNumber"),
            amount,
        });
        check_open(store, &lines, id).map_err(bad)?;
    }
    Ok((lines, currency.unwrap_or_default().to_ascii_uppercase()))
}

/// Whether the lines for invoice `id` together fit its open balance.
fn check_open(store: &Store, lines: &[Line], id: i64) -> Result<(), String> {
    let open = store
        .invoices
        .get(&id)
        .map(|i| Amount::of(&i["openBalance"]))
        .unwrap_or_default();
    let asked = lines
        .iter()
        .filter(|l| l.invoice_id == id)
        .fold(Amount(0), |s, l| s + l.amount);
    if asked > open {
        return Err(format!(
            "amount {} exceeds the open balance {} of invoice {id}",
            asked.text(),
            open.text()
        ));
    }
    Ok(())
}

/// The lines a stored payment carries.
pub(super) fn lines_of(payment: &Value) -> Vec<Line> {
    payment["lineItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| Line {
            invoice_id: int(l, "invoiceId").unwrap_or(0),
            number: text(l, "invoiceNumber"),
            amount: Amount::of(&l["amount"]),
        })
        .collect()
}

/// The `lineItems` and `total` of a payment.
pub(super) fn put_lines(payment: &mut Value, id: i64, lines: &[Line], currency: &str) {
    payment["lineItems"] = Value::Array(
        lines
            .iter()
            .map(|l| json!({"paymentId": id, "invoiceId": l.invoice_id, "invoiceNumber": l.number, "amount": money(currency, l.amount)}))
            .collect(),
    );
    let total = lines.iter().fold(Amount(0), |s, l| s + l.amount);
    payment["total"] = money(currency, total);
}

/// A text field of a request or `None` when absent, null or blank.
pub(super) fn given(body: &Value, field: &str) -> Option<String> {
    Some(text(body, field).trim().to_owned()).filter(|s| !s.is_empty())
}

/// A status field (`processingStatus`, `fundingStatus`) within `range`; 422 otherwise.
pub(super) fn status_field(
    body: &Value,
    field: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Outcome<Option<i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => match int(body, field).filter(|s| range.contains(s)) {
            Some(s) => Ok(Some(s)),
            None => Err(Refusal::Invalid(format!(
                "{field} must be one of {}..{}",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// The memo of `details` (required, not blank).
pub(super) fn memo_of(body: &Value) -> Outcome<String> {
    given(&body["details"], "memo")
        .ok_or_else(|| Refusal::Invalid("details.memo: This field is required.".into()))
}

/// Who pays and for which company: what a new payment is made of.
pub(super) struct NewPayment {
    pub(super) customer: String,
    pub(super) currency: String,
    pub(super) lines: Vec<Line>,
    pub(super) memo: String,
    pub(super) module: &'static str,
    pub(super) module_data: Value,
    pub(super) payer: String,
}

pub(super) fn insert_payment(store: &mut Store, p: NewPayment, body: &Value, ctx: Ctx<'_>) -> i64 {
    let id = store.next_id("payment", max_key(&store.payments));
    let channel = int(body, "channelId").unwrap_or(1);
    let mut payment = json!({
        "id": id,
        "createdAt": ctx.now,
        "updatedAt": ctx.now,
        "storeHash": ctx.store_hash,
        "customerId": p.customer,
        "externalId": given(body, "externalId"),
        "externalCustomerId": given(body, "externalCustomerId"),
        "payerName": given(body, "payerName").unwrap_or(p.payer),
        "payerCustomerId": given(body, "payerCustomerId").unwrap_or_else(|| p.customer.clone()),
        "details": {"memo": p.memo},
        "moduleName": p.module,
        "fees": [],
        "moduleData": p.module_data,
        "processingStatus": AWAITING,
        "appliedStatus": 0,
        "fundingStatus": 2,
        "customerName": company_name(store, &p.customer).unwrap_or_default(),
        "allowedOperations": [],
        "allowedStatuses": [AWAITING, PROCESSING, COMPLETED, REFUNDED],
        "channelId": channel.to_string(),
        "channelName": super::channel_name(channel),
    });
    put_lines(&mut payment, id, &p.lines, &p.currency);
    store.payments.insert(id, payment);
    id
}

/// Records an offline payment from a `POST /payments/offline` body; completed (the default),
/// it is applied at once. Returns its id.
pub fn create_offline_payment(store: &mut Store, body: &Value, ctx: Ctx<'_>) -> Outcome<i64> {
    require(body, &["lineItems", "currency", "details", "customerId"])?;
    let currency = text(body, "currency").to_ascii_uppercase();
    if !is_currency(&currency) {
        return Err(Refusal::Invalid("Invalid currency code".into()));
    }
    let memo = memo_of(body)?;
    let customer = text(body, "customerId").trim().to_owned();
    company_name(store, &customer)
        .map_err(|_| Refusal::Invalid(format!("customerId: company {customer} does not exist")))?;
    let status = status_field(body, "processingStatus", AWAITING..=REFUNDED)?.unwrap_or(COMPLETED);
    let (lines, currency) = read_lines(store, &body["lineItems"], &customer, Some(&currency))?;
    let module_data = json!({"transactions": [{"memo": memo, "type": "OfflineTransaction", "rawTransaction": null}]});
    let new = NewPayment {
        customer,
        currency,
        lines,
        memo,
        module: OFFLINE_MODULE,
        module_data,
        payer: OFFLINE_PAYER.into(),
    };
    let id = insert_payment(store, new, body, ctx);
    match status {
        COMPLETED => apply(store, id, ctx),
        other => set_field(store, id, "processingStatus", other),
    }
    Ok(id)
}

fn set_field(store: &mut Store, id: i64, field: &str, v: i64) {
    if let Some(p) = store.payments.get_mut(&id) {
        p[field] = json!(v);
    }
}

/// What a change of processing status does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing (the status it has).
    Stay,
    /// The status only (between awaiting processing and processing).
    Set,
    /// Completes it: applied to the invoices, a `Paid` receipt.
    Apply,
    /// Refunds it: the balances back, a `Refund` receipt.
    Refund,
}

/// The step from status `from` to `to`: awaiting and processing payments may move between
/// themselves or complete; a completed one may only be refunded; a refunded one stays.
pub(super) fn transition(from: i64, to: i64) -> Outcome<Step> {
    if !(AWAITING..=REFUNDED).contains(&to) {
        return Err(Refusal::Bad(STATUS_NOT_ALLOWED.into()));
    }
    match (from, to) {
        (f, t) if f == t => Ok(Step::Stay),
        (AWAITING | PROCESSING | 0, AWAITING | PROCESSING) => Ok(Step::Set),
        (AWAITING | PROCESSING | 0, COMPLETED) => Ok(Step::Apply),
        (COMPLETED, REFUNDED) => Ok(Step::Refund),
        _ => Err(Refusal::Bad(STATUS_NOT_ALLOWED.into())),
    }
}

/// Refuses a completion whose lines no longer fit the invoices' open balances.
pub(super) fn check_apply(store: &Store, payment: &Value) -> Outcome<()> {
    let lines = lines_of(payment);
    for l in &lines {
        check_open(store, &lines, l.invoice_id).map_err(Refusal::Invalid)?;
    }
    Ok(())
}

/// Moves payment `id` to `status` (`PUT /payments/{id}/processing-status`), applying or
/// refunding it as its transition rules say.
pub fn set_processing_status(store: &mut Store, id: i64, status: i64, ctx: Ctx<'_>) -> Outcome<()> {
    let payment = store
        .payments
        .get(&id)
        .cloned()
        .ok_or_else(payment_missing)?;
    let step = transition(int(&payment, "processingStatus").unwrap_or(0), status)?;
    if step == Step::Apply {
        check_apply(store, &payment)?;
    }
    perform(store, id, status, step, ctx);
    Ok(())
}

pub(super) fn perform(store: &mut Store, id: i64, status: i64, step: Step, ctx: Ctx<'_>) {
    if step == Step::Stay {
        return;
    }
    if let Some(p) = store.payments.get_mut(&id) {
        p["processingStatus"] = json!(status);
        p["updatedAt"] = json!(ctx.now);
    }
    match step {
        Step::Apply => apply(store, id, ctx),
        Step::Refund => revert(store, id, ctx, true),
        Step::Set | Step::Stay => {}
    }
    sync_receipt_lines(store, id, status, ctx.now);
}

/// Applies payment `id` to its invoices (once) and records its `Paid` receipt.
pub(super) fn apply(store: &mut Store, id: i64, ctx: Ctx<'_>) {
    let Some(payment) = store.payments.get_mut(&id) else {
        return;
    };
    if int(payment, "appliedStatus") == Some(1) {
        return;
    }
    payment["appliedStatus"] = json!(1);
    payment["processingStatus"] = json!(COMPLETED);
    payment["updatedAt"] = json!(ctx.now);
    let payment = payment.clone();
    move_balances(store, &payment, false, ctx.now);
    record_receipt(store, &payment, "Paid", ctx);
}

/// Takes an applied payment back off its invoices; with `receipt`, records a `Refund`.
fn revert(store: &mut Store, id: i64, ctx: Ctx<'_>, receipt: bool) {
    let Some(payment) = store.payments.get_mut(&id) else {
        return;
    };
    if int(payment, "appliedStatus") != Some(1) {
        return;
    }
    payment["appliedStatus"] = json!(0);
    payment["updatedAt"] = json!(ctx.now);
    let payment = payment.clone();
    move_balances(store, &payment, true, ctx.now);
    if receipt {
        record_receipt(store, &payment, "Refund", ctx);
    }
}

/// Lowers (or, `back`, raises) each paid invoice's open balance by its line; the status follows.
fn move_balances(store: &mut Store, payment: &Value, back: bool, now: i64) {
    for l in lines_of(payment) {
        let Some(inv) = store.invoices.get_mut(&l.invoice_id) else {
            continue;
        };
        let open = Amount::of(&inv["openBalance"]);
        let open = if back {
            open + l.amount
        } else {
            open - l.amount
        };
        let code = text(&inv["openBalance"], "code");
        inv["openBalance"] = money(&code, open);
        inv["status"] = json!(paid_status(inv));
        inv["updatedAt"] = json!(now.to_string());
    }
}

/// Deletes a payment (taking it back off its invoices when applied; its receipts stay, as a
/// record of the money received); false when there is none.
pub fn delete_payment(store: &mut Store, id: i64, ctx: Ctx<'_>) -> bool {
    if !store.payments.contains_key(&id) {
        return false;
    }
    revert(store, id, ctx, false);
    store.payments.remove(&id).is_some()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{offline, open, store, CTX};
    use super::super::offline::update_offline_payment;
    use super::super::{PAID, PARTIALLY_PAID};
    use super::*;

    #[test]
    fn a_completed_offline_payment_is_applied_with_a_receipt() {
        let mut s = store();
        let id = create_offline_payment(&mut s, &offline("40"), CTX).unwrap_or_default();
        assert_eq!(open(&s), "60.0000");
        assert_eq!(int(&s.invoices[&1], "status"), Some(PARTIALLY_PAID));
        let p = &s.payments[&id];
        assert_eq!(
            (int(p, "appliedStatus"), p["payerName"].as_str()),
            (Some(1), Some(OFFLINE_PAYER))
        );
        assert_eq!(p["total"], json!({"code": "USD", "value": "40.0000"}));
        let r = s.receipts.values().next().cloned().unwrap_or_default();
        assert_eq!(
            (r["transactionType"].as_str(), r["referenceNumber"].as_str()),
            (Some("Paid"), Some("CHK-1"))
        );
        assert_eq!(s.receipt_lines.len(), 1);
        create_offline_payment(&mut s, &offline("60"), CTX).unwrap_or_default();
        assert_eq!(
            (open(&s).as_str(), int(&s.invoices[&1], "status")),
            ("0.0000", Some(PAID))
        );
    }

    #[test]
    fn over_payment_and_foreign_invoices_are_refused_with_nothing_changed() {
        let mut s = store();
        for (body, words) in [
            (offline("100.0001"), "exceeds the open balance 100.0000"),
            (offline("0"), "greater than 0"),
            (
                json!({"lineItems": [{"invoiceId": 2, "amount": "1"}], "currency": "USD", "details": {"memo": "m"}, "customerId": "1"}),
                "does not belong",
            ),
            (
                json!({"lineItems": [{"invoiceId": 1, "amount": "1"}], "currency": "EUR", "details": {"memo": "m"}, "customerId": "1"}),
                "not EUR",
            ),
            (
                json!({"lineItems": [{"invoiceId": 1, "amount": "60"}, {"invoiceId": 1, "amount": "60"}], "currency": "USD", "details": {"memo": "m"}, "customerId": "1"}),
                "lineItems[1]",
            ),
            (
                json!({"currency": "USD"}),
                "lineItems, details, customerId: This field is required.",
            ),
        ] {
            match create_offline_payment(&mut s, &body, CTX) {
                Err(Refusal::Invalid(m)) => assert!(m.contains(words), "{m}"),
                other => panic!("{other:?} for {body}"),
            }
        }
        assert!(s.payments.is_empty() && s.receipts.is_empty());
        assert_eq!(open(&s), "100.0000");
    }

    #[test]
    fn refund_reverts_and_statuses_move_as_allowed() {
        let mut s = store();
        let mut body = offline("30");
        body["processingStatus"] = json!(AWAITING);
        let id = create_offline_payment(&mut s, &body, CTX).unwrap_or_default();
        assert_eq!(open(&s), "100.0000");
        assert_eq!(s.receipts.len(), 0);
        assert_eq!(
            set_processing_status(&mut s, id, REFUNDED, CTX),
            Err(Refusal::Bad(STATUS_NOT_ALLOWED.into()))
        );
        assert_eq!(set_processing_status(&mut s, id, COMPLETED, CTX), Ok(()));
        assert_eq!(set_processing_status(&mut s, id, COMPLETED, CTX), Ok(()));
        assert_eq!(open(&s), "70.0000", "applied once");
        assert_eq!(
            set_processing_status(&mut s, id, PROCESSING, CTX),
            Err(Refusal::Bad(STATUS_NOT_ALLOWED.into()))
        );
        let later = Ctx { now: 60, ..CTX };
        assert_eq!(
            update_offline_payment(&mut s, id, &json!({"processingStatus": 4}), later),
            Ok(id)
        );
        assert_eq!(
            (open(&s).as_str(), int(&s.invoices[&1], "status")),
            ("100.0000", Some(0))
        );
        assert_eq!(int(&s.payments[&id], "appliedStatus"), Some(0));
        let kinds: Vec<String> = s
            .receipts
            .values()
            .map(|r| text(r, "transactionType"))
            .collect();
        assert_eq!(kinds, ["Paid", "Refund"]);
        assert!(s
            .receipt_lines
            .values()
            .all(|l| int(l, "paymentStatus") == Some(REFUNDED)));
    }
}
