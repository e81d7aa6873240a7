//! Company resolution, shared by every family whose commands name a company by its external
//! id: the store mirror first, else the id map, else a search of the external-id extra field
//! (`EXTERNAL_ID_FIELD`), the mapping then recorded. A company's id is looked up at most once
//! per batch: the buyers and addresses of one company share the lookup, even at the same time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bigcommerce_b2b::b2b::{Company, CompanyFilter};
use futures_util::TryStreamExt;

use crate::engine::context::Context;
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::ApplyError;
use crate::lookups::mirror::{self, Mirror, Mirrored};

/// Company ids found during the current batch, by `{store}#company#{external id}`.
#[derive(Debug, Default)]
pub(crate) struct BatchCompanies(Mutex<HashMap<String, Arc<tokio::sync::OnceCell<i64>>>>);

/// The company with `external_id`: from the mirror when it holds it as BigCommerce has it
/// (no request), else by the id map, else by a search of the external-id extra field (the
/// mapping then recorded). `None` when it does not exist.
pub(crate) async fn find(
    cx: &Context,
    store: &str,
    external_id: &str,
) -> Result<Option<Company>, ApplyError> {
    let key = id_key(store, Kind::Company, external_id);
    let mapped =
        match mirror::mirrored::<Company>(cx, store, Mirrored::Companies, external_id, &key).await?
        {
            Mirror::Current(c) => return Ok(Some(c)),
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => cx.state.get_id(&key).await?,
        };
    if let Some(id) = mapped {
        if let Some(c) = cx.client.b2b().company(id).await? {
            return Ok(Some(c));
        }
    }
    search(cx, &key, external_id).await
}

/// The company whose external-id extra field is `external_id`, by a search (the oldest of
/// several), its mapping recorded under `key`.
async fn search(cx: &Context, key: &str, external_id: &str) -> Result<Option<Company>, ApplyError> {
    let filter = CompanyFilter {
        extra_fields: vec![(cx.external_id_field.clone(), external_id.to_owned())],
        extra_fields_exact: true,
        include_extra_fields: true,
        ..CompanyFilter::default()
    };
    let found: Vec<Company> = cx.client.b2b().companies(&filter).try_collect().await?;
    let mut matching = found
        .into_iter()
        .filter(|c| c.extra_field(&cx.external_id_field) == Some(external_id));
    let Some(summary) = matching.next() else {
        return Ok(None);
    };
    if matching.next().is_some() {
        tracing::warn!(%external_id, "several companies carry this external id; using the oldest");
    }
    cx.state.put_id(key, summary.company_id).await?;
    Ok(cx.client.b2b().company(summary.company_id).await?)
}

/// The id of the company with `external_id`, looked up at most once per batch (buyers and
/// addresses need only the id; status, price-list and quote commands read the company).
/// Records `id` as the company under `key` for the rest of the batch: buyers and addresses
/// that came with a company created in the batch need no read of it.
pub(crate) fn remember_id(cx: &Context, key: String, id: i64) {
    if let Ok(mut m) = cx.memo::<BatchCompanies>().0.lock() {
        let cell = m.entry(key).or_default();
        // Already set: the same company, looked up before.
        let _ = cell.set(id);
    }
}

pub(crate) async fn require_id(
    cx: &Context,
    store: &str,
    external_id: &str,
) -> Result<i64, ApplyError> {
    let key = id_key(store, Kind::Company, external_id);
    let cell = match cx.memo::<BatchCompanies>().0.lock() {
        Ok(mut m) => m.entry(key).or_default().clone(),
        // A poisoned memo only costs the lookup.
        Err(_) => Arc::default(),
    };
    // Concurrent callers wait for the first lookup; a failed one leaves the cell empty, so
    // the next caller looks again (a missing company may be created meanwhile).
    cell.get_or_try_init(|| id_of(cx, store, external_id))
        .await
        .copied()
}

/// The id of the company with `external_id`: the mirror's (its snapshot, or the id map for
/// one created since the last read) without a request, else looked up.
async fn id_of(cx: &Context, store: &str, external_id: &str) -> Result<i64, ApplyError> {
    let key = id_key(store, Kind::Company, external_id);
    match mirror::mirrored::<Company>(cx, store, Mirrored::Companies, external_id, &key).await? {
        Mirror::Current(c) => Ok(c.company_id),
        // Only the id is needed, and a written or changed company keeps it.
        Mirror::Stale(id) => Ok(id),
        Mirror::Absent => Err(ApplyError::MissingCompany(external_id.to_owned())),
        Mirror::Unknown => Ok(require(cx, store, external_id).await?.company_id),
    }
}

pub(crate) async fn require(
    cx: &Context,
    store: &str,
    external_id: &str,
) -> Result<Company, ApplyError> {
    find(cx, store, external_id)
        .await?
        .ok_or_else(|| ApplyError::MissingCompany(external_id.to_owned()))
}
