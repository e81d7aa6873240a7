//! `company.upsert` and `company.status`: find a company by the id map or its external-id extra
//! field, create it (alone or in a bulk request), or change only what differs.

use std::sync::Arc;

use b2b_commands::CompanyData;
use bigcommerce_b2b::b2b::{
    Company, CompanyFields, CompanyFilter, CompanyStatus, ExtraField, PriceListAssign,
};
use futures_util::TryStreamExt;

use super::mirror::{Mirror, Mirrored};
use super::{
    bulk_answer, changed, digest_of, id_key, some_text, Applier, ApplyError, BulkCreate, Kind,
    Outcome, PendingCreate,
};
use bigcommerce_b2b::BcError;

impl Applier {
    /// Creates the companies of several held-back creates with one `POST /companies/bulk` (at most
    /// [`B2B_BULK_MAX`](bigcommerce_b2b::b2b::B2B_BULK_MAX)), then records their ids and sets their statuses: one result per
    /// company, in order.
    ///
    /// [`BulkCreate::Refused`] when BigCommerce refused the request as sent (one invalid or
    /// conflicting company refuses it, and may leave others created): the caller applies each
    /// command again on its own, which looks the company up before creating it.
    pub async fn create_companies(&self, pending: &[&PendingCreate]) -> BulkCreate {
        for p in pending {
            let identity = [p.external_id.as_str()];
            if let Err(e) = self.creating(&p.store, Mirrored::Companies, identity).await {
                return BulkCreate::Retry(e);
            }
        }
        if let [one] = pending {
            // One company: the plain create, same cost.
            return match self.client.b2b().create_company(&one.fields).await {
                Ok(created) => {
                    BulkCreate::Created(vec![self.created(one, created.company_id).await])
                }
                Err(e) => BulkCreate::Created(vec![Err(e.into())]),
            };
        }
        let fields: Vec<CompanyFields> = pending.iter().map(|p| p.fields.clone()).collect();
        let answer = self.client.b2b().create_companies(&fields).await;
        let ids = match bulk_answer(answer, pending.len(), "companies") {
            Ok(ids) => ids,
            Err(not_created) => return not_created,
        };
        let mut out = Vec::with_capacity(pending.len());
        for (p, id) in pending.iter().zip(ids) {
            out.push(self.created(p, id).await);
        }
        BulkCreate::Created(out)
    }

    /// After company `id` was created for `p`: its id in the map, then its status. A failure
    /// here is retryable: the retry finds the company by its external id.
    pub(super) async fn created(&self, p: &PendingCreate, id: i64) -> Result<Outcome, ApplyError> {
        let key = id_key(&p.store, Kind::Company, &p.external_id);
        self.state.put_id(&key, id).await?;
        self.remember_company_id(key.clone(), id);
        // What follows is ours: its modification times are not taken for edits elsewhere.
        self.touch(&p.store, Mirrored::Companies, id).await?;
        if let Some(d) = location_digest(&p.fields) {
            self.state.put_id(&location_key(&key), d).await?;
        }
        // The create takes no status: set it right away (re-reading the new company first would
        // cost a request and tell nothing the command does not already say).
        if let Some(status) = p.status {
            self.client.b2b().set_company_status(id, status).await?;
        }
        // Nor price lists: only the update takes `priceListAssign`.
        if !p.price_lists.is_empty() {
            let fields = CompanyFields {
                price_list_assign: p.price_lists.clone(),
                ..CompanyFields::default()
            };
            self.client.b2b().update_company(id, &fields).await?;
        }
        Ok(Outcome::Created)
    }

    /// The company with `external_id`: from the mirror when it holds it as BigCommerce has it
    /// (no request), else by the id map, else by a search of the external-id extra field (the
    /// mapping then recorded). `None` when it does not exist.
    pub(super) async fn find_company(
        &self,
        store: &str,
        external_id: &str,
    ) -> Result<Option<Company>, ApplyError> {
        let key = id_key(store, Kind::Company, external_id);
        let mapped = match self
            .mirrored::<Company>(store, Mirrored::Companies, external_id, &key)
            .await?
        {
            Mirror::Current(c) => return Ok(Some(c)),
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => self.state.get_id(&key).await?,
        };
        if let Some(id) = mapped {
            if let Some(c) = self.client.b2b().company(id).await? {
                return Ok(Some(c));
            }
        }
        self.search_company(&key, external_id).await
    }

    /// The company whose external-id extra field is `external_id`, by a search (the oldest of
    /// several), its mapping recorded under `key`.
    async fn search_company(
        &self,
        key: &str,
        external_id: &str,
    ) -> Result<Option<Company>, ApplyError> {
        let filter = CompanyFilter {
            extra_fields: vec![(self.external_id_field.clone(), external_id.to_owned())],
            extra_fields_exact: true,
            include_extra_fields: true,
            ..CompanyFilter::default()
        };
        let found: Vec<Company> = self.client.b2b().companies(&filter).try_collect().await?;
        let mut matching = found
            .into_iter()
            .filter(|c| c.extra_field(&self.external_id_field) == Some(external_id));
        let Some(summary) = matching.next() else {
            return Ok(None);
        };
        if matching.next().is_some() {
            tracing::warn!(%external_id, "several companies carry this external id; using the oldest");
        }
        self.state.put_id(key, summary.company_id).await?;
        Ok(self.client.b2b().company(summary.company_id).await?)
    }

    /// The id of the company with `external_id`, looked up at most once per batch (buyers and
    /// addresses need only the id; status, price-list and quote commands read the company).
    /// Records `id` as the company under `key` for the rest of the batch: buyers and addresses
    /// that came with a company created in the batch need no read of it.
    fn remember_company_id(&self, key: String, id: i64) {
        if let Ok(mut m) = self.batch_companies.lock() {
            let cell = m.entry(key).or_default();
            // Already set: the same company, looked up before.
            let _ = cell.set(id);
        }
    }

    pub(super) async fn require_company_id(
        &self,
        store: &str,
        external_id: &str,
    ) -> Result<i64, ApplyError> {
        let key = id_key(store, Kind::Company, external_id);
        let cell = match self.batch_companies.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            // A poisoned memo only costs the lookup.
            Err(_) => Arc::default(),
        };
        // Concurrent callers wait for the first lookup; a failed one leaves the cell empty, so
        // the next caller looks again (a missing company may be created meanwhile).
        cell.get_or_try_init(|| self.company_id_of(store, external_id))
            .await
            .copied()
    }

    /// The id of the company with `external_id`: the mirror's (its snapshot, or the id map for
    /// one created since the last read) without a request, else looked up.
    async fn company_id_of(&self, store: &str, external_id: &str) -> Result<i64, ApplyError> {
        let key = id_key(store, Kind::Company, external_id);
        match self
            .mirrored::<Company>(store, Mirrored::Companies, external_id, &key)
            .await?
        {
            Mirror::Current(c) => Ok(c.company_id),
            // Only the id is needed, and a written or changed company keeps it.
            Mirror::Stale(id) => Ok(id),
            Mirror::Absent => Err(ApplyError::MissingCompany(external_id.to_owned())),
            Mirror::Unknown => Ok(self.require_company(store, external_id).await?.company_id),
        }
    }

    pub(super) async fn require_company(
        &self,
        store: &str,
        external_id: &str,
    ) -> Result<Company, ApplyError> {
        self.find_company(store, external_id)
            .await?
            .ok_or_else(|| ApplyError::MissingCompany(external_id.to_owned()))
    }

    pub(super) fn company_extra_fields(
        &self,
        external_id: &str,
        data: &CompanyData,
    ) -> Vec<ExtraField> {
        let mut fields = vec![ExtraField {
            field_name: self.external_id_field.clone(),
            field_value: Some(external_id.to_owned()),
        }];
        for (k, v) in &data.extra_fields {
            if *k != self.external_id_field {
                fields.push(ExtraField {
                    field_name: k.clone(),
                    field_value: Some(v.clone()),
                });
            }
        }
        fields
    }

    pub(super) fn price_list_assign(data: &CompanyData) -> Vec<PriceListAssign> {
        data.price_lists
            .iter()
            .map(|p| PriceListAssign {
                channel_id: Some(p.channel_id),
                price_list_id: Some(p.price_list_id),
            })
            .collect()
    }

    /// The create request for a company the store does not have.
    pub(super) fn company_create_fields(
        &self,
        external_id: &str,
        data: &CompanyData,
    ) -> CompanyFields {
        CompanyFields {
            company_name: some_text(&data.name),
            company_phone: some_text(&data.phone),
            company_email: some_text(&data.email),
            customer_group_id: data.customer_group_id,
            catalog_id: data.catalog_id,
            admin_first_name: some_text(&data.admin.first_name),
            admin_last_name: some_text(&data.admin.last_name),
            admin_email: some_text(&data.admin.email),
            admin_phone_number: data.admin.phone.clone(),
            extra_fields: self.company_extra_fields(external_id, data),
            // The create takes no price lists: [`Applier::created`] assigns them.
            price_list_assign: Vec::new(),
            // The same country and address as an update's, so their digests agree.
            ..Self::location_fields(data)
        }
    }

    /// The country and address of the command, as the company update takes them.
    fn location_fields(data: &CompanyData) -> CompanyFields {
        let address = data.address.as_ref();
        CompanyFields {
            country: some_text(&data.country),
            address_line1: address.map(|a| a.line1.clone()),
            address_line2: address.and_then(|a| a.line2.clone()),
            city: address.map(|a| a.city.clone()),
            state: address.and_then(|a| a.state.clone()),
            zip_code: address.and_then(|a| a.zip_code.clone()),
            ..CompanyFields::default()
        }
    }

    /// The create of the company a command describes, with what follows it.
    pub(super) fn pending_company(
        &self,
        store: &str,
        external_id: &str,
        data: &CompanyData,
    ) -> PendingCreate {
        PendingCreate {
            store: store.to_owned(),
            external_id: external_id.to_owned(),
            fields: self.company_create_fields(external_id, data),
            status: data.status,
            price_lists: Self::price_list_assign(data),
        }
    }

    pub(super) async fn company_upsert(
        &self,
        store: &str,
        external_id: &str,
        data: &CompanyData,
    ) -> Result<Outcome, ApplyError> {
        match self.find_company(store, external_id).await? {
            Some(existing) => {
                self.company_update(store, &existing, external_id, data)
                    .await
            }
            None => {
                self.create_company(&self.pending_company(store, external_id, data))
                    .await
            }
        }
    }

    /// Creates the company of `pending` on its own (marked as being created first), then what
    /// follows the create.
    pub(super) async fn create_company(
        &self,
        pending: &PendingCreate,
    ) -> Result<Outcome, ApplyError> {
        let identity = [pending.external_id.as_str()];
        self.creating(&pending.store, Mirrored::Companies, identity)
            .await?;
        let created = self.client.b2b().create_company(&pending.fields).await?;
        self.created(pending, created.company_id).await
    }

    /// `PUT /companies/{id}` with `fields`, the company marked touched in the mirror first. A
    /// company gone from BigCommerce is retried (its retry creates it), not dead-lettered.
    async fn write_company(
        &self,
        store: &str,
        external_id: &str,
        id: i64,
        fields: &CompanyFields,
    ) -> Result<(), ApplyError> {
        self.touch(store, Mirrored::Companies, id).await?;
        match self.client.b2b().update_company(id, fields).await {
            Err(BcError::NotFound { .. }) => {
                self.forget(store, Mirrored::Companies, external_id, id)
                    .await;
                Err(ApplyError::Retryable {
                    reason: format!(
                        "company {id} (`{external_id}`) is gone from BigCommerce; the retry creates it"
                    ),
                    after: None,
                })
            }
            other => Ok(other?),
        }
    }

    /// Changes only what differs between `existing` and the command. The country and address
    /// are not in the spec's company reads: they are compared with what was last written
    /// (a digest beside the company's id), and sent when that differs or is unknown.
    pub(super) async fn company_update(
        &self,
        store: &str,
        existing: &Company,
        external_id: &str,
        data: &CompanyData,
    ) -> Result<Outcome, ApplyError> {
        let price_lists = Self::price_list_assign(data);
        let location = Self::location_fields(data);
        let location_key = location_key(&id_key(store, Kind::Company, external_id));
        let digest = location_digest(&location);
        let location_changed =
            digest.is_some() && self.state.get_id(&location_key).await? != digest;
        let base = if location_changed {
            location
        } else {
            CompanyFields::default()
        };
        let mut fields = CompanyFields {
            company_name: changed(&some_text(&data.name), &existing.company_name),
            company_phone: changed(&some_text(&data.phone), &existing.company_phone),
            company_email: changed(&some_text(&data.email), &existing.company_email),
            customer_group_id: changed(&data.customer_group_id, &existing.bc_group_id),
            ..base
        };
        let wanted_extra = self.company_extra_fields(external_id, data);
        if wanted_extra
            .iter()
            .any(|f| existing.extra_field(&f.field_name) != f.field_value.as_deref())
        {
            fields.extra_fields = wanted_extra;
        }
        let mut have: Vec<_> = existing
            .price_list_assign
            .iter()
            .map(|p| (p.channel_id, p.price_list_id))
            .collect();
        let mut want: Vec<_> = price_lists
            .iter()
            .map(|p| (p.channel_id, p.price_list_id))
            .collect();
        have.sort();
        want.sort();
        if !want.is_empty() && want != have {
            fields.price_list_assign = price_lists;
        }
        let mut outcome = Outcome::Unchanged;
        if fields != CompanyFields::default() {
            self.write_company(store, external_id, existing.company_id, &fields)
                .await?;
            outcome = Outcome::Updated;
        }
        if let (true, Some(d)) = (location_changed, digest) {
            self.state.put_id(&location_key, d).await?;
        }
        if let Some(status) = data.status {
            if self.set_status(store, existing, status).await? == Outcome::Updated {
                outcome = Outcome::Updated;
            }
        }
        if let Some(catalog) = changed(&data.catalog_id, &existing.catalog_id) {
            self.set_catalog(store, existing.company_id, external_id, catalog)
                .await?;
            outcome = Outcome::Updated;
        }
        Ok(outcome)
    }

    /// `PUT /companies/{id}/catalogs` (the update takes no `catalogId`). A store on Independent
    /// Companies behavior refuses it (405): a permanent dead letter saying where the catalog
    /// comes from there.
    async fn set_catalog(
        &self,
        store: &str,
        company_id: i64,
        external_id: &str,
        catalog: i64,
    ) -> Result<(), ApplyError> {
        self.touch(store, Mirrored::Companies, company_id).await?;
        match self
            .client
            .b2b()
            .set_company_catalog(company_id, catalog)
            .await
        {
            Err(BcError::Rejected { status: 405, .. }) => Err(ApplyError::Permanent(format!(
                "company `{external_id}`: catalog_id {catalog} refused: the store uses \
                 Independent Companies behavior, where a company's catalog follows its \
                 customer group (set customer_group_id instead); the rest is applied"
            ))),
            other => Ok(other?),
        }
    }

    pub(super) async fn set_status(
        &self,
        store: &str,
        company: &Company,
        status: CompanyStatus,
    ) -> Result<Outcome, ApplyError> {
        if company.status() == Some(status) {
            return Ok(Outcome::Unchanged);
        }
        self.touch(store, Mirrored::Companies, company.company_id)
            .await?;
        self.client
            .b2b()
            .set_company_status(company.company_id, status)
            .await?;
        Ok(Outcome::Updated)
    }
}

/// The id-map entry holding the digest of a company's last written country and address.
fn location_key(company_key: &str) -> String {
    format!("{company_key}#location")
}

/// A digest of the country and address in `fields` (`None` when it has neither).
fn location_digest(fields: &CompanyFields) -> Option<i64> {
    let parts = [
        &fields.country,
        &fields.address_line1,
        &fields.address_line2,
        &fields.city,
        &fields.state,
        &fields.zip_code,
    ];
    if parts.iter().all(|p| p.is_none()) {
        return None;
    }
    Some(digest_of(&parts))
}
