//! `invoice.upsert` and `invoice.balance`: the ERP's receivables in the B2B Invoice Portal.
//!
//! An invoice is found by the command's external id (the id map), else by its unique number
//! (an invoice made from an order, by the order): never created twice. A number held by another
//! external id is refused, and so is an invoice (or an order to invoice, or a payment) of
//! another company than the command's: it is never moved or written. An update sends only what
//! differs; the status follows the open
//! balance (0 open, 1 partially paid, 2 paid), and an upsert never raises a balance that a portal
//! payment newer than the ERP's `balance_as_of` lowered (the ERP has not seen that cash yet).
//!
//! A balance command records its offline payment once (found again by its external id), after
//! making room on any invoice whose open balance is already below the amount paid, then sets
//! each invoice's open balance to the ERP's: every step is absolute or looked up first, so a
//! process killed between two of them repeats nothing when the command comes back.

use b2b_commands::{BalanceData, BalanceLine, InvoiceData, InvoiceKind};
use bigcommerce_b2b::b2b::ExtraField;
use bigcommerce_b2b::money::{Amount, Money};
use bigcommerce_b2b::receivables::{
    Invoice, InvoiceFields, OfflinePayment, Payment, INVOICE_OPEN, INVOICE_PAID,
    INVOICE_PARTIALLY_PAID, PAYMENT_COMPLETED,
};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, Kind};
use crate::engine::lease::LeaseScope;
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::companies;
use b2b_commands::{invoice, Command};

/// `source` of an invoice that comes from outside B2B Edition.
const EXTERNAL_SOURCE: i64 = 1;

/// The status an open balance means.
fn status_for(open: Amount, total: Amount) -> i64 {
    if open.ten_thousandths() <= 0 {
        INVOICE_PAID
    } else if open.ten_thousandths().abs() < total.ten_thousandths().abs() {
        INVOICE_PARTIALLY_PAID
    } else {
        INVOICE_OPEN
    }
}

/// Amounts as the portal keeps them: a credit memo's, given negative, positive.
fn portal_amount(kind: InvoiceKind, a: Amount) -> Amount {
    match kind {
        InvoiceKind::CreditMemo => Amount::from_ten_thousandths(a.ten_thousandths().abs()),
        InvoiceKind::Invoice => a,
    }
}

/// The `details` the portal shows: cost lines (the lines' subtotal first) and line items.
fn details_of(inv: &InvoiceData) -> Option<Value> {
    if inv.lines.is_empty() && inv.costs.is_empty() {
        return None;
    }
    let money = |a: Amount| json!({"code": inv.currency, "value": a.to_decimal_string()});
    let mut costs = Vec::new();
    if let Some(subtotal) = inv.subtotal().filter(|_| !inv.lines.is_empty()) {
        costs.push(json!({"amount": money(subtotal), "description": "Subtotal"}));
    }
    costs.extend(
        inv.costs
            .iter()
            .map(|c| json!({"amount": money(c.amount), "description": c.description})),
    );
    let lines: Vec<Value> = inv
        .lines
        .iter()
        .map(|l| {
            let mut line = json!({
                "sku": l.sku,
                "quantity": l.quantity.to_decimal_string(),
                "unitPrice": money(l.unit_price),
                "description": l.description.clone().unwrap_or_else(|| l.sku.clone()),
            });
            if let Some(d) = l.unit_discount {
                line["unitDiscount"] = money(d);
            }
            line
        })
        .collect();
    Some(json!({"header": {"costLines": costs}, "details": {"lineItems": lines}}))
}

/// `details` reduced to what the toolkit writes (cost lines and line items, amounts exact), to
/// compare what an invoice has with what a command asks, whatever the portal adds.
fn comparable_details(details: Option<&Value>) -> Option<Value> {
    let d = details?;
    let amount = |v: &Value| {
        Amount::from_json(&v["value"])
            .ok()
            .map(|a| a.ten_thousandths())
    };
    let costs: Vec<Value> = d["header"]["costLines"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| json!([c["description"], amount(&c["amount"])]))
                .collect()
        })
        .unwrap_or_default();
    let lines: Vec<Value> = d["details"]["lineItems"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|l| {
                    let qty = Amount::from_json(&l["quantity"])
                        .ok()
                        .map(|a| a.ten_thousandths());
                    json!([
                        l["sku"],
                        qty,
                        amount(&l["unitPrice"]),
                        amount(&l["unitDiscount"]),
                        l["description"]
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    Some(json!([costs, lines]))
}

fn extra_fields_of(inv: &InvoiceData) -> Vec<ExtraField> {
    inv.extra_fields
        .iter()
        .map(|(k, v)| ExtraField {
            field_name: k.clone(),
            field_value: Some(v.clone()),
        })
        .collect()
}

fn unix_day(day: Option<chrono::NaiveDate>) -> Option<i64> {
    day.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// The company a command names, as its invoice fields carry it: "`C-2` (company 56)".
fn commanded(want: &InvoiceFields) -> String {
    format!(
        "`{}` (company {})",
        want.external_customer_id.as_deref().unwrap_or_default(),
        want.customer_id.as_deref().unwrap_or_default()
    )
}

/// The B2B company `customer_id` (the portal's `customerId`) as a dead letter names it:
/// "company 12 (`C-1`)", its external id as given or else read from the company (a failed read
/// only leaves it out), or "no company" when the portal names none.
async fn company_named(cx: &Context, customer_id: Option<&str>, external: Option<&str>) -> String {
    let Some(id) = customer_id.filter(|id| !id.is_empty()) else {
        return "no company".to_owned();
    };
    let external = match external {
        Some(ext) => Some(ext.to_owned()),
        None => match id.parse::<i64>() {
            Ok(n) => cx
                .client
                .b2b()
                .company(n)
                .await
                .ok()
                .flatten()
                .and_then(|c| c.extra_field(&cx.external_id_field).map(str::to_owned)),
            Err(_) => None,
        },
    };
    match external {
        Some(ext) => format!("company {id} (`{ext}`)"),
        None => format!("company {id}"),
    }
}

/// Everything an invoice create sends.
fn create_fields(
    company_id: i64,
    company_external_id: &str,
    external_id: &str,
    inv: &InvoiceData,
) -> InvoiceFields {
    let money = |a: Amount| Money {
        code: inv.currency.clone(),
        value: portal_amount(inv.kind, a),
    };
    InvoiceFields {
        invoice_number: Some(inv.number.clone()),
        invoice_type: Some(inv.kind.portal_type().to_owned()),
        customer_id: Some(company_id.to_string()),
        external_id: Some(external_id.to_owned()),
        external_customer_id: Some(company_external_id.to_owned()),
        due_date: unix_day(inv.due_on),
        issued_at: unix_day(inv.issued_on),
        status: Some(status_for(
            money(inv.open_balance).value,
            money(inv.total).value,
        )),
        order_number: inv.order_id.map(|id| id.to_string()),
        purchase_order_number: inv.purchase_order_number.clone(),
        original_balance: Some(money(inv.total)),
        open_balance: Some(money(inv.open_balance)),
        details: details_of(inv),
        source: Some(EXTERNAL_SOURCE),
        external_pdf_url: inv.pdf_url.clone(),
        terms_conditions: inv.terms.clone(),
        extra_fields: (!inv.extra_fields.is_empty()).then(|| extra_fields_of(inv)),
    }
}

/// What an update of `current` to `want` sends: only the fields that differ (the PDF URL,
/// which the portal does not return, goes with any other change). The order and the terms are
/// set at creation: the update route takes neither.
fn changed_fields(current: &Invoice, want: &InvoiceFields) -> InvoiceFields {
    fn differs<T: PartialEq + Clone>(want: &Option<T>, have: Option<T>) -> Option<T> {
        want.clone().filter(|w| Some(w) != have.as_ref())
    }
    let details_differ = want.details.is_some()
        && comparable_details(want.details.as_ref())
            != comparable_details(current.extra.get("details"));
    let fields_differ = want
        .extra_fields
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| !current.extra_fields.contains(f)));
    let mut out = InvoiceFields {
        invoice_number: differs(&want.invoice_number, current.invoice_number.clone()),
        invoice_type: differs(&want.invoice_type, current.invoice_type.clone()),
        customer_id: differs(&want.customer_id, current.customer_id.clone()),
        external_id: differs(&want.external_id, current.external_id.clone()),
        external_customer_id: differs(
            &want.external_customer_id,
            current.external_customer_id.clone(),
        ),
        due_date: differs(&want.due_date, current.due_date),
        status: differs(&want.status, current.status),
        purchase_order_number: differs(
            &want.purchase_order_number,
            current.purchase_order_number.clone(),
        ),
        original_balance: differs(
            &want.original_balance,
            Some(current.original_balance.clone()),
        ),
        open_balance: differs(&want.open_balance, Some(current.open_balance.clone())),
        details: want.details.clone().filter(|_| details_differ),
        extra_fields: want.extra_fields.clone().filter(|_| fields_differ),
        ..InvoiceFields::default()
    };
    if !out.is_empty() {
        out.external_pdf_url = want.external_pdf_url.clone();
    }
    out
}

/// Applies an `invoice.upsert`.
pub(crate) async fn invoice_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    company_external_id: &str,
    inv: &InvoiceData,
) -> Result<Outcome, ApplyError> {
    cx.check_currency("invoice.currency", &inv.currency)?;
    let company_id = companies::require_id(cx, store, company_external_id).await?;
    let key = id_key(store, Kind::Invoice, external_id);
    let want = create_fields(company_id, company_external_id, external_id, inv);
    match find_invoice(cx, &key, external_id, inv).await? {
        Some(current) => update_invoice(cx, &current, want, inv).await,
        None if inv.from_order => invoice_from_order(cx, &key, company_id, &want, inv).await,
        None => create_invoice(cx, &key, external_id, &want, inv).await,
    }
}

/// The invoice `external_id` names: the id map's, else the one with its number (or, made
/// from an order, the order's), adopted into the id map when it carries this external id.
async fn find_invoice(
    cx: &Context,
    key: &str,
    external_id: &str,
    inv: &InvoiceData,
) -> Result<Option<Invoice>, ApplyError> {
    let portal = cx.client.invoice_portal();
    if let Some(id) = cx.state.get_id(key).await? {
        if let Some(found) = portal.invoice(id).await? {
            return Ok(Some(found));
        }
    }
    let found = match portal.invoice_by_number(&inv.number).await? {
        Some(found) => Some(found),
        None if inv.from_order => invoice_of_order(cx, inv.order_id).await?,
        None => None,
    };
    let Some(found) = found else {
        return Ok(None);
    };
    match found.external_id.as_deref() {
        Some(theirs) if theirs == external_id => {}
        None if inv.from_order && found.invoice_number.as_deref() != Some(&inv.number) => {}
        theirs => {
            return Err(ApplyError::Permanent(format!(
                "`invoice.number` `{}` is already invoice {} of external id `{}`",
                inv.number,
                found.id,
                theirs.unwrap_or("(none)")
            )))
        }
    }
    cx.state.put_id(key, found.id).await?;
    Ok(Some(found))
}

/// The invoice B2B Edition made from `order_id`, if any.
async fn invoice_of_order(
    cx: &Context,
    order_id: Option<i64>,
) -> Result<Option<Invoice>, ApplyError> {
    let Some(order) = order_id else {
        return Ok(None);
    };
    let query = vec![
        ("searchBy".to_owned(), "orderNumber".to_owned()),
        ("q".to_owned(), order.to_string()),
    ];
    let wanted = order.to_string();
    let portal = cx.client.invoice_portal();
    let mut matches = std::pin::pin!(portal.invoices(query));
    while let Some(i) = matches.try_next().await? {
        if i.order_number.as_deref() == Some(wanted.as_str()) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

async fn create_invoice(
    cx: &Context,
    key: &str,
    external_id: &str,
    want: &InvoiceFields,
    inv: &InvoiceData,
) -> Result<Outcome, ApplyError> {
    let portal = cx.client.invoice_portal();
    let id = match portal.create_invoice(want).await {
        Ok(id) => id,
        // Refused: perhaps the number exists (another delivery, or another external id).
        Err(e) if !e.is_retryable() => match find_invoice(cx, key, external_id, inv).await? {
            Some(found) => return update_invoice(cx, &found, want.clone(), inv).await,
            None => {
                return Err(ApplyError::Permanent(format!(
                    "invoice `{}`: {e}",
                    inv.number
                )))
            }
        },
        Err(e) => return Err(e.into()),
    };
    cx.state.put_id(key, id).await?;
    Ok(Outcome::Created)
}

/// Creates the invoice from its order, then gives it the ERP's number and fields.
async fn invoice_from_order(
    cx: &Context,
    key: &str,
    company_id: i64,
    want: &InvoiceFields,
    inv: &InvoiceData,
) -> Result<Outcome, ApplyError> {
    let Some(order) = inv.order_id else {
        return Err(ApplyError::Permanent(
            "`invoice.from_order` needs `invoice.order_id`".into(),
        ));
    };
    // The portal makes the invoice for the order's company: never for another's order.
    if let Some(placed) = cx.client.b2b().order(order).await? {
        if placed.company_id != Some(company_id) {
            let by = placed.company_id.map(|c| c.to_string());
            return Err(ApplyError::Permanent(format!(
                "`invoice.order_id` {order} is an order of {}, not of {}: no invoice is made from another company's order",
                company_named(cx, by.as_deref(), None).await,
                commanded(want)
            )));
        }
    }
    let portal = cx.client.invoice_portal();
    let made = portal.create_invoice_from_order(order).await?;
    cx.state.put_id(key, made.invoice_id).await?;
    let created = portal.invoice(made.invoice_id).await?.ok_or_else(|| {
        ApplyError::retry(format!(
            "invoice {} made from order {order} is not readable yet",
            made.invoice_id
        ))
    })?;
    update_invoice(cx, &created, want.clone(), inv).await?;
    Ok(Outcome::Created)
}

async fn update_invoice(
    cx: &Context,
    current: &Invoice,
    mut want: InvoiceFields,
    inv: &InvoiceData,
) -> Result<Outcome, ApplyError> {
    if current.customer_id != want.customer_id {
        return Err(ApplyError::Permanent(format!(
            "`invoice.number` `{}` is invoice {} of {}, not of {}: an invoice is never moved to another company",
            inv.number,
            current.id,
            company_named(
                cx,
                current.customer_id.as_deref(),
                current.external_customer_id.as_deref()
            )
            .await,
            commanded(&want)
        )));
    }
    want.issued_at = None;
    let raises = want
        .open_balance
        .as_ref()
        .is_some_and(|w| w.value > current.open_balance.value);
    if raises && paid_in_portal_since(cx, current.id, inv).await? {
        tracing::warn!(invoice = current.id, "kept the portal's lower open balance: a portal payment is newer than the ERP's balance");
        want.open_balance = None;
        want.status = None;
    }
    let changes = changed_fields(current, &want);
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    cx.client
        .invoice_portal()
        .update_invoice(current.id, &changes)
        .await?;
    Ok(Outcome::Updated)
}

/// Whether a completed payment on invoice `id` was made after the ERP's `balance_as_of`
/// (with none given, any).
async fn paid_in_portal_since(
    cx: &Context,
    id: i64,
    inv: &InvoiceData,
) -> Result<bool, ApplyError> {
    let since = inv.balance_as_of.map(|t| t.timestamp()).unwrap_or(i64::MIN);
    let payments = cx.client.invoice_portal().payments_of_invoice(id).await?;
    Ok(payments
        .iter()
        .any(|p| p.processing_status == Some(PAYMENT_COMPLETED) && p.created_at > since))
}

/// Applies an `invoice.balance`.
pub(crate) async fn invoice_balance(
    cx: &Context,
    store: &str,
    external_id: &str,
    company_external_id: &str,
    bal: &BalanceData,
) -> Result<Outcome, ApplyError> {
    cx.check_currency("balance.currency", &bal.currency)?;
    let company_id = companies::require_id(cx, store, company_external_id).await?;
    let mut invoices = Vec::with_capacity(bal.invoices.len());
    for (i, line) in bal.invoices.iter().enumerate() {
        let invoice = balance_invoice(cx, store, line).await?;
        if invoice.customer_id.as_deref() != Some(company_id.to_string().as_str()) {
            let owner = company_named(
                cx,
                invoice.customer_id.as_deref(),
                invoice.external_customer_id.as_deref(),
            )
            .await;
            return Err(ApplyError::Permanent(format!(
                "`balance.invoices[{i}]`: invoice {} belongs to another company, {owner}, not to `{company_external_id}` (company {company_id})",
                line.name()
            )));
        }
        if invoice.open_balance.code != bal.currency {
            return Err(ApplyError::Permanent(format!(
                "`balance.currency` `{}` is not invoice {}'s currency `{}`",
                bal.currency,
                line.name(),
                invoice.open_balance.code
            )));
        }
        invoices.push(invoice);
    }
    let mut outcome = Outcome::Unchanged;
    if bal.offline_payment.is_some() {
        let payer = (company_id, company_external_id);
        outcome = record_offline_payment(cx, store, external_id, payer, bal, &mut invoices).await?;
    }
    for (line, current) in bal.invoices.iter().zip(&invoices) {
        if set_open_balance(cx, current, line.open_balance).await? {
            outcome = match outcome {
                Outcome::Created => Outcome::Created,
                _ => Outcome::Updated,
            };
        }
    }
    Ok(outcome)
}

/// The invoice a balance line names (by external id through the id map, else by number);
/// one not found yet is retried (its `invoice.upsert` may be on its way).
async fn balance_invoice(
    cx: &Context,
    store: &str,
    line: &BalanceLine,
) -> Result<Invoice, ApplyError> {
    let portal = cx.client.invoice_portal();
    let by_map = match &line.invoice_external_id {
        Some(ext) => match cx.state.get_id(&id_key(store, Kind::Invoice, ext)).await? {
            Some(id) => portal.invoice(id).await?,
            None => None,
        },
        None => None,
    };
    let found = match (by_map, &line.invoice_number) {
        (Some(found), _) => Some(found),
        (None, Some(number)) => portal.invoice_by_number(number).await?,
        (None, None) => None,
    };
    found.ok_or_else(|| {
        ApplyError::retry(format!(
            "invoice {} does not exist yet; retrying later",
            line.name()
        ))
    })
}

/// Refuses `found`, the payment recorded as `external_id`, when it is another company's than
/// `(company_id, company_external_id)`: it is neither taken as this one's nor skipped.
async fn payment_of(
    cx: &Context,
    found: &Payment,
    external_id: &str,
    (company_id, company_external_id): (i64, &str),
) -> Result<(), ApplyError> {
    if found.customer_id.as_deref() == Some(company_id.to_string().as_str()) {
        return Ok(());
    }
    let owner = company_named(cx, found.customer_id.as_deref(), None).await;
    Err(ApplyError::Permanent(format!(
        "`external_id` `{external_id}` is already offline payment {} of {owner}, not of `{company_external_id}` (company {company_id}): a payment is never taken for another company's",
        found.id
    )))
}

/// Records the paid amounts as one offline payment, unless it exists (by external id, and
/// then it must be the payer's). Invoices whose open balance is already below what was paid
/// (the ERP lowered it first) get room first, so the portal takes the payment.
async fn record_offline_payment(
    cx: &Context,
    store: &str,
    external_id: &str,
    payer: (i64, &str),
    bal: &BalanceData,
    invoices: &mut [Invoice],
) -> Result<Outcome, ApplyError> {
    let Some(payment) = &bal.offline_payment else {
        return Ok(Outcome::Unchanged);
    };
    let portal = cx.client.invoice_portal();
    let key = id_key(store, Kind::Payment, external_id);
    if let Some(id) = cx.state.get_id(&key).await? {
        if let Some(found) = portal.payment(id).await? {
            payment_of(cx, &found, external_id, payer).await?;
        }
        return Ok(Outcome::Unchanged);
    }
    if let Some(found) = portal.payment_by_external_id(external_id).await? {
        payment_of(cx, &found, external_id, payer).await?;
        cx.state.put_id(&key, found.id).await?;
        return Ok(Outcome::Unchanged);
    }
    let company_id = payer.0;
    let mut lines = Vec::new();
    for (line, invoice) in bal.invoices.iter().zip(invoices.iter_mut()) {
        let paid = line.paid.unwrap_or(Amount::ZERO);
        if invoice.open_balance.value < paid {
            let room = line.open_balance.checked_add(paid).ok_or_else(|| {
                ApplyError::Permanent(format!("invoice {}: amounts overflow", line.name()))
            })?;
            set_open_balance(cx, invoice, room).await?;
            invoice.open_balance.value = room;
        }
        lines.push((invoice.id, paid));
    }
    let offline = OfflinePayment {
        customer_id: company_id.to_string(),
        currency: bal.currency.clone(),
        lines,
        memo: payment.memo.clone(),
        external_id: Some(external_id.to_owned()),
        external_customer_id: None,
        payer_name: payment.payer_name.clone(),
    };
    let id = portal.create_offline_payment(&offline).await?;
    cx.state.put_id(&key, id).await?;
    for invoice in invoices.iter_mut() {
        if let Some(now) = portal.invoice(invoice.id).await? {
            *invoice = now;
        }
    }
    Ok(Outcome::Created)
}

/// Sets `invoice`'s open balance (and the status it means) when it differs: whether it did.
async fn set_open_balance(
    cx: &Context,
    invoice: &Invoice,
    open: Amount,
) -> Result<bool, ApplyError> {
    let status = status_for(open, invoice.original_balance.value);
    if invoice.open_balance.value == open && invoice.status == Some(status) {
        return Ok(false);
    }
    let fields = InvoiceFields {
        open_balance: Some(Money {
            code: invoice.open_balance.code.clone(),
            value: open,
        }),
        status: Some(status),
        ..InvoiceFields::default()
    };
    cx.client
        .invoice_portal()
        .update_invoice(invoice.id, &fields)
        .await?;
    Ok(true)
}

/// The invoice family: `invoice.upsert` and `invoice.balance`. A company's invoices are applied
/// side by side, each one once at a time.
#[derive(Debug, Default)]
pub struct Invoices;

impl Family for Invoices {
    const LEASE: LeaseScope = LeaseScope::Entity;
}

impl Apply for invoice::Upsert {
    type Family = Invoices;

    async fn apply(&self, _: &Invoices, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        invoice_upsert(
            cx,
            store,
            &cmd.external_id,
            &self.company_external_id,
            &self.invoice,
        )
        .await
    }
}

impl Apply for invoice::Balance {
    type Family = Invoices;

    async fn apply(&self, _: &Invoices, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        invoice_balance(
            cx,
            store,
            &cmd.external_id,
            &self.company_external_id,
            &self.balance,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    #[test]
    fn the_status_follows_the_open_balance() {
        assert_eq!(status_for(amount("0"), amount("90")), INVOICE_PAID);
        assert_eq!(
            status_for(amount("40"), amount("90")),
            INVOICE_PARTIALLY_PAID
        );
        assert_eq!(status_for(amount("90"), amount("90")), INVOICE_OPEN);
    }

    #[test]
    fn details_compare_by_what_the_toolkit_writes() {
        let inv: InvoiceData = serde_json::from_value(json!({
            "number": "INV-1", "currency": "USD", "total": "90", "open_balance": "90",
            "lines": [{"sku": "A", "quantity": 2, "unit_price": "40"}],
            "costs": [{"description": "Freight", "amount": "10"}]}))
        .unwrap();
        let ours = details_of(&inv).unwrap();
        assert_eq!(ours["header"]["costLines"][0]["amount"]["value"], "80.0000");
        let mut theirs = ours.clone();
        theirs["type"] = json!("StandardInvoiceDetails");
        theirs["details"]["lineItems"][0]["quantity"] = json!(2);
        theirs["details"]["lineItems"][0]["unitPrice"]["value"] = json!("40.00");
        assert_eq!(
            comparable_details(Some(&ours)),
            comparable_details(Some(&theirs))
        );
        theirs["details"]["lineItems"][0]["quantity"] = json!(3);
        assert_ne!(
            comparable_details(Some(&ours)),
            comparable_details(Some(&theirs))
        );
    }
}
