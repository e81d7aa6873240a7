//! Entity constructors and state mutations shared by the API handlers, the seeder and the admin
//! endpoints: each validates its input, builds the JSON object the API returns, links related
//! entities (company → customer group, admin user, core customer; order → B2B order) and records
//! the webhook events to fire. Knows only the store, never HTTP or the shared state; price-list
//! entities live in the `pricelists` submodule and are re-exported here, the Invoice Portal's
//! (invoices, payments, receipts) in `receivables`.

use serde_json::{json, Map, Value};

use crate::store::{int, iso8601, max_key, parse_mdy, rfc2822, text, uuid_for, Store};

pub mod company_terms;
pub mod hierarchy;
pub mod inventory;
mod pricelists;
pub mod receivables;
pub mod roles;
pub mod shipments;
pub mod staff;
pub use pricelists::{insert_assignment, insert_pricelist};

/// Webhook events produced by a change: `(scope, data)`.
pub type Events = Vec<(String, Value)>;

/// A validation failure: field → messages (B2B `errMsg` / v3 `errors` shape).
pub type FieldErrors = Map<String, Value>;

/// The "required" message BigCommerce uses.
pub const REQUIRED: &str = "This field is required.";

fn missing(body: &Value, fields: &[&str]) -> FieldErrors {
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

fn s(body: &Value, f: &str) -> String {
    text(body, f)
}

/// Creates a v2 customer group.
pub fn create_customer_group(store: &mut Store, name: &str, now: i64) -> i64 {
    let id = store.next_id("customer_group", max_key(&store.customer_groups));
    store.customer_groups.insert(
        id,
        json!({
            "id": id,
            "name": name,
            "is_default": false,
            "category_access": {"type": "all"},
            "discount_rules": [],
            "date_created": rfc2822(now),
            "date_modified": rfc2822(now),
            "is_group_for_guests": false,
        }),
    );
    id
}

/// Creates a v3 customer from a v3-shaped body (`email`, `first_name`, `last_name` required).
pub fn create_customer(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let errs = missing(body, &["email", "first_name", "last_name"]);
    if !errs.is_empty() {
        return Err(errs);
    }
    let email = s(body, "email").to_ascii_lowercase();
    if store
        .customers
        .values()
        .any(|c| text(c, "email").eq_ignore_ascii_case(&email))
    {
        let mut e = Map::new();
        e.insert(
            "email".into(),
            json!(format!("Email address {email} is already in use")),
        );
        return Err(e);
    }
    let id = store.next_id("customer", max_key(&store.customers));
    let channel_ids = body
        .get("channel_ids")
        .filter(|v| v.is_array())
        .cloned()
        .unwrap_or_else(|| json!([1]));
    store.customers.insert(
        id,
        json!({
            "id": id,
            "email": email,
            "first_name": s(body, "first_name"),
            "last_name": s(body, "last_name"),
            "company": s(body, "company"),
            "phone": s(body, "phone"),
            "registration_ip_address": "",
            "notes": s(body, "notes"),
            "tax_exempt_category": s(body, "tax_exempt_category"),
            "customer_group_id": int(body, "customer_group_id").unwrap_or(0),
            "date_created": iso8601(now),
            "date_modified": iso8601(now),
            "address_count": 0,
            "attribute_count": 0,
            "authentication": {"force_password_reset": false},
            "accepts_product_review_abandoned_cart_emails": false,
            "origin_channel_id": int(body, "origin_channel_id").unwrap_or(1),
            "channel_ids": channel_ids,
        }),
    );
    ev.push((
        "store/customer/created".into(),
        json!({"type": "customer", "id": id}),
    ));
    Ok(id)
}

fn extra_fields(body: &Value) -> Value {
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

/// Result of creating a company.
#[derive(Debug, Clone, Copy)]
pub struct CompanyIds {
    /// B2B company id.
    pub company_id: i64,
    /// Core customer id of the admin user.
    pub customer_id: i64,
    /// Core customer group of the company.
    pub customer_group_id: i64,
}

/// Company create: required fields, a customer group, the admin user and its core customer.
pub fn create_company(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<CompanyIds, FieldErrors> {
    if !body.is_object() {
        let mut e = Map::new();
        e.insert(
            "non_field_errors".into(),
            json!(["The request body must be a JSON object."]),
        );
        return Err(e);
    }
    let errs = missing(
        body,
        &[
            "companyName",
            "companyPhone",
            "companyEmail",
            "country",
            "adminFirstName",
            "adminLastName",
            "adminEmail",
        ],
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    let admin_email = s(body, "adminEmail").to_ascii_lowercase();
    if store
        .users
        .values()
        .any(|u| text(u, "email").eq_ignore_ascii_case(&admin_email))
        || store
            .customers
            .values()
            .any(|c| text(c, "email").eq_ignore_ascii_case(&admin_email))
    {
        let mut e = Map::new();
        e.insert(
            "adminEmail".into(),
            json!([format!("User with email {admin_email} already exists")]),
        );
        return Err(e);
    }
    let name = s(body, "companyName");
    let group_id = match int(body, "customerGroupId") {
        Some(g) if store.customer_groups.contains_key(&g) => g,
        _ => create_customer_group(store, &name, now),
    };
    let group_name = store
        .customer_groups
        .get(&group_id)
        .map(|g| text(g, "name"))
        .unwrap_or_default();
    let company_id = store.next_id("company", max_key(&store.companies));
    let status = int(body, "companyStatus").unwrap_or(1).clamp(0, 3);
    let company = json!({
        "companyId": company_id,
        "companyName": name,
        "companyEmail": s(body, "companyEmail"),
        "companyPhone": s(body, "companyPhone"),
        "addressLine1": s(body, "addressLine1"),
        "addressLine2": s(body, "addressLine2"),
        "city": s(body, "city"),
        "state": s(body, "state"),
        "country": s(body, "country"),
        "zipCode": s(body, "zipCode"),
        "catalogId": s(body, "catalogId"),
        "catalogName": "",
        "bcGroupId": group_id,
        "bcGroupName": group_name,
        "companyStatus": status.to_string(),
        "parentCompany": {"id": 0, "name": ""},
        "priceListAssign": [],
        "extraFields": extra_fields(body),
        "uuid": uuid_for(0xc0, company_id),
        "createdAt": now.to_string(),
        "updatedAt": now.to_string(),
    });
    store.companies.insert(company_id, company);
    ev.push((
        "store/company/created".into(),
        json!({"company_id": company_id}),
    ));
    let admin = json!({
        "firstName": s(body, "adminFirstName"),
        "lastName": s(body, "adminLastName"),
        "email": admin_email,
        "phoneNumber": s(body, "adminPhoneNumber"),
        "role": 0,
        "companyId": company_id,
        "channelIds": body.get("channelIds").filter(|v| v.is_array()).cloned().unwrap_or_else(|| json!([1])),
        "extraFields": body.get("userExtraFields").cloned().unwrap_or_else(|| json!([])),
    });
    let (_, customer_id) = match create_user(store, &admin, now, ev) {
        Ok(ids) => ids,
        Err(e) => {
            store.companies.remove(&company_id);
            ev.pop();
            return Err(e);
        }
    };
    Ok(CompanyIds {
        company_id,
        customer_id,
        customer_group_id: group_id,
    })
}

/// Applies a company update body; returns whether anything changed.
pub fn update_company(company: &mut Value, body: &Value, store_groups: &Store, now: i64) {
    for f in [
        "companyName",
        "companyEmail",
        "companyPhone",
        "addressLine1",
        "addressLine2",
        "city",
        "state",
        "country",
        "zipCode",
        "uuid",
        "catalogId",
    ] {
        if let Some(v) = body.get(f).filter(|v| !v.is_null()) {
            company[f] = json!(text(&json!({ "v": v }), "v"));
        }
    }
    if body.get("extraFields").is_some() {
        company["extraFields"] = extra_fields(body);
    }
    if let Some(Value::Array(a)) = body.get("priceListAssign") {
        company["priceListAssign"] = Value::Array(
            a.iter()
                .map(|p| {
                    let pl = int(p, "priceListId").unwrap_or(0);
                    let pl_name = store_groups
                        .pricelists
                        .get(&pl)
                        .map(|x| text(x, "name"))
                        .unwrap_or_default();
                    json!({"channelId": int(p, "channelId").unwrap_or(1), "priceListId": pl, "priceListName": pl_name, "channelName": "Default"})
                })
                .collect(),
        );
    }
    if let Some(g) = int(body, "customerGroupId") {
        company["bcGroupId"] = json!(g);
        if let Some(group) = store_groups.customer_groups.get(&g) {
            company["bcGroupName"] = json!(text(group, "name"));
        }
    }
    company["updatedAt"] = json!(now.to_string());
}

/// Validates a user body (create rules).
pub fn validate_user(store: &Store, body: &Value) -> Result<(), FieldErrors> {
    let mut errs = missing(
        body,
        &[
            "firstName",
            "lastName",
            "email",
            "companyId",
            "role",
            "channelIds",
        ],
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    match int(body, "companyId") {
        Some(c) if store.companies.contains_key(&c) => {}
        _ => {
            errs.insert("companyId".into(), json!(["Company does not exist."]));
        }
    }
    match int(body, "role") {
        Some(0..=2) => {}
        _ => {
            errs.insert("role".into(), json!(["Role must be 0, 1 or 2."]));
        }
    }
    if let Some(r) = int(body, "companyRoleId") {
        if roles::role_name(store, r).is_none() {
            errs.insert(
                "companyRoleId".into(),
                json!(["Company role does not exist."]),
            );
        }
    }
    let email = s(body, "email");
    if !email.contains('@') {
        errs.insert("email".into(), json!(["Enter a valid email address."]));
    } else if store
        .users
        .values()
        .any(|u| text(u, "email").eq_ignore_ascii_case(&email))
    {
        errs.insert(
            "email".into(),
            json!([format!("User with email {email} already exists.")]),
        );
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Creates a B2B user and its core customer; returns `(userId, bcId)`.
pub fn create_user(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<(i64, i64), FieldErrors> {
    validate_user(store, body)?;
    let company_id = int(body, "companyId").unwrap_or(0);
    let (company_name, group_id) = store
        .companies
        .get(&company_id)
        .map(|c| (text(c, "companyName"), int(c, "bcGroupId").unwrap_or(0)))
        .unwrap_or_default();
    let email = s(body, "email").to_ascii_lowercase();
    let existing_customer = store
        .customers
        .values()
        .find(|c| text(c, "email").eq_ignore_ascii_case(&email))
        .and_then(|c| int(c, "id"));
    let customer_id = match existing_customer {
        Some(id) => id,
        None => create_customer(
            store,
            &json!({
                "email": email,
                "first_name": s(body, "firstName"),
                "last_name": s(body, "lastName"),
                "company": company_name,
                "phone": s(body, "phoneNumber"),
                "customer_group_id": group_id,
                "channel_ids": body.get("channelIds").cloned().unwrap_or_else(|| json!([1])),
            }),
            now,
            ev,
        )?,
    };
    let user_id = store.next_id("user", max_key(&store.users));
    let role = int(body, "role").unwrap_or(2);
    let role_name = ["Admin", "Senior Buyer", "Junior Buyer"]
        .get(role as usize)
        .copied()
        .unwrap_or("Junior Buyer");
    let company_role = int(body, "companyRoleId").unwrap_or(role + 1);
    let channels: Vec<Value> = body
        .get("channelIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_i64)
                .map(|c| json!({"channelId": c, "channelName": if c == 1 { "Default".to_string() } else { format!("Channel {c}") }, "iconUrl": ""}))
                .collect()
        })
        .unwrap_or_default();
    store.users.insert(
        user_id,
        json!({
            "id": user_id,
            "firstName": s(body, "firstName"),
            "lastName": s(body, "lastName"),
            "email": email,
            "phoneNumber": s(body, "phoneNumber"),
            "role": role,
            "companyRoleId": company_role,
            "companyRoleName": roles::role_name(store, company_role).unwrap_or_else(|| role_name.to_owned()),
            "uuid": body.get("uuid").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| uuid_for(0xa5, user_id)),
            "extraFields": extra_fields(body),
            "companyId": company_id,
            "createdAt": now,
            "updatedAt": now,
            "customerId": customer_id,
            "channelList": channels,
        }),
    );
    ev.push((
        "store/company/user/created".into(),
        json!({"company_id": company_id, "user_id": user_id}),
    ));
    Ok((user_id, customer_id))
}

/// Creates a B2B address.
pub fn create_address(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let mut errs = missing(
        body,
        &["companyId", "firstName", "lastName", "addressLine1", "city"],
    );
    if s(body, "countryName").is_empty() && s(body, "countryCode").is_empty() {
        errs.insert("countryCode".into(), json!([REQUIRED]));
    }
    if let Some(c) = int(body, "companyId") {
        if !store.companies.contains_key(&c) {
            errs.insert("companyId".into(), json!(["Company does not exist."]));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let company_id = int(body, "companyId").unwrap_or(0);
    let id = store.next_id("address", max_key(&store.addresses));
    let b = |f: &str, d: bool| body.get(f).and_then(Value::as_bool).unwrap_or(d);
    store.addresses.insert(
        id,
        json!({
            "addressId": id,
            "firstName": s(body, "firstName"),
            "lastName": s(body, "lastName"),
            "phoneNumber": s(body, "phoneNumber"),
            "zipCode": s(body, "zipCode"),
            "addressLine1": s(body, "addressLine1"),
            "addressLine2": s(body, "addressLine2"),
            "city": s(body, "city"),
            "stateName": s(body, "stateName"),
            "countryName": s(body, "countryName"),
            "stateCode": s(body, "stateCode"),
            "countryCode": s(body, "countryCode"),
            "companyId": company_id,
            "isBilling": b("isBilling", true),
            "isShipping": b("isShipping", true),
            "isDefaultBilling": b("isDefaultBilling", false),
            "isDefaultShipping": b("isDefaultShipping", false),
            "label": s(body, "label"),
            "externalId": s(body, "externalId"),
            "extraFields": extra_fields(body),
            "createdAt": now,
            "updatedAt": now,
        }),
    );
    ev.push((
        "store/company/address/created".into(),
        json!({"company_id": company_id, "address_id": id}),
    ));
    Ok(id)
}

/// The quote statuses of the spec.
pub const QUOTE_STATUSES: [i64; 7] = [0, 2, 3, 4, 5, 6, 7];

/// Creates a quote (`/rfq`).
pub fn create_quote(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let mut errs = missing(
        body,
        &[
            "grandTotal",
            "discount",
            "subtotal",
            "expiredAt",
            "productList",
        ],
    );
    let expired = parse_mdy(&s(body, "expiredAt"));
    if errs.is_empty() && expired.is_none() {
        errs.insert(
            "expiredAt".into(),
            json!(["Date has wrong format. Use one of these formats instead: MM/DD/YYYY."]),
        );
    }
    if errs.is_empty() && !body.get("productList").is_some_and(Value::is_array) {
        errs.insert("productList".into(), json!(["Expected a list of items."]));
    }
    let company = match int(body, "companyId") {
        Some(c) => match store.companies.get(&c) {
            Some(co) => Some((c, text(co, "companyName"))),
            None => {
                errs.insert("companyId".into(), json!(["Company does not exist."]));
                None
            }
        },
        None => None,
    };
    let status = int(body, "status").unwrap_or(0);
    if !QUOTE_STATUSES.contains(&status) {
        errs.insert("status".into(), json!(["Invalid quote status."]));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let id = store.next_id("quote", max_key(&store.quotes));
    let (company_id, company_name) = company.unwrap_or((0, String::new()));
    let num = |f: &str| body.get(f).and_then(Value::as_f64).unwrap_or(0.0);
    let contact = body
        .get("contactInfo")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let quote = json!({
        "quoteId": id,
        "quoteNumber": format!("Q{id:06}"),
        "company": company_name,
        "companyId": company_id,
        "salesRep": "",
        "status": status,
        "bcOrderId": "",
        "orderId": "",
        "channelId": int(body, "channelId").unwrap_or(1),
        "channelName": "Default",
        "createdAt": now,
        "updatedAt": now,
        "expiredAt": expired.unwrap_or(now),
        "createdBy": s(body, "userEmail"),
        "subtotal": num("subtotal"),
        "discount": num("discount"),
        "grandTotal": num("grandTotal"),
        "totalAmount": body.get("totalAmount").and_then(Value::as_f64).unwrap_or(num("grandTotal")),
        "shippingTotal": 0.0,
        "taxTotal": 0.0,
        "quoteTitle": s(body, "quoteTitle"),
        "referenceNumber": s(body, "referenceNumber"),
        "notes": s(body, "notes"),
        "legalTerms": s(body, "legalTerms"),
        "displayDiscount": body.get("displayDiscount").and_then(Value::as_bool).unwrap_or(false),
        "allowCheckout": body.get("allowCheckout").and_then(Value::as_bool).unwrap_or(true),
        "currency": body.get("currency").cloned().unwrap_or_else(|| json!({"token": "$", "location": "left", "currencyCode": "USD", "decimalToken": ".", "decimalPlaces": 2, "thousandsToken": ",", "currencyExchangeRate": 1.0})),
        "extraFields": extra_fields(body),
        "productList": body.get("productList").cloned().unwrap_or_else(|| json!([])),
        "contactInfo": contact_info(&contact, &company_name),
        "companyInfo": {"companyId": company_id, "companyName": company_name},
        "trackingHistory": [],
        "recipients": [],
        "uuid": uuid_for(0x9e, id),
    });
    store.quotes.insert(id, quote);
    ev.push((
        "store/quote/created".into(),
        json!({"quote_id": id, "quote_uuid": uuid_for(0x9e, id)}),
    ));
    Ok(id)
}

fn contact_info(contact: &Value, company_name: &str) -> Value {
    let mut m = Map::new();
    for f in ["name", "email", "companyName", "phoneNumber"] {
        let v = text(contact, f);
        let v = if f == "companyName" && v.is_empty() {
            company_name.to_string()
        } else {
            v
        };
        // Empty strings are left out: `email` is declared `format: email`.
        if !v.is_empty() {
            m.insert(f.to_string(), json!(v));
        }
    }
    Value::Object(m)
}

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

fn money(x: f64) -> String {
    format!("{x:.4}")
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
    if o.customer_id != 0 && !store.customers.contains_key(&o.customer_id) {
        errs.insert(
            "customer_id".into(),
            json!([format!("Customer {} not found.", o.customer_id)]),
        );
    }
    if !(0..=14).contains(&o.status_id) {
        errs.insert("status_id".into(), json!(["Status id must be 0..14."]));
    }
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
    if o.customer_id != 0 && !store.customers.contains_key(&o.customer_id) {
        errs.insert(
            "customer_id".into(),
            json!([format!("Customer {} not found.", o.customer_id)]),
        );
    }
    if !(0..=14).contains(&o.status_id) {
        errs.insert("status_id".into(), json!(["Status id must be 0..14."]));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(place_order(store, o, lines, now, ev))
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
    let customer = store.customers.get(&o.customer_id).cloned();
    let (first, last, email) = customer
        .as_ref()
        .map(|c| {
            (
                text(c, "first_name"),
                text(c, "last_name"),
                text(c, "email"),
            )
        })
        .unwrap_or_else(|| ("Guest".into(), "Buyer".into(), "guest@example.com".into()));
    let mut subtotal = 0.0;
    let mut items = 0;
    let mut products = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let (price, qty) = (line.price, &line.quantity);
        let line_total = price * *qty as f64;
        subtotal += line_total;
        items += qty;
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
    let total = money(subtotal);
    let billing = json!({
        "first_name": first, "last_name": last, "company": "", "street_1": "1 Main St", "street_2": "",
        "city": "Austin", "state": "Texas", "zip": "78701", "country": "United States", "country_iso2": "US",
        "phone": "", "email": email, "form_fields": [],
    });
    let order = json!({
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
        "items_total": items, "items_shipped": 0,
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
        "products": {"url": format!("https://api.bigcommerce.com/stores/sandbox/v2/orders/{id}/products"), "resource": format!("/orders/{id}/products")},
        "shipping_addresses": {"url": format!("https://api.bigcommerce.com/stores/sandbox/v2/orders/{id}/shipping_addresses"), "resource": format!("/orders/{id}/shipping_addresses")},
        "coupons": {"url": format!("https://api.bigcommerce.com/stores/sandbox/v2/orders/{id}/coupons"), "resource": format!("/orders/{id}/coupons")},
    });
    store.orders.insert(id, order);
    store.order_products.insert(id, products);
    store.order_shipping_addresses.insert(
        id,
        vec![json!({
            "id": id, "order_id": id, "first_name": first, "last_name": last, "company": "",
            "street_1": "1 Main St", "street_2": "", "city": "Austin", "zip": "78701", "country": "United States",
            "country_iso2": "US", "state": "Texas", "email": email, "phone": "", "items_total": items,
            "items_shipped": 0, "shipping_method": "Flat Rate", "base_cost": money(0.0), "cost_ex_tax": money(0.0),
            "cost_inc_tax": money(0.0), "cost_tax": money(0.0), "cost_tax_class_id": 2, "base_handling_cost": money(0.0),
            "handling_cost_ex_tax": money(0.0), "handling_cost_inc_tax": money(0.0), "handling_cost_tax": money(0.0),
            "handling_cost_tax_class_id": 2, "shipping_zone_id": 1, "shipping_zone_name": "United States", "form_fields": [],
        })],
    );
    if o.invoice_payment {
        store.order_metafields.insert(
            id,
            vec![json!({
                "id": id, "key": "orderType", "value": "invoice payment", "namespace": "B2B Edition",
                "permission_set": "app_only", "resource_type": "order", "resource_id": id,
                "description": "", "date_created": iso8601(now), "date_modified": iso8601(now),
            })],
        );
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
    let created = crate::store::parse_date(&text(order, "date_created")).unwrap_or(now);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn company_body(email: &str) -> Value {
        json!({
            "companyName": "Acme", "companyPhone": "1", "companyEmail": "a@acme.test", "country": "US",
            "adminFirstName": "Ada", "adminLastName": "Lovelace", "adminEmail": email,
        })
    }

    #[test]
    fn company_creates_group_admin_and_customer() {
        let mut s = Store::default();
        let mut ev = Events::new();
        let ids = create_company(&mut s, &company_body("ada@acme.test"), 1000, &mut ev)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.companies.len(), 1);
        assert_eq!(s.users.len(), 1);
        assert!(s.customers.contains_key(&ids.customer_id));
        assert!(s.customer_groups.contains_key(&ids.customer_group_id));
        let scopes: Vec<&str> = ev.iter().map(|(s, _)| s.as_str()).collect();
        assert!(scopes.contains(&"store/company/created"));
        assert!(scopes.contains(&"store/company/user/created"));
        assert!(scopes.contains(&"store/customer/created"));
        // duplicate admin email is refused and leaves nothing behind
        let again = create_company(&mut s, &company_body("ada@acme.test"), 1000, &mut ev);
        assert!(again.is_err());
        assert_eq!(s.companies.len(), 1);
    }

    #[test]
    fn company_requires_fields() {
        let mut s = Store::default();
        let mut ev = Events::new();
        let errs = create_company(&mut s, &json!({"companyName": "x"}), 1, &mut ev)
            .err()
            .unwrap_or_default();
        assert!(errs.contains_key("adminEmail"));
        assert!(errs.contains_key("companyPhone"));
        assert!(!errs.contains_key("companyName"));
    }

    #[test]
    fn accounts_copy_validates_as_the_store_would() {
        let mut s = crate::seed::generate(3, 20, 5);
        let body = company_body("new@acme.test");
        let taken = json!({"companyName": "B", "companyPhone": "1", "companyEmail": "b@b.test",
            "country": "US", "adminFirstName": "A", "adminLastName": "B",
            "adminEmail": s.customers.values().next().map(|c| text(c, "email")).unwrap_or_default()});
        let mut copy = s.accounts_copy();
        assert!(
            copy.orders.is_empty() && !s.orders.is_empty(),
            "orders are not copied"
        );
        let trial = create_company(&mut copy, &body, 1, &mut Events::new());
        assert!(create_company(&mut copy, &taken, 1, &mut Events::new()).is_err());
        let real = create_company(&mut s, &body, 1, &mut Events::new());
        match (trial, real) {
            (Ok(t), Ok(r)) => assert_eq!(
                (t.company_id, t.customer_id, t.customer_group_id),
                (r.company_id, r.customer_id, r.customer_group_id),
                "the copy hands out the same ids"
            ),
            other => panic!("{other:?}"),
        }
    }
}
