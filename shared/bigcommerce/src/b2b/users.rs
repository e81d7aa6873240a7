//! B2B users (buyers): the user model, its role, its create and update fields, the list filter,
//! and the `/users` calls.

use futures_util::Stream;
use serde::{Deserialize, Serialize};

use super::common::{ExtraField, ListQuery};
use super::request::{check_bulk_size, get_found, post, put, B2b};
use crate::error::BcError;
use crate::lenient;
use crate::pagination::{b2b_pages, items, B2B_MAX_LIMIT};

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
        ListQuery::default()
            .set("companyId", self.company_id)
            .set("email", self.email.as_ref())
            .set("q", self.q.as_ref())
            .set("minModified", self.min_modified)
            .into_pairs()
    }
}

impl B2b<'_> {
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
        get_found(self.client, format!("/users/{id}")).await
    }

    /// `GET /users/customer/{customerId}`: the user behind a BigCommerce customer.
    pub async fn user_by_customer(&self, customer_id: i64) -> Result<Option<User>, BcError> {
        get_found(self.client, format!("/users/customer/{customer_id}")).await
    }

    /// `POST /users`.
    pub async fn create_user(&self, fields: &UserFields) -> Result<UserCreated, BcError> {
        post(self.client, "/users", fields).await
    }

    /// `POST /users/bulk`: creates up to [`B2B_BULK_MAX`](crate::b2b::B2B_BULK_MAX) buyers in
    /// one request and returns them in request order. A refused request (422) is not known to
    /// have created none of them, so a caller that falls back to one-by-one creates must look
    /// each buyer up first.
    pub async fn create_users(&self, users: &[UserFields]) -> Result<Vec<UserCreated>, BcError> {
        check_bulk_size(users.len(), "users")?;
        post(self.client, "/users/bulk", users).await
    }

    /// `PUT /users/{id}`.
    pub async fn update_user(&self, id: i64, fields: &UserFields) -> Result<(), BcError> {
        put(self.client, format!("/users/{id}"), fields).await
    }
}
