//! B2B companies: the company model, its create and update fields, its extra field definitions
//! and user roles, the list filter, and the `/companies` calls.

use futures_util::future::{self, Either};
use futures_util::{stream, Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::common::{ExtraField, ListQuery, SortOrder};
use super::request::{check_bulk_size, get_found, post, put, B2b};
use crate::client::ApiRequest;
use crate::error::{Api, BcError};
use crate::lenient;
use crate::pagination::{b2b_page, b2b_pages, items, B2B_MAX_LIMIT};

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

/// What `GET /companies?extraFields=name:value` parts a name from its value (`:`) and one item
/// from the next (`,`: the parameter is a comma-separated array): an extra field whose name
/// holds one of them cannot be searched for.
pub const EXTRA_FIELD_SEARCH_SEPARATORS: [char; 2] = [':', ','];

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
    /// Refuses an extra field name the search cannot carry (see
    /// [`EXTRA_FIELD_SEARCH_SEPARATORS`]): the API would search for another name, and a
    /// company that exists would look absent.
    fn check(&self) -> Result<(), BcError> {
        for (name, _) in &self.extra_fields {
            if let Some(held) = name
                .chars()
                .find(|c| EXTRA_FIELD_SEARCH_SEPARATORS.contains(c))
            {
                return Err(BcError::InvalidRequest(format!(
                    "companies cannot be searched by the extra field `{name}`: `extraFields=name:value` cannot carry `{held}` in a name"
                )));
            }
        }
        Ok(())
    }

    fn query(&self) -> Vec<(String, String)> {
        let mut q = ListQuery::default()
            .set("minModified", self.min_modified)
            .set("maxModified", self.max_modified)
            .set("minCreated", self.min_created)
            .set("companyStatus", self.status.map(CompanyStatus::code))
            .set("q", self.q.as_ref());
        for (name, value) in &self.extra_fields {
            q = q.set("extraFields", Some(format!("{name}:{value}")));
        }
        q.flag(
            "extraFieldFilterType",
            self.extra_fields_exact,
            "exact-match",
        )
        .set("bcGroupId", self.bc_group_id)
        .set("customerId", self.customer_id)
        .set(
            "sortBy",
            self.sort_by_updated
                .map(|v| if v { "updatedAt" } else { "companyName" }),
        )
        .set("orderBy", self.order.map(SortOrder::as_str))
        .flag("isIncludeExtraFields", self.include_extra_fields, "1")
        .into_pairs()
    }
}

impl B2b<'_> {
    /// `GET /companies` as a stream of companies (one [`BcError::InvalidRequest`], nothing
    /// sent, for an extra field name the search cannot carry).
    pub fn companies(
        &self,
        filter: &CompanyFilter,
    ) -> impl Stream<Item = Result<Company, BcError>> + Send + 'static {
        match filter.check() {
            Ok(()) => Either::Left(items(b2b_pages(
                self.client,
                "/companies",
                filter.query(),
                B2B_MAX_LIMIT,
            ))),
            Err(e) => Either::Right(stream::once(future::ready(Err(e)))),
        }
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
        filter.check()?;
        let query = filter.query();
        Ok(b2b_page(self.client, "/companies", &query, offset, limit)
            .await?
            .0)
    }

    /// `GET /companies/{id}`; `None` when it does not exist.
    pub async fn company(&self, id: i64) -> Result<Option<Company>, BcError> {
        get_found(self.client, format!("/companies/{id}")).await
    }

    /// `POST /companies`.
    pub async fn create_company(&self, fields: &CompanyFields) -> Result<CompanyCreated, BcError> {
        post(self.client, "/companies", fields).await
    }

    /// `POST /companies/bulk`: creates up to [`B2B_BULK_MAX`](crate::b2b::B2B_BULK_MAX)
    /// companies in one request and returns their ids in request order. An error may leave some
    /// of them created (BigCommerce's 400 means "creation failed for some companies"), so a
    /// caller that falls back to one-by-one creates must look each company up first.
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
        check_bulk_size(companies.len(), "companies")?;
        let req = ApiRequest::new(Api::B2b, Method::POST, "/companies/bulk").json(companies)?;
        let bulk: Bulk = self.client.send(req).await?;
        Ok(bulk.meta.into_iter().map(|c| c.company_id).collect())
    }

    /// `PUT /companies/{id}`.
    pub async fn update_company(&self, id: i64, fields: &CompanyFields) -> Result<(), BcError> {
        put(self.client, format!("/companies/{id}"), fields).await
    }

    /// `PUT /companies/{id}/status`.
    pub async fn set_company_status(&self, id: i64, status: CompanyStatus) -> Result<(), BcError> {
        let body = serde_json::json!({ "companyStatus": status.code() });
        put(self.client, format!("/companies/{id}/status"), &body).await
    }

    /// `PUT /companies/{id}/catalogs`: the price list the company's buyers see (`catalogId`, a
    /// string in the spec). Stores on Independent Companies behavior answer 405
    /// ([`BcError::Rejected`]): there the catalog follows the company's customer group.
    pub async fn set_company_catalog(&self, id: i64, catalog_id: i64) -> Result<(), BcError> {
        let body = serde_json::json!({ "catalogId": catalog_id.to_string() });
        put(self.client, format!("/companies/{id}/catalogs"), &body).await
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
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mockito::{Matcher, Server, ServerGuard};
    use url::Url;

    use crate::client::{BcClient, ClientOptions};
    use crate::credentials::{StaticToken, StoreHash};
    use crate::error::BcError;

    fn client(server: &ServerGuard) -> BcClient {
        let url = Url::parse(&server.url()).unwrap();
        let creds = Arc::new(StaticToken::new(StoreHash::parse("abc123").unwrap(), "tok"));
        BcClient::new(&url, &url, creds, ClientOptions::default()).unwrap()
    }

    #[tokio::test]
    async fn an_extra_field_label_with_spaces_is_searched_percent_encoded() {
        // `extraFields` is `style: form`: RFC 6570 expands a space as `%20`, which every
        // decoder reads; `+` is a space only to form decoders.
        let mut server = Server::new_async().await;
        let body = serde_json::json!({"code": 200,
            "meta": {"message": "SUCCESS", "pagination": {"totalCount": 1, "limit": 250, "offset": 0}},
            "data": [{"companyId": "7", "companyStatus": "1",
                "extraFields": [{"fieldName": "Customer Tax Code", "fieldValue": "G 1"}]}]});
        let search = server
            .mock("GET", "/api/v3/io/companies")
            .match_query(Matcher::Regex(
                "(^|&)extraFields=Customer%20Tax%20Code%3AG%201(&|$)".into(),
            ))
            .with_body(body.to_string())
            .expect(1)
            .create_async()
            .await;
        let found = client(&server)
            .b2b()
            .companies_with_extra_field("Customer Tax Code", "G 1")
            .await
            .unwrap();
        assert_eq!(found.iter().map(|c| c.company_id).collect::<Vec<_>>(), [7]);
        search.assert_async().await;
    }

    #[tokio::test]
    async fn a_field_name_the_search_cannot_carry_is_refused_before_anything_is_sent() {
        let mut server = Server::new_async().await;
        let nothing = server
            .mock("GET", Matcher::Any)
            .expect(0)
            .create_async()
            .await;
        let b2b = client(&server);
        for name in ["Tax:Code", "Tax, Code"] {
            let e = b2b
                .b2b()
                .companies_with_extra_field(name, "G")
                .await
                .unwrap_err();
            assert!(
                matches!(&e, BcError::InvalidRequest(why) if why.contains(name)),
                "{name}: {e}"
            );
        }
        nothing.assert_async().await;
    }
}
