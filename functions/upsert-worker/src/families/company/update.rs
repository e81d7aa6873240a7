//! Bringing an existing company to what a `company.upsert` says: only the fields that differ
//! are written (the country and address compared by a digest of what was last written, as the
//! spec's reads leave them out), then its status and catalog.

use b2b_commands::CompanyData;
use bigcommerce_b2b::b2b::{Company, CompanyFields, CompanyStatus};
use bigcommerce_b2b::BcError;

use super::fields::{
    company_extra_fields, location_digest, location_fields, location_key, price_list_assign,
};
use crate::engine::context::Context;
use crate::engine::ids::{changed, id_key, some_text, Kind};
use crate::engine::outcome::{ApplyError, Outcome};
use crate::lookups::mirror::{self, Mirrored};

/// `PUT /companies/{id}` with `fields`, the company marked touched in the mirror first. A
/// company gone from BigCommerce is retried (its retry creates it), not dead-lettered.
async fn write_company(
    cx: &Context,
    store: &str,
    external_id: &str,
    id: i64,
    fields: &CompanyFields,
) -> Result<(), ApplyError> {
    mirror::touch(cx, store, Mirrored::Companies, id).await?;
    match cx.client.b2b().update_company(id, fields).await {
        Err(BcError::NotFound { .. }) => {
            mirror::forget(cx, store, Mirrored::Companies, external_id, id).await;
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
pub(crate) async fn company_update(
    cx: &Context,
    store: &str,
    existing: &Company,
    external_id: &str,
    data: &CompanyData,
) -> Result<Outcome, ApplyError> {
    let price_lists = price_list_assign(data);
    let location = location_fields(data);
    let location_key = location_key(&id_key(store, Kind::Company, external_id));
    let digest = location_digest(&location);
    let location_changed = digest.is_some() && cx.state.get_id(&location_key).await? != digest;
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
    let wanted_extra = company_extra_fields(cx, external_id, data);
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
        write_company(cx, store, external_id, existing.company_id, &fields).await?;
        outcome = Outcome::Updated;
    }
    if let (true, Some(d)) = (location_changed, digest) {
        cx.state.put_id(&location_key, d).await?;
    }
    if let Some(status) = data.status {
        if set_status(cx, store, existing, status).await? == Outcome::Updated {
            outcome = Outcome::Updated;
        }
    }
    if let Some(catalog) = changed(&data.catalog_id, &existing.catalog_id) {
        set_catalog(cx, store, existing.company_id, external_id, catalog).await?;
        outcome = Outcome::Updated;
    }
    Ok(outcome)
}

/// `PUT /companies/{id}/catalogs` (the update takes no `catalogId`). A store on Independent
/// Companies behavior refuses it (405): a permanent dead letter saying where the catalog
/// comes from there.
async fn set_catalog(
    cx: &Context,
    store: &str,
    company_id: i64,
    external_id: &str,
    catalog: i64,
) -> Result<(), ApplyError> {
    mirror::touch(cx, store, Mirrored::Companies, company_id).await?;
    match cx
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

pub(crate) async fn set_status(
    cx: &Context,
    store: &str,
    company: &Company,
    status: CompanyStatus,
) -> Result<Outcome, ApplyError> {
    if company.status() == Some(status) {
        return Ok(Outcome::Unchanged);
    }
    mirror::touch(cx, store, Mirrored::Companies, company.company_id).await?;
    cx.client
        .b2b()
        .set_company_status(company.company_id, status)
        .await?;
    Ok(Outcome::Updated)
}
