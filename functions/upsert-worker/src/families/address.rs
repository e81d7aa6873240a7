//! `address.upsert`: find a company address by the id map or its `externalId`, create it, or
//! change only the fields that differ.

use b2b_commands::AddressData;
use bigcommerce_b2b::b2b::AddressFields;
use futures_util::TryStreamExt;
use serde_json::Value;

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::ids::{id_key, Kind};
use crate::engine::lease::LeaseScope;
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::companies;
use crate::lookups::mirror::{self, Mirror, Mirrored};
use b2b_commands::{address, Command};
use std::collections::HashMap;
use std::sync::Mutex;

/// The address the command describes, as BigCommerce takes it.
pub(crate) fn address_fields(external_id: &str, company_id: i64, a: &AddressData) -> AddressFields {
    AddressFields {
        company_id: Some(company_id),
        external_id: Some(external_id.to_owned()),
        first_name: Some(a.first_name.clone()),
        last_name: Some(a.last_name.clone()),
        address_line1: Some(a.line1.clone()),
        address_line2: Some(a.line2.clone().unwrap_or_default()),
        city: Some(a.city.clone()),
        state_name: Some(a.state.clone().unwrap_or_default()),
        zip_code: Some(a.zip_code.clone()),
        country_code: Some(a.country_code.to_ascii_uppercase()),
        // Looked up on create only: an update changes the name with the code.
        country_name: None,
        phone_number: Some(a.phone.clone().unwrap_or_default()),
        label: Some(a.label.clone().unwrap_or_default()),
        is_shipping: Some(a.is_shipping),
        is_billing: Some(a.is_billing),
        is_default_shipping: Some(a.is_default_shipping),
        is_default_billing: Some(a.is_default_billing),
    }
}

/// The address `external_id` names, with the id it was found by: from the mirror when it
/// holds the address as BigCommerce has it (no request), else by the id map, else by a
/// search of the company's addresses by `externalId` (the mapping then recorded).
async fn find_address(
    cx: &Context,
    store: &str,
    key: &str,
    company_id: i64,
    external_id: &str,
) -> Result<Option<(i64, Value)>, ApplyError> {
    let mapped =
        match mirror::mirrored::<Value>(cx, store, Mirrored::Addresses, external_id, key).await? {
            Mirror::Current(a) => match a.get("id").and_then(Value::as_i64) {
                Some(id) => return Ok(Some((id, a))),
                None => cx.state.get_id(key).await?,
            },
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => cx.state.get_id(key).await?,
        };
    if let Some(id) = mapped {
        if let Some(found) = cx.client.b2b().address(id).await? {
            return Ok(Some((id, found)));
        }
    }
    let found: Vec<_> = cx
        .client
        .b2b()
        .addresses(Some(company_id), Some(external_id))
        .try_collect()
        .await?;
    let Some(a) = found
        .into_iter()
        .find(|a| a.external_id.as_deref() == Some(external_id))
    else {
        return Ok(None);
    };
    cx.state.put_id(key, a.id).await?;
    Ok(cx.client.b2b().address(a.id).await?.map(|v| (a.id, v)))
}

async fn address_upsert(
    family: &Addresses,
    cx: &Context,
    store: &str,
    external_id: &str,
    company_id: i64,
    data: &AddressData,
) -> Result<Outcome, ApplyError> {
    let key = id_key(store, Kind::Address, external_id);
    let wanted = address_fields(external_id, company_id, data);
    let Some((id, current)) = find_address(cx, store, &key, company_id, external_id).await? else {
        let create = AddressFields {
            country_name: Some(country_name(family, cx, &data.country_code).await?),
            ..wanted
        };
        mirror::creating(cx, store, Mirrored::Addresses, [external_id]).await?;
        let id = cx.client.b2b().create_address(&create).await?;
        cx.state.put_id(&key, id).await?;
        mirror::touch(cx, store, Mirrored::Addresses, id).await?;
        return Ok(Outcome::Created);
    };
    let diff = wanted.changed_from(&current)?;
    if diff == AddressFields::default() {
        return Ok(Outcome::Unchanged);
    }
    mirror::touch(cx, store, Mirrored::Addresses, id).await?;
    cx.client.b2b().update_address(id, &diff).await?;
    Ok(Outcome::Updated)
}

/// The name BigCommerce gives the country `iso_code` (address creation requires it), asked
/// once per code and warm container.
async fn country_name(
    family: &Addresses,
    cx: &Context,
    iso_code: &str,
) -> Result<String, ApplyError> {
    let code = iso_code.to_ascii_uppercase();
    let cached = family
        .countries
        .lock()
        .ok()
        .and_then(|m| m.get(&code).cloned());
    if let Some(name) = cached {
        return Ok(name);
    }
    let country = cx.client.b2b().country(&code).await?.ok_or_else(|| {
        ApplyError::Permanent(format!(
            "country code `{code}` is not a country BigCommerce knows (GET /countries)"
        ))
    })?;
    // A poisoned cache only costs the next lookup.
    if let Ok(mut m) = family.countries.lock() {
        m.insert(code, country.country_name.clone());
    }
    Ok(country.country_name)
}

/// The address family: `address.upsert`, with the country names BigCommerce gives ISO codes
/// (asked once per code and warm container). A company's addresses are applied side by side,
/// each address once at a time.
#[derive(Debug, Default)]
pub struct Addresses {
    countries: Mutex<HashMap<String, String>>,
}

impl Family for Addresses {
    const LEASE: LeaseScope = LeaseScope::Entity;
}

impl Apply for address::Upsert {
    type Family = Addresses;

    async fn apply(&self, family: &Addresses, cx: &Context, cmd: &Command) -> Applied {
        let store = cmd.store_hash.as_str();
        let company_id = companies::require_id(cx, store, &self.company_external_id).await?;
        address_upsert(
            family,
            cx,
            store,
            &cmd.external_id,
            company_id,
            &self.address,
        )
        .await
    }

    async fn edited_elsewhere(&self, cx: &Context, cmd: &Command) -> Result<bool, ApplyError> {
        mirror::edited_elsewhere(cx, &cmd.store_hash, Mirrored::Addresses, &cmd.external_id).await
    }
}
