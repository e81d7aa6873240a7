//! `order.create`: a purchase order becomes a BigCommerce order (`POST /v2/orders`) for a
//! company's buyer, at the agreed prices, and its PO number is recorded on the order's B2B
//! Edition record (`PUT /orders/{bcOrderId}`).
//!
//! Created once: the order carries the command's external id as its `external_order_id`, and
//! the id map remembers it under `{store}#order#{external id}` (so `order.status` and
//! `shipment.create` can name it by `order.reference`). Before any create, the id map and then
//! BigCommerce (`GET /v2/orders?external_order_id=`) are asked, so a create whose answer was
//! lost, or a worker that died right after it, is found and never repeated. The PO number is
//! written after: an order whose B2B record does not exist yet is retried until it does.

use b2b_commands::{Command, OrderAddress, OrderData, ProcurementRef};
use b2b_cxml::ConfirmationKind;
use bigcommerce_b2b::b2b::{Company, User, UserFilter};
use bigcommerce_b2b::core::Order;
use bigcommerce_b2b::money::Amount;
use futures_util::TryStreamExt;
use serde_json::{json, Map, Value};

use super::settings::PurchaseOrders;
use crate::engine::context::Context;
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::{ApplyError, Outcome};
use crate::lookups::buyers;
use crate::lookups::catalog::{self, CatalogItem};
use crate::lookups::companies;
use crate::partners;
use crate::partners::{procurement_key, ConfirmationDraft};

/// What an `order.create` asks: the purchase order, for which company, from which cXML
/// exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    /// The command's store.
    pub store: &'a str,
    /// The command's external id (the order's `external_order_id`).
    pub external_id: &'a str,
    /// The company it names.
    pub company: CompanyNamed<'a>,
    /// The purchase order.
    pub order: &'a OrderData,
    /// The cXML exchange it came from, if any.
    pub procurement: Option<&'a ProcurementRef>,
}

/// The company an `order.create` names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CompanyNamed<'a> {
    /// By its external id.
    ExternalId(&'a str),
    /// By its procurement identity.
    Identity(&'a str),
}

/// A v2 address (`billingAddress_Base` / `shippingAddress_Base`).
fn v2_address(a: &OrderAddress) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            out.insert(k.to_owned(), json!(v));
        }
    };
    put("first_name", a.first_name.as_ref());
    put("last_name", a.last_name.as_ref());
    put("company", a.company.as_ref());
    put("street_1", Some(&a.line1));
    put("street_2", a.line2.as_ref());
    put("city", Some(&a.city));
    put("state", a.state.as_ref());
    put("zip", Some(&a.zip_code));
    put("country_iso2", Some(&a.country_code));
    put("phone", a.phone.as_ref());
    put("email", a.email.as_ref());
    Value::Object(out)
}

/// The `POST /v2/orders` body (`order_Post`): in the PO's currency (`default_currency_code`, the
/// order's transactional currency), the lines at the agreed prices (before tax), shipping, and
/// totals overridden so the order states the PO's tax; `price_check` (what
/// `price_check::price_check` found) ends the staff notes.
fn order_body(
    external_id: &str,
    order: &OrderData,
    customer_id: i64,
    status_id: i64,
    items: &[CatalogItem],
    price_check: Option<&str>,
) -> Result<Value, ApplyError> {
    let products: Vec<Value> = order
        .lines
        .iter()
        .zip(items)
        .map(|(line, item)| {
            json!({
                "product_id": item.product_id,
                "variant_id": item.variant_id,
                "quantity": line.quantity,
                "price_ex_tax": line.unit_price.to_json_number(),
                "price_inc_tax": line.unit_price.to_json_number(),
            })
        })
        .collect();
    let overflow = || ApplyError::Permanent("`order.lines`: the amounts overflow".into());
    let subtotal = order.lines_total().ok_or_else(overflow)?;
    let shipping = order.shipping.unwrap_or_default();
    let ex_tax = subtotal.checked_add(shipping).ok_or_else(overflow)?;
    let inc_tax = ex_tax
        .checked_add(order.tax.unwrap_or_default())
        .ok_or_else(overflow)?;
    let amount = |a: Amount| json!(a.to_decimal_string());
    let ship_to = order.ship_to.as_ref().unwrap_or(&order.bill_to);
    let mut notes = format!("PO {}", order.po_number);
    if let Some(c) = order.comments.as_deref().filter(|c| !c.trim().is_empty()) {
        notes = format!("{notes}\n{c}");
    }
    if let Some(check) = price_check {
        notes = format!("{notes}\n{check}");
    }
    Ok(json!({
        "customer_id": customer_id,
        "status_id": status_id,
        "external_order_id": external_id,
        "default_currency_code": order.currency,
        "billing_address": v2_address(&order.bill_to),
        "shipping_addresses": [v2_address(ship_to)],
        "products": products,
        "shipping_cost_ex_tax": amount(shipping),
        "shipping_cost_inc_tax": amount(shipping),
        "subtotal_ex_tax": amount(subtotal),
        "subtotal_inc_tax": amount(subtotal),
        "total_ex_tax": amount(ex_tax),
        "total_inc_tax": amount(inc_tax),
        "staff_notes": notes,
    }))
}

/// The acceptance of order `id` made from `order`: its total, and in its comments the note of a
/// PO `Total` that matched neither its lines nor its lines, tax and shipping.
fn accept_draft<'a>(order: &'a OrderData, p: &'a ProcurementRef, id: i64) -> ConfirmationDraft<'a> {
    ConfirmationDraft {
        kind: ConfirmationKind::Accept,
        order_id: Some(id),
        total: order.total.map(|t| (t, order.currency.as_str())),
        comments: p.total_note.as_deref(),
    }
}

/// Applies an `order.create` whose purchase order has `external_id`; one from cXML
/// (`procurement`) is then confirmed to its partner, or rejected with the reason it can
/// never be made (see [`crate::partners`]).
pub(crate) async fn order_create(cx: &Context, asked: Asked<'_>) -> Result<Outcome, ApplyError> {
    let Asked {
        store,
        order,
        procurement,
        ..
    } = asked;
    let made = make_order(cx, asked).await;
    let Some(p) = procurement else {
        return made.map(|(outcome, _)| outcome);
    };
    match made {
        Ok((outcome, id)) => {
            partners::send_confirmation(cx, store, p, accept_draft(order, p, id)).await?;
            Ok(outcome)
        }
        Err(ApplyError::Permanent(reason)) => {
            let draft = ConfirmationDraft {
                kind: ConfirmationKind::Reject,
                order_id: None,
                total: None,
                comments: Some(&reason),
            };
            match partners::send_confirmation(cx, store, p, draft).await {
                Ok(()) => Err(ApplyError::Permanent(reason)),
                Err(ApplyError::Permanent(refused)) => Err(ApplyError::Permanent(format!(
                    "{reason} (and the rejection was not taken: {refused})"
                ))),
                Err(retry) => Err(retry),
            }
        }
        Err(e) => Err(e),
    }
}

/// Makes the order once (found when it exists), records its cXML origin and PO number;
/// the outcome and the order's id.
async fn make_order(cx: &Context, asked: Asked<'_>) -> Result<(Outcome, i64), ApplyError> {
    let Asked {
        store,
        external_id,
        company,
        order,
        procurement,
    } = asked;
    let key = id_key(store, Kind::Order, external_id);
    // A redelivery that finds the order (in the id map) records what follows again: the
    // process may have died after the create.
    let (outcome, id) = match cx.state.get_id(&key).await? {
        Some(id) => (Outcome::Unchanged, id),
        None => {
            let named = procurement.map_or(&[][..], |p| &p.named_buyers[..]);
            create_order_once(cx, store, &key, external_id, company, order, named).await?
        }
    };
    record_procurement(cx, store, id, order, procurement).await?;
    record_po_number(cx, id, &order.po_number).await?;
    Ok((outcome, id))
}

/// The order made from `order`, found by its `external_order_id` or else created, and
/// recorded under `key`; the outcome and its id.
async fn create_order_once(
    cx: &Context,
    store: &str,
    key: &str,
    external_id: &str,
    company: CompanyNamed<'_>,
    order: &OrderData,
    named: &[String],
) -> Result<(Outcome, i64), ApplyError> {
    cx.check_currency("order.currency", &order.currency)?;
    let company = order_company(cx, store, company).await?;
    let buyer = order_buyer(cx, store, &company, order, named).await?;
    let Some(customer_id) = buyer.customer_id.filter(|id| *id > 0) else {
        return Err(ApplyError::Permanent(format!(
            "the buyer `{}` has no BigCommerce customer account to order with",
            buyer.email.as_deref().unwrap_or_default()
        )));
    };
    let skus: Vec<String> = order.lines.iter().map(|l| l.sku.clone()).collect();
    let items = catalog::items(cx, &skus, "order.lines", "order not created").await?;
    let found = cx
        .client
        .core()
        .orders_with_external_id(external_id)
        .await?;
    let (made, outcome) = match found.first() {
        Some(existing) => (existing.clone(), Outcome::Unchanged),
        None => {
            let status = order
                .status_id
                .unwrap_or(cx.kept::<PurchaseOrders>().status_id);
            let check = super::price_check::price_check(cx, &company, order, &items).await;
            let body = order_body(
                external_id,
                order,
                customer_id,
                status,
                &items,
                check.as_deref(),
            )?;
            let created = cx.client.core().create_order(&body).await?;
            (created, Outcome::Created)
        }
    };
    cx.state.put_id(key, made.id).await?;
    in_the_pos_currency(&made, &order.currency)?;
    Ok((outcome, made.id))
}

/// Refuses an order BigCommerce made in another currency than the PO's `currency` (a store
/// without multi-currency, or without that transactional currency, makes it in its default):
/// its amounts would be wrong money. The order exists and is remembered; the merchant must
/// cancel it.
fn in_the_pos_currency(made: &Order, currency: &str) -> Result<(), ApplyError> {
    match made.default_currency_code.as_deref() {
        Some(code) if !code.eq_ignore_ascii_case(currency) => Err(ApplyError::Permanent(format!(
            "order {} was made in `{code}`, not in the PO's `{currency}` (`order.currency`): the store took no `default_currency_code`; turn multi-currency on with `{currency}` as a transactional currency, and cancel order {}",
            made.id, made.id
        ))),
        _ => Ok(()),
    }
}

/// Remembers which cXML purchase order BigCommerce order `id` came from, under
/// [`procurement_key`]: what its confirmation and ship notices refer to (the PO's orderID,
/// payloadID, partner, and each line's PO line number, in the order's line order).
async fn record_procurement(
    cx: &Context,
    store: &str,
    id: i64,
    order: &OrderData,
    procurement: Option<&ProcurementRef>,
) -> Result<(), ApplyError> {
    let Some(p) = procurement else {
        return Ok(());
    };
    let lines: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"sku": l.sku, "quantity": l.quantity,
                "line_number": l.line_number.unwrap_or(i as u32 + 1),
                "unit_of_measure": l.unit_of_measure})
        })
        .collect();
    let record = json!({"procurement": p, "po_number": order.po_number,
        "currency": order.currency, "total": order.total, "lines": lines});
    cx.state
        .put_watermark(&procurement_key(store, id), &record)
        .await?;
    Ok(())
}

/// Records `po_number` on order `id`'s B2B record; retried while it does not exist yet.
async fn record_po_number(cx: &Context, id: i64, po_number: &str) -> Result<(), ApplyError> {
    if cx.client.b2b().set_order_po_number(id, po_number).await? {
        return Ok(());
    }
    Err(ApplyError::retry(format!(
        "order {id} was created but has no B2B Edition record yet to take PO number `{po_number}`; retrying"
    )))
}

/// The company the order is for: by external id (waited for when absent), or by
/// procurement identity (absent or ambiguous: refused).
async fn order_company(
    cx: &Context,
    store: &str,
    named: CompanyNamed<'_>,
) -> Result<Company, ApplyError> {
    let identity = match named {
        CompanyNamed::ExternalId(ext) => return companies::require(cx, store, ext).await,
        CompanyNamed::Identity(identity) => identity,
    };
    let settings = cx.kept::<PurchaseOrders>();
    let field = &settings.identity_field;
    let matching = cx
        .client
        .b2b()
        .companies_with_extra_field(field, identity)
        .await?;
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ApplyError::Permanent(format!(
            "`company_identity`: no company of this store has `{identity}` in its extra field `{field}`"
        ))),
        several => Err(ApplyError::Permanent(format!(
            "`company_identity`: {} companies have `{identity}` in their extra field `{field}` (ids {}); it must name one",
            several.len(),
            several.iter().map(|c| c.company_id.to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The buyer placing the order: the company's buyer with `buyer_email`; else the first of
/// the people the PO names (`named`, `procurement.named_buyers`) who is a buyer of the
/// company; else its oldest administrator. Which one, and why, is logged.
async fn order_buyer(
    cx: &Context,
    store: &str,
    company: &Company,
    order: &OrderData,
    named: &[String],
) -> Result<User, ApplyError> {
    let company_id = company.company_id;
    if let Some(email) = &order.buyer_email {
        let buyer = buyers::of_company(cx, store, company_id, email, "order.buyer_email").await?;
        tracing::info!(
            company_id,
            buyer_id = buyer.id,
            why = "order.buyer_email",
            "order buyer chosen"
        );
        return Ok(buyer);
    }
    for (i, email) in named.iter().enumerate() {
        match buyers::of_company(cx, store, company_id, email, "procurement.named_buyers").await {
            Ok(buyer) => {
                tracing::info!(
                    company_id,
                    buyer_id = buyer.id,
                    why = "named by the purchase order",
                    named = i,
                    "order buyer chosen"
                );
                return Ok(buyer);
            }
            Err(ApplyError::Missing { .. } | ApplyError::Permanent(_)) => {
                tracing::info!(company_id, named = i, "a person the purchase order names is no buyer of its company; not placing the order for them");
            }
            Err(e) => return Err(e),
        }
    }
    let admin = company_admin(cx, company).await?;
    let why = if named.is_empty() {
        "the company's administrator (the order names no buyer)"
    } else {
        "the company's administrator (no one the purchase order names is a buyer of the company)"
    };
    tracing::info!(company_id, buyer_id = admin.id, why, "order buyer chosen");
    Ok(admin)
}

/// The company's oldest administrator.
async fn company_admin(cx: &Context, company: &Company) -> Result<User, ApplyError> {
    let filter = UserFilter {
        company_id: Some(company.company_id),
        ..UserFilter::default()
    };
    let users: Vec<User> = cx.client.b2b().users(&filter).try_collect().await?;
    users
        .into_iter()
        .filter(|u| u.role == Some(0) && u.company_id == Some(company.company_id))
        .min_by_key(|u| (u.created_at.unwrap_or(i64::MAX), u.id))
        .ok_or_else(|| {
            ApplyError::Permanent(format!(
                "company {} has no administrator to place the order; name `order.buyer_email`",
                company.company_id
            ))
        })
}

/// On the last receive of an `order.create` from cXML (`p`) that still fails (`reason`): when
/// its order was never made, it is rejected to the buyer's procurement system, so the buyer
/// hears of it before it is dead-lettered. What was done, for the dead letter's reason; `None`
/// for an order that exists.
pub(crate) async fn reject_unmade_order(
    cx: &Context,
    cmd: &Command,
    p: &ProcurementRef,
    reason: &str,
) -> Option<String> {
    let store = cmd.store_hash.as_str();
    let key = id_key(store, Kind::Order, &cmd.external_id);
    let exists = match cx.state.get_id(&key).await {
        Ok(Some(_)) => return None,
        Ok(None) => {
            cx.client
                .core()
                .orders_with_external_id(&cmd.external_id)
                .await
        }
        Err(e) => return Some(format!("no rejection sent: the state table failed ({e})")),
    };
    match exists {
        Ok(found) if !found.is_empty() => return None,
        Ok(_) => {}
        Err(e) => {
            return Some(format!(
                "no rejection sent: whether the order exists is unknown ({e})"
            ))
        }
    }
    let draft = ConfirmationDraft {
        kind: ConfirmationKind::Reject,
        order_id: None,
        total: None,
        comments: Some(reason),
    };
    Some(
        match partners::send_confirmation(cx, store, p, draft).await {
            Ok(()) => "rejected to the buyer's procurement system".to_owned(),
            Err(e) => format!("the rejection was not taken: {e}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderData {
        serde_json::from_value(json!({
            "po_number": "4500012345", "currency": "USD",
            "lines": [{"sku": "A", "quantity": 3, "unit_price": "12.50"},
                      {"sku": "B", "quantity": 1, "unit_price": 4}],
            "shipping": "10", "tax": "3.25", "comments": "Dock 4",
            "bill_to": {"company": "Acme", "line1": "1 Main St", "city": "Austin", "zip_code": "78701",
                        "country_code": "US", "line2": " "}
        }))
        .unwrap()
    }

    fn items() -> [CatalogItem; 2] {
        [
            CatalogItem {
                product_id: 1,
                variant_id: 10,
                catalog_price: None,
            },
            CatalogItem {
                product_id: 2,
                variant_id: 20,
                catalog_price: None,
            },
        ]
    }

    #[test]
    fn an_order_made_in_another_currency_is_refused_naming_both() {
        let made = |code: Option<&str>| -> Order {
            serde_json::from_value(json!({"id": 101, "default_currency_code": code})).unwrap()
        };
        assert!(in_the_pos_currency(&made(Some("EUR")), "EUR").is_ok());
        assert!(in_the_pos_currency(&made(None), "EUR").is_ok());
        let Err(ApplyError::Permanent(reason)) = in_the_pos_currency(&made(Some("USD")), "EUR")
        else {
            panic!("an order in USD for a PO in EUR is refused");
        };
        assert!(reason.contains("`USD`") && reason.contains("`EUR`") && reason.contains("101"));
    }

    #[test]
    fn the_order_is_made_in_the_pos_currency() {
        let mut eur = order();
        eur.currency = "EUR".into();
        let body = order_body("AN01:PO-43", &eur, 7, 11, &items(), None).unwrap();
        assert_eq!(body["default_currency_code"], "EUR");
        assert_eq!(body["total_inc_tax"], "54.7500");
    }

    #[test]
    fn the_body_carries_agreed_prices_totals_and_the_external_id() {
        let items = items();
        let body = order_body("AN01:4500012345", &order(), 7, 11, &items, None).unwrap();
        assert_eq!(body["external_order_id"], "AN01:4500012345");
        assert_eq!(body["customer_id"], 7);
        assert_eq!(
            body["products"][0],
            json!({"product_id": 1, "variant_id": 10, "quantity": 3, "price_ex_tax": 12.5, "price_inc_tax": 12.5})
        );
        assert_eq!(body["subtotal_ex_tax"], "41.5000");
        assert_eq!(body["total_ex_tax"], "51.5000");
        assert_eq!(body["total_inc_tax"], "54.7500");
        assert_eq!(body["shipping_cost_inc_tax"], "10.0000");
        // No ship-to: it ships to the billing address; blank fields are left out.
        assert_eq!(body["shipping_addresses"][0], body["billing_address"]);
        assert_eq!(
            body["billing_address"],
            json!({"company": "Acme", "street_1": "1 Main St", "city": "Austin", "zip": "78701", "country_iso2": "US"})
        );
        assert_eq!(body["staff_notes"], "PO 4500012345\nDock 4");
        let checked = order_body(
            "AN01:4500012345",
            &order(),
            7,
            11,
            &items,
            Some("Price check: A"),
        )
        .unwrap();
        assert_eq!(
            checked["staff_notes"],
            "PO 4500012345\nDock 4\nPrice check: A"
        );
    }

    /// A PO whose total matched neither its lines nor its lines, tax and shipping was taken at
    /// its lines: the acceptance tells the buyer so in its comments, with the order's total.
    #[test]
    fn the_acceptance_of_a_flagged_total_says_so_in_its_comments() {
        let o = order();
        let mut p: ProcurementRef = serde_json::from_value(json!({
            "partner": "acme", "payload_id": "p1", "order_id": "4500012345"}))
        .unwrap();
        let plain = accept_draft(&o, &p, 131);
        assert_eq!(plain.comments, None);
        assert_eq!(plain.order_id, Some(131));
        p.total_note = Some("the PO's Total 60 USD matches neither".into());
        let flagged = accept_draft(&o, &p, 131);
        assert_eq!(
            flagged.comments,
            Some("the PO's Total 60 USD matches neither")
        );
        assert!(matches!(flagged.kind, ConfirmationKind::Accept));
    }
}
