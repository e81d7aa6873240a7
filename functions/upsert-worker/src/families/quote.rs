//! `quote.upsert`: find a quote by the id map or its reference number, create it from the
//! command's lines, or bring its lines and expiry to the command's and move its status (link
//! its order, expire it). The quote's id is the one it was found or created by,
//! never read back from the detail answer (which carries none); its status is compared as the
//! list entry's lenient integer (B2B sends `"status":"2"` as often as `2`).

use b2b_commands::{QuoteData, QuoteLine, QuoteStatus};
use bigcommerce_b2b::b2b::{
    Company, Quote, QuoteContact, QuoteCurrency, QuoteDetail, QuoteDetailLine, QuoteFields,
    QuoteFilter, QuoteLineFields, QuoteUpdate, User, UserFilter,
};
use futures_util::TryStreamExt;
use serde_json::Value;

use crate::now_secs;

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, Kind};
use crate::engine::lease::LeaseScope;
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::companies;
use b2b_commands::{quote, Command};

/// How far our clock and BigCommerce's may disagree when a quote just created is looked for.
const CLOCK_SKEW_SECS: i64 = 300;

/// The id-map entry holding a quote's creation time (unix seconds) beside its id.
fn created_key(key: &str) -> String {
    format!("{key}#created")
}

pub(crate) async fn quote_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    company: &Company,
    q: &QuoteData,
) -> Result<Outcome, ApplyError> {
    let key = id_key(store, Kind::Quote, external_id);
    if let Some(current) = find_quote(cx, &key, external_id, company).await? {
        return quote_update(cx, &current, q).await;
    }
    if q.lines.is_empty() {
        return Err(ApplyError::retry(format!(
            "quote `{external_id}` does not exist yet and the command has no lines to create it"
        )));
    }
    let buyer = quote_buyer(cx, company, &q.buyer_email).await?;
    let fields = quote_fields(external_id, company, &buyer, q)?;
    let asked_at = now_secs();
    let id = cx.client.b2b().create_quote(&fields).await?;
    cx.state.put_id(&key, id).await?;
    // The creation time is what finds the quote again in one narrow page; read it from
    // BigCommerce (never guessed from our clock). Without it, the next lookup lists.
    let since = asked_at - CLOCK_SKEW_SECS;
    let Some(created) = cx.client.b2b().find_quote(id, since).await? else {
        return Ok(Outcome::Created);
    };
    remember_quote(cx, &key, &created).await?;
    // A status the command asks for beyond creation (ordered, expired) follows.
    if let Some(status) = q.status {
        quote_move(cx, &created, status, q.order_id).await?;
    }
    Ok(Outcome::Created)
}

/// Brings an existing quote to the command: lines and expiry through `PUT /rfq/{id}` when
/// they differ (read from the detail), then the status.
async fn quote_update(cx: &Context, current: &Quote, q: &QuoteData) -> Result<Outcome, ApplyError> {
    let b2b = cx.client.b2b();
    let detail = b2b.quote_detail(current).await?.ok_or_else(|| {
        ApplyError::retry(format!(
            "quote {} is listed but its detail is not found; retrying later",
            current.quote_id
        ))
    })?;
    let detail = QuoteDetail::read(current.quote_id, &detail)?;
    let update = quote_changes(&detail, q)?;
    let mut changed = false;
    if !update.is_empty() {
        b2b.update_quote(current.quote_id, &update).await?;
        changed = true;
    }
    if let Some(status) = q.status {
        changed |= quote_move(cx, current, status, q.order_id).await?;
    }
    Ok(if changed {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    })
}

/// What differs between the quote's detail and the command: the expiry day, and the lines
/// (by SKU, quantity and prices; a change sends every line, with the totals).
fn quote_changes(detail: &QuoteDetail, q: &QuoteData) -> Result<QuoteUpdate, ApplyError> {
    let expires = parse_day(&q.expires_on)?;
    let mut update = QuoteUpdate::default();
    // Expiring a quote moves its date itself (see `quote_move`).
    let expiring = q.status == Some(QuoteStatus::Expired);
    if !expiring && detail.expires_on() != Some(expires) {
        update.expired_at = Some(expires.format("%m/%d/%Y").to_string());
    }
    if !q.lines.is_empty() && !same_lines(&detail.product_list, &q.lines) {
        let totals = Totals::of(&q.lines);
        update.product_list = Some(line_fields(&q.lines));
        update.subtotal = Some(totals.subtotal);
        update.discount = Some(totals.subtotal - totals.grand_total);
        update.grand_total = Some(totals.grand_total);
    }
    Ok(update)
}

/// Moves quote `current` to `status` when it is not there: `ordered` links `order_id`
/// (`POST /rfq/{id}/ordered`), `expired` moves the expiry date to yesterday; `in_process`
/// can only be confirmed. True when something was written.
async fn quote_move(
    cx: &Context,
    current: &Quote,
    status: QuoteStatus,
    order_id: Option<i64>,
) -> Result<bool, ApplyError> {
    let id = current.quote_id;
    let now = current.status;
    if now == Some(status.code()) {
        return match (status, order_id) {
            (QuoteStatus::Ordered, Some(o)) if current.bc_order_id != Some(o) => {
                Err(ApplyError::Permanent(format!(
                    "quote {id} is already ordered as order {}, not {o}",
                    current
                        .bc_order_id
                        .map_or("?".to_owned(), |n| n.to_string())
                )))
            }
            _ => Ok(false),
        };
    }
    let refuse = |why: &str| {
        Err(ApplyError::Permanent(format!(
            "quote {id} is {}: {why}",
            now.map_or("of unknown status".to_owned(), |c| format!("in status {c}"))
        )))
    };
    match status {
        QuoteStatus::Ordered if !matches!(now, Some(0 | 2 | 3)) => refuse(
            "BigCommerce links an order only to a quote that is new, in process or updated by customer",
        ),
        QuoteStatus::Ordered => {
            let order = order_id.ok_or_else(|| {
                ApplyError::Permanent("`quote.order_id` is required with `ordered`".into())
            })?;
            cx.client.b2b().quote_ordered(id, order).await?;
            Ok(true)
        }
        QuoteStatus::Expired => {
            let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
            let update = QuoteUpdate {
                expired_at: Some(yesterday.format("%m/%d/%Y").to_string()),
                ..QuoteUpdate::default()
            };
            cx.client.b2b().update_quote(id, &update).await?;
            Ok(true)
        }
        other => refuse(&format!(
            "BigCommerce's API cannot move a quote to `{}`",
            other.name()
        )),
    }
}

/// The list entry of the quote `external_id` names: by the id map (id and creation time,
/// one narrow page), else among the company's quotes by its reference number (the mapping
/// then recorded).
async fn find_quote(
    cx: &Context,
    key: &str,
    external_id: &str,
    company: &Company,
) -> Result<Option<Quote>, ApplyError> {
    let b2b = cx.client.b2b();
    let id = cx.state.get_id(key).await?;
    let created = cx.state.get_id(&created_key(key)).await?;
    if let (Some(id), Some(created)) = (id, created) {
        if let Some(found) = b2b.quote_created_at(id, created).await? {
            return Ok(Some(found));
        }
    }
    // The list has no reference-number filter; the company's name narrows it (a partial
    // match, so the reference number still decides).
    let filter = QuoteFilter {
        company: company.company_name.clone(),
        ..QuoteFilter::default()
    };
    let quotes: Vec<Quote> = b2b.quotes(&filter).try_collect().await?;
    let found = quotes
        .into_iter()
        .find(|x| x.extra.get("referenceNumber").and_then(Value::as_str) == Some(external_id));
    if let Some(found) = &found {
        cx.state.put_id(key, found.quote_id).await?;
        remember_quote(cx, key, found).await?;
    }
    Ok(found)
}

/// Records the creation time of a quote found or created (when its entry gives one).
async fn remember_quote(cx: &Context, key: &str, listed: &Quote) -> Result<(), ApplyError> {
    if let Some(created) = listed.created_at {
        cx.state.put_id(&created_key(key), created).await?;
    }
    Ok(())
}

/// The buyer of `company` with `email` (retried later while it does not exist).
async fn quote_buyer(cx: &Context, company: &Company, email: &str) -> Result<User, ApplyError> {
    let filter = UserFilter {
        email: Some(email.to_owned()),
        company_id: Some(company.company_id),
        ..UserFilter::default()
    };
    let buyers: Vec<_> = cx.client.b2b().users(&filter).try_collect().await?;
    buyers
        .into_iter()
        .find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .ok_or_else(|| {
            ApplyError::retry(format!(
                "buyer `{email}` does not exist yet in company `{}`; retrying later",
                company.company_id
            ))
        })
}

/// The create request for the quote the command describes.
fn quote_fields(
    external_id: &str,
    company: &Company,
    buyer: &User,
    q: &QuoteData,
) -> Result<QuoteFields, ApplyError> {
    let expires = parse_day(&q.expires_on)?;
    let totals = Totals::of(&q.lines);
    let product_list = line_fields(&q.lines);
    let name = format!(
        "{} {}",
        buyer.first_name.clone().unwrap_or_default(),
        buyer.last_name.clone().unwrap_or_default()
    );
    Ok(QuoteFields {
        company_id: company.company_id,
        reference_number: external_id.to_owned(),
        quote_title: q.title.clone().unwrap_or_default(),
        notes: q.notes.clone().unwrap_or_default(),
        expired_at: expires.format("%m/%d/%Y").to_string(),
        currency: QuoteCurrency {
            currency_code: q.currency.to_ascii_uppercase(),
        },
        contact_info: QuoteContact {
            name: name.trim().to_owned(),
            email: q.buyer_email.clone(),
        },
        subtotal: totals.subtotal,
        discount: totals.subtotal - totals.grand_total,
        grand_total: totals.grand_total,
        total_amount: totals.grand_total,
        product_list,
    })
}

/// The command's `YYYY-MM-DD` expiry as a date.
fn parse_day(day: &str) -> Result<chrono::NaiveDate, ApplyError> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ApplyError::Permanent(format!("`expires_on` `{day}` is not a date")))
}

/// A quote's totals from its lines.
struct Totals {
    subtotal: f64,
    grand_total: f64,
}

impl Totals {
    fn of(lines: &[QuoteLine]) -> Totals {
        let sum =
            |price: fn(&QuoteLine) -> f64| lines.iter().map(|l| price(l) * l.quantity as f64).sum();
        Totals {
            subtotal: sum(|l| l.base_price),
            grand_total: sum(|l| l.offered_price),
        }
    }
}

/// The command's lines as BigCommerce takes them.
fn line_fields(lines: &[QuoteLine]) -> Vec<QuoteLineFields> {
    lines
        .iter()
        .map(|l| QuoteLineFields {
            sku: l.sku.clone(),
            product_id: l.product_id,
            variant_id: l.variant_id,
            base_price: l.base_price,
            offered_price: l.offered_price,
            discount: l.base_price - l.offered_price,
            quantity: l.quantity,
        })
        .collect()
}

/// True when the detail's lines are the command's, in any order (prices to the cent).
fn same_lines(have: &[QuoteDetailLine], want: &[QuoteLine]) -> bool {
    let cents = |p: f64| (p * 100.0).round() as i64;
    let mut a: Vec<_> = have
        .iter()
        .map(|l| {
            let sku = l.sku.clone().unwrap_or_default();
            let price = |p: Option<f64>| p.map(cents);
            (sku, l.quantity, price(l.base_price), price(l.offered_price))
        })
        .collect();
    let mut b: Vec<_> = want
        .iter()
        .map(|l| {
            let prices = (Some(cents(l.base_price)), Some(cents(l.offered_price)));
            (l.sku.clone(), Some(l.quantity), prices.0, prices.1)
        })
        .collect();
    a.sort();
    b.sort();
    a == b
}

/// The quote family: `quote.upsert`. A company's quotes are applied side by side, each quote
/// once at a time.
#[derive(Debug, Default)]
pub struct Quotes;

impl Family for Quotes {
    const LEASE: LeaseScope = LeaseScope::Entity;
}

impl Apply for quote::Upsert {
    type Family = Quotes;

    async fn apply(&self, _: &Quotes, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let company = companies::require(cx, store, &self.company_external_id).await?;
        quote_upsert(cx, store, &cmd.external_id, &company, &self.quote).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn command(lines: Value, expires_on: &str) -> QuoteData {
        serde_json::from_value(json!({"buyer_email": "g@acme.example", "currency": "USD",
            "expires_on": expires_on, "lines": lines}))
        .unwrap()
    }

    #[test]
    fn b2b_strings_compare_equal_to_the_commands_numbers() {
        // B2B sends numbers as strings as often as not; an unchanged quote is not rewritten.
        let detail = QuoteDetail::read(
            31,
            &json!({"expiredAt": "06/30/2027", "productList": [
                {"sku": "A", "quantity": "10", "basePrice": "11.00", "offeredPrice": 9.9}]}),
        )
        .unwrap();
        let q = command(
            json!([{"sku": "A", "product_id": 1, "quantity": 10, "base_price": 11.0, "offered_price": 9.9}]),
            "2027-06-30",
        );
        assert!(quote_changes(&detail, &q).unwrap().is_empty());
    }

    #[test]
    fn changed_lines_are_sent_whole_with_their_totals() {
        let detail = QuoteDetail::read(
            31,
            &json!({"expiredAt": 1814313600, "productList": [
                {"sku": "A", "quantity": 10, "basePrice": 11, "offeredPrice": 9.9}]}),
        )
        .unwrap();
        let q = command(
            json!([{"sku": "A", "product_id": 1, "quantity": 20, "base_price": 11.0, "offered_price": 9.0},
                   {"sku": "B", "product_id": 2, "quantity": 1, "base_price": 5.0, "offered_price": 5.0}]),
            "2027-06-30",
        );
        let update = quote_changes(&detail, &q).unwrap();
        assert_eq!(update.product_list.as_ref().map(Vec::len), Some(2));
        assert_eq!(update.subtotal, Some(225.0));
        assert_eq!(update.grand_total, Some(185.0));
        assert_eq!(update.discount, Some(40.0));
        // 1814313600 is 2027-06-30 (UTC): the expiry is unchanged and not sent.
        assert_eq!(update.expired_at, None);
    }

    #[test]
    fn a_detail_that_does_not_read_names_the_quote() {
        let err = QuoteDetail::read(31, &json!({"productList": "nope"})).unwrap_err();
        assert!(err.to_string().contains("/rfq/31"), "{err}");
    }
}
