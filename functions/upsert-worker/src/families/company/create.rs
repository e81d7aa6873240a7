//! Creating companies: the create request a `company.upsert` describes, made alone or held
//! back and made with others in one bulk request (`POST /companies/bulk`), then what follows a
//! create (the id recorded, the status and price lists set, the mirror told).

use b2b_commands::CompanyData;
use bigcommerce_b2b::b2b::{CompanyFields, CompanyStatus, PriceListAssign};

use super::fields::{
    company_extra_fields, location_digest, location_fields, location_key, price_list_assign,
};
use crate::engine::context::Context;
use crate::engine::family::{bulk_answer, BulkCreate, Held};
use crate::engine::ids::{id_key, some_text, Kind};
use crate::engine::outcome::{ApplyError, Outcome};
use crate::lookups::companies;
use crate::lookups::mirror::{self, Mirrored};

/// A company create held back for a bulk request, with what follows it.
#[derive(Debug, Clone)]
pub(crate) struct PendingCompany {
    store: String,
    external_id: String,
    fields: CompanyFields,
    status: Option<CompanyStatus>,
    /// Price lists to assign once the company exists (creates take none).
    price_lists: Vec<PriceListAssign>,
}

impl Held for PendingCompany {
    fn bulk_kind(&self) -> &'static str {
        "companies"
    }
}

/// Creates the companies of several held-back creates with one `POST /companies/bulk` (at most
/// [`B2B_BULK_MAX`](bigcommerce_b2b::b2b::B2B_BULK_MAX)), then records their ids and sets their statuses: one result per
/// company, in order.
///
/// [`BulkCreate::Refused`] when BigCommerce refused the request as sent (one invalid or
/// conflicting company refuses it, and may leave others created): the caller applies each
/// command again on its own, which looks the company up before creating it.
pub(crate) async fn create_companies(cx: &Context, pending: &[&PendingCompany]) -> BulkCreate {
    for p in pending {
        let identity = [p.external_id.as_str()];
        if let Err(e) = mirror::creating(cx, &p.store, Mirrored::Companies, identity).await {
            return BulkCreate::Retry(e);
        }
    }
    if let [one] = pending {
        // One company: the plain create, same cost.
        return match cx.client.b2b().create_company(&one.fields).await {
            Ok(created) => {
                BulkCreate::Created(vec![record_created(cx, one, created.company_id).await])
            }
            Err(e) => BulkCreate::Created(vec![Err(e.into())]),
        };
    }
    let fields: Vec<CompanyFields> = pending.iter().map(|p| p.fields.clone()).collect();
    let answer = cx.client.b2b().create_companies(&fields).await;
    let ids = match bulk_answer(answer, pending.len(), "companies") {
        Ok(ids) => ids,
        Err(not_created) => return not_created,
    };
    let mut out = Vec::with_capacity(pending.len());
    for (p, id) in pending.iter().zip(ids) {
        out.push(record_created(cx, p, id).await);
    }
    BulkCreate::Created(out)
}

/// After company `id` was created for `p`: its id in the map, then its status. A failure
/// here is retryable: the retry finds the company by its external id.
async fn record_created(cx: &Context, p: &PendingCompany, id: i64) -> Result<Outcome, ApplyError> {
    let key = id_key(&p.store, Kind::Company, &p.external_id);
    cx.state.put_id(&key, id).await?;
    companies::remember_id(cx, key.clone(), id);
    // What follows is ours: its modification times are not taken for edits elsewhere.
    mirror::touch(cx, &p.store, Mirrored::Companies, id).await?;
    if let Some(d) = location_digest(&p.fields) {
        cx.state.put_id(&location_key(&key), d).await?;
    }
    // The create takes no status: set it right away (re-reading the new company first would
    // cost a request and tell nothing the command does not already say).
    if let Some(status) = p.status {
        cx.client.b2b().set_company_status(id, status).await?;
    }
    // Nor price lists: only the update takes `priceListAssign`.
    if !p.price_lists.is_empty() {
        let fields = CompanyFields {
            price_list_assign: p.price_lists.clone(),
            ..CompanyFields::default()
        };
        cx.client.b2b().update_company(id, &fields).await?;
    }
    Ok(Outcome::Created)
}

/// The create request for a company the store does not have.
pub(crate) fn company_create_fields(
    cx: &Context,
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
        extra_fields: company_extra_fields(cx, external_id, data),
        // The create takes no price lists: `record_created` assigns them.
        price_list_assign: Vec::new(),
        // The same country and address as an update's, so their digests agree.
        ..location_fields(data)
    }
}

/// The create of the company a command describes, with what follows it.
pub(crate) fn pending_company(
    cx: &Context,
    store: &str,
    external_id: &str,
    data: &CompanyData,
) -> PendingCompany {
    PendingCompany {
        store: store.to_owned(),
        external_id: external_id.to_owned(),
        fields: company_create_fields(cx, external_id, data),
        status: data.status,
        price_lists: price_list_assign(data),
    }
}

/// Creates the company of `pending` on its own (marked as being created first), then what
/// follows the create.
pub(crate) async fn create_company(
    cx: &Context,
    pending: &PendingCompany,
) -> Result<Outcome, ApplyError> {
    let identity = [pending.external_id.as_str()];
    mirror::creating(cx, &pending.store, Mirrored::Companies, identity).await?;
    let created = cx.client.b2b().create_company(&pending.fields).await?;
    record_created(cx, pending, created.company_id).await
}
