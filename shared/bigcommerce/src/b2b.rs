//! Typed B2B Edition resources: companies, users (buyers), addresses, quotes and orders.
//!
//! Models decode leniently: ids and statuses may come as strings or numbers, unknown fields are
//! ignored (or kept in `extra` where an export passes them on), and `null` lists are empty.

use futures_util::{Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{ApiRequest, BcClient};
use super::error::{Api, BcError};
use super::lenient;
use super::pagination::{
    b2b_page, b2b_pages, b2b_quote_page, b2b_quote_pages, items, B2B_MAX_LIMIT,
};

/// The largest page of `GET /addresses`: its spec declares `limit` with an exclusive maximum of
/// 250 (the other B2B lists take 250).
pub const ADDRESSES_MAX_LIMIT: u32 = 249;

/// The most items a B2B bulk endpoint (`/companies/bulk`, `/users/bulk`, `/addresses/bulk`)
/// takes in one request; more is refused with 413.
pub const B2B_BULK_MAX: usize = 10;

/// `{code, meta, data}`: the envelope of a B2B single-object answer.
#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

pub(crate) async fn data<T: serde::de::DeserializeOwned>(
    client: &BcClient,
    req: ApiRequest,
) -> Result<T, BcError> {
    Ok(client.send::<Data<T>>(req).await?.data)
}

/// Turns a 404 into `None`.
pub(crate) fn found<T>(r: Result<T, BcError>) -> Result<Option<T>, BcError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(BcError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sort direction of B2B lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SortOrder {
    /// Oldest or smallest first.
    Asc,
    /// Newest or largest first (the B2B default).
    Desc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// A company's account status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompanyStatus {
    /// 0: awaiting approval.
    Pending,
    /// 1: active.
    Approved,
    /// 2: refused.
    Rejected,
    /// 3: deactivated.
    Inactive,
}

impl CompanyStatus {
    /// The numeric code the API uses.
    pub fn code(self) -> i64 {
        match self {
            CompanyStatus::Pending => 0,
            CompanyStatus::Approved => 1,
            CompanyStatus::Rejected => 2,
            CompanyStatus::Inactive => 3,
        }
    }

    /// The status of a numeric code.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => CompanyStatus::Pending,
            1 => CompanyStatus::Approved,
            2 => CompanyStatus::Rejected,
            3 => CompanyStatus::Inactive,
            _ => return None,
        })
    }
}

/// A custom field value on a company, user or address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraField {
    /// The field's name as configured in B2B Edition.
    pub field_name: String,
    /// Its value (numbers arrive as strings too).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub field_value: Option<String>,
}

/// A price list assigned to a company on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceListAssign {
    /// The channel.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub channel_id: Option<i64>,
    /// The price list.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub price_list_id: Option<i64>,
}

/// A B2B company as the API returns it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// The company id (a string in most answers).
    #[serde(deserialize_with = "lenient::i64")]
    pub company_id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_name: Option<String>,
    /// Contact email.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_email: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_phone: Option<String>,
    /// Status code 0..3 (a string in answers).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_status: Option<i64>,
    /// The BigCommerce customer group (string or integer).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub bc_group_id: Option<i64>,
    /// The catalog.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub catalog_id: Option<i64>,
    /// The company's UUID (can carry an external id).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uuid: Option<String>,
    /// Unix seconds (a string in answers).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Unix seconds (a string in answers).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Address line 1.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address_line1: Option<String>,
    /// Address line 2.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub city: Option<String>,
    /// State.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub zip_code: Option<String>,
    /// Country.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub country: Option<String>,
    /// Custom fields (included when asked for).
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub extra_fields: Vec<ExtraField>,
    /// Price lists per channel.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub price_list_assign: Vec<PriceListAssign>,
    /// Its parent in an account hierarchy (absent, or id 0, at the top).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_company: Option<ParentCompany>,
}

/// A company's parent in its account hierarchy (`parentCompany`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentCompany {
    /// The parent's company id (0: none).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
}

impl Company {
    /// The parent company's id, when it has one.
    pub fn parent_id(&self) -> Option<i64> {
        self.parent_company
            .as_ref()
            .and_then(|p| p.id)
            .filter(|id| *id > 0)
    }

    /// The value of the extra field `name`, if set.
    pub fn extra_field(&self, name: &str) -> Option<&str> {
        self.extra_fields
            .iter()
            .find(|f| f.field_name == name)
            .and_then(|f| f.field_value.as_deref())
    }

    /// The status, if its code is known.
    pub fn status(&self) -> Option<CompanyStatus> {
        self.company_status.and_then(CompanyStatus::from_code)
    }
}

/// Fields of a company create or update; `None` fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyFields {
    /// Name (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Phone (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_phone: Option<String>,
    /// Email (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_email: Option<String>,
    /// Country (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Address line 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Address line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// Customer group (independent-companies stores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_group_id: Option<i64>,
    /// Catalog (the price list the company's buyers see): an integer in the create, while
    /// `PUT /companies/{id}/catalogs` takes the string ([`B2b::set_company_catalog`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<i64>,
    /// Admin first name (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_first_name: Option<String>,
    /// Admin last name (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_last_name: Option<String>,
    /// Admin email (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_email: Option<String>,
    /// Admin phone (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_phone_number: Option<String>,
    /// Custom fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_fields: Vec<ExtraField>,
    /// Price lists per channel (dependent-companies stores; update only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub price_list_assign: Vec<PriceListAssign>,
}

/// A company extra field's definition (`GET /companies/extra-fields`): the fields an integration
/// may set, such as the one carrying the ERP's id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraFieldConfig {
    /// The field's name, as commands and filters use it.
    pub field_name: String,
    /// `0` text, `1` multi-line text, `2` number, `3` dropdown.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub field_type: Option<i64>,
    /// Whether two companies may not share a value.
    #[serde(default)]
    pub is_unique: Option<bool>,
    /// Whether a company cannot be created without it.
    #[serde(default)]
    pub is_required: Option<bool>,
}

/// A company user role (`GET /companies/roles`): the predefined ones (`roleType` 1) and the
/// store's custom ones (2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyRole {
    /// The role's id (a user's `companyRoleId`).
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// 1 predefined, 2 custom.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub role_type: Option<i64>,
}

/// What creating a company returns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyCreated {
    /// The new company.
    #[serde(deserialize_with = "lenient::i64")]
    pub company_id: i64,
    /// The admin's BigCommerce customer id.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_id: Option<i64>,
    /// The company's customer group.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_group_id: Option<i64>,
}

/// Filters of `GET /companies`.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
    /// Modified at or before (unix seconds).
    pub max_modified: Option<i64>,
    /// Created at or after (unix seconds).
    pub min_created: Option<i64>,
    /// Only this status.
    pub status: Option<CompanyStatus>,
    /// Name search.
    pub q: Option<String>,
    /// Extra field `name:value` pairs.
    pub extra_fields: Vec<(String, String)>,
    /// Exact match on extra fields instead of a contains-search.
    pub extra_fields_exact: bool,
    /// Customer group.
    pub bc_group_id: Option<i64>,
    /// Companies with this customer as a user.
    pub customer_id: Option<i64>,
    /// Sort by `updatedAt` (true) or `companyName` (false); `None` keeps the API default.
    pub sort_by_updated: Option<bool>,
    /// Sort order.
    pub order: Option<SortOrder>,
    /// Include extra fields in the answer.
    pub include_extra_fields: bool,
}

impl CompanyFilter {
    fn query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        let mut push = |k: &str, v: String| q.push((k.to_owned(), v));
        if let Some(v) = self.min_modified {
            push("minModified", v.to_string())
        }
        if let Some(v) = self.max_modified {
            push("maxModified", v.to_string())
        }
        if let Some(v) = self.min_created {
            push("minCreated", v.to_string())
        }
        if let Some(v) = self.status {
            push("companyStatus", v.code().to_string())
        }
        if let Some(v) = &self.q {
            push("q", v.clone())
        }
        for (name, value) in &self.extra_fields {
            push("extraFields", format!("{name}:{value}"));
        }
        if self.extra_fields_exact {
            push("extraFieldFilterType", "exact-match".into())
        }
        if let Some(v) = self.bc_group_id {
            push("bcGroupId", v.to_string())
        }
        if let Some(v) = self.customer_id {
            push("customerId", v.to_string())
        }
        if let Some(v) = self.sort_by_updated {
            push("sortBy", if v { "updatedAt" } else { "companyName" }.into())
        }
        if let Some(v) = self.order {
            push("orderBy", v.as_str().into())
        }
        if self.include_extra_fields {
            push("isIncludeExtraFields", "1".into())
        }
        q
    }
}

/// A buyer (company user).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The B2B user id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// The BigCommerce customer id (not the user id).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_id: Option<i64>,
    /// The company.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_id: Option<i64>,
    /// Email.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// First name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub last_name: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub phone_number: Option<String>,
    /// 0 admin, 1 senior buyer, 2 junior buyer.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub role: Option<i64>,
    /// Custom role, overriding `role`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_role_id: Option<i64>,
    /// UUID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uuid: Option<String>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Custom fields.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub extra_fields: Vec<ExtraField>,
}

/// A buyer's role in its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerRole {
    /// 0.
    Admin,
    /// 1.
    SeniorBuyer,
    /// 2.
    JuniorBuyer,
}

impl BuyerRole {
    /// The numeric code the API uses.
    pub fn code(self) -> i64 {
        match self {
            BuyerRole::Admin => 0,
            BuyerRole::SeniorBuyer => 1,
            BuyerRole::JuniorBuyer => 2,
        }
    }
}

/// Fields of a user create or update; `None` fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFields {
    /// First name (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Email (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Company (required on create, read-only after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    /// Role code (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<i64>,
    /// A company user role by id (`GET /companies/roles`); overrides `role`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_role_id: Option<i64>,
    /// Channels the buyer may use (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_ids: Option<Vec<i64>>,
    /// Custom fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_fields: Vec<ExtraField>,
}

/// What creating a user returns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCreated {
    /// The new B2B user.
    #[serde(deserialize_with = "lenient::i64")]
    pub user_id: i64,
    /// Its BigCommerce customer id.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub bc_id: Option<i64>,
}

/// Filters of `GET /users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this company's users.
    pub company_id: Option<i64>,
    /// Only this email.
    pub email: Option<String>,
    /// Free-text search.
    pub q: Option<String>,
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
}

impl UserFilter {
    fn query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.company_id {
            q.push(("companyId".into(), v.to_string()))
        }
        if let Some(v) = &self.email {
            q.push(("email".into(), v.clone()))
        }
        if let Some(v) = &self.q {
            q.push(("q".into(), v.clone()))
        }
        if let Some(v) = self.min_modified {
            q.push(("minModified".into(), v.to_string()))
        }
        q
    }
}

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

/// The currency of a quote (`POST /rfq`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteCurrency {
    /// ISO 4217 code, upper case.
    pub currency_code: String,
}

/// Who a quote is for (`POST /rfq`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteContact {
    /// The buyer's name.
    pub name: String,
    /// The buyer's email.
    pub email: String,
}

/// One line of a quote (`POST /rfq` `productList[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLineFields {
    /// The variant's SKU.
    pub sku: String,
    /// The product.
    pub product_id: i64,
    /// The variant, when the product has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Catalog price per unit.
    pub base_price: f64,
    /// Offered price per unit.
    pub offered_price: f64,
    /// `base_price - offered_price`.
    pub discount: f64,
    /// Quantity.
    pub quantity: i64,
}

/// The body of `POST /rfq`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteFields {
    /// The company the quote is for.
    pub company_id: i64,
    /// The integrating system's reference (the toolkit puts the external id here).
    pub reference_number: String,
    /// Title.
    pub quote_title: String,
    /// Notes to the buyer.
    pub notes: String,
    /// Expiry date, `MM/DD/YYYY`.
    pub expired_at: String,
    /// Currency.
    pub currency: QuoteCurrency,
    /// The buyer.
    pub contact_info: QuoteContact,
    /// Sum of base prices.
    pub subtotal: f64,
    /// `subtotal - grand_total`.
    pub discount: f64,
    /// Sum of offered prices.
    pub grand_total: f64,
    /// The amount to pay.
    pub total_amount: f64,
    /// The lines.
    pub product_list: Vec<QuoteLineFields>,
}

/// The body of `PUT /rfq/{id}`: only the fields that are set are sent. The spec's update has no
/// status (an order is linked with [`B2b::quote_ordered`]); lines are replaced as a whole, so
/// `product_list` holds every line to keep, with the totals that go with them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteUpdate {
    /// New expiry date, `MM/DD/YYYY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<String>,
    /// Every line the quote keeps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_list: Option<Vec<QuoteLineFields>>,
    /// Sum of base prices of `product_list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<f64>,
    /// `subtotal - grand_total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Sum of offered prices of `product_list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grand_total: Option<f64>,
}

impl QuoteUpdate {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &QuoteUpdate::default()
    }
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

/// A quote (request for quote). Fields beyond the ones named are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quote id.
    #[serde(alias = "id", deserialize_with = "lenient::i64")]
    pub quote_id: i64,
    /// 0 New, 2 In process, 3 Updated by customer, 4 Ordered, 5 Expired, 6 Archived, 7 Draft.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// Display number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub quote_number: Option<String>,
    /// The BigCommerce order it became, if any.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub bc_order_id: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One line of a quote detail (`GET /rfq/{id}` `productList[]`), numbers read leniently.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDetailLine {
    /// The variant's SKU.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sku: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quantity: Option<i64>,
    /// Catalog price per unit.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub base_price: Option<f64>,
    /// Offered price per unit.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub offered_price: Option<f64>,
}

/// What the toolkit reads of a quote detail (`GET /rfq/{id}`), which carries no id of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDetail {
    /// The lines.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub product_list: Vec<QuoteDetailLine>,
    /// Expiry: unix seconds or `MM/DD/YYYY`, as answers differ.
    #[serde(default)]
    pub expired_at: Option<Value>,
}

impl QuoteDetail {
    /// Reads the detail of quote `id`; an answer that does not read is a decode error naming it.
    pub fn read(id: i64, detail: &Value) -> Result<QuoteDetail, BcError> {
        QuoteDetail::deserialize(detail).map_err(|e| BcError::Decode {
            api: Api::B2b,
            what: format!("GET /rfq/{id}"),
            reason: e.to_string(),
        })
    }

    /// The expiry day, when the answer gives one that reads.
    pub fn expires_on(&self) -> Option<chrono::NaiveDate> {
        match self.expired_at.as_ref()? {
            Value::Number(n) => {
                chrono::DateTime::from_timestamp(n.as_i64()?, 0).map(|t| t.date_naive())
            }
            Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%m/%d/%Y")
                .ok()
                .or_else(|| {
                    let secs = s.trim().parse().ok()?;
                    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.date_naive())
                }),
            _ => None,
        }
    }
}

/// Filters of `GET /rfq`.
#[derive(Debug, Clone, Default)]
pub struct QuoteFilter {
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
    /// Modified at or before (unix seconds).
    pub max_modified: Option<i64>,
    /// Created at or after (unix seconds).
    pub min_created: Option<i64>,
    /// Created at or before (unix seconds).
    pub max_created: Option<i64>,
    /// Only this status.
    pub status: Option<i64>,
    /// Only quotes of companies whose name contains this (BigCommerce matches partially).
    pub company: Option<String>,
    /// Sort by `updatedAt` ascending (for incremental reads).
    pub oldest_first: bool,
}

/// A quote's creation time as the `date` that `GET /rfq/{id}` requires: the UTC day, `%m/%d/%Y`.
pub fn quote_date(created_at: i64) -> Result<String, BcError> {
    chrono::DateTime::from_timestamp(created_at, 0)
        .map(|t| t.format("%m/%d/%Y").to_string())
        .ok_or_else(|| {
            BcError::InvalidRequest(format!("quote creation time {created_at} is not a date"))
        })
}

impl QuoteFilter {
    fn query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.min_modified {
            q.push(("minModified".into(), v.to_string()))
        }
        if let Some(v) = self.max_modified {
            q.push(("maxModified".into(), v.to_string()))
        }
        if let Some(v) = self.min_created {
            q.push(("minCreated".into(), v.to_string()))
        }
        if let Some(v) = self.max_created {
            q.push(("maxCreated".into(), v.to_string()))
        }
        if let Some(v) = self.status {
            q.push(("status".into(), v.to_string()))
        }
        if let Some(v) = &self.company {
            q.push(("company".into(), v.clone()))
        }
        if self.oldest_first {
            q.push(("sortBy".into(), "updatedAt".into()));
            q.push(("orderBy".into(), "asc".into()));
        }
        q
    }
}

/// The B2B view of a core order, addressed by `bcOrderId`. Other fields are kept in `extra`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct B2bOrder {
    /// The core order id.
    #[serde(deserialize_with = "lenient::i64")]
    pub bc_order_id: i64,
    /// The company that placed it.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_id: Option<i64>,
    /// Purchase order number.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub po_number: Option<String>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub updated_at: Option<i64>,
    /// Everything else, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters of `GET /orders` (B2B). Ask for ascending order: the API defaults to newest first.
#[derive(Debug, Clone, Default)]
pub struct B2bOrderFilter {
    /// Only this company's orders.
    pub company_id: Option<i64>,
    /// Modified at or after (unix seconds).
    pub min_modified: Option<i64>,
    /// Modified at or before (unix seconds).
    pub max_modified: Option<i64>,
    /// Sort by `updatedAt` ascending.
    pub oldest_first: bool,
}

impl B2bOrderFilter {
    fn query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.company_id {
            q.push(("companyId".into(), v.to_string()))
        }
        if let Some(v) = self.min_modified {
            q.push(("minModified".into(), v.to_string()))
        }
        if let Some(v) = self.max_modified {
            q.push(("maxModified".into(), v.to_string()))
        }
        if self.oldest_first {
            q.push(("sortBy".into(), "updatedAt".into()));
            q.push(("orderBy".into(), "ASC".into()));
        }
        q
    }
}

/// B2B Edition API calls.
#[derive(Debug, Clone)]
pub struct B2b<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// The B2B Edition API of this store.
    pub fn b2b(&self) -> B2b<'_> {
        B2b { client: self }
    }
}

impl B2b<'_> {
    /// `GET /companies` as a stream of companies.
    pub fn companies(
        &self,
        filter: &CompanyFilter,
    ) -> impl Stream<Item = Result<Company, BcError>> + Send + 'static {
        items(b2b_pages(
            self.client,
            "/companies",
            filter.query(),
            B2B_MAX_LIMIT,
        ))
    }

    /// The companies whose extra field `field` is exactly `value` (the API's filter, then
    /// checked on each answer, since the filter's matching is the API's), oldest first.
    pub async fn companies_with_extra_field(
        &self,
        field: &str,
        value: &str,
    ) -> Result<Vec<Company>, BcError> {
        let filter = CompanyFilter {
            extra_fields: vec![(field.to_owned(), value.to_owned())],
            extra_fields_exact: true,
            include_extra_fields: true,
            ..CompanyFilter::default()
        };
        let found: Vec<Company> = self.companies(&filter).try_collect().await?;
        let mut matching: Vec<Company> = found
            .into_iter()
            .filter(|c| c.extra_field(field) == Some(value))
            .collect();
        matching.sort_by_key(|c| (c.created_at.unwrap_or(i64::MAX), c.company_id));
        Ok(matching)
    }

    /// One page of `GET /companies` starting at `offset`, in the filter's order: for callers
    /// that keep their own position between runs.
    pub async fn companies_page(
        &self,
        filter: &CompanyFilter,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Company>, BcError> {
        let query = filter.query();
        Ok(b2b_page(self.client, "/companies", &query, offset, limit)
            .await?
            .0)
    }

    /// `GET /companies/{id}`; `None` when it does not exist.
    pub async fn company(&self, id: i64) -> Result<Option<Company>, BcError> {
        found(
            data(
                self.client,
                ApiRequest::get(Api::B2b, format!("/companies/{id}")),
            )
            .await,
        )
    }

    /// `POST /companies`.
    pub async fn create_company(&self, fields: &CompanyFields) -> Result<CompanyCreated, BcError> {
        data(
            self.client,
            ApiRequest::new(Api::B2b, Method::POST, "/companies").json(fields)?,
        )
        .await
    }

    /// `POST /companies/bulk`: creates up to [`B2B_BULK_MAX`] companies in one request and returns
    /// their ids in request order. An error may leave some of them created (BigCommerce's 400
    /// means "creation failed for some companies"), so a caller that falls back to one-by-one
    /// creates must look each company up first.
    pub async fn create_companies(&self, companies: &[CompanyFields]) -> Result<Vec<i64>, BcError> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(deserialize_with = "lenient::i64", rename = "companyId")]
            company_id: i64,
        }
        #[derive(Deserialize)]
        struct Bulk {
            #[serde(default)]
            meta: Vec<Created>,
        }
        if companies.len() > B2B_BULK_MAX {
            return Err(BcError::InvalidRequest(format!(
                "{} companies in one bulk create; at most {B2B_BULK_MAX}",
                companies.len()
            )));
        }
        let req = ApiRequest::new(Api::B2b, Method::POST, "/companies/bulk").json(companies)?;
        let bulk: Bulk = self.client.send(req).await?;
        Ok(bulk.meta.into_iter().map(|c| c.company_id).collect())
    }

    /// `PUT /companies/{id}`.
    pub async fn update_company(&self, id: i64, fields: &CompanyFields) -> Result<(), BcError> {
        let req =
            ApiRequest::new(Api::B2b, Method::PUT, format!("/companies/{id}")).json(fields)?;
        self.client.execute(&req).await.map(drop)
    }

    /// `PUT /companies/{id}/status`.
    pub async fn set_company_status(&self, id: i64, status: CompanyStatus) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::PUT, format!("/companies/{id}/status"))
            .json(&serde_json::json!({ "companyStatus": status.code() }))?;
        self.client.execute(&req).await.map(drop)
    }

    /// `PUT /companies/{id}/catalogs`: the price list the company's buyers see (`catalogId`, a
    /// string in the spec). Stores on Independent Companies behavior answer 405
    /// ([`BcError::Rejected`]): there the catalog follows the company's customer group.
    pub async fn set_company_catalog(&self, id: i64, catalog_id: i64) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::PUT, format!("/companies/{id}/catalogs"))
            .json(&serde_json::json!({ "catalogId": catalog_id.to_string() }))?;
        self.client.execute(&req).await.map(drop)
    }

    /// `DELETE /companies/{id}`.
    pub async fn delete_company(&self, id: i64) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::DELETE, format!("/companies/{id}"));
        self.client.execute(&req).await.map(drop)
    }

    /// `GET /companies/extra-fields`: every company extra field defined, all pages.
    pub fn company_extra_fields(
        &self,
    ) -> impl Stream<Item = Result<ExtraFieldConfig, BcError>> + Send + 'static {
        items(b2b_pages(
            self.client,
            "/companies/extra-fields",
            Vec::new(),
            B2B_MAX_LIMIT,
        ))
    }

    /// `GET /companies/roles`: every company user role, all pages.
    pub fn company_roles(
        &self,
    ) -> impl Stream<Item = Result<CompanyRole, BcError>> + Send + 'static {
        items(b2b_pages(
            self.client,
            "/companies/roles",
            Vec::new(),
            B2B_MAX_LIMIT,
        ))
    }

    /// `GET /users` as a stream of users.
    pub fn users(
        &self,
        filter: &UserFilter,
    ) -> impl Stream<Item = Result<User, BcError>> + Send + 'static {
        items(b2b_pages(
            self.client,
            "/users",
            filter.query(),
            B2B_MAX_LIMIT,
        ))
    }

    /// `GET /users/{id}`; `None` when it does not exist.
    pub async fn user(&self, id: i64) -> Result<Option<User>, BcError> {
        found(
            data(
                self.client,
                ApiRequest::get(Api::B2b, format!("/users/{id}")),
            )
            .await,
        )
    }

    /// `GET /users/customer/{customerId}`: the user behind a BigCommerce customer.
    pub async fn user_by_customer(&self, customer_id: i64) -> Result<Option<User>, BcError> {
        found(
            data(
                self.client,
                ApiRequest::get(Api::B2b, format!("/users/customer/{customer_id}")),
            )
            .await,
        )
    }

    /// `POST /users`.
    pub async fn create_user(&self, fields: &UserFields) -> Result<UserCreated, BcError> {
        data(
            self.client,
            ApiRequest::new(Api::B2b, Method::POST, "/users").json(fields)?,
        )
        .await
    }

    /// `POST /users/bulk`: creates up to [`B2B_BULK_MAX`] buyers in one request and returns them
    /// in request order. A refused request (422) is not known to have created none of them, so
    /// a caller that falls back to one-by-one creates must look each buyer up first.
    pub async fn create_users(&self, users: &[UserFields]) -> Result<Vec<UserCreated>, BcError> {
        if users.len() > B2B_BULK_MAX {
            return Err(BcError::InvalidRequest(format!(
                "{} users in one bulk create; at most {B2B_BULK_MAX}",
                users.len()
            )));
        }
        data(
            self.client,
            ApiRequest::new(Api::B2b, Method::POST, "/users/bulk").json(users)?,
        )
        .await
    }

    /// `PUT /users/{id}`.
    pub async fn update_user(&self, id: i64, fields: &UserFields) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::PUT, format!("/users/{id}")).json(fields)?;
        self.client.execute(&req).await.map(drop)
    }

    /// `GET /addresses` of one company (or all, with `None`), optionally by external id (the
    /// spec's filter is named `externalId[]`; an unknown `externalId` would be ignored and list
    /// every address).
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
        items(b2b_pages(self.client, "/addresses", q, ADDRESSES_MAX_LIMIT))
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
        items(b2b_pages(self.client, "/addresses", q, ADDRESSES_MAX_LIMIT))
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
        found(
            data(
                self.client,
                ApiRequest::get(Api::B2b, format!("/addresses/{id}")),
            )
            .await,
        )
    }

    /// `POST /addresses`; returns the new id.
    pub async fn create_address(&self, body: &AddressFields) -> Result<i64, BcError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            #[serde(alias = "id", deserialize_with = "lenient::i64")]
            address_id: i64,
        }
        let c: Created = data(
            self.client,
            ApiRequest::new(Api::B2b, Method::POST, "/addresses").json(body)?,
        )
        .await?;
        Ok(c.address_id)
    }

    /// `PUT /addresses/{id}`.
    pub async fn update_address(&self, id: i64, body: &AddressFields) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::PUT, format!("/addresses/{id}")).json(body)?;
        self.client.execute(&req).await.map(drop)
    }

    /// `GET /rfq` as a stream of quotes.
    pub fn quotes(
        &self,
        filter: &QuoteFilter,
    ) -> impl Stream<Item = Result<Quote, BcError>> + Send + 'static {
        items(b2b_quote_pages(self.client, filter.query(), B2B_MAX_LIMIT))
    }

    /// One page of `GET /rfq` starting at `offset`, in the filter's order: for callers that keep
    /// their own position between runs.
    pub async fn quotes_page(
        &self,
        filter: &QuoteFilter,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Quote>, BcError> {
        Ok(b2b_quote_page(self.client, &filter.query(), offset, limit)
            .await?
            .0)
    }

    /// `GET /rfq/{id}?date=MM/DD/YYYY` (the full quote, as JSON); `None` when it does not exist.
    ///
    /// The spec requires the quote's creation date (`created_at`, unix seconds, as its list
    /// entry gives it), written as the UTC day. The answer carries no id: keep `id`.
    pub async fn quote(&self, id: i64, created_at: i64) -> Result<Option<Value>, BcError> {
        let req =
            ApiRequest::get(Api::B2b, format!("/rfq/{id}")).query("date", quote_date(created_at)?);
        found(data(self.client, req).await)
    }

    /// The full quote for its list entry ([`quote`](Self::quote) with the entry's
    /// `createdAt`); an entry without one is a decode error naming the quote.
    pub async fn quote_detail(&self, listed: &Quote) -> Result<Option<Value>, BcError> {
        let created = listed.created_at.ok_or_else(|| BcError::Decode {
            api: Api::B2b,
            what: format!("GET /rfq (quote {})", listed.quote_id),
            reason: "the list entry has no createdAt, which GET /rfq/{id} requires as `date`"
                .into(),
        })?;
        self.quote(listed.quote_id, created).await
    }

    /// The list entry of quote `id`, looked for among the quotes modified since
    /// `modified_since` (unix seconds), oldest change first, so a quote just changed (a webhook)
    /// is found in a page or two rather than by listing every quote. `None` when it is not there.
    pub async fn find_quote(&self, id: i64, modified_since: i64) -> Result<Option<Quote>, BcError> {
        let filter = QuoteFilter {
            min_modified: Some(modified_since),
            oldest_first: true,
            ..QuoteFilter::default()
        };
        self.listed_quote(&filter, id).await
    }

    /// The list entry of quote `id` created at `created_at` (unix seconds): one narrow
    /// `GET /rfq?minCreated&maxCreated` page. `None` when it is not there.
    pub async fn quote_created_at(
        &self,
        id: i64,
        created_at: i64,
    ) -> Result<Option<Quote>, BcError> {
        let filter = QuoteFilter {
            min_created: Some(created_at - 1),
            max_created: Some(created_at + 1),
            oldest_first: true,
            ..QuoteFilter::default()
        };
        self.listed_quote(&filter, id).await
    }

    /// The first entry of quote `id` among the quotes `filter` lists.
    async fn listed_quote(&self, filter: &QuoteFilter, id: i64) -> Result<Option<Quote>, BcError> {
        let mut quotes = std::pin::pin!(self.quotes(filter));
        while let Some(q) = quotes.try_next().await? {
            if q.quote_id == id {
                return Ok(Some(q));
            }
        }
        Ok(None)
    }

    /// `POST /rfq`; returns the new quote id.
    pub async fn create_quote(&self, body: &QuoteFields) -> Result<i64, BcError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            #[serde(alias = "id", deserialize_with = "lenient::i64")]
            quote_id: i64,
        }
        let c: Created = data(
            self.client,
            ApiRequest::new(Api::B2b, Method::POST, "/rfq").json(body)?,
        )
        .await?;
        Ok(c.quote_id)
    }

    /// `PUT /rfq/{id}`.
    pub async fn update_quote(&self, id: i64, body: &QuoteUpdate) -> Result<(), BcError> {
        let req = ApiRequest::new(Api::B2b, Method::PUT, format!("/rfq/{id}")).json(body)?;
        self.client.execute(&req).await.map(drop)
    }

    /// `POST /rfq/{id}/ordered`: links the BigCommerce order `order_id` to the quote (which
    /// must be new, in process or updated by customer); the quote becomes Ordered.
    pub async fn quote_ordered(&self, id: i64, order_id: i64) -> Result<(), BcError> {
        // The spec types `orderId` a string.
        let body = serde_json::json!({ "orderId": order_id.to_string() });
        let req =
            ApiRequest::new(Api::B2b, Method::POST, format!("/rfq/{id}/ordered")).json(&body)?;
        self.client.execute(&req).await.map(drop)
    }

    /// `PUT /orders/{bcOrderId}` (B2B) `{poNumber}`: records the buyer's PO number on the
    /// order's B2B record. `false` when the order has no B2B record (yet: B2B Edition makes it
    /// shortly after a company buyer's order is created).
    pub async fn set_order_po_number(
        &self,
        bc_order_id: i64,
        po_number: &str,
    ) -> Result<bool, BcError> {
        let body = serde_json::json!({ "poNumber": po_number });
        let req =
            ApiRequest::new(Api::B2b, Method::PUT, format!("/orders/{bc_order_id}")).json(&body)?;
        match self.client.execute(&req).await {
            Ok(_) => Ok(true),
            Err(BcError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /orders` (B2B) as a stream; at most 200 per page.
    pub fn orders(
        &self,
        filter: &B2bOrderFilter,
    ) -> impl Stream<Item = Result<B2bOrder, BcError>> + Send + 'static {
        items(b2b_pages(self.client, "/orders", filter.query(), 200))
    }

    /// `GET /orders/{bcOrderId}` (B2B); `None` when the order has no B2B record. The spec wraps
    /// the order in a one-element array, other single-resource answers are objects: both decode.
    pub async fn order(&self, bc_order_id: i64) -> Result<Option<B2bOrder>, BcError> {
        let what = format!("/orders/{bc_order_id}");
        let req = ApiRequest::get(Api::B2b, what.clone());
        let Some(value) = found(data::<Value>(self.client, req).await)? else {
            return Ok(None);
        };
        let value = match value {
            Value::Array(mut items) if items.len() <= 1 => match items.pop() {
                Some(v) => v,
                None => return Ok(None),
            },
            other => other,
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| BcError::Decode {
                api: Api::B2b,
                what: format!("GET {what}"),
                reason: e.to_string(),
            })
    }

    /// `GET /orders/{bcOrderId}/products` (B2B), as JSON.
    pub async fn order_products(&self, bc_order_id: i64) -> Result<Vec<Value>, BcError> {
        data(
            self.client,
            ApiRequest::get(Api::B2b, format!("/orders/{bc_order_id}/products")),
        )
        .await
    }
}
