//! The invoice of a B2B order (`POST /ip/orders/{orderId}/invoices`, by `bcOrderId`): numbered
//! by its id on 8 digits, for the order's company, its total in its currency, with the order's
//! cost lines, addresses and lines as `details`. An order is invoiced once.

use serde_json::{json, Map, Value};

use super::invoices::build_invoice;
use super::{is_currency, money, Amount, Outcome, Refusal};
use crate::store::{int, max_key, parse_date, text, Store};

/// Creates the invoice of B2B order `order_id` (by `bcOrderId`): number = the id on 8 digits,
/// the order's company, total, currency, addresses and lines. One invoice per order.
pub fn invoice_from_order(store: &mut Store, order_id: i64, now: i64) -> Outcome<(i64, String)> {
    let Some(b2b) = store.b2b_orders.get(&order_id).cloned() else {
        return Err(Refusal::NotFound("Order does not exist".into()));
    };
    let key = order_id.to_string();
    if store
        .invoices
        .values()
        .any(|i| text(i, "orderNumber") == key)
    {
        return Err(Refusal::Bad(format!(
            "Order {order_id} already has an invoice: an order is invoiced once."
        )));
    }
    let order = store.orders.get(&order_id).cloned().unwrap_or_default();
    let currency = Some(text(&b2b, "currencyCode"))
        .filter(|c| is_currency(c))
        .unwrap_or_else(|| "USD".into());
    let total = Amount::parse(&text(&order, "total_inc_tax"))
        .or_else(|| b2b.get("totalIncTax").and_then(Amount::from_json))
        .unwrap_or_default();
    let mut body = json!({
        "customerId": text(&b2b, "companyId"),
        "originalBalance": money(&currency, total),
        "openBalance": money(&currency, total),
        "orderNumber": key,
        "purchaseOrderNumber": text(&b2b, "poNumber"),
        "channelId": int(&b2b, "channelId").unwrap_or(1),
    });
    if let Some(d) = order_details(store, order_id, &currency) {
        body["details"] = d;
    }
    let id = store.next_id("invoice", max_key(&store.invoices));
    let number = format!("{id:08}");
    body["invoiceNumber"] = json!(number);
    let invoice = build_invoice(store, &body, now, Some(id))?;
    store.invoices.insert(id, invoice);
    Ok((id, number))
}

/// The `details` of an order's invoice: cost lines, addresses and the order's lines; `None`
/// without a core order.
fn order_details(store: &Store, order_id: i64, currency: &str) -> Option<Value> {
    let order = store.orders.get(&order_id)?;
    let cost = |f: &str, label: &str| {
        let a = Amount::parse(&text(order, f)).unwrap_or_default();
        json!({"amount": money(currency, a), "description": label})
    };
    let shipping: Vec<Value> = store
        .order_shipping_addresses
        .get(&order_id)
        .into_iter()
        .flatten()
        .map(invoice_address)
        .collect();
    let mut header = json!({
        "costLines": [cost("subtotal_inc_tax", "Subtotal"), cost("shipping_cost_inc_tax", "Freight"), cost("total_tax", "Sales Tax")],
        "orderDate": parse_date(&text(order, "date_created")).unwrap_or(0),
        "billingAddress": invoice_address(&order["billing_address"]),
    });
    if !shipping.is_empty() {
        header["shippingAddresses"] = Value::Array(shipping);
    }
    let lines: Vec<Value> = store
        .order_products
        .get(&order_id)
        .into_iter()
        .flatten()
        .map(|p| {
            let price = Amount::parse(&text(p, "price_inc_tax")).unwrap_or_default();
            json!({
                "sku": text(p, "sku"), "type": text(p, "type"), "quantity": text(p, "quantity"),
                "unitPrice": money(currency, price), "description": text(p, "name"),
                "unitDiscount": money(currency, Amount(0)),
            })
        })
        .collect();
    let mut details = json!({"type": "StandardInvoiceDetails", "header": header});
    if !lines.is_empty() {
        details["details"] = json!({ "lineItems": lines });
    }
    Some(details)
}

/// A v2 order address as an invoice address.
fn invoice_address(a: &Value) -> Value {
    let mut m = Map::new();
    for (to, from) in [
        ("city", "city"),
        ("state", "state"),
        ("country", "country"),
        ("street1", "street_1"),
        ("street2", "street_2"),
        ("zipCode", "zip"),
        ("lastName", "last_name"),
        ("firstName", "first_name"),
    ] {
        m.insert(to.into(), json!(text(a, from)));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_invoiced_once_with_its_lines() {
        let mut s = crate::seed::generate(3, 20, 0);
        let order = s.b2b_orders.keys().next().copied().unwrap_or(0);
        let (id, number) = invoice_from_order(&mut s, order, 9).unwrap_or_default();
        assert_eq!(number, format!("{id:08}"));
        let inv = &s.invoices[&id];
        let total = text(&s.orders[&order], "total_inc_tax");
        assert_eq!(
            Amount::of(&inv["openBalance"]),
            Amount::parse(&total).unwrap_or_default()
        );
        assert_eq!(inv["orderNumber"], order.to_string());
        assert_eq!(inv["customerId"], text(&s.b2b_orders[&order], "companyId"));
        let lines = inv["details"]["details"]["lineItems"]
            .as_array()
            .map(Vec::len);
        assert_eq!(lines, s.order_products.get(&order).map(Vec::len));
        assert!(matches!(
            invoice_from_order(&mut s, order, 9),
            Err(Refusal::Bad(_))
        ));
        assert!(matches!(
            invoice_from_order(&mut s, 1, 9),
            Err(Refusal::NotFound(_))
        ));
    }
}
