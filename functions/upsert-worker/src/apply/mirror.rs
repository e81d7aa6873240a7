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
//! Off unless `COMPANY_MIRROR=on`: the next steps (field hashes, so that an unchanged company
//! costs nothing and a changed one only its PUT) build on it.

use bigcommerce_b2b::b2b::CompanyFilter;
use futures_util::TryStreamExt;
use serde_json::json;

use super::{id_key, Applier, ApplyError, Kind};

/// Seconds re-read before the sync position (clock skew, late commits).
pub const MIRROR_OVERLAP_SECS: i64 = 120;

impl Applier {
    /// Whether this batch may take a company the mirror does not know for absent: the mirror
    /// is on and this batch's delta read succeeded (it is made on the first call).
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
                // Boxed: it keeps the command futures that resolve companies small.
                match Box::pin(self.refresh_company_mirror(store)).await {
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
}
