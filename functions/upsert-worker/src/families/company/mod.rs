//! The company family: `company.upsert` and `company.status`. A company is found by the id map
//! or its external-id extra field (`crate::lookups::companies`), created (alone, or held back
//! for a bulk request: `create`) or changed only where it differs (`update`), then placed in its
//! account hierarchy (`hierarchy`) and given its payment terms and credit (`terms`).

mod create;
mod fields;
mod hierarchy;
mod terms;
mod update;

use std::borrow::Cow;

use b2b_commands::{company, Command, CompanyData};

use crate::engine::context::Context;
use crate::engine::family::{held_of, Apply, BulkCreate, Family, HeldCreate, Step};
use crate::engine::ids::{id_key, Kind};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::mirror::{self, Mirrored};
use crate::lookups::{companies, definitions};
use create::PendingCompany;

/// The company family: no settings of its own (the external-id field is the engine's, as every
/// family finds companies by it).
#[derive(Debug, Default)]
pub struct Companies;

impl Family for Companies {}

impl Apply for company::Upsert {
    type Family = Companies;
    const OTHERS_WAIT_FOR_IT: bool = true;

    async fn apply(&self, _: &Companies, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let with_group = prepare(cx, store, &self.company).await?;
        let company = &*with_group;
        let upserted = company_upsert(cx, store, &cmd.external_id, company).await?;
        let linked = match &company.parent_external_id {
            Some(parent) => {
                hierarchy::link_parent(cx, store, &cmd.external_id, parent, upserted).await?
            }
            None => upserted,
        };
        terms::sync_terms(cx, store, &cmd.external_id, company, linked).await
    }

    /// A company joining a hierarchy, or with terms or credit, has calls after its create that
    /// only the command's own path makes.
    fn may_hold_create(&self) -> bool {
        let c = &self.company;
        c.parent_external_id.is_none()
            && c.payment_terms.is_none()
            && c.payment_methods.is_none()
            && c.credit.is_none()
    }

    async fn apply_or_hold(
        &self,
        _: &Companies,
        cx: &Context,
        cmd: &Command,
    ) -> Result<Step, ApplyError> {
        let store = cmd.store_hash.as_str();
        let with_group = prepare(cx, store, &self.company).await?;
        let company = &*with_group;
        let pending = || create::pending_company(cx, store, &cmd.external_id, company);
        match companies::find(cx, store, &cmd.external_id).await? {
            Some(existing) => {
                update::company_update(cx, store, &existing, &cmd.external_id, company)
                    .await
                    .map(Step::Done)
            }
            // The bulk create names a catalog, not its id: such a company is created alone.
            None if company.catalog_id.is_some() => {
                create::create_company(cx, &pending()).await.map(Step::Done)
            }
            None => Ok(Step::Create(Box::new(pending()))),
        }
    }

    async fn create_held(_: &Companies, cx: &Context, held: &[&HeldCreate]) -> BulkCreate {
        match held_of::<PendingCompany>(held) {
            Some(pending) => create::create_companies(cx, &pending).await,
            None => BulkCreate::Refused("a bulk request mixed companies and buyers".into()),
        }
    }

    async fn edited_elsewhere(&self, cx: &Context, cmd: &Command) -> Result<bool, ApplyError> {
        mirror::edited_elsewhere(cx, &cmd.store_hash, Mirrored::Companies, &cmd.external_id).await
    }
}

impl Apply for company::SetStatus {
    type Family = Companies;

    async fn apply(&self, _: &Companies, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let company = companies::require(cx, store, &cmd.external_id).await?;
        update::set_status(cx, store, &company, self.status).await
    }
}

/// `data` checked against what the store defines (its extra fields), with
/// `customer_group_id` set from `customer_group_external_id` when it names a group
/// ([`ApplyError::Missing`] when no `customergroup.upsert` made that group yet).
async fn prepare<'d>(
    cx: &Context,
    store: &str,
    data: &'d CompanyData,
) -> Result<Cow<'d, CompanyData>, ApplyError> {
    definitions::check_company_fields(cx, store, data).await?;
    let Some(ext) = &data.customer_group_external_id else {
        return Ok(Cow::Borrowed(data));
    };
    let key = id_key(store, Kind::CustomerGroup, ext);
    let id = cx
        .state
        .get_id(&key)
        .await?
        .ok_or_else(|| ApplyError::Missing {
            field: "company.customer_group_external_id",
            name: ext.clone(),
        })?;
    let mut with = data.clone();
    with.customer_group_id = Some(id);
    Ok(Cow::Owned(with))
}

/// Creates the company `external_id` names, or brings it to what `data` says.
async fn company_upsert(
    cx: &Context,
    store: &str,
    external_id: &str,
    data: &CompanyData,
) -> Result<Outcome, ApplyError> {
    match companies::find(cx, store, external_id).await? {
        Some(existing) => update::company_update(cx, store, &existing, external_id, data).await,
        None => {
            create::create_company(cx, &create::pending_company(cx, store, external_id, data)).await
        }
    }
}
