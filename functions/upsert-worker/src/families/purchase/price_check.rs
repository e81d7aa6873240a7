//! The prices of a purchase order checked against the prices the store gives the buyer's
//! company: the price list assigned to the company's customer group (on channel 1, in the
//! order's currency; its sale price where set), else the catalog's price of the variant. The
//! catalog's prices are in the store's default currency (the first of `STORE_CURRENCIES`):
//! a PO in another currency has its lines without a price list price noted as not compared,
//! never compared with amounts in another currency.
//!
//! A purchase order is the buyer's and the supplier's agreement, so the order is made at the
//! PO's prices whatever the check finds; what differs is reported to the merchant's staff in
//! the order's staff notes (and logged), so a wrong contract price is caught before the
//! order ships. A check that cannot be made (BigCommerce failing) says so in the notes and
//! never holds the order back.

use std::collections::HashMap;

use b2b_commands::OrderData;
use bigcommerce_b2b::b2b::Company;
use bigcommerce_b2b::money::Amount;
use bigcommerce_b2b::BcError;

use crate::engine::context::Context;
use crate::lookups::catalog::CatalogItem;

/// The storefront channel whose price list assignment is checked.
const CHANNEL: i64 = 1;

/// Where a line's reference price came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PriceList {
    /// The price list's id.
    pub id: i64,
    /// Its price per variant in the order's currency.
    pub prices: HashMap<i64, Amount>,
}

/// The lines whose PO price is not the reference price: `SKU-001-1 (line 1): 12.50 on the
/// PO, 14.00 in price list 2`. `catalog_currency` is the store's default currency when known
/// (the catalog's prices are in it): a PO in another has the lines without a price list price
/// named as not compared.
pub(crate) fn differences(
    order: &OrderData,
    items: &[CatalogItem],
    list: Option<&PriceList>,
    catalog_currency: Option<&str>,
) -> Vec<String> {
    let other_currency = catalog_currency.filter(|c| *c != order.currency);
    order
        .lines
        .iter()
        .zip(items)
        .enumerate()
        .filter_map(|(i, (line, item))| {
            let at = format!(
                "{} (line {})",
                line.sku,
                line.line_number.unwrap_or(i as u32 + 1)
            );
            let listed = list.and_then(|l| l.prices.get(&item.variant_id).map(|p| (*p, l.id)));
            let (reference, source) = match (listed, other_currency) {
                (Some((price, id)), _) => (price, format!("in price list {id}")),
                (None, None) => (item.catalog_price?, "in the catalog".to_owned()),
                (None, Some(catalog)) => {
                    return Some(format!(
                        "{at}: not compared, no price in {} (the catalog's are in {catalog})",
                        order.currency
                    ))
                }
            };
            (reference != line.unit_price)
                .then(|| format!("{at}: {} on the PO, {reference} {source}", line.unit_price))
        })
        .collect()
}

/// The price list the store gives `company` in `currency`, with its prices of `items`;
/// `None` when its customer group has none.
async fn company_price_list(
    cx: &Context,
    company: &Company,
    items: &[CatalogItem],
    currency: &str,
) -> Result<Option<PriceList>, BcError> {
    let Some(group) = company.bc_group_id.filter(|g| *g > 0) else {
        return Ok(None);
    };
    let core = cx.client.core();
    let assigned = core.price_list_assignments(group, CHANNEL).await?;
    let Some(id) = assigned.first().map(|a| a.price_list_id) else {
        return Ok(None);
    };
    let variants: Vec<i64> = items.iter().map(|i| i.variant_id).collect();
    let records = core.price_records_for(id, &variants, currency).await?;
    let prices = records
        .iter()
        .filter_map(|r| {
            let price = r.sale_price.or(r.price)?;
            Some((r.variant_id?, Amount::parse(&price.to_string()).ok()?))
        })
        .collect();
    Ok(Some(PriceList { id, prices }))
}

/// What the price check says for the staff notes: `Price check: ...` naming each line
/// whose PO price differs, or that the check could not be made; `None` when all agree.
pub(crate) async fn price_check(
    cx: &Context,
    company: &Company,
    order: &OrderData,
    items: &[CatalogItem],
) -> Option<String> {
    match company_price_list(cx, company, items, &order.currency).await {
        Ok(list) => {
            let default_currency = cx.currencies.first().map(String::as_str);
            let found = differences(order, items, list.as_ref(), default_currency);
            if found.is_empty() {
                return None;
            }
            tracing::warn!(po_number = %order.po_number, lines = found.len(), differences = %found.join("; "), "purchase order prices differ from the company's; the order is made at the PO's prices");
            Some(format!("Price check: {}", found.join("; ")))
        }
        Err(e) => {
            tracing::warn!(po_number = %order.po_number, error = %e, "the purchase order's prices could not be checked");
            Some("Price check not made: BigCommerce could not be asked".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> OrderData {
        serde_json::from_value(json!({"po_number": "PO-1", "currency": "USD",
            "bill_to": {"line1": "1 Main", "city": "Austin", "zip_code": "78701", "country_code": "US"},
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "12.50", "line_number": 10},
                      {"sku": "B", "quantity": 2, "unit_price": "19.50"},
                      {"sku": "C", "quantity": 1, "unit_price": "5"}]}))
        .unwrap()
    }

    fn item(variant_id: i64, catalog: Option<&str>) -> CatalogItem {
        CatalogItem {
            product_id: 1,
            variant_id,
            catalog_price: catalog.map(|p| Amount::parse(p).unwrap()),
        }
    }

    #[test]
    fn the_price_list_is_the_reference_then_the_catalog() {
        let items = [
            item(1, Some("12.50")),
            item(2, Some("19.50")),
            item(3, None),
        ];
        assert!(differences(&order(), &items, None, None).is_empty());
        let list = PriceList {
            id: 7,
            prices: [(1, Amount::parse("14").unwrap())].into_iter().collect(),
        };
        let found = differences(&order(), &items, Some(&list), None);
        assert_eq!(
            found,
            [format!(
                "A (line 10): {} on the PO, {} in price list 7",
                Amount::parse("12.50").unwrap(),
                Amount::parse("14").unwrap()
            )]
        );
        let cheaper = [item(1, Some("12.50")), item(2, Some("18")), item(3, None)];
        let found = differences(&order(), &cheaper, None, Some("USD"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("B (line 2):") && found[0].ends_with("in the catalog"),
            "{found:?}"
        );
    }

    #[test]
    fn a_po_in_another_currency_than_the_catalogs_is_compared_with_price_lists_only() {
        let mut eur = order();
        eur.currency = "EUR".into();
        let items = [item(1, Some("11")), item(2, Some("19.50")), item(3, None)];
        let list = PriceList {
            id: 7,
            prices: [(2, Amount::parse("18").unwrap())].into_iter().collect(),
        };
        let found = differences(&eur, &items, Some(&list), Some("USD"));
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0],
            "A (line 10): not compared, no price in EUR (the catalog's are in USD)"
        );
        assert!(found[1].ends_with("in price list 7"), "{found:?}");
        assert!(
            found[2].starts_with("C (line 3): not compared"),
            "{found:?}"
        );
        // Unknown default currency (STORE_CURRENCIES unset): the catalog is compared.
        assert_eq!(differences(&eur, &items, Some(&list), None).len(), 2);
    }
}
