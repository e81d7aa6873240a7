//! B2B shopping lists (`shopping_list.yaml`): the lists a buyer sees (`GET /shopping-list`,
//! which needs a buyer: `userId`), a list with its items (`GET /shopping-list/{id}`, items paged
//! inside the detail), the create, and the update whose `items` change only the items they
//! name (an item with `id` is changed, one without is added, quantity 0 removes it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::b2b::request::{found, post, put};
use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;
use super::pagination::{b2b_pages, items};
use futures_util::TryStreamExt;

/// Lists per page of `GET /shopping-list` (its `limit` must stay below 250).
pub const SHOPPING_LISTS_PAGE: u32 = 100;

/// Items per page of a list's detail (its `limit` maximum).
pub const SHOPPING_LIST_ITEMS_PAGE: u64 = 250;

/// A shopping list as the lists and the detail show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShoppingList {
    /// The list's id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Its description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// 0 approved, 30 draft, 40 ready for approval (20 deleted).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// The company it belongs to.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_id: Option<i64>,
    /// The buyer who made it.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub user_id: Option<i64>,
    /// Created (unix seconds).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Last changed (unix seconds).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// The channel.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub channel_id: Option<i64>,
}

/// One item of a shopping list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShoppingListItem {
    /// The item's id.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// The product.
    #[serde(deserialize_with = "lenient::i64")]
    pub product_id: i64,
    /// The variant.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub variant_id: Option<i64>,
    /// How many.
    #[serde(deserialize_with = "lenient::i64")]
    pub quantity: i64,
}

/// A shopping list with every one of its items.
#[derive(Debug, Clone, PartialEq)]
pub struct ShoppingListDetail {
    /// The list.
    pub list: ShoppingList,
    /// Its items, every page.
    pub items: Vec<ShoppingListItem>,
}

/// The body of `POST /shopping-list`, and of `PUT /shopping-list/{id}` (where absent fields
/// stay as they are and `items` change only the items they name).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShoppingListWrite {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 0, 30 or 40.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// The buyer (required by the create; on the update a permission check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// The channel (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Items to add (no `id`), change (with `id`) or remove (quantity 0).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemWrite>,
}

/// One item of a shopping list write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemWrite {
    /// The existing item (update only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The product.
    pub product_id: i64,
    /// The variant.
    pub variant_id: i64,
    /// How many; 0 removes the item.
    pub quantity: i64,
}

#[derive(Deserialize)]
struct Created {
    #[serde(rename = "shoppingListId", deserialize_with = "lenient::i64")]
    id: i64,
}

#[derive(Deserialize)]
struct DetailPage {
    data: DetailData,
    #[serde(default)]
    meta: Option<Value>,
}

#[derive(Deserialize)]
struct DetailData {
    #[serde(flatten)]
    list: ShoppingList,
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    items: Vec<ShoppingListItem>,
}

/// The shopping list calls of one store.
#[derive(Debug, Clone)]
pub struct ShoppingLists<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// B2B Edition shopping lists of this store.
    pub fn shopping_lists(&self) -> ShoppingLists<'_> {
        ShoppingLists { client: self }
    }
}

impl ShoppingLists<'_> {
    /// Every list buyer `user_id` sees (every page): an admin or senior buyer sees the
    /// company's approved and ready-for-approval lists beside their own.
    pub async fn lists_of_user(&self, user_id: i64) -> Result<Vec<ShoppingList>, BcError> {
        let query = vec![("userId".to_owned(), user_id.to_string())];
        items(b2b_pages(
            self.client,
            "/shopping-list",
            query,
            SHOPPING_LISTS_PAGE,
        ))
        .try_collect()
        .await
    }

    /// List `id` with all its items; `None` when there is none.
    pub async fn detail(&self, id: i64) -> Result<Option<ShoppingListDetail>, BcError> {
        let mut offset = 0u64;
        let mut out: Option<ShoppingListDetail> = None;
        loop {
            let req = ApiRequest::get(Api::B2b, format!("/shopping-list/{id}"))
                .query("offset", offset.to_string())
                .query("limit", SHOPPING_LIST_ITEMS_PAGE.to_string());
            let Some(page) = found(self.client.send::<DetailPage>(req).await)? else {
                return Ok(out);
            };
            let total = page
                .meta
                .as_ref()
                .and_then(|m| m.pointer("/pagination/totalCount"))
                .and_then(Value::as_u64);
            let got = page.data.items.len() as u64;
            let detail = out.get_or_insert_with(|| ShoppingListDetail {
                list: page.data.list,
                items: Vec::new(),
            });
            detail.items.extend(page.data.items);
            offset += got;
            let more = match total {
                Some(t) => offset < t && got > 0,
                None => got == SHOPPING_LIST_ITEMS_PAGE,
            };
            if !more {
                return Ok(out);
            }
        }
    }

    /// Creates a list; its id.
    pub async fn create(&self, list: &ShoppingListWrite) -> Result<i64, BcError> {
        Ok(post::<Created, _>(self.client, "/shopping-list", list)
            .await?
            .id)
    }

    /// Changes list `id` as `change` says (absent fields stay, items change only as named).
    pub async fn update(&self, id: i64, change: &ShoppingListWrite) -> Result<(), BcError> {
        put(self.client, format!("/shopping-list/{id}"), change).await
    }
}
