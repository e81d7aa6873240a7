//! B2B quotes (`/rfq`): the statuses the spec knows and creating a quote.

use serde_json::{json, Map, Value};

use super::events::Events;
use super::fields::{extra_fields, missing, FieldErrors};
use crate::store::{int, max_key, parse_mdy, text, uuid_for, Store};

/// The quote statuses of the spec.
pub const QUOTE_STATUSES: [i64; 7] = [0, 2, 3, 4, 5, 6, 7];

/// Creates a quote (`/rfq`).
pub fn create_quote(
    store: &mut Store,
    body: &Value,
    now: i64,
    ev: &mut Events,
) -> Result<i64, FieldErrors> {
    let QuoteBody {
        expired,
        company,
        status,
    } = check_quote_body(store, body)?;
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
        "createdBy": text(body, "userEmail"),
        "subtotal": num("subtotal"),
        "discount": num("discount"),
        "grandTotal": num("grandTotal"),
        "totalAmount": body.get("totalAmount").and_then(Value::as_f64).unwrap_or(num("grandTotal")),
        "shippingTotal": 0.0,
        "taxTotal": 0.0,
        "quoteTitle": text(body, "quoteTitle"),
        "referenceNumber": text(body, "referenceNumber"),
        "notes": text(body, "notes"),
        "legalTerms": text(body, "legalTerms"),
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

/// What a valid quote create body says beyond its plain fields.
struct QuoteBody {
    /// `expiredAt`, read from `MM/DD/YYYY`.
    expired: Option<i64>,
    /// The company the quote is for (id and name), when the body names one.
    company: Option<(i64, String)>,
    /// The quote status.
    status: i64,
}

/// Refuses a body lacking a required field, with an `expiredAt` that does not read, a
/// `productList` that is no list, an unknown company or a status the spec does not have.
fn check_quote_body(store: &Store, body: &Value) -> Result<QuoteBody, FieldErrors> {
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
    let expired = parse_mdy(&text(body, "expiredAt"));
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
    Ok(QuoteBody {
        expired,
        company,
        status,
    })
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
