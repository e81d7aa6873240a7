//! Order shipments (v2 `/orders/{id}/shipments`) and the order's shipping consignments
//! (`?include=consignments.line_items`). Pure store mutations: a shipment ships quantities of the
//! order's lines from one of its shipping addresses, never more than a line has left to ship; the
//! lines' and addresses' shipped counts and the order's status follow (Partially Shipped, then
//! Shipped), as BigCommerce moves them.

use serde_json::{json, Map, Value};

use super::events::Events;
use super::orders::set_order_status;
use crate::store::{int, rfc2822, text, Store};

/// Status ids BigCommerce gives an order as its lines ship.
const SHIPPED: i64 = 2;
const PARTIALLY_SHIPPED: i64 = 3;

/// The fields of `orderShipment_Post` / `orderShipment_Put` that a shipment keeps as text.
const TRACKING_FIELDS: [&str; 6] = [
    "tracking_number",
    "tracking_carrier",
    "tracking_link",
    "shipping_method",
    "comments",
    "merchant_shipping_cost",
];

/// Display names of the standard shipping providers.
fn provider_name(provider: &str) -> String {
    match provider {
        "usps" => "USPS".into(),
        "ups" | "upsready" => "UPS".into(),
        "fedex" => "FedEx".into(),
        "auspost" => "Australia Post".into(),
        "canadapost" => "Canada Post".into(),
        "royalmail" => "Royal Mail".into(),
        "endicia" => "Endicia".into(),
        "shipperhq" => "ShipperHQ".into(),
        "" => String::new(),
        other => other.to_owned(),
    }
}

fn generated_link(provider: &str, carrier: &str, number: &str) -> String {
    if number.is_empty() || (provider.is_empty() && carrier.is_empty()) {
        return String::new();
    }
    let by = if provider.is_empty() {
        carrier
    } else {
        provider
    };
    format!("https://track.aftership.com/{by}/{number}")
}

/// Why a shipment was refused: the message of the v2 error answer.
pub type Refusal = String;

/// Creates a shipment of order `order_id` from a `POST` body; returns it, with the events.
pub fn create_shipment(
    store: &mut Store,
    order_id: i64,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<Value, Refusal> {
    let address_id = int(body, "order_address_id")
        .ok_or("The field 'order_address_id' is required and must be an integer.")?;
    let address = store
        .order_shipping_addresses
        .get(&order_id)
        .and_then(|a| a.iter().find(|a| int(a, "id") == Some(address_id)))
        .cloned()
        .ok_or(format!(
            "Order address {address_id} does not belong to order {order_id}."
        ))?;
    let items = shipped_items(store, order_id, address_id, body)?;
    for (product_id, qty) in &items {
        add_shipped(store, order_id, *product_id, *qty);
    }
    let id = store.next_id("shipment", max_shipment(store));
    let order = store.orders.get(&order_id).cloned().unwrap_or_default();
    let provider = text(body, "shipping_provider");
    let mut shipment = json!({
        "id": id,
        "order_id": order_id,
        "customer_id": int(&order, "customer_id").unwrap_or(0),
        "order_address_id": address_id,
        "date_created": rfc2822(now),
        "shipping_provider": provider,
        "billing_address": order.get("billing_address").map(|b| pick(b, &ADDRESS_FIELDS)).unwrap_or_default(),
        "shipping_address": pick(&address, &ADDRESS_FIELDS),
        "items": items.iter().map(|(p, q)| json!({"order_product_id": p, "product_id": product_of(store, order_id, *p), "quantity": q})).collect::<Vec<_>>(),
    });
    for f in TRACKING_FIELDS {
        shipment[f] = json!(text(body, f));
    }
    if shipment["merchant_shipping_cost"] == "" {
        shipment["merchant_shipping_cost"] = json!("0.0000");
    }
    refresh_links(&mut shipment);
    store
        .shipments
        .entry(order_id)
        .or_default()
        .push(shipment.clone());
    ev.push((
        "store/shipment/created".into(),
        json!({"type": "shipment", "id": id, "orderId": order_id}),
    ));
    follow_status(store, order_id, now, ev);
    Ok(shipment)
}

/// The `(order_product_id, quantity)` a `POST` ships, each checked against the line's address
/// and what it has left to ship.
fn shipped_items(
    store: &Store,
    order_id: i64,
    address_id: i64,
    body: &Value,
) -> Result<Vec<(i64, i64)>, Refusal> {
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("The field 'items' is required and must be a non-empty array.")?;
    let lines = store
        .order_products
        .get(&order_id)
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for item in items {
        let (Some(pid), Some(qty)) = (int(item, "order_product_id"), int(item, "quantity")) else {
            return Err("Each item needs an integer 'order_product_id' and 'quantity'.".into());
        };
        let line = lines
            .iter()
            .find(|l| int(l, "id") == Some(pid))
            .ok_or(format!(
                "Order product {pid} does not belong to order {order_id}."
            ))?;
        if int(line, "order_address_id") != Some(address_id) {
            return Err(format!(
                "Order product {pid} does not ship to order address {address_id}."
            ));
        }
        let already = out
            .iter()
            .filter(|(p, _)| *p == pid)
            .map(|(_, q)| q)
            .sum::<i64>();
        let left = int(line, "quantity").unwrap_or(0) - int(line, "quantity_shipped").unwrap_or(0);
        if qty < 1 || qty + already > left {
            return Err(format!(
                "The quantity specified for order product {pid} is invalid: {left} left to ship."
            ));
        }
        out.push((pid, qty));
    }
    Ok(out)
}

fn max_shipment(store: &Store) -> Option<i64> {
    store
        .shipments
        .values()
        .flatten()
        .filter_map(|s| int(s, "id"))
        .max()
}

fn product_of(store: &Store, order_id: i64, order_product_id: i64) -> i64 {
    store
        .order_products
        .get(&order_id)
        .and_then(|l| l.iter().find(|l| int(l, "id") == Some(order_product_id)))
        .and_then(|l| int(l, "product_id"))
        .unwrap_or(0)
}

/// Adds `qty` (negative: takes back) to a line's shipped quantity, its address's and order's.
fn add_shipped(store: &mut Store, order_id: i64, order_product_id: i64, qty: i64) {
    let mut address = None;
    if let Some(line) = store.order_products.get_mut(&order_id).and_then(|l| {
        l.iter_mut()
            .find(|l| int(l, "id") == Some(order_product_id))
    }) {
        line["quantity_shipped"] = json!(int(line, "quantity_shipped").unwrap_or(0) + qty);
        address = int(line, "order_address_id");
    }
    if let Some(a) = store
        .order_shipping_addresses
        .get_mut(&order_id)
        .and_then(|a| a.iter_mut().find(|a| int(a, "id") == address))
    {
        a["items_shipped"] = json!(int(a, "items_shipped").unwrap_or(0) + qty);
    }
    if let Some(o) = store.orders.get_mut(&order_id) {
        o["items_shipped"] = json!(int(o, "items_shipped").unwrap_or(0) + qty);
    }
}

/// Moves the order to Shipped when every item is, Partially Shipped when some are (from a
/// status that ships: not Cancelled, Refunded...), and back when a shipment is deleted.
fn follow_status(store: &mut Store, order_id: i64, now: i64, ev: &mut Events) {
    let Some(o) = store.orders.get(&order_id) else {
        return;
    };
    let (total, shipped) = (
        int(o, "items_total").unwrap_or(0),
        int(o, "items_shipped").unwrap_or(0),
    );
    let prev = int(o, "status_id").unwrap_or(0);
    let target = match shipped {
        0 if matches!(prev, SHIPPED | PARTIALLY_SHIPPED) => 11,
        0 => return,
        s if s >= total => SHIPPED,
        _ => PARTIALLY_SHIPPED,
    };
    if !matches!(prev, 1 | 7 | 8 | 9 | 11 | SHIPPED | PARTIALLY_SHIPPED) || prev == target {
        return;
    }
    set_order_status(store, order_id, target, now);
    if let Some(o) = store.orders.get_mut(&order_id) {
        o["date_shipped"] = json!(if target == SHIPPED {
            rfc2822(now)
        } else {
            String::new()
        });
    }
    ev.push((
        "store/order/statusUpdated".into(),
        json!({"type": "order", "id": order_id, "status": {"previous_status_id": prev, "new_status_id": target}}),
    ));
}

/// Applies a `PUT` body (tracking, provider, comments; a shipment's items never change).
pub fn update_shipment(
    store: &mut Store,
    order_id: i64,
    shipment_id: i64,
    body: &Value,
    ev: &mut Events,
) -> Option<Value> {
    let shipment = store
        .shipments
        .get_mut(&order_id)?
        .iter_mut()
        .find(|s| int(s, "id") == Some(shipment_id))?;
    for f in TRACKING_FIELDS.iter().chain(&["shipping_provider"]) {
        if let Some(v) = body.get(*f).filter(|v| v.is_string()) {
            shipment[*f] = v.clone();
        }
    }
    refresh_links(shipment);
    let out = shipment.clone();
    ev.push((
        "store/shipment/updated".into(),
        json!({"type": "shipment", "id": shipment_id, "orderId": order_id}),
    ));
    Some(out)
}

/// Deletes a shipment; its quantities are shipped no more.
pub fn delete_shipment(
    store: &mut Store,
    order_id: i64,
    shipment_id: i64,
    now: i64,
    ev: &mut Events,
) -> bool {
    let Some(list) = store.shipments.get_mut(&order_id) else {
        return false;
    };
    let Some(at) = list.iter().position(|s| int(s, "id") == Some(shipment_id)) else {
        return false;
    };
    let gone = list.remove(at);
    for item in gone["items"].as_array().into_iter().flatten() {
        let (p, q) = (
            int(item, "order_product_id").unwrap_or(0),
            int(item, "quantity").unwrap_or(0),
        );
        add_shipped(store, order_id, p, -q);
    }
    ev.push((
        "store/shipment/deleted".into(),
        json!({"type": "shipment", "id": shipment_id, "orderId": order_id}),
    ));
    follow_status(store, order_id, now, ev);
    true
}

fn refresh_links(shipment: &mut Value) {
    let provider = text(shipment, "shipping_provider");
    shipment["shipping_provider_display_name"] = json!(provider_name(&provider));
    shipment["generated_tracking_link"] = json!(if text(shipment, "tracking_link").is_empty() {
        generated_link(
            &provider,
            &text(shipment, "tracking_carrier"),
            &text(shipment, "tracking_number"),
        )
    } else {
        String::new()
    });
}

const ADDRESS_FIELDS: [&str; 12] = [
    "first_name",
    "last_name",
    "company",
    "street_1",
    "street_2",
    "city",
    "state",
    "zip",
    "country",
    "country_iso2",
    "phone",
    "email",
];

fn pick(from: &Value, fields: &[&str]) -> Value {
    let mut m = Map::new();
    for f in fields {
        m.insert((*f).to_owned(), json!(text(from, f)));
    }
    Value::Object(m)
}

/// The order's consignments in the object structure (`include=consignments.line_items`,
/// `consignment_structure=object`): one shipping consignment per shipping address, each with
/// its lines as `/orders/{id}/products` gives them.
pub fn consignments(store: &Store, order_id: i64) -> Value {
    let lines = store
        .order_products
        .get(&order_id)
        .cloned()
        .unwrap_or_default();
    let shipping: Vec<Value> = store
        .order_shipping_addresses
        .get(&order_id)
        .into_iter()
        .flatten()
        .map(|a| {
            let id = int(a, "id").unwrap_or(0);
            let mut c = pick(a, &ADDRESS_FIELDS);
            c["id"] = json!(id);
            c["form_fields"] = a.get("form_fields").cloned().unwrap_or_else(|| json!([]));
            c["line_items"] = Value::Array(
                lines
                    .iter()
                    .filter(|l| int(l, "order_address_id") == Some(id))
                    .cloned()
                    .collect(),
            );
            for f in [
                "items_total",
                "items_shipped",
                "cost_tax_class_id",
                "handling_cost_tax_class_id",
                "shipping_zone_id",
            ] {
                c[f] = json!(int(a, f).unwrap_or(0));
            }
            for f in [
                "base_cost",
                "cost_ex_tax",
                "cost_inc_tax",
                "cost_tax",
                "base_handling_cost",
                "handling_cost_ex_tax",
                "handling_cost_inc_tax",
                "handling_cost_tax",
            ] {
                c[f] = json!(text(a, f).parse::<f64>().unwrap_or(0.0));
            }
            c["shipping_method"] = json!(text(a, "shipping_method"));
            c["shipping_zone_name"] = json!(text(a, "shipping_zone_name"));
            c
        })
        .collect();
    json!({"pickups": [], "shipping": shipping, "downloads": [], "email": {"gift_certificates": []}})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with one order of two lines (2 and 3 units) and its shipping address.
    fn order() -> (Store, i64, Vec<i64>) {
        let mut s = crate::seed::generate(0, 0, 3);
        let variants: Vec<i64> = s.variants.keys().copied().take(2).collect();
        let o = super::super::NewOrder {
            customer_id: 0,
            lines: vec![(variants[0], 2), (variants[1], 3)],
            status_id: 11,
            po_number: String::new(),
            invoice_payment: false,
        };
        let id = super::super::create_order(&mut s, &o, 1, &mut Events::new())
            .unwrap_or_else(|e| panic!("{e:?}"));
        let lines = s.order_products[&id]
            .iter()
            .filter_map(|l| int(l, "id"))
            .collect();
        (s, id, lines)
    }

    fn ship(lines: &[(i64, i64)], address: i64) -> Value {
        json!({"order_address_id": address, "tracking_number": "T1", "shipping_provider": "ups",
            "items": lines.iter().map(|(p, q)| json!({"order_product_id": p, "quantity": q})).collect::<Vec<_>>()})
    }

    #[test]
    fn partial_shipments_accumulate_and_the_status_follows() {
        let (mut s, id, lines) = order();
        let mut ev = Events::new();
        create_shipment(&mut s, id, &ship(&[(lines[0], 2)], id), 2, &mut ev)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(int(&s.orders[&id], "status_id"), Some(PARTIALLY_SHIPPED));
        // Line 2 has 3 to ship: 4 is refused, and nothing changes.
        let over = create_shipment(&mut s, id, &ship(&[(lines[1], 4)], id), 3, &mut ev);
        assert!(over.is_err_and(|e| e.contains("3 left to ship")));
        // The same line twice in one shipment counts twice.
        let twice = ship(&[(lines[1], 2), (lines[1], 2)], id);
        assert!(create_shipment(&mut s, id, &twice, 3, &mut ev).is_err());
        let last = create_shipment(&mut s, id, &ship(&[(lines[1], 3)], id), 4, &mut ev)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(int(&s.orders[&id], "status_id"), Some(SHIPPED));
        assert_eq!(int(&s.orders[&id], "items_shipped"), Some(5));
        let scopes: Vec<&str> = ev.iter().map(|(scope, _)| scope.as_str()).collect();
        assert_eq!(
            scopes,
            [
                "store/shipment/created",
                "store/order/statusUpdated",
                "store/shipment/created",
                "store/order/statusUpdated"
            ]
        );
        // Deleting the last shipment takes its quantities back.
        let last_id = int(&last, "id").unwrap_or(0);
        assert!(delete_shipment(&mut s, id, last_id, 5, &mut ev));
        assert_eq!(int(&s.orders[&id], "status_id"), Some(PARTIALLY_SHIPPED));
        let line = &s.order_products[&id][1];
        assert_eq!(int(line, "quantity_shipped"), Some(0));
    }

    #[test]
    fn a_shipment_needs_the_orders_address_and_lines() {
        let (mut s, id, lines) = order();
        let mut ev = Events::new();
        let wrong_address = create_shipment(&mut s, id, &ship(&[(lines[0], 1)], 9), 2, &mut ev);
        assert!(wrong_address.is_err_and(|e| e.contains("Order address 9")));
        let foreign = create_shipment(&mut s, id, &ship(&[(77, 1)], id), 2, &mut ev);
        assert!(foreign.is_err_and(|e| e.contains("Order product 77")));
        assert!(create_shipment(&mut s, id, &json!({"order_address_id": id}), 2, &mut ev).is_err());
        assert!(ev.is_empty() && s.shipments.is_empty());
    }

    #[test]
    fn consignments_carry_the_lines_of_each_address() {
        let (s, id, lines) = order();
        let c = consignments(&s, id);
        assert_eq!(c["shipping"][0]["id"], id);
        let got: Vec<i64> = c["shipping"][0]["line_items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| int(l, "id"))
            .collect();
        assert_eq!(got, lines);
    }
}
