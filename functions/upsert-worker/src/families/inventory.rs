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
use bigcommerce_b2b::inventory::{Location, StockItem, ADJUSTMENT_ITEMS_MAX, SKUS_PER_LOOKUP};
use bigcommerce_b2b::BcError;
use futures_util::{StreamExt, TryStreamExt};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::lease::DONE_TTL;
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::catalog;
use crate::lookups::catalog::LOOKUPS_IN_FLIGHT;
use b2b_commands::inventory;

/// How long the store's location list is trusted.
pub const LOCATIONS_TTL: Duration = Duration::from_secs(300);
/// Lookups in flight per command.
/// Refusals named in a dead letter's reason (all are in its command).
const REASONS_SHOWN: usize = 20;

/// Each store's locations as last read, and when. An async lock: commands running at once wait
/// for one read instead of each making its own.
type LocationCache = tokio::sync::Mutex<HashMap<String, (Instant, Vec<Location>)>>;

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

/// The store's locations (cached; `fresh` reads them again).
async fn locations(
    family: &Inventory,
    cx: &Context,
    store: &str,
    fresh: bool,
) -> Result<Vec<Location>, ApplyError> {
    let asked = Instant::now();
    let mut cache = family.locations.lock().await;
    let cached = cache.get(store);
    // Fresh means read after this command asked: a read another command made while this
    // one waited for the lock will do.
    let usable = |at: &Instant| at.elapsed() < LOCATIONS_TTL && (!fresh || *at >= asked);
    if let Some((_, list)) = cached.filter(|(at, _)| usable(at)) {
        return Ok(list.clone());
    }
    let list = cx.client.core().locations().await?;
    cache.insert(store.to_owned(), (Instant::now(), list.clone()));
    Ok(list)
}

/// Each line's location id, or why it has none.
async fn line_locations(
    family: &Inventory,
    cx: &Context,
    store: &str,
    lines: &[StockLine],
) -> Result<Vec<Result<i64, String>>, ApplyError> {
    let find = |list: &[Location], line: &StockLine| match (&line.location_id, &line.location_code)
    {
        (Some(id), _) => list.iter().find(|l| l.id == *id).map(|l| l.id),
        (None, Some(code)) => list
            .iter()
            .find(|l| l.code.as_deref() == Some(code.as_str()))
            .map(|l| l.id),
        (None, None) => None,
    };
    let mut list = locations(family, cx, store, false).await?;
    if lines.iter().any(|l| find(&list, l).is_none()) {
        list = locations(family, cx, store, true).await?;
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

/// The variant ids of the lines' SKUs, and which given variant ids exist.
async fn line_variants(
    cx: &Context,
    lines: &[StockLine],
) -> Result<(HashMap<String, i64>, std::collections::HashSet<i64>), ApplyError> {
    let mut skus: Vec<String> = lines.iter().filter_map(|l| l.sku.clone()).collect();
    skus.sort();
    skus.dedup();
    let mut ids: Vec<i64> = lines.iter().filter_map(|l| l.variant_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let by_sku = catalog::variants_of_skus(cx, &skus).await?;
    let core = cx.client.core();
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

async fn resolve(
    family: &Inventory,
    cx: &Context,
    store: &str,
    lines: &[StockLine],
) -> Result<Resolved, ApplyError> {
    let locations = line_locations(family, cx, store, lines).await?;
    let (sku_ids, known_ids) = line_variants(cx, lines).await?;
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
async fn apply_stock(
    family: &Inventory,
    cx: &Context,
    cmd: &Command,
    reason: Option<&str>,
    lines: &[StockLine],
    absolute: bool,
) -> Result<Outcome, ApplyError> {
    let mut resolved = resolve(family, cx, &cmd.store_hash, lines).await?;
    let key = format!("inventory#{}", cmd.dedupe_key());
    for (n, chunk) in resolved.stock.chunks(ADJUSTMENT_ITEMS_MAX).enumerate() {
        let done = format!("{key}#{n}");
        if cx.state.is_claimed(&done).await? {
            continue;
        }
        let items: Vec<StockItem> = chunk.iter().map(|(_, s)| *s).collect();
        match write_stock(cx, &done, reason, &items, absolute).await? {
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
    cx: &Context,
    done: &str,
    reason: Option<&str>,
    items: &[StockItem],
    absolute: bool,
) -> Result<Written, ApplyError> {
    let sent = format!("{done}#sent");
    if !absolute {
        if cx.state.is_claimed(&sent).await? {
            return Ok(Written::Unknown(
                "a previous attempt of this relative adjustment got no answer and may have counted; check the level and send it as `inventory.set`".into(),
            ));
        }
        cx.state.claim(&sent, DONE_TTL).await?;
    }
    let core = cx.client.core();
    let answer = if absolute {
        core.set_stock(reason, items).await
    } else {
        core.adjust_stock(reason, items).await
    };
    match answer {
        Ok(_) => {
            cx.state.claim(done, DONE_TTL).await?;
            Ok(Written::Done)
        }
        Err(e) if !absolute && may_have_counted(&e) => Ok(Written::Unknown(format!(
            "the relative adjustment got no answer ({e}) and may have counted; check the level and send it as `inventory.set`"
        ))),
        Err(e) => {
            if !absolute {
                // Refused or never sent: nothing counted.
                cx.state.release(&sent).await?;
            }
            if e.is_retryable() {
                Err(e.into())
            } else {
                Ok(Written::Refused(format!("BigCommerce refused the adjustment: {e}")))
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

/// The inventory family: `inventory.set` and `inventory.adjust`, with each store's locations
/// (kept for [`LOCATIONS_TTL`]).
#[derive(Debug, Default)]
pub struct Inventory {
    locations: LocationCache,
}

impl Family for Inventory {}

impl Apply for inventory::Set {
    type Family = Inventory;

    async fn apply(&self, family: &Inventory, cx: &Context, cmd: &Command) -> Applied {
        apply_stock(family, cx, cmd, self.reason.as_deref(), &self.items, true).await
    }
}

impl Apply for inventory::Adjust {
    type Family = Inventory;

    async fn apply(&self, family: &Inventory, cx: &Context, cmd: &Command) -> Applied {
        apply_stock(family, cx, cmd, self.reason.as_deref(), &self.items, false).await
    }
}
