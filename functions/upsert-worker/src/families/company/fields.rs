//! The company fields a `company.upsert` writes, shared by its create and its update: the
//! external-id and other extra fields, the price lists, and the country and address (compared
//! by a digest of what was last written, as the spec's company reads leave them out).

use b2b_commands::CompanyData;
use bigcommerce_b2b::b2b::{CompanyFields, ExtraField, PriceListAssign};

use crate::engine::context::Context;
use crate::engine::ids::{digest_of, some_text};

pub(crate) fn company_extra_fields(
    cx: &Context,
    external_id: &str,
    data: &CompanyData,
) -> Vec<ExtraField> {
    let mut fields = vec![ExtraField {
        field_name: cx.external_id_field.clone(),
        field_value: Some(external_id.to_owned()),
    }];
    for (k, v) in &data.extra_fields {
        if *k != cx.external_id_field {
            fields.push(ExtraField {
                field_name: k.clone(),
                field_value: Some(v.clone()),
            });
        }
    }
    fields
}

pub(crate) fn price_list_assign(data: &CompanyData) -> Vec<PriceListAssign> {
    data.price_lists
        .iter()
        .map(|p| PriceListAssign {
            channel_id: Some(p.channel_id),
            price_list_id: Some(p.price_list_id),
        })
        .collect()
}

/// The country and address of the command, as the company update takes them.
pub(crate) fn location_fields(data: &CompanyData) -> CompanyFields {
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

/// The id-map entry holding the digest of a company's last written country and address.
pub(crate) fn location_key(company_key: &str) -> String {
    format!("{company_key}#location")
}

/// A digest of the country and address in `fields` (`None` when it has neither).
pub(crate) fn location_digest(fields: &CompanyFields) -> Option<i64> {
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
