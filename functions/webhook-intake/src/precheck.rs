//! The checks of a cXML purchase order that need the store itself, made before it is
//! answered so the procurement system hears at once of an unknown buyer or SKU: whether the
//! `From` identity is one company's (`PROCUREMENT_IDENTITY_FIELD`), and whether every
//! `SupplierPartID` is a SKU of the catalog (two or so requests).
//!
//! Best effort: when BigCommerce cannot be asked in time, the order is accepted and the
//! worker, which makes the same checks before creating anything, dead-letters what fails. A
//! purchase order is never refused because BigCommerce was slow.

use std::collections::HashSet;
use std::sync::Arc;

use b2b_shared::stores::clients::StoreClients;
use bigcommerce_b2b::inventory::sku_chunks;
use bigcommerce_b2b::StoreHash;
use futures_util::future::BoxFuture;

/// What the store says of an order's buyer and lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Why the buyer identity names no single company, if it does not.
    pub company: Option<String>,
    /// The SKUs that are no variant of the catalog.
    pub unknown_skus: HashSet<String>,
}

/// Checks a purchase order against its store.
pub trait OrderPrecheck: Send + Sync {
    /// The findings for an order of the company with procurement `identity` for `skus` in
    /// `store`; `Err` (why) when the store could not be asked.
    fn check<'a>(
        &'a self,
        store: &'a StoreHash,
        identity: &'a str,
        skus: &'a [String],
    ) -> BoxFuture<'a, Result<Findings, String>>;
}

/// The BigCommerce client of `store`, or why there is none (for logs).
pub(crate) async fn store_client(
    clients: &StoreClients,
    store: &StoreHash,
) -> Result<bigcommerce_b2b::BcClient, String> {
    clients
        .client_of(store)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("store `{store}` is not served"))
}

/// The one company whose extra field `field` holds the buyer's procurement `identity`:
/// `Ok(Err(why))` when none or several do, `Err(why)` when the store could not be asked.
pub(crate) async fn buyer_company(
    client: &bigcommerce_b2b::BcClient,
    field: &str,
    identity: &str,
) -> Result<Result<bigcommerce_b2b::b2b::Company, String>, String> {
    let mut companies = client
        .b2b()
        .companies_with_extra_field(field, identity)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match companies.len() {
        1 => Ok(companies.remove(0)),
        0 => Err(format!(
            "the buyer `{identity}` is not a company of this supplier (no company has it in its extra field `{field}`)"
        )),
        n => Err(format!(
            "the buyer `{identity}` names {n} companies of this supplier (extra field `{field}`); it must name one"
        )),
    })
}

/// The checks through the stores' BigCommerce clients.
pub struct StorePrecheck {
    /// A client per store served.
    pub clients: Arc<StoreClients>,
    /// `PROCUREMENT_IDENTITY_FIELD`: the company extra field holding the identity.
    pub identity_field: String,
}

impl OrderPrecheck for StorePrecheck {
    fn check<'a>(
        &'a self,
        store: &'a StoreHash,
        identity: &'a str,
        skus: &'a [String],
    ) -> BoxFuture<'a, Result<Findings, String>> {
        Box::pin(async move {
            let client = store_client(&self.clients, store).await?;
            let company = buyer_company(&client, &self.identity_field, identity)
                .await?
                .err();
            let mut unknown: HashSet<String> = skus.iter().cloned().collect();
            for chunk in sku_chunks(skus) {
                let found = client
                    .core()
                    .variants_by_sku(&chunk)
                    .await
                    .map_err(|e| e.to_string())?;
                for v in found {
                    if let Some(sku) = v.sku {
                        unknown.remove(&sku);
                    }
                }
            }
            Ok(Findings {
                company,
                unknown_skus: unknown,
            })
        })
    }
}
