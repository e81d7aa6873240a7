//! Core (v2) orders: placing one from catalog lines or priced lines (with its products, its
//! shipping address and, for a company buyer, its B2B view), the v2 statuses and changing an
//! order's status.

use serde_json::{json, Map, Value};

use super::events::Events;
use super::fields::FieldErrors;
use crate::store::{int, iso8601, max_key, parse_date, rfc2822, text, Store};

/// One line of an order being placed.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// Catalog variant.
    pub variant_id: i64,
    /// Quantity.
    pub quantity: i64,
}

/// Options of an order being placed.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// Core customer id (0 for a guest).
    pub customer_id: i64,
    /// Lines.
    pub lines: Vec<(i64, i64)>,
    /// v2 status id.
    pub status_id: i64,
    /// Purchase order number (B2B).
    pub po_number: String,
    /// Whether this is an invoice-portal payment order.
    pub invoice_payment: bool,
}

/// The currencies the sandbox store sells (multi-currency on): their ids and codes, the
/// first its default (the currency of an order that names none).
pub const CURRENCIES: [(i64, &str); 3] = [(1, "USD"), (2, "EUR"), (3, "GBP")];

/// The id of currency `code` when the store sells it.
pub fn currency_id(code: &str) -> Option<i64> {
    CURRENCIES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(id, _)| *id)
}

/// Puts order `id` in currency `code` (one the store sells): its transactional and display
/// currency (v2 orders have the one), and its B2B view's.
pub fn set_order_currency(store: &mut Store, id: i64, code: &str) {
    let Some(currency) = currency_id(code) else {
        return;
    };
    if let Some(o) = store.orders.get_mut(&id) {
        for (field, value) in [
            ("currency_id", json!(currency)),
            ("currency_code", json!(code)),
            ("default_currency_id", json!(currency)),
            ("default_currency_code", json!(code)),
        ] {
            o[field] = value;
        }
    }
    if let Some(b) = store.b2b_orders.get_mut(&id) {
        b["currencyCode"] = json!(code);
    }
}

/// v2 status names by id.
pub fn status_name(id: i64) -> &'static str {
    match id {
        0 => "Incomplete",
        1 => "Pending",
        2 => "Shipped",
        3 => "Partially Shipped",
        4 => "Refunded",
        5 => "Cancelled",
        6 => "Declined",
        7 => "Awaiting Payment",
        8 => "Awaiting Pickup",
        9 => "Awaiting Shipment",
        10 => "Completed",
        11 => "Awaiting Fulfillment",
        12 => "Manual Verification Required",
        13 => "Disputed",
        14 => "Partially Refunded",
        _ => "Pending",
    }
}

/// Changes core order `id`'s status (and its B2B view's); returns the previous status id, or
/// `None` when there is no such order.
pub fn set_order_status(store: &mut Store, id: i64, status: i64, now: i64) -> Option<i64> {
    let o = store.orders.get_mut(&id)?;
    let prev = int(o, "status_id").unwrap_or(0);
    o["status_id"] = json!(status);
    o["status"] = json!(status_name(status));
    o["date_modified"] = json!(rfc2822(now));
    if let Some(b) = store.b2b_orders.get_mut(&id) {
        b["statusCode"] = json!(status);
        b["status"] = json!(status_name(status));
        b["customStatus"] = json!(status_name(status));
        b["updatedAt"] = json!(now);
    }
    Some(prev)
}

/// One line of an order at a set price: a catalog variant once priced, or a custom line (an
/// invoice payment's).
#[derive(Debug, Clone, PartialEq)]
pub struct PricedLine {
    /// Catalog product id (0 for a custom line).
    pub product_id: i64,
    /// Catalog variant id (0 for a custom line).
    pub variant_id: i64,
    /// Line name.
    pub name: String,
    /// SKU (empty for a custom line).
    pub sku: String,
    /// Unit price.
    pub price: f64,
    /// Quantity.
    pub quantity: i64,
}

/// Places a core order (v2), its products and shipping address, and the linked B2B order when
/// the customer is a company buyer.
pub fn create_order(
    store: &mut Store,
    o: &NewOrder,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let mut errs = Map::new();
    if o.lines.is_empty() {
        errs.insert(
            "products".into(),
            json!(["An order needs at least one product."]),
        );
    }
    for (v, q) in &o.lines {
        if !store.variants.contains_key(v) {
            errs.insert(
                "products".into(),
                json!([format!("Variant {v} not found.")]),
            );
        }
        if *q < 1 {
            errs.insert("products".into(), json!(["Quantity must be at least 1."]));
        }
    }
    check_buyer_and_status(store, o, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    let lines: Vec<PricedLine> = o
        .lines
        .iter()
        .filter_map(|(vid, qty)| {
            let v = store.variants.get(vid)?;
            Some(PricedLine {
                product_id: int(v, "product_id").unwrap_or(0),
                variant_id: *vid,
                name: text(v, "product_name"),
                sku: text(v, "sku"),
                price: v.get("price").and_then(Value::as_f64).unwrap_or(10.0),
                quantity: *qty,
            })
        })
        .collect();
    Ok(place_order(store, o, &lines, now, ev))
}

/// Places a core order of already priced `lines` (`o.lines` is not read), as [`create_order`]
/// does: the customer, when not a guest, must exist, and the status be 0..14.
pub fn create_priced_order(
    store: &mut Store,
    o: &NewOrder,
    lines: &[PricedLine],
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let mut errs = Map::new();
    if lines.is_empty() || lines.iter().any(|l| l.quantity < 1) {
        errs.insert(
            "products".into(),
            json!(["An order needs at least one product, each of quantity 1 or more."]),
        );
    }
    check_buyer_and_status(store, o, &mut errs);
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(place_order(store, o, lines, now, ev))
}

/// Adds to `errs` what is wrong with an order's buyer (a customer that does not exist; 0 is a
/// guest) and status (not 0..14).
fn check_buyer_and_status(store: &Store, o: &NewOrder, errs: &mut FieldErrors) {
    if o.customer_id != 0 && !store.customers.contains_key(&o.customer_id) {
        errs.insert(
            "customer_id".into(),
            json!([format!("Customer {} not found.", o.customer_id)]),
        );
    }
    if !(0..=14).contains(&o.status_id) {
        errs.insert("status_id".into(), json!(["Status id must be 0..14."]));
    }
}

/// Who an order is billed and shipped to: its customer, or a guest.
struct Buyer {
    first: String,
    last: String,
    email: String,
}

impl Buyer {
    /// Customer `customer_id`'s names and email; a guest's when there is no such customer.
    fn of(store: &Store, customer_id: i64) -> Buyer {
        match store.customers.get(&customer_id) {
            Some(c) => Buyer {
                first: text(c, "first_name"),
                last: text(c, "last_name"),
                email: text(c, "email"),
            },
            None => Buyer {
                first: "Guest".into(),
                last: "Buyer".into(),
                email: "guest@example.com".into(),
            },
        }
    }
}

/// The sums of an order's lines.
struct Totals {
    subtotal: f64,
    items: i64,
}

/// Writes an order validated by [`create_order`] or [`create_priced_order`]; returns its id.
fn place_order(
    store: &mut Store,
    o: &NewOrder,
    lines: &[PricedLine],
    now: i64,
    ev: &mut Events,
) -> i64 {
    let id = store.next_id("order", max_key(&store.orders).or(Some(99)));
    let buyer = Buyer::of(store, o.customer_id);
    let (products, totals) = order_products(id, lines);
    store
        .orders
        .insert(id, order_document(id, o, &buyer, &totals, now));
    store.order_products.insert(id, products);
    store
        .order_shipping_addresses
        .insert(id, vec![shipping_address(id, &buyer, totals.items)]);
    if o.invoice_payment {
        store
            .order_metafields
            .insert(id, vec![invoice_payment_metafield(id, now)]);
    }
    if let Some(user) = store.user_by_customer(o.customer_id).cloned() {
        let company_id = int(&user, "companyId").unwrap_or(0);
        link_b2b_order(store, id, company_id, &o.po_number, now);
    }
    ev.push((
        "store/order/created".into(),
        json!({"type": "order", "id": id}),
    ));
    id
}

/// The v2 products of order `id`, one per line, and their totals.
fn order_products(id: i64, lines: &[PricedLine]) -> (Vec<Value>, Totals) {
    let mut totals = Totals {
        subtotal: 0.0,
        items: 0,
    };
    let mut products = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let (price, qty) = (line.price, &line.quantity);
        let line_total = price * *qty as f64;
        totals.subtotal += line_total;
        totals.items += qty;
        let pid = id * 1000 + n as i64 + 1;
        products.push(json!({
            "id": pid,
            "order_id": id,
            "product_id": line.product_id,
            "variant_id": line.variant_id,
            "order_address_id": id,
            "name": line.name,
            "sku": line.sku,
            "type": "physical",
            "base_price": money(price),
            "price_ex_tax": money(price),
            "price_inc_tax": money(price),
            "price_tax": money(0.0),
            "base_total": money(line_total),
            "total_ex_tax": money(line_total),
            "total_inc_tax": money(line_total),
            "total_tax": money(0.0),
            "quantity": qty,
            "base_cost_price": money(0.0),
            "cost_price_inc_tax": money(0.0),
            "cost_price_ex_tax": money(0.0),
            "cost_price_tax": money(0.0),
            "weight": 1,
            "is_refunded": false,
            "quantity_refunded": 0,
            "refund_amount": money(0.0),
            "quantity_shipped": 0,
            "is_bundled_product": false,
            "brand": "Sandbox",
            "applied_discounts": [],
            "product_options": [],
        }));
    }
    (products, totals)
}

/// The v2 order `id` as `GET /v2/orders/{id}` answers it.
fn order_document(id: i64, o: &NewOrder, buyer: &Buyer, totals: &Totals, now: i64) -> Value {
    let total = money(totals.subtotal);
    let billing = json!({
        "first_name": buyer.first, "last_name": buyer.last, "company": "", "street_1": "1 Main St", "street_2": "",
        "city": "Austin", "state": "Texas", "zip": "78701", "country": "United States", "country_iso2": "US",
        "phone": "", "email": buyer.email, "form_fields": [],
    });
    let resource = |name: &str| json!({"url": format!("https://api.bigcommerce.com/stores/sandbox/v2/orders/{id}/{name}"), "resource": format!("/orders/{id}/{name}")});
    json!({
        "id": id,
        "customer_id": o.customer_id,
        "date_created": rfc2822(now),
        "date_modified": rfc2822(now),
        "date_shipped": "",
        "status_id": o.status_id,
        "status": status_name(o.status_id),
        "subtotal_ex_tax": total, "subtotal_inc_tax": total, "subtotal_tax": money(0.0),
        "base_shipping_cost": money(0.0), "shipping_cost_ex_tax": money(0.0), "shipping_cost_inc_tax": money(0.0),
        "shipping_cost_tax": money(0.0), "shipping_cost_tax_class_id": 0,
        "base_handling_cost": money(0.0), "handling_cost_ex_tax": money(0.0), "handling_cost_inc_tax": money(0.0),
        "handling_cost_tax": money(0.0), "handling_cost_tax_class_id": 0,
        "base_wrapping_cost": money(0.0), "wrapping_cost_ex_tax": money(0.0), "wrapping_cost_inc_tax": money(0.0),
        "wrapping_cost_tax": money(0.0), "wrapping_cost_tax_class_id": 0,
        "total_ex_tax": total, "total_inc_tax": total, "total_tax": money(0.0),
        "items_total": totals.items, "items_shipped": 0,
        "payment_method": if o.invoice_payment { "Invoice payment" } else { "Test Payment Gateway" },
        "payment_provider_id": "",
        "payment_status": "captured",
        "refunded_amount": money(0.0),
        "order_is_digital": false,
        "store_credit_amount": money(0.0),
        "gift_certificate_amount": money(0.0),
        "ip_address": "127.0.0.1",
        "ip_address_v6": "",
        "geoip_country": "United States",
        "geoip_country_iso2": "US",
        "currency_id": 1, "currency_code": "USD", "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1, "default_currency_code": "USD",
        "store_default_currency_code": "USD", "store_default_to_transactional_exchange_rate": "1.0000000000",
        "staff_notes": "",
        "customer_message": "",
        "discount_amount": money(0.0),
        "coupon_discount": money(0.0),
        "shipping_address_count": 1,
        "is_deleted": false,
        "ebay_order_id": "0",
        "cart_id": format!("{:08x}-cart-4000-8000-{id:012x}", id),
        "billing_address": billing,
        "is_email_opt_in": false,
        "order_source": if o.invoice_payment { "b2b_invoice_payment" } else { "www" },
        "channel_id": 1,
        "external_source": null,
        "external_id": null,
        "external_merchant_id": null,
        "tax_provider_id": "BasicTaxProvider",
        "customer_locale": "en",
        "external_order_id": "",
        "is_tax_inclusive_pricing": false,
        "products": resource("products"),
        "shipping_addresses": resource("shipping_addresses"),
        "coupons": resource("coupons"),
    })
}

/// The one shipping address of order `id`, to its buyer.
fn shipping_address(id: i64, buyer: &Buyer, items: i64) -> Value {
    json!({
        "id": id, "order_id": id, "first_name": buyer.first, "last_name": buyer.last, "company": "",
        "street_1": "1 Main St", "street_2": "", "city": "Austin", "zip": "78701", "country": "United States",
        "country_iso2": "US", "state": "Texas", "email": buyer.email, "phone": "", "items_total": items,
        "items_shipped": 0, "shipping_method": "Flat Rate", "base_cost": money(0.0), "cost_ex_tax": money(0.0),
        "cost_inc_tax": money(0.0), "cost_tax": money(0.0), "cost_tax_class_id": 2, "base_handling_cost": money(0.0),
        "handling_cost_ex_tax": money(0.0), "handling_cost_inc_tax": money(0.0), "handling_cost_tax": money(0.0),
        "handling_cost_tax_class_id": 2, "shipping_zone_id": 1, "shipping_zone_name": "United States", "form_fields": [],
    })
}

/// The metafield marking order `id` as an Invoice Portal payment (`orderType`).
fn invoice_payment_metafield(id: i64, now: i64) -> Value {
    json!({
        "id": id, "key": "orderType", "value": "invoice payment", "namespace": "B2B Edition",
        "permission_set": "app_only", "resource_type": "order", "resource_id": id,
        "description": "", "date_created": iso8601(now), "date_modified": iso8601(now),
    })
}

/// An amount as v2 orders write it: 4 decimals.
fn money(x: f64) -> String {
    format!("{x:.4}")
}

/// Creates (or relinks) the B2B view of core order `bc_order_id` for `company_id`.
pub fn link_b2b_order(
    store: &mut Store,
    bc_order_id: i64,
    company_id: i64,
    po_number: &str,
    now: i64,
) {
    let Some(order) = store.orders.get(&bc_order_id) else {
        return;
    };
    let total = text(order, "total_inc_tax").parse::<f64>().unwrap_or(0.0);
    let items = int(order, "items_total").unwrap_or(0);
    let status_id = int(order, "status_id").unwrap_or(0);
    let status = text(order, "status");
    let created = parse_date(&text(order, "date_created")).unwrap_or(now);
    let id = store.next_id("b2b_order", None);
    store.b2b_orders.insert(
        bc_order_id,
        json!({
            "id": id,
            "bcOrderId": bc_order_id,
            "totalIncTax": total,
            "poNumber": po_number,
            "status": status,
            "customStatus": status,
            "cartId": 0,
            "items": items,
            "usdIncTax": total,
            "companyId": company_id,
            "currencyCode": "USD",
            "money": [{"currencyLocation": "left", "currencyToken": "$", "decimalToken": ".", "decimalPlaces": 2, "thousandsToken": ","}],
            "statusCode": status_id,
            "isArchived": false,
            "channelId": 1,
            "channelName": "Default",
            "extraFields": [],
            "extraInfo": [],
            "createdAt": created,
            "updatedAt": now.max(created),
        }),
    );
}
