//! B2B company addresses: the address model, its create and update fields, the countries
//! addresses are named by, and the `/addresses` and `/countries` calls. The list's `data` is
//! read as an array or, as address.yaml declares it, one address object.

use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{data, found, get_found, post, put, B2b};
use crate::client::ApiRequest;
use crate::error::{Api, BcError};
use crate::lenient;
use crate::pagination::{b2b_object_or_list_pages, items};

/// The largest page of `GET /addresses`: its spec declares `limit` with an exclusive maximum of
/// 250 (the other B2B lists take 250).
pub const ADDRESSES_MAX_LIMIT: u32 = 249;

/// The body of `POST /addresses` and `PUT /addresses/{id}`: only the fields that are set are
/// sent, so an update carries just what changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressFields {
    /// The company (required on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    /// The integrating system's id of the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Recipient's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Recipient's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// First address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_name: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// The country's name as BigCommerce spells it (required on create; see
    /// [`B2b::country`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// A label for the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Usable for shipping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_shipping: Option<bool>,
    /// Usable for billing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_billing: Option<bool>,
    /// The company's default shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default_shipping: Option<bool>,
    /// The company's default billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default_billing: Option<bool>,
}

impl AddressFields {
    /// The fields of `self` whose value differs from the address `current` (an address answer
    /// as JSON), leaving out `companyId` (an address does not move between companies).
    pub fn changed_from(&self, current: &Value) -> Result<AddressFields, BcError> {
        let wanted = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let diff: Map<String, Value> = wanted
            .into_iter()
            .filter(|(k, v)| k != "companyId" && current.get(k) != Some(v))
            .collect();
        serde_json::from_value(Value::Object(diff))
            .map_err(|e| BcError::InvalidRequest(format!("address fields: {e}")))
    }
}

/// A country of `GET /countries`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Country {
    /// Two-letter ISO code.
    pub country_code: String,
    /// The name addresses use.
    pub country_name: String,
}

/// A company address. Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The address id.
    #[serde(alias = "addressId", deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The company.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_id: Option<i64>,
    /// The source system's id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_id: Option<String>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl B2b<'_> {
    /// `GET /addresses` of one company (or all, with `None`), optionally by external id (the
    /// spec's filter is named `externalId[]`; an unknown `externalId` would be ignored and list
    /// every address). address.yaml declares the answer's `data` one address object, while the
    /// list answers an array (as every B2B list does): both are read.
    pub fn addresses(
        &self,
        company_id: Option<i64>,
        external_id: Option<&str>,
    ) -> impl Stream<Item = Result<Address, BcError>> + Send + 'static {
        let mut q = Vec::new();
        if let Some(c) = company_id {
            q.push(("companyId".to_owned(), c.to_string()));
        }
        if let Some(e) = external_id {
            q.push(("externalId[]".to_owned(), e.to_owned()));
        }
        items(b2b_object_or_list_pages(
            self.client,
            "/addresses",
            q,
            ADDRESSES_MAX_LIMIT,
        ))
    }

    /// `GET /addresses?minModified={since}` across every company (all addresses with `None`):
    /// the delta read of a mirror.
    pub fn addresses_modified_since(
        &self,
        since: Option<i64>,
    ) -> impl Stream<Item = Result<Address, BcError>> + Send + 'static {
        let q = since
            .map(|t| vec![("minModified".to_owned(), t.to_string())])
            .unwrap_or_default();
        items(b2b_object_or_list_pages(
            self.client,
            "/addresses",
            q,
            ADDRESSES_MAX_LIMIT,
        ))
    }

    /// `GET /countries?searchType=1&q={code}`: the country with that ISO code, as BigCommerce
    /// names it (address creation requires `countryName`); `None` when it knows no such code.
    pub async fn country(&self, iso_code: &str) -> Result<Option<Country>, BcError> {
        let req = ApiRequest::get(Api::B2b, "/countries")
            .query("searchType", 1)
            .query("q", iso_code);
        found(data(self.client, req).await)
    }

    /// `GET /addresses/{id}` (as JSON); `None` when it does not exist.
    pub async fn address(&self, id: i64) -> Result<Option<Value>, BcError> {
        get_found(self.client, format!("/addresses/{id}")).await
    }

    /// `POST /addresses`; returns the new id.
    pub async fn create_address(&self, body: &AddressFields) -> Result<i64, BcError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            #[serde(alias = "id", deserialize_with = "lenient::i64")]
            address_id: i64,
        }
        let c: Created = post(self.client, "/addresses", body).await?;
        Ok(c.address_id)
    }

    /// `PUT /addresses/{id}`.
    pub async fn update_address(&self, id: i64, body: &AddressFields) -> Result<(), BcError> {
        put(self.client, format!("/addresses/{id}"), body).await
    }
}
