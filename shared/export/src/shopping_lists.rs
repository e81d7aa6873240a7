//! The shopping lists stream (`EXPORT_STREAMS=...,shoppinglists`): the B2B shopping lists that
//! changed, with their items and SKUs, for ERPs that plan demand from order guides.
//!
//! The API lists shopping lists only as a buyer sees them (`GET /shopping-list?userId=`) and
//! cannot filter by time, so a run walks every company, lists as its administrator (or a senior
//! buyer: they see the company's approved and ready-for-approval lists; a junior buyer's drafts
//! stay private) and keeps the lists changed at or after the stream's position, handed to the
//! walk oldest first as one page, as the Invoice Portal's streams are. A run costs two requests
//! per company plus one per changed list: it is not among the default streams.

use std::collections::HashMap;

use bigcommerce_b2b::b2b::{CompanyFilter, UserFilter};
use bigcommerce_b2b::inventory::SKUS_PER_LOOKUP;
use bigcommerce_b2b::shopping_lists::ShoppingListDetail;
use bigcommerce_b2b::{BcClient, BcError};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

/// A deleted list's status: not exported as a list.
const DELETED: i64 = 20;

/// Roles whose lists show the company's shared lists: admin (0), senior buyer (1).
fn sees_the_companys_lists(role: Option<i64>) -> bool {
    matches!(role, Some(0) | Some(1))
}

/// The store's shopping lists changed at or after `since`, with their items, oldest first (ties
/// by id).
pub async fn lists_since(
    client: &BcClient,
    since: i64,
) -> Result<Vec<ShoppingListDetail>, BcError> {
    let b2b = client.b2b();
    let companies: Vec<_> = b2b
        .companies(&CompanyFilter::default())
        .try_collect()
        .await?;
    let mut out = Vec::new();
    for company in companies {
        let filter = UserFilter {
            company_id: Some(company.company_id),
            ..UserFilter::default()
        };
        let users: Vec<_> = b2b.users(&filter).try_collect().await?;
        let Some(viewer) = users
            .iter()
            .filter(|u| sees_the_companys_lists(u.role))
            .min_by_key(|u| (u.role, u.id))
        else {
            tracing::warn!(
                company = company.company_id,
                "no admin or senior buyer: its shopping lists are not exported"
            );
            continue;
        };
        for list in client.shopping_lists().lists_of_user(viewer.id).await? {
            let changed = list.updated_at.unwrap_or(0) >= since;
            if !changed || list.status == Some(DELETED) {
                continue;
            }
            if let Some(detail) = client.shopping_lists().detail(list.id).await? {
                out.push(detail);
            }
        }
    }
    out.sort_by_key(|d| (d.list.updated_at.unwrap_or(0), d.list.id));
    Ok(out)
}

/// The data of a shopping list document: the list, and its items with each variant's SKU (the
/// API's items carry only product and variant ids).
pub async fn list_data(client: &BcClient, detail: &ShoppingListDetail) -> Result<Value, BcError> {
    let mut ids: Vec<i64> = detail.items.iter().filter_map(|i| i.variant_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut skus: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(SKUS_PER_LOOKUP) {
        for v in client.core().variants_by_id(chunk).await? {
            if let Some(sku) = v.sku {
                skus.insert(v.id, sku);
            }
        }
    }
    let items: Vec<Value> = detail
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "product_id": i.product_id,
                "variant_id": i.variant_id,
                "sku": i.variant_id.and_then(|v| skus.get(&v)),
                "quantity": i.quantity,
            })
        })
        .collect();
    Ok(json!({ "shopping_list": detail.list, "items": items }))
}
