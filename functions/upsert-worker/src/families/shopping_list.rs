//! `shoppinglist.upsert`: the ERP's order guide or standing order for a company, as a B2B
//! shopping list holding exactly the command's items.
//!
//! The buyer is found by email and must belong to the company (one not made yet is waited
//! for). Every SKU is resolved to its product and variant first: an unknown SKU is a permanent
//! dead letter naming it, and nothing is written. The list is found by the id map, else among
//! the lists the buyer sees by its name within the company (the API has no lookup filter), so a
//! create whose answer was lost is found, not repeated. Then only the differences go out: the
//! `PUT`'s items change only the items they name (quantity 0 removes one).

use std::collections::HashMap;

use b2b_commands::{ShoppingListData, ShoppingListLine};
use bigcommerce_b2b::shopping_lists::{
    ItemWrite, ShoppingListDetail, ShoppingListItem, ShoppingListWrite,
};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, some_text, Kind};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::buyers;
use crate::lookups::catalog;
use crate::lookups::companies;
use b2b_commands::{shopping_list, Command};

/// The status of a deleted list: it is not the list any more.
const DELETED: i64 = 20;

/// A wanted item: product, variant, quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wanted {
    product_id: i64,
    variant_id: i64,
    quantity: i64,
}

/// The item writes that make `have` hold exactly `want` (in the command's order): changed
/// quantities by item id, new items without one, and quantity 0 for the rest.
fn item_changes(want: &[Wanted], have: &[ShoppingListItem]) -> Vec<ItemWrite> {
    let mut out = Vec::new();
    let mut by_variant: HashMap<i64, &ShoppingListItem> = HashMap::new();
    for item in have {
        let variant = item.variant_id.unwrap_or(0);
        let duplicate = by_variant.contains_key(&variant);
        let wanted = want.iter().any(|w| w.variant_id == variant);
        if duplicate || !wanted {
            out.push(ItemWrite {
                id: item.id,
                product_id: item.product_id,
                variant_id: variant,
                quantity: 0,
            });
        } else {
            by_variant.insert(variant, item);
        }
    }
    for w in want {
        match by_variant.get(&w.variant_id) {
            Some(item) if item.quantity == w.quantity => {}
            Some(item) => out.push(ItemWrite {
                id: item.id,
                product_id: w.product_id,
                variant_id: w.variant_id,
                quantity: w.quantity,
            }),
            None => out.push(ItemWrite {
                id: None,
                product_id: w.product_id,
                variant_id: w.variant_id,
                quantity: w.quantity,
            }),
        }
    }
    out
}

/// The fields of `data` (with its `items`) that differ from `existing`.
fn list_changes(
    data: &ShoppingListData,
    items: Vec<ItemWrite>,
    existing: &ShoppingListDetail,
) -> ShoppingListWrite {
    let list = &existing.list;
    let differs = |want: &Option<String>, have: &Option<String>| {
        want.as_ref()
            .filter(|w| Some(w.as_str()) != have.as_deref())
            .cloned()
    };
    ShoppingListWrite {
        name: differs(&some_text(&data.name), &list.name),
        description: differs(&data.description, &list.description),
        status: Some(data.status.code()).filter(|s| list.status != Some(*s)),
        items,
        ..ShoppingListWrite::default()
    }
}

/// Applies a `shoppinglist.upsert` for company `company_id`.
pub(crate) async fn shopping_list_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    company_id: i64,
    data: &ShoppingListData,
) -> Result<Outcome, ApplyError> {
    let buyer = buyers::of_company(
        cx,
        store,
        company_id,
        &data.buyer_email,
        "shopping_list.buyer_email",
    )
    .await?;
    let want = wanted_items(cx, &data.items).await?;
    let key = id_key(store, Kind::ShoppingList, external_id);
    let existing = match find_list(cx, &key, company_id, buyer.id, &data.name).await? {
        Some(d) => d,
        None => {
            let create = ShoppingListWrite {
                name: Some(data.name.clone()),
                description: data.description.clone(),
                status: Some(data.status.code()),
                user_id: Some(buyer.id),
                channel_id: data.channel_id,
                items: item_changes(&want, &[]),
            };
            let id = cx.client.shopping_lists().create(&create).await?;
            cx.state.put_id(&key, id).await?;
            return Ok(Outcome::Created);
        }
    };
    cx.state.put_id(&key, existing.list.id).await?;
    let change = list_changes(data, item_changes(&want, &existing.items), &existing);
    if change == ShoppingListWrite::default() {
        return Ok(Outcome::Unchanged);
    }
    cx.client
        .shopping_lists()
        .update(existing.list.id, &change)
        .await?;
    Ok(Outcome::Updated)
}

/// The list the id map names, if it is still this company's, else the one with `name`
/// among the lists buyer `user_id` sees.
async fn find_list(
    cx: &Context,
    key: &str,
    company_id: i64,
    user_id: i64,
    name: &str,
) -> Result<Option<ShoppingListDetail>, ApplyError> {
    let lists = cx.client.shopping_lists();
    let current = |d: &ShoppingListDetail| {
        d.list.company_id == Some(company_id) && d.list.status != Some(DELETED)
    };
    if let Some(id) = cx.state.get_id(key).await? {
        if let Some(d) = lists.detail(id).await?.filter(current) {
            return Ok(Some(d));
        }
    }
    let named = lists.lists_of_user(user_id).await?.into_iter().find(|l| {
        l.company_id == Some(company_id)
            && l.status != Some(DELETED)
            && l.name.as_deref() == Some(name)
    });
    match named {
        Some(l) => Ok(lists.detail(l.id).await?.filter(current)),
        None => Ok(None),
    }
}

/// The product and variant of every line's SKU; an unknown SKU refuses the list.
async fn wanted_items(cx: &Context, lines: &[ShoppingListLine]) -> Result<Vec<Wanted>, ApplyError> {
    let skus: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
    let items = catalog::items(
        cx,
        &skus,
        "shopping_list.items",
        "shopping list not written",
    )
    .await?;
    Ok(items
        .iter()
        .zip(lines)
        .map(|(item, line)| Wanted {
            product_id: item.product_id,
            variant_id: item.variant_id,
            quantity: i64::from(line.quantity),
        })
        .collect())
}

/// The shopping-list family: `shoppinglist.upsert`. A company's lists are applied one at a
/// time (their names are unique within the company).
#[derive(Debug, Default)]
pub struct ShoppingLists;

impl Family for ShoppingLists {}

impl Apply for shopping_list::Upsert {
    type Family = ShoppingLists;

    async fn apply(&self, _: &ShoppingLists, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let company_id = companies::require_id(cx, store, &self.company_external_id).await?;
        shopping_list_upsert(cx, store, &cmd.external_id, company_id, &self.shopping_list).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, variant: i64, quantity: i64) -> ShoppingListItem {
        ShoppingListItem {
            id: Some(id),
            product_id: variant * 10,
            variant_id: Some(variant),
            quantity,
        }
    }

    fn want(variant: i64, quantity: i64) -> Wanted {
        Wanted {
            product_id: variant * 10,
            variant_id: variant,
            quantity,
        }
    }

    #[test]
    fn only_the_differences_are_written() {
        let have = [item(1, 7, 5), item(2, 8, 1), item(3, 9, 2)];
        let changes = item_changes(&[want(7, 5), want(8, 4), want(10, 1)], &have);
        let summary: Vec<_> = changes
            .iter()
            .map(|c| (c.id, c.variant_id, c.quantity))
            .collect();
        // 9 is removed, 8 changed by its id, 10 added; 7 is left alone.
        assert_eq!(summary, [(Some(3), 9, 0), (Some(2), 8, 4), (None, 10, 1)]);
    }

    #[test]
    fn a_list_that_matches_needs_no_write_and_duplicates_are_removed() {
        let have = [item(1, 7, 5), item(2, 7, 5)];
        assert_eq!(
            item_changes(&[want(7, 5)], &have)
                .iter()
                .map(|c| (c.id, c.quantity))
                .collect::<Vec<_>>(),
            [(Some(2), 0)]
        );
        assert!(item_changes(&[want(7, 5)], &have[..1]).is_empty());
    }
}
