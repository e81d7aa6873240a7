//! Invoice Portal invoices (`/ip/invoices`): create, update (only the fields given; `details`
//! as a whole), delete and the answer's shape. The status follows the open balance: paid (2)
//! at or below 0.

use serde_json::{json, Value};

use super::{channel_name, company_name, invalid, money, read_money, require};
use super::{Amount, Outcome, Refusal};
use crate::store::{int, max_key, text, Store};

/// Invoice status: open.
pub const OPEN: i64 = 0;
/// Invoice status: partially paid.
pub const PARTIALLY_PAID: i64 = 1;
/// Invoice status: paid ("auto set to 2 when open balance is <= 0").
pub const PAID: i64 = 2;

/// Days from creation to the due date of an invoice created without one.
pub const DUE_DAYS: i64 = 30;

/// The spec's answer to a duplicate invoice number (its `POST /invoices` "400" example).
pub const DUPLICATE_NUMBER: &str = "The invoice number already exists.";

/// Fields an invoice keeps that its answers do not carry (the model has neither).
const WRITE_ONLY: [&str; 2] = ["issuedAt", "externalPdfUrl"];

/// Text fields of an invoice kept as given; an empty string (or `null`) removes one, as the
/// model declares each `minLength: 1`.
const TEXT_FIELDS: [&str; 6] = [
    "externalId",
    "externalCustomerId",
    "orderNumber",
    "purchaseOrderNumber",
    "termsConditions",
    "externalPdfUrl",
];

fn number_taken(store: &Store, number: &str, except: Option<i64>) -> bool {
    store
        .invoices
        .iter()
        .any(|(id, i)| Some(*id) != except && text(i, "invoiceNumber") == number)
}

/// Creates an invoice from a `POST /invoices` body; returns its id.
pub fn create_invoice(store: &mut Store, body: &Value, now: i64) -> Outcome<i64> {
    require(
        body,
        &[
            "invoiceNumber",
            "originalBalance",
            "openBalance",
            "customerId",
        ],
    )?;
    let mut invoice = build_invoice(store, body, now, None)?;
    let id = store.next_id("invoice", max_key(&store.invoices));
    invoice["id"] = json!(id);
    store.invoices.insert(id, invoice);
    Ok(id)
}

/// A new invoice (id 0) from a create body whose required fields are present.
pub(super) fn build_invoice(
    store: &Store,
    body: &Value,
    now: i64,
    id: Option<i64>,
) -> Outcome<Value> {
    let mut invoice = json!({
        "id": id.unwrap_or(0),
        "type": "Invoice",
        "dueDate": now + DUE_DAYS * 86_400,
        "status": OPEN,
        "isPendingPayment": 0,
        "source": 0,
        "createdAt": now.to_string(),
        "updatedAt": now.to_string(),
        "channelId": "1",
        "channelName": channel_name(1),
        "extraFields": [],
    });
    apply_fields(store, &mut invoice, body, id)?;
    if invoice.get("issuedAt").is_none() {
        invoice["issuedAt"] = json!(now);
    }
    normalise_details(&mut invoice);
    Ok(invoice)
}

/// Applies a `PUT /invoices/{id}` body: only the fields given change, `details` as a whole;
/// returns the id.
pub fn update_invoice(store: &mut Store, id: i64, body: &Value, now: i64) -> Outcome<i64> {
    let Some(mut invoice) = store.invoices.get(&id).cloned() else {
        return Err(Refusal::NotFound("Invoice does not exist".into()));
    };
    apply_fields(store, &mut invoice, body, Some(id))?;
    normalise_details(&mut invoice);
    invoice["updatedAt"] = json!(now.to_string());
    store.invoices.insert(id, invoice);
    Ok(id)
}

/// Deletes an invoice; false when there is none.
pub fn delete_invoice(store: &mut Store, id: i64) -> bool {
    store.invoices.remove(&id).is_some()
}

/// Writes the fields `body` gives into `invoice` (`except`: the invoice's own id, so its number
/// does not clash with itself); nothing when one is refused.
fn apply_fields(
    store: &Store,
    invoice: &mut Value,
    body: &Value,
    except: Option<i64>,
) -> Outcome<()> {
    let mut next = invoice.clone();
    apply_texts(&mut next, body)?;
    apply_numbers(&mut next, body)?;
    apply_balances(&mut next, body)?;
    apply_links(store, &mut next, body, except)?;
    if let Some(d) = body.get("details") {
        match d {
            Value::Object(_) => next["details"] = d.clone(),
            Value::Null => remove(&mut next, "details"),
            _ => return invalid("details must be an object"),
        }
    }
    if let Some(x) = body.get("extraFields") {
        next["extraFields"] = extra_fields(x)?;
    }
    let explicit = body.get("status").is_some();
    follow_status(&mut next, explicit);
    *invoice = next;
    Ok(())
}

fn remove(v: &mut Value, field: &str) {
    if let Some(m) = v.as_object_mut() {
        m.remove(field);
    }
}

/// A text field of a request: `None` absent, `Some("")` to clear, numbers as their text.
fn text_field(body: &Value, field: &str) -> Outcome<Option<String>> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => invalid(format!("{field} must be a string")),
    }
}

fn apply_texts(invoice: &mut Value, body: &Value) -> Outcome<()> {
    for f in TEXT_FIELDS {
        match text_field(body, f)? {
            Some(s) if s.is_empty() => remove(invoice, f),
            Some(s) => invoice[f] = json!(s),
            None => {}
        }
    }
    match text_field(body, "type")? {
        Some(t) if t.is_empty() => invalid("type may not be blank"),
        Some(t) => {
            invoice["type"] = json!(t);
            Ok(())
        }
        None => Ok(()),
    }
}

/// An integer field of a request (numbers or numeric strings); 422 when it does not read.
fn int_field(body: &Value, field: &str) -> Outcome<Option<i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => match int(body, field) {
            Some(n) => Ok(Some(n)),
            None => invalid(format!("{field} must be an integer")),
        },
    }
}

fn apply_numbers(invoice: &mut Value, body: &Value) -> Outcome<()> {
    for f in ["dueDate", "issuedAt"] {
        if let Some(n) = int_field(body, f)? {
            invoice[f] = json!(n);
        }
    }
    if let Some(s) = int_field(body, "status")? {
        if !(OPEN..=PAID).contains(&s) {
            return invalid("status must be 0, 1 or 2");
        }
        invoice["status"] = json!(s);
    }
    if let Some(s) = int_field(body, "source")? {
        if !(0..=1).contains(&s) {
            return invalid("source must be 0 or 1");
        }
        invoice["source"] = json!(s);
    }
    if let Some(c) = int_field(body, "channelId")? {
        invoice["channelId"] = json!(c.to_string());
        invoice["channelName"] = json!(channel_name(c));
    }
    Ok(())
}

fn apply_balances(invoice: &mut Value, body: &Value) -> Outcome<()> {
    for f in ["originalBalance", "openBalance"] {
        if body.get(f).is_some_and(|v| !v.is_null()) {
            let (code, amount) = read_money(body, f)?;
            invoice[f] = money(&code, amount);
        }
    }
    let code = |f: &str| text(&invoice[f], "code");
    if code("originalBalance") != code("openBalance") {
        return invalid("originalBalance and openBalance must be in the same currency");
    }
    Ok(())
}

fn apply_links(
    store: &Store,
    invoice: &mut Value,
    body: &Value,
    except: Option<i64>,
) -> Outcome<()> {
    if let Some(number) = text_field(body, "invoiceNumber")? {
        if number.is_empty() {
            return invalid("invoiceNumber may not be blank");
        }
        if number_taken(store, &number, except) {
            return Err(Refusal::Bad(DUPLICATE_NUMBER.into()));
        }
        invoice["invoiceNumber"] = json!(number);
    }
    if let Some(customer) = text_field(body, "customerId")? {
        if customer.is_empty() {
            return invalid("customerId may not be blank");
        }
        let name = company_name(store, &customer)?;
        invoice["customerId"] = json!(customer);
        if name.is_empty() {
            remove(invoice, "customerName");
        } else {
            invoice["customerName"] = json!(name);
        }
    }
    Ok(())
}

/// `extraFields` of a request: `[{fieldName, fieldValue}]`.
fn extra_fields(v: &Value) -> Outcome<Value> {
    let Some(list) = v.as_array() else {
        return invalid("extraFields must be an array of {fieldName, fieldValue}");
    };
    let mut out = Vec::new();
    for f in list {
        let name = text(f, "fieldName");
        if name.is_empty() {
            return invalid("extraFields: each needs a fieldName");
        }
        out.push(json!({"fieldName": name, "fieldValue": text(f, "fieldValue")}));
    }
    Ok(Value::Array(out))
}

/// Status from the open balance: paid at or below 0; otherwise the status given (`explicit`),
/// or, for a paid invoice whose balance came back, partially paid or open.
fn follow_status(invoice: &mut Value, explicit: bool) {
    let open = Amount::of(&invoice["openBalance"]);
    let original = Amount::of(&invoice["originalBalance"]);
    let current = int(invoice, "status").unwrap_or(OPEN);
    let status = if open <= Amount(0) {
        PAID
    } else if explicit || current != PAID {
        current
    } else if open < original {
        PARTIALLY_PAID
    } else {
        OPEN
    };
    invoice["status"] = json!(status);
}

/// The status a payment leaves an invoice in: paid at or below 0, partially paid below the
/// original balance, open otherwise.
pub fn paid_status(invoice: &Value) -> i64 {
    let open = Amount::of(&invoice["openBalance"]);
    if open <= Amount(0) {
        PAID
    } else if open < Amount::of(&invoice["originalBalance"]) {
        PARTIALLY_PAID
    } else {
        OPEN
    }
}

/// Fills what BigCommerce adds to the `details` it is given: the `type` and the header's
/// `orderDate` (the issue date).
fn normalise_details(invoice: &mut Value) {
    let issued = int(invoice, "issuedAt").unwrap_or(0);
    let Some(d) = invoice.get_mut("details").and_then(Value::as_object_mut) else {
        return;
    };
    d.entry("type")
        .or_insert_with(|| json!("StandardInvoiceDetails"));
    if let Some(h) = d.get_mut("header").and_then(Value::as_object_mut) {
        h.entry("orderDate").or_insert_with(|| json!(issued));
    }
}

/// An invoice as the API answers it: write-only fields left out, `isPendingPayment` 1 while a
/// payment of it awaits processing (status 1 or 2).
pub fn invoice_answer(store: &Store, invoice: &Value) -> Value {
    let mut a = invoice.clone();
    for f in WRITE_ONLY {
        remove(&mut a, f);
    }
    let id = int(invoice, "id");
    let pending = store.payments.values().any(|p| {
        matches!(int(p, "processingStatus"), Some(1 | 2))
            && p["lineItems"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| int(x, "invoiceId") == id))
    });
    a["isPendingPayment"] = json!(i64::from(pending));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with two companies (ids 1 and 2).
    fn store() -> Store {
        crate::seed::generate(2, 0, 0)
    }

    fn body(number: &str, open: Value) -> Value {
        json!({"invoiceNumber": number, "customerId": "1",
            "originalBalance": {"code": "USD", "value": 100}, "openBalance": {"code": "USD", "value": open}})
    }

    #[test]
    fn create_defaults_and_validation() {
        let mut s = store();
        let id = create_invoice(&mut s, &body("INV-1", json!("40.5")), 1_000).unwrap_or_default();
        let inv = &s.invoices[&id];
        assert_eq!(
            inv["openBalance"],
            json!({"code": "USD", "value": "40.5000"})
        );
        assert_eq!(inv["originalBalance"]["value"], "100.0000");
        assert_eq!(
            (inv["type"].as_str(), int(inv, "status")),
            (Some("Invoice"), Some(0))
        );
        assert_eq!(int(inv, "dueDate"), Some(1_000 + 30 * 86_400));
        assert_eq!(inv["createdAt"], "1000");
        assert_eq!(inv["customerName"], s.companies[&1]["companyName"]);
        // A duplicate number, an unknown company, a missing field, a currency mismatch.
        let dup = create_invoice(&mut s, &body("INV-1", json!(1)), 1);
        assert_eq!(dup, Err(Refusal::Bad(DUPLICATE_NUMBER.into())));
        let mut other = body("INV-2", json!(1));
        other["customerId"] = json!("77");
        assert!(
            matches!(create_invoice(&mut s, &other, 1), Err(Refusal::NotFound(m)) if m.contains("77"))
        );
        let missing = create_invoice(&mut s, &json!({"invoiceNumber": "X"}), 1);
        assert!(
            matches!(missing, Err(Refusal::Invalid(m)) if m.contains("originalBalance, openBalance, customerId"))
        );
        let mut euro = body("INV-3", json!(1));
        euro["openBalance"]["code"] = json!("EUR");
        assert!(matches!(
            create_invoice(&mut s, &euro, 1),
            Err(Refusal::Invalid(_))
        ));
        let mut words = body("INV-4", json!("a lot"));
        words["status"] = json!(1);
        assert!(matches!(
            create_invoice(&mut s, &words, 1),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(s.invoices.len(), 1);
    }

    #[test]
    fn status_follows_the_open_balance() {
        let mut s = store();
        let id = create_invoice(&mut s, &body("INV-1", json!(0)), 1).unwrap_or_default();
        assert_eq!(int(&s.invoices[&id], "status"), Some(PAID));
        let up = json!({"openBalance": {"code": "USD", "value": "12.0000"}});
        assert_eq!(update_invoice(&mut s, id, &up, 2), Ok(id));
        assert_eq!(int(&s.invoices[&id], "status"), Some(PARTIALLY_PAID));
        assert_eq!(s.invoices[&id]["updatedAt"], "2");
        // Only what is given changes; details are replaced whole.
        let first = json!({"details": {"header": {"costLines": []}, "details": {"lineItems": []}}, "externalId": "E1"});
        assert_eq!(update_invoice(&mut s, id, &first, 3), Ok(id));
        let second = json!({"details": {"details": {"lineItems": [{"sku": "A"}]}}});
        assert_eq!(update_invoice(&mut s, id, &second, 4), Ok(id));
        let inv = &s.invoices[&id];
        assert!(inv["details"].get("header").is_none(), "{inv}");
        assert_eq!(inv["details"]["type"], "StandardInvoiceDetails");
        assert_eq!(
            (inv["externalId"].as_str(), inv["invoiceNumber"].as_str()),
            (Some("E1"), Some("INV-1"))
        );
        let none = update_invoice(&mut s, 99, &up, 5);
        assert_eq!(
            none,
            Err(Refusal::NotFound("Invoice does not exist".into()))
        );
    }

    #[test]
    fn a_renumbered_invoice_stays_unique() {
        let mut s = store();
        let a = create_invoice(&mut s, &body("A", json!(5)), 1).unwrap_or_default();
        create_invoice(&mut s, &body("B", json!(5)), 1).unwrap_or_default();
        assert_eq!(
            update_invoice(&mut s, a, &json!({"invoiceNumber": "A"}), 2),
            Ok(a)
        );
        let clash = update_invoice(&mut s, a, &json!({"invoiceNumber": "B"}), 2);
        assert_eq!(clash, Err(Refusal::Bad(DUPLICATE_NUMBER.into())));
        assert_eq!(s.invoices[&a]["invoiceNumber"], "A");
    }
}
