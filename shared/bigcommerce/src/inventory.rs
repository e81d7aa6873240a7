//! Inventory of the management API: locations (`GET /v3/inventory/locations`), stock
//! adjustments (`PUT /v3/inventory/adjustments/absolute`, `POST .../relative`, at most 2,000
//! items each) and the catalog's variants by SKU (`GET /v3/catalog/variants?sku:in=`).

use futures_util::TryStreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::ApiRequest;
use super::core::Core;
use super::error::{Api, BcError};
use super::lenient;
use super::pagination::{items, v3_pages};

/// Items one adjustment request may carry.
pub const ADJUSTMENT_ITEMS_MAX: usize = 2_000;
/// SKUs resolved per `GET /v3/catalog/variants` (its page limit).
pub const SKUS_PER_LOOKUP: usize = 250;
/// Bytes of SKU text per lookup URL: long SKUs make fewer per request, so the URL stays short.
const SKU_BYTES_PER_LOOKUP: usize = 6_000;

/// An inventory location.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Location {
    /// Id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The merchant's code for it (`WH-EAST`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
    /// Name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
    /// Whether it is in use.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A catalog variant, as far as inventory needs it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct VariantRef {
    /// The variant id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Its product.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub product_id: Option<i64>,
    /// Its SKU.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sku: Option<String>,
    /// Its price in the store's default currency, when the variant sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<crate::money::Amount>,
    /// The price the storefront shows (the sale price where one applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculated_price: Option<crate::money::Amount>,
}

/// One item of an adjustment: a variant at a location, and its level (absolute) or change
/// (relative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    /// The location.
    pub location_id: i64,
    /// The variant.
    pub variant_id: i64,
    /// The level, or the change.
    pub quantity: i64,
}

#[derive(Serialize)]
struct Adjustment<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    items: &'a [StockItem],
}

/// `{transaction_id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Transaction {
    /// What BigCommerce calls the write.
    #[serde(default)]
    pub transaction_id: Option<String>,
}

/// The SKU lists to look up, each at most [`SKUS_PER_LOOKUP`] and about 6 KB of text.
pub fn sku_chunks(skus: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut bytes = 0;
    for sku in skus {
        let len = sku.len() + 1;
        let full = out
            .last()
            .is_none_or(|c| c.len() >= SKUS_PER_LOOKUP || bytes + len > SKU_BYTES_PER_LOOKUP);
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += len;
        if let Some(c) = out.last_mut() {
            c.push(sku.clone());
        }
    }
    out
}

impl Core<'_> {
    /// Every inventory location (`GET /v3/inventory/locations`, all pages).
    pub async fn locations(&self) -> Result<Vec<Location>, BcError> {
        items(v3_pages(
            self.client(),
            "/v3/inventory/locations",
            Vec::new(),
        ))
        .try_collect()
        .await
    }

    /// The variants with these SKUs (at most [`SKUS_PER_LOOKUP`], see [`sku_chunks`]): one
    /// request, `sku:in` with only the id, product, SKU and price fields.
    pub async fn variants_by_sku(&self, skus: &[String]) -> Result<Vec<VariantRef>, BcError> {
        self.variants_where("sku:in", skus.join(",")).await
    }

    /// The variants with these ids (at most [`SKUS_PER_LOOKUP`]): whether they exist.
    pub async fn variants_by_id(&self, ids: &[i64]) -> Result<Vec<VariantRef>, BcError> {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        self.variants_where("id:in", list.join(",")).await
    }

    /// `GET /v3/catalog/variants?{filter}={list}` with only the id, product and SKU fields;
    /// nothing for an empty list.
    async fn variants_where(&self, filter: &str, list: String) -> Result<Vec<VariantRef>, BcError> {
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let query = vec![
            (filter.to_owned(), list),
            (
                "include_fields".to_owned(),
                "product_id,sku,price,calculated_price".to_owned(),
            ),
        ];
        items(v3_pages(self.client(), "/v3/catalog/variants", query))
            .try_collect()
            .await
    }

    /// Sets stock levels: `PUT /v3/inventory/adjustments/absolute` (at most 2,000 items; an
    /// absolute write may be repeated safely).
    pub async fn set_stock(
        &self,
        reason: Option<&str>,
        stock: &[StockItem],
    ) -> Result<Transaction, BcError> {
        self.adjust(Method::PUT, "absolute", reason, stock).await
    }

    /// Changes stock levels: `POST /v3/inventory/adjustments/relative` (at most 2,000 items;
    /// never repeated blindly, as a repeat would count twice).
    pub async fn adjust_stock(
        &self,
        reason: Option<&str>,
        stock: &[StockItem],
    ) -> Result<Transaction, BcError> {
        self.adjust(Method::POST, "relative", reason, stock).await
    }

    async fn adjust(
        &self,
        method: Method,
        kind: &str,
        reason: Option<&str>,
        stock: &[StockItem],
    ) -> Result<Transaction, BcError> {
        if stock.len() > ADJUSTMENT_ITEMS_MAX {
            return Err(BcError::InvalidRequest(format!(
                "{} stock items in one adjustment; the limit is {ADJUSTMENT_ITEMS_MAX}",
                stock.len()
            )));
        }
        let req = ApiRequest::new(
            Api::Core,
            method,
            format!("/v3/inventory/adjustments/{kind}"),
        )
        .json(&Adjustment {
            reason,
            items: stock,
        })?;
        // A 2xx is the write done: its body only names the transaction, so an answer that
        // does not parse is logged, never taken for a failure (that would repeat the write).
        let resp = self.client().execute(&req).await?;
        Ok(match serde_json::from_slice::<Transaction>(&resp.body) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, call = %req.describe(), "adjustment done; its answer names no transaction");
                Transaction {
                    transaction_id: None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_lookups_are_capped_by_count_and_by_length() {
        let short: Vec<String> = (0..600).map(|i| format!("S{i}")).collect();
        let chunks = sku_chunks(&short);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [250, 250, 100]
        );
        let long: Vec<String> = (0..100).map(|i| format!("{i:0>99}")).collect();
        let chunks = sku_chunks(&long);
        assert!(
            chunks.len() == 2 && chunks[0].len() == 60,
            "{:?}",
            chunks.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert!(sku_chunks(&[]).is_empty());
    }
}
