//! `address.upsert`: find a company address by the id map or its `externalId`, create it, or
//! change only the fields that differ.

use b2b_commands::AddressData;
use bigcommerce_b2b::b2b::AddressFields;
use futures_util::TryStreamExt;
use serde_json::Value;

use super::mirror::{Mirror, Mirrored};
use super::{id_key, Applier, ApplyError, Kind, Outcome};

impl Applier {
    /// The address the command describes, as BigCommerce takes it.
    pub(super) fn address_fields(
        external_id: &str,
        company_id: i64,
        a: &AddressData,
    ) -> AddressFields {
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
        &self,
        store: &str,
        key: &str,
        company_id: i64,
        external_id: &str,
    ) -> Result<Option<(i64, Value)>, ApplyError> {
        let mapped = match self
            .mirrored::<Value>(store, Mirrored::Addresses, external_id, key)
            .await?
        {
            Mirror::Current(a) => match a.get("id").and_then(Value::as_i64) {
                Some(id) => return Ok(Some((id, a))),
                None => self.state.get_id(key).await?,
            },
            Mirror::Absent => return Ok(None),
            Mirror::Stale(id) => Some(id),
            Mirror::Unknown => self.state.get_id(key).await?,
        };
        if let Some(id) = mapped {
            if let Some(found) = self.client.b2b().address(id).await? {
                return Ok(Some((id, found)));
            }
        }
        let found: Vec<_> = self
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
        self.state.put_id(key, a.id).await?;
        Ok(self.client.b2b().address(a.id).await?.map(|v| (a.id, v)))
    }

    pub(super) async fn address_upsert(
        &self,
        store: &str,
        external_id: &str,
        company_id: i64,
        data: &AddressData,
    ) -> Result<Outcome, ApplyError> {
        let key = id_key(store, Kind::Address, external_id);
        let wanted = Self::address_fields(external_id, company_id, data);
        let Some((id, current)) = self
            .find_address(store, &key, company_id, external_id)
            .await?
        else {
            let create = AddressFields {
                country_name: Some(self.country_name(&data.country_code).await?),
                ..wanted
            };
            self.creating(store, Mirrored::Addresses, [external_id])
                .await?;
            let id = self.client.b2b().create_address(&create).await?;
            self.state.put_id(&key, id).await?;
            self.touch(store, Mirrored::Addresses, id).await?;
            return Ok(Outcome::Created);
        };
        let diff = wanted.changed_from(&current)?;
        if diff == AddressFields::default() {
            return Ok(Outcome::Unchanged);
        }
        self.touch(store, Mirrored::Addresses, id).await?;
        self.client.b2b().update_address(id, &diff).await?;
        Ok(Outcome::Updated)
    }

    /// The name BigCommerce gives the country `iso_code` (address creation requires it), asked
    /// once per code and warm container.
    async fn country_name(&self, iso_code: &str) -> Result<String, ApplyError> {
        let code = iso_code.to_ascii_uppercase();
        let cached = self
            .countries
            .lock()
            .ok()
            .and_then(|m| m.get(&code).cloned());
        if let Some(name) = cached {
            return Ok(name);
        }
        let country = self.client.b2b().country(&code).await?.ok_or_else(|| {
            ApplyError::Permanent(format!(
                "country code `{code}` is not a country BigCommerce knows (GET /countries)"
            ))
        })?;
        // A poisoned cache only costs the next lookup.
        if let Ok(mut m) = self.countries.lock() {
            m.insert(code, country.country_name.clone());
        }
        Ok(country.country_name)
    }
}
