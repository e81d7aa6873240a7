//! A buyer's card payment in the Invoice Portal, as the `/__sandbox/invoice-payments` admin
//! endpoint makes it: BigCommerce takes it through a v2 order of its own (the company admin's,
//! marked by the order metafield `orderType = "invoice payment"`), and records a
//! `payments_bigcommerce_sales_order` payment, completed and applied at once.

use serde_json::{json, Value};

use super::payments::{apply, given, insert_payment, payment_missing, read_lines, NewPayment};
use super::{company_name, require, Amount, Ctx, Outcome, Refusal, PORTAL_MODULE};
use crate::model::events::Events;
use crate::model::orders::{create_priced_order, NewOrder, PricedLine};
use crate::store::{int, text, uuid_for, Store};

/// A buyer's card payment in the portal (`POST /__sandbox/invoice-payments`): `customerId`,
/// `lineItems [{invoiceId | invoiceNumber, amount}]`, optional `payerName` and `memo`. Places
/// the v2 order BigCommerce creates for it (the company admin's, order metafield
/// `orderType = "invoice payment"`), records the payment completed and applies it. Returns the
/// payment.
pub fn portal_payment(
    store: &mut Store,
    body: &Value,
    ctx: Ctx<'_>,
    ev: &mut Events,
) -> Outcome<Value> {
    require(body, &["customerId", "lineItems"])?;
    let customer = text(body, "customerId").trim().to_owned();
    company_name(store, &customer)?;
    let items = numbered_lines(store, &body["lineItems"])?;
    let (lines, currency) = read_lines(store, &items, &customer, None)?;
    let (buyer, buyer_name) = company_buyer(store, &customer)?;
    let total = lines.iter().fold(Amount(0), |s, l| s + l.amount);
    let order = invoice_payment_order(store, buyer, total, &currency, ctx.now, ev)?;
    let memo = given(body, "memo").unwrap_or_else(|| "Invoice payment".into());
    let module_data = json!({
        "orderId": order,
        "transactions": [{"memo": memo, "type": "CreditCardTransaction", "rawTransaction": null}],
    });
    let new = NewPayment {
        customer,
        currency,
        lines,
        memo,
        module: PORTAL_MODULE,
        module_data,
        payer: buyer_name,
    };
    let id = insert_payment(store, new, body, ctx);
    if let Some(p) = store.payments.get_mut(&id) {
        p["moduleData"]["cartId"] = json!(uuid_for(0xca27, id));
    }
    apply(store, id, ctx);
    store.payments.get(&id).cloned().ok_or_else(payment_missing)
}

/// Payment lines that name their invoice by `invoiceNumber`, given its `invoiceId`.
fn numbered_lines(store: &Store, items: &Value) -> Outcome<Value> {
    let mut out = Vec::new();
    for (i, item) in items.as_array().into_iter().flatten().enumerate() {
        let mut item = item.clone();
        if int(&item, "invoiceId").is_none() {
            let number = text(&item, "invoiceNumber");
            let found = store
                .invoices
                .iter()
                .find(|(_, inv)| !number.is_empty() && text(inv, "invoiceNumber") == number)
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    Refusal::Invalid(format!("lineItems[{i}]: no invoice numbered {number:?}"))
                })?;
            item["invoiceId"] = json!(found);
        }
        out.push(item);
    }
    Ok(Value::Array(out))
}

/// The company's admin (or first) buyer: core customer id and name.
fn company_buyer(store: &Store, company: &str) -> Outcome<(i64, String)> {
    let id: i64 = company.parse().unwrap_or(0);
    let mut users: Vec<&Value> = store
        .users
        .values()
        .filter(|u| int(u, "companyId") == Some(id))
        .collect();
    users.sort_by_key(|u| (int(u, "role").unwrap_or(9), int(u, "id").unwrap_or(0)));
    let user = users
        .first()
        .ok_or_else(|| Refusal::Invalid(format!("company {company} has no buyer to pay")))?;
    let name = format!("{} {}", text(user, "firstName"), text(user, "lastName"));
    let name = Some(name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Invoice portal buyer".into());
    Ok((int(user, "customerId").unwrap_or(0), name))
}

/// The v2 order of an invoice payment: one custom line of the total, completed, in the
/// payment's currency, marked by the `orderType = "invoice payment"` metafield.
fn invoice_payment_order(
    store: &mut Store,
    customer: i64,
    total: Amount,
    currency: &str,
    now: i64,
    ev: &mut Events,
) -> Outcome<i64> {
    let o = NewOrder {
        customer_id: customer,
        lines: Vec::new(),
        status_id: 10,
        po_number: String::new(),
        invoice_payment: true,
    };
    let line = PricedLine {
        product_id: 0,
        variant_id: 0,
        name: "Invoice payment".into(),
        sku: String::new(),
        price: total.as_f64(),
        quantity: 1,
    };
    let id = create_priced_order(store, &o, &[line], now, ev)
        .map_err(|e| Refusal::Invalid(Value::Object(e).to_string()))?;
    if let Some(order) = store.orders.get_mut(&id) {
        order["currency_code"] = json!(currency);
    }
    if let Some(b2b) = store.b2b_orders.get_mut(&id) {
        b2b["currencyCode"] = json!(currency);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{open, store, CTX};
    use super::super::receipts::{transaction_id, CARD};
    use super::*;

    #[test]
    fn a_portal_payment_places_the_invoice_payment_order() {
        let mut s = store();
        let mut ev = Events::new();
        let body = json!({"customerId": "1", "lineItems": [{"invoiceNumber": "INV-1", "amount": "12.00"}]});
        let p = portal_payment(&mut s, &body, CTX, &mut ev).unwrap_or_default();
        assert_eq!(p["moduleName"], PORTAL_MODULE);
        assert_eq!(open(&s), "88.0000");
        let order = int(&p["moduleData"], "orderId").unwrap_or(0);
        assert_eq!(text(&s.orders[&order], "total_inc_tax"), "12.0000");
        assert_eq!(s.order_metafields[&order][0]["value"], "invoice payment");
        assert!(s.b2b_orders.contains_key(&order), "a company order");
        let r = s.receipts.values().next().cloned().unwrap_or_default();
        assert_eq!(r["paymentType"], CARD);
        assert_eq!(
            r["referenceNumber"],
            transaction_id(int(&p, "id").unwrap_or(0))
        );
        assert_eq!(ev.len(), 1);
        let unknown =
            json!({"customerId": "1", "lineItems": [{"invoiceNumber": "NOPE", "amount": "1"}]});
        assert!(portal_payment(&mut s, &unknown, CTX, &mut ev).is_err());
    }

    #[test]
    fn the_payer_is_the_company_admin_and_only_its_invoices_are_paid() {
        let mut s = store();
        let mut ev = Events::new();
        let body = json!({"customerId": "1", "lineItems": [{"invoiceId": 1, "amount": "1"}]});
        let p = portal_payment(&mut s, &body, CTX, &mut ev).unwrap_or_default();
        let admin = s
            .users
            .values()
            .find(|u| int(u, "companyId") == Some(1) && int(u, "role") == Some(0));
        let name = admin.map(|u| format!("{} {}", text(u, "firstName"), text(u, "lastName")));
        assert_eq!(p["payerName"].as_str(), name.as_deref());
        let order = int(&p["moduleData"], "orderId").unwrap_or(0);
        assert_eq!(
            int(&s.orders[&order], "customer_id"),
            admin.and_then(|u| int(u, "customerId"))
        );
        let foreign = json!({"customerId": "1", "lineItems": [{"invoiceId": 2, "amount": "1"}]});
        let before = (s.orders.len(), s.payments.len());
        assert!(
            matches!(portal_payment(&mut s, &foreign, CTX, &mut ev), Err(Refusal::Invalid(m)) if m.contains("does not belong"))
        );
        assert_eq!(
            (s.orders.len(), s.payments.len()),
            before,
            "no order for a refused payment"
        );
    }
}
