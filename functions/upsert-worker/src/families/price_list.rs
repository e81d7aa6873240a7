//! `pricelist.records.upsert` and `pricelist.assign`: records in batches, assignments to a
//! customer group or a company, each written only when missing.

use bigcommerce_b2b::b2b::{Company, CompanyFields, PriceListAssign};
use bigcommerce_b2b::core::{PriceListAssignment, PriceRecord};

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::companies;
use crate::lookups::mirror::{self, Mirrored};
use b2b_commands::{price_list, Command};

/// Upserts the records of one price list (batches of 1,000, two in flight) and emits the
/// share BigCommerce accepted; rejected records make the command a permanent failure.
pub(crate) async fn records_upsert(
    cx: &Context,
    store: &str,
    price_list_id: i64,
    records: &[PriceRecord],
) -> Result<Outcome, ApplyError> {
    let report = cx
        .client
        .core()
        .upsert_price_records(price_list_id, records)
        .await?;
    // Price-list sync accuracy: the share of records BigCommerce accepted.
    if report.records > 0 {
        let accepted = report.records - report.rejected.len();
        b2b_shared::telemetry::emit_metrics(
            &[("Function", "upsert-worker"), ("Store", store)],
            &[b2b_shared::telemetry::Metric {
                name: "PriceListSyncAccuracy",
                value: accepted as f64 / report.records as f64,
                unit: "None",
            }],
        );
    }
    if !report.rejected.is_empty() {
        let reasons: Vec<String> = report
            .rejected
            .iter()
            .take(10)
            .map(|r| format!("{}: {:?}", r.data, r.field_errors))
            .collect();
        return Err(ApplyError::Permanent(format!(
            "{} of {} records rejected: {}",
            report.rejected.len(),
            report.records,
            reasons.join("; ")
        )));
    }
    Ok(Outcome::Updated)
}

pub(crate) async fn assign_group(
    cx: &Context,
    price_list_id: i64,
    group: i64,
    channel_id: i64,
) -> Result<Outcome, ApplyError> {
    let current = cx
        .client
        .core()
        .price_list_assignments(group, channel_id)
        .await?;
    if current.iter().any(|a| a.price_list_id == price_list_id) {
        return Ok(Outcome::Unchanged);
    }
    let assignment = PriceListAssignment {
        price_list_id,
        customer_group_id: group,
        channel_id,
    };
    cx.client
        .core()
        .assign_price_lists(std::slice::from_ref(&assignment))
        .await?;
    Ok(Outcome::Updated)
}

pub(crate) async fn assign_company(
    cx: &Context,
    store: &str,
    company: &Company,
    price_list_id: i64,
    channel_id: i64,
) -> Result<Outcome, ApplyError> {
    if company
        .price_list_assign
        .iter()
        .any(|p| p.channel_id == Some(channel_id) && p.price_list_id == Some(price_list_id))
    {
        return Ok(Outcome::Unchanged);
    }
    let mut lists: Vec<PriceListAssign> = company
        .price_list_assign
        .iter()
        .filter(|p| p.channel_id != Some(channel_id))
        .cloned()
        .collect();
    lists.push(PriceListAssign {
        channel_id: Some(channel_id),
        price_list_id: Some(price_list_id),
    });
    let fields = CompanyFields {
        price_list_assign: lists,
        ..CompanyFields::default()
    };
    mirror::touch(cx, store, Mirrored::Companies, company.company_id).await?;
    cx.client
        .b2b()
        .update_company(company.company_id, &fields)
        .await?;
    Ok(Outcome::Updated)
}

/// The price-list family: `pricelist.records.upsert` and `pricelist.assign`.
#[derive(Debug, Default)]
pub struct PriceLists;

impl Family for PriceLists {}

impl Apply for price_list::UpsertRecords {
    type Family = PriceLists;

    async fn apply(&self, _: &PriceLists, cx: &Context, cmd: &Command) -> Applied {
        records_upsert(cx, &cmd.store_hash, self.price_list_id, &self.records).await
    }
}

impl Apply for price_list::Assign {
    type Family = PriceLists;

    async fn apply(&self, _: &PriceLists, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        match (self.customer_group_id, &self.company_external_id) {
            (Some(group), _) => assign_group(cx, self.price_list_id, group, self.channel_id).await,
            (None, Some(ext)) => {
                let company = companies::require(cx, store, ext).await?;
                assign_company(cx, store, &company, self.price_list_id, self.channel_id).await
            }
            (None, None) => Err(ApplyError::Permanent("no assignment target".into())),
        }
    }
}
