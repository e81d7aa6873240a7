//! `inventory.set` and `inventory.adjust`: stock by SKU or variant id at a location (by id or
//! code), applied with absolute or relative adjustments of up to 2,000 items.
//!
//! Locations are read once and kept for five minutes (read again when a command names one the
//! list lacks). SKUs are resolved 250 to a request (`sku:in`), variant ids checked the same way,
//! so an unknown one is refused alone: the known items are written, grouped by location, and the
//! refused ones go to the dead-letter queue as a command of their own, each with its reason, to
//! send again once the catalog has them.
//!
//! Each write of a command has a done marker in the state table, so a retry (after a 429 or a
//! deadline) skips what was written. A relative write also has a "sent" marker before it goes:
//! a write whose answer never came (a timeout, a 5xx) may have counted, so it is never sent
//! again; its items are dead-lettered with that reason instead (an absolute write is simply
//! repeated, which is safe).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use b2b_commands::{Command, StockLine};
use bigcommerce_b2b::inventory::{
    sku_chunks, Location, StockItem, VariantRef, ADJUSTMENT_ITEMS_MAX, SKUS_PER_LOOKUP,
};
use bigcommerce_b2b::BcError;
use futures_util::{StreamExt, TryStreamExt};

use super::{Applier, ApplyError, Outcome, DONE_TTL};

/// How long the store's location list is trusted.
pub const LOCATIONS_TTL: Duration = Duration::from_secs(300);
/// Lookups in flight per command.
const LOOKUPS_IN_FLIGHT: usize = 4;
/// Refusals named in a dead letter's reason (all are in its command).
const REASONS_SHOWN: usize = 20;

/// The store's locations as last read, and when. An async lock: commands running at once wait
/// for one read instead of each making its own.
pub type LocationCache = tokio::sync::Mutex<Option<(Instant, Vec<Location>)>>;

/// A line of the command that cannot be applied, and why.
struct Refused {
    index: usize,
    reason: String,
}

/// The command's lines resolved: what to write, and what cannot be.
struct Resolved {
    stock: Vec<(usize, StockItem)>,
    refused: Vec<Refused>,
}

/// A catalog variant and its product, as orders and shopping lists name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CatalogItem {
    /// The product.
    pub product_id: i64,
    /// The variant.
    pub variant_id: i64,
    /// What the catalog asks for it (its calculated price, else its price).
    pub catalog_price: Option<bigcommerce_b2b::money::Amount>,
}

impl Applier {
    /// The store's locations (cached; `fresh` reads them again).
    async fn locations(&self, fresh: bool) -> Result<Vec<Location>, ApplyError> {
        let asked = Instant::now();
        let mut cached = self.locations.lock().await;
        // Fresh means read after this command asked: a read another command made while this
        // one waited for the lock will do.
        let usable = |at: &Instant| at.elapsed() < LOCATIONS_TTL && (!fresh || *at >= asked);
        if let Some((_, list)) = cached.as_ref().filter(|(at, _)| usable(at)) {
            return Ok(list.clone());
        }
        let list = self.client.core().locations().await?;
        *cached = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// Each line's location id, or why it has none.
    async fn line_locations(
        &self,
        lines: &[StockLine],
    ) -> Result<Vec<Result<i64, String>>, ApplyError> {
        let find =
            |list: &[Location], line: &StockLine| match (&line.location_id, &line.location_code) {
                (Some(id), _) => list.iter().find(|l| l.id == *id).map(|l| l.id),
                (None, Some(code)) => list
                    .iter()
                    .find(|l| l.code.as_deref() == Some(code.as_str()))
                    .map(|l| l.id),
                (None, None) => None,
            };
        let mut list = self.locations(false).await?;
        if lines.iter().any(|l| find(&list, l).is_none()) {
            list = self.locations(true).await?;
        }
        Ok(lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                find(&list, line).ok_or_else(|| match (&line.location_id, &line.location_code) {
                    (Some(id), _) => {
                        format!("`items[{i}].location_id` {id} is not a location of the store")
                    }
                    (None, code) => format!(
                        "`items[{i}].location_code` `{}` is not a location of the store",
                        code.as_deref().unwrap_or_default()
                    ),
                })
            })
            .collect())
    }

    /// The catalog's variants with these SKUs: [`SKUS_PER_LOOKUP`] to a request, a few in
    /// flight.
    pub(super) async fn variants_of_skus(
        &self,
        skus: &[String],
    ) -> Result<Vec<VariantRef>, ApplyError> {
        let core = self.client.core();
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
    pub(super) async fn catalog_items(
        &self,
        skus: &[String],
        field: &str,
        refusal: &str,
    ) -> Result<Vec<CatalogItem>, ApplyError> {
        let by_sku: HashMap<String, VariantRef> = self
            .variants_of_skus(skus)
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

    /// The variant ids of the lines' SKUs, and which given variant ids exist.
    async fn line_variants(
        &self,
        lines: &[StockLine],
    ) -> Result<(HashMap<String, i64>, std::collections::HashSet<i64>), ApplyError> {
        let mut skus: Vec<String> = lines.iter().filter_map(|l| l.sku.clone()).collect();
        skus.sort();
        skus.dedup();
        let mut ids: Vec<i64> = lines.iter().filter_map(|l| l.variant_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let by_sku = self.variants_of_skus(&skus).await?;
        let core = self.client.core();
        let by_id: Vec<Vec<_>> =
            futures_util::stream::iter(ids.chunks(SKUS_PER_LOOKUP).map(<[i64]>::to_vec))
                .map(|chunk| {
                    let core = core.clone();
                    async move { core.variants_by_id(&chunk).await }
                })
                .buffered(LOOKUPS_IN_FLIGHT)
                .try_collect()
                .await?;
        let sku_ids = by_sku
            .into_iter()
            .filter_map(|v| Some((v.sku?, v.id)))
            .collect();
        let known = by_id.into_iter().flatten().map(|v| v.id).collect();
        Ok((sku_ids, known))
    }

    async fn resolve(&self, lines: &[StockLine]) -> Result<Resolved, ApplyError> {
        let locations = self.line_locations(lines).await?;
        let (sku_ids, known_ids) = self.line_variants(lines).await?;
        let mut out = Resolved {
            stock: Vec::new(),
            refused: Vec::new(),
        };
        for (index, (line, location)) in lines.iter().zip(locations).enumerate() {
            let variant = match (&line.variant_id, &line.sku) {
                (Some(id), _) if known_ids.contains(id) => Ok(*id),
                (Some(id), _) => Err(format!(
                    "`items[{index}].variant_id` {id} is not a variant of the store"
                )),
                (None, Some(sku)) => sku_ids.get(sku).copied().ok_or_else(|| {
                    format!("`items[{index}].sku` `{sku}` is not a variant SKU of the store")
                }),
                (None, None) => Err(format!("`items[{index}]` needs a `sku` or a `variant_id`")),
            };
            match (location, variant) {
                (Ok(location_id), Ok(variant_id)) => out.stock.push((
                    index,
                    StockItem {
                        location_id,
                        variant_id,
                        quantity: line.quantity,
                    },
                )),
                (Err(reason), _) | (_, Err(reason)) => out.refused.push(Refused { index, reason }),
            }
        }
        // Grouped by location, as BigCommerce advises for bulk adjustments.
        out.stock.sort_by_key(|(i, s)| (s.location_id, *i));
        Ok(out)
    }

    /// `inventory.set` (`absolute`) or `inventory.adjust`: see the module documentation.
    pub(super) async fn inventory(
        &self,
        cmd: &Command,
        reason: Option<&str>,
        lines: &[StockLine],
        absolute: bool,
    ) -> Result<Outcome, ApplyError> {
        let mut resolved = self.resolve(lines).await?;
        let key = format!("inventory#{}", cmd.dedupe_key());
        for (n, chunk) in resolved.stock.chunks(ADJUSTMENT_ITEMS_MAX).enumerate() {
            let done = format!("{key}#{n}");
            if self.state.is_claimed(&done).await? {
                continue;
            }
            let items: Vec<StockItem> = chunk.iter().map(|(_, s)| *s).collect();
            match self.write_stock(&done, reason, &items, absolute).await? {
                Written::Done => {}
                Written::Refused(why) | Written::Unknown(why) => {
                    for (index, _) in chunk {
                        resolved.refused.push(Refused {
                            index: *index,
                            reason: format!("`items[{index}]`: {why}"),
                        });
                    }
                }
            }
        }
        if resolved.refused.is_empty() {
            return Ok(Outcome::Updated);
        }
        Err(partly(cmd, lines, resolved))
    }

    /// One adjustment request under its markers.
    async fn write_stock(
        &self,
        done: &str,
        reason: Option<&str>,
        items: &[StockItem],
        absolute: bool,
    ) -> Result<Written, ApplyError> {
        let sent = format!("{done}#sent");
        if !absolute {
            if self.state.is_claimed(&sent).await? {
                return Ok(Written::Unknown(
                    "a previous attempt of this relative adjustment got no answer and may have counted; check the level and send it as `inventory.set`".into(),
                ));
            }
            self.state.claim(&sent, DONE_TTL).await?;
        }
        let core = self.client.core();
        let answer = if absolute {
            core.set_stock(reason, items).await
        } else {
            core.adjust_stock(reason, items).await
        };
        match answer {
            Ok(_) => {
                self.state.claim(done, DONE_TTL).await?;
                Ok(Written::Done)
            }
            Err(e) if !absolute && may_have_counted(&e) => Ok(Written::Unknown(format!(
                "the relative adjustment got no answer ({e}) and may have counted; check the level and send it as `inventory.set`"
            ))),
            Err(e) => {
                if !absolute {
                    // Refused or never sent: nothing counted.
                    self.state.release(&sent).await?;
                }
                if e.is_retryable() {
                    Err(e.into())
                } else {
                    Ok(Written::Refused(format!("BigCommerce refused the adjustment: {e}")))
                }
            }
        }
    }
}

/// What one adjustment request did.
enum Written {
    Done,
    Refused(String),
    Unknown(String),
}

/// Whether a relative write that failed this way may still have been applied.
fn may_have_counted(e: &BcError) -> bool {
    match e {
        BcError::Server { .. } => true,
        BcError::Transport { source, .. } => !source.is_connect(),
        _ => false,
    }
}

/// The permanent failure of a command some of whose lines were refused: the reasons, and the
/// command again with those lines only (what a redrive should apply).
fn partly(cmd: &Command, lines: &[StockLine], resolved: Resolved) -> ApplyError {
    let mut refused = resolved.refused;
    refused.sort_by_key(|r| r.index);
    let applied = lines.len() - refused.len();
    let shown: Vec<&str> = refused
        .iter()
        .take(REASONS_SHOWN)
        .map(|r| r.reason.as_str())
        .collect();
    let more = refused.len().saturating_sub(REASONS_SHOWN);
    let mut reason = format!(
        "{} of {} items refused ({applied} applied): {}",
        refused.len(),
        lines.len(),
        shown.join("; ")
    );
    if more > 0 {
        reason.push_str(&format!("; and {more} more"));
    }
    let keep: BTreeSet<usize> = refused.iter().map(|r| r.index).collect();
    let rest: Vec<StockLine> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, l)| l.clone())
        .collect();
    ApplyError::PartlyApplied {
        reason,
        remainder: cmd.with_stock_lines(rest),
    }
}
