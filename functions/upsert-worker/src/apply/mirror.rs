//! The company mirror, first step of the store mirror (issue 17): which external ids exist in
//! BigCommerce, kept exact by delta reads, so that a company the mirror does not know is known
//! absent and goes straight to its create, without a search per command.
//!
//! The mirror is the id map (`{store}#company#{external id}` → company id) plus a sync position
//! (`{store}#mirror#companies`, an export-style watermark `{"synced_through": t}`). Once per
//! batch, before the first company is resolved, one read of `GET /companies?minModified=
//! {synced_through − overlap}&isIncludeExtraFields=1` (a full listing the first time) maps every
//! company modified since, including those other apps or the control panel created. A failed
//! read leaves the batch on today's lookups (a search by extra field).
//!
//! The read also records each company's modification time (`{company key}#modified`). After a
//! command was applied and the company found equal to it, the command's digest and that time
//! are recorded (`#synced`, `#synced_at`): an identical command costs no BigCommerce request
//! while the company's modification time has not moved, and one after an edit elsewhere (the
//! control panel, another app) reads and repairs it. So the 7-day done marker no longer decides
//! a `company.upsert`: it would hide such drift.
//!
//! Off unless `COMPANY_MIRROR=on`. Next steps (issue 17): a changed company costs only its PUT
//! (no read), and buyers and addresses.

use b2b_shared::messages::CompanyData;
use bigcommerce_b2b::b2b::CompanyFilter;
use futures_util::TryStreamExt;
use serde_json::json;

use super::{digest_of, id_key, Applier, ApplyError, Kind, Outcome};

/// The id-map entry holding a company's modification time as the last delta read saw it.
fn modified_key(company_key: &str) -> String {
    format!("{company_key}#modified")
}

/// The id-map entries of the in-sync record: the digest of the command last found applied, and
/// the company's modification time then.
fn synced_keys(company_key: &str) -> (String, String) {
    (
        format!("{company_key}#synced"),
        format!("{company_key}#synced_at"),
    )
}

/// Seconds re-read before the sync position (clock skew, late commits).
pub const MIRROR_OVERLAP_SECS: i64 = 120;

impl Applier {
    /// Whether this batch may take a company the mirror does not know for absent: the mirror
    /// is on and this batch's delta read succeeded (it is made on the first call).
    /// Boxed: it keeps the command futures that resolve companies small.
    pub(super) fn company_mirror_fresh<'a>(
        &'a self,
        store: &'a str,
    ) -> futures_util::future::BoxFuture<'a, bool> {
        Box::pin(self.mirror_read_once(store))
    }

    async fn mirror_read_once(&self, store: &str) -> bool {
        if !self.company_mirror {
            return false;
        }
        *self
            .batch_mirror
            .get_or_init(|| async {
                match self.refresh_company_mirror(store).await {
                    Ok(mapped) => {
                        tracing::debug!(store, mapped, "company mirror up to date");
                        true
                    }
                    Err(e) => {
                        tracing::warn!(store, error = %e, "company mirror not refreshed; looking companies up one by one");
                        false
                    }
                }
            })
            .await
    }

    /// One delta read: maps every company modified since the sync position (all of them the
    /// first time) and moves the position to the newest modification seen. Returns how many
    /// companies it mapped anew.
    async fn refresh_company_mirror(&self, store: &str) -> Result<usize, ApplyError> {
        let position_key = format!("{store}#mirror#companies");
        let synced_through = self
            .state
            .get_watermark(&position_key)
            .await?
            .and_then(|v| v.get("synced_through").and_then(|t| t.as_i64()));
        let filter = CompanyFilter {
            min_modified: synced_through.map(|t| t - MIRROR_OVERLAP_SECS),
            include_extra_fields: true,
            ..CompanyFilter::default()
        };
        let companies: Vec<_> = self.client.b2b().companies(&filter).try_collect().await?;
        let mut newest = synced_through.unwrap_or(0);
        let mut mapped = 0;
        for c in &companies {
            newest = newest.max(c.updated_at.unwrap_or(0));
            let Some(external_id) = c.extra_field(&self.external_id_field) else {
                continue;
            };
            let key = id_key(store, Kind::Company, external_id);
            if let Some(modified) = c.updated_at {
                self.state.put_id(&modified_key(&key), modified).await?;
            }
            // An existing mapping stays (several companies with one external id: the first).
            if self.state.get_id(&key).await?.is_none() {
                self.state.put_id(&key, c.company_id).await?;
                mapped += 1;
            }
        }
        self.state
            .put_watermark(&position_key, &json!({ "synced_through": newest }))
            .await?;
        Ok(mapped)
    }

    /// Whether `data` is known applied to company `external_id` and the company unchanged since
    /// (this batch's delta read says so): then the command costs no BigCommerce request.
    pub(super) async fn company_in_sync(
        &self,
        store: &str,
        external_id: &str,
        data: &CompanyData,
    ) -> Result<bool, ApplyError> {
        if !self.company_mirror_fresh(store).await {
            return Ok(false);
        }
        let key = id_key(store, Kind::Company, external_id);
        let (hash_key, at_key) = synced_keys(&key);
        let hash = self.state.get_id(&hash_key).await?;
        if hash != Some(digest_of(data)) {
            return Ok(false);
        }
        let synced_at = self.state.get_id(&at_key).await?;
        let modified = self.state.get_id(&modified_key(&key)).await?;
        Ok(synced_at.is_some() && synced_at == modified)
    }

    /// Records that `data` was applied to company `external_id`. Only when the company was
    /// found equal to it (`outcome` unchanged) is its modification time `seen` recorded with it;
    /// after a write the time is unknown, and the next command reads the company once more.
    pub(super) async fn record_company_sync(
        &self,
        store: &str,
        external_id: &str,
        data: &CompanyData,
        outcome: Outcome,
        seen: Option<i64>,
    ) {
        if !self.company_mirror {
            return;
        }
        let key = id_key(store, Kind::Company, external_id);
        let (hash_key, at_key) = synced_keys(&key);
        // Modification times are whole seconds: one within the last second could still be
        // followed by an edit with the same time, which the mirror would not see.
        let settled = seen.filter(|t| *t < crate::now_secs() - 1);
        let at = match outcome {
            Outcome::Unchanged => settled.unwrap_or(-1),
            _ => -1,
        };
        let recorded = async {
            self.state.put_id(&hash_key, digest_of(data)).await?;
            self.state.put_id(&at_key, at).await
        };
        if let Err(e) = recorded.await {
            tracing::warn!(%external_id, error = %e, "mirror sync not recorded; the next command reads the company");
        }
    }
}
