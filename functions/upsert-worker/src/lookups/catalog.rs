//! The catalog as commands name it: variants by SKU, `SKUS_PER_LOOKUP` to a request with a
//! few in flight, and the product, variant and price of each line of an order or a shopping
//! list (every unknown SKU named in one refusal).

use std::collections::HashMap;

use bigcommerce_b2b::inventory::{sku_chunks, VariantRef};
use futures_util::{StreamExt, TryStreamExt};

use crate::engine::context::Context;
use crate::engine::outcome::ApplyError;

/// Lookups in flight per command.
pub(crate) const LOOKUPS_IN_FLIGHT: usize = 4;

/// A catalog variant and its product, as orders and shopping lists name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CatalogItem {
    /// The product.
    pub product_id: i64,
    /// The variant.
    pub variant_id: i64,
    /// What the catalog asks for it (its calculated price, else its price).
    pub catalog_price: Option<bigcommerce_b2b::money::Amount>,
}

/// The catalog's variants with these SKUs: [`SKUS_PER_LOOKUP`] to a request, a few in
/// flight.
pub(crate) async fn variants_of_skus(
    cx: &Context,
    skus: &[String],
) -> Result<Vec<VariantRef>, ApplyError> {
    let core = cx.client.core();
    let found: Vec<Vec<VariantRef>> = futures_util::stream::iter(sku_chunks(skus))
        .map(|chunk| {
            let core = core.clone();
            async move { core.variants_by_sku(&chunk).await }
        })
        .buffered(LOOKUPS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The product and variant of each of `skus` (the lines of a command, at `field[i].sku`),
/// in order; any SKU that is not a catalog variant refuses the command, `refusal` saying
/// what was not written, every unknown SKU named.
pub(crate) async fn items(
    cx: &Context,
    skus: &[String],
    field: &str,
    refusal: &str,
) -> Result<Vec<CatalogItem>, ApplyError> {
    let by_sku: HashMap<String, VariantRef> = variants_of_skus(cx, skus)
        .await?
        .into_iter()
        .filter_map(|v| Some((v.sku.clone()?, v)))
        .collect();
    let mut refused = Vec::new();
    let mut out = Vec::with_capacity(skus.len());
    for (i, sku) in skus.iter().enumerate() {
        match by_sku.get(sku) {
            Some(VariantRef {
                product_id: Some(product_id),
                id,
                price,
                calculated_price,
                ..
            }) => out.push(CatalogItem {
                product_id: *product_id,
                variant_id: *id,
                catalog_price: calculated_price.or(*price),
            }),
            Some(_) => refused.push(format!(
                "`{field}[{i}].sku`: `{sku}`: the catalog answered without its product"
            )),
            None => refused.push(format!(
                "`{field}[{i}].sku`: `{sku}` is no variant in this store's catalog"
            )),
        }
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(ApplyError::Permanent(format!(
            "{refusal}: {}",
            refused.join("; ")
        )))
    }
}
