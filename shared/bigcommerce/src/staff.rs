//! The seller's people on B2B accounts: sales staff (`sales_staff.yaml`: B2B users whose role
//! is a Sales Staff role, made in the control panel, assigned to companies here) and super
//! admins (`super_admin.yaml`: accounts created by API that may act for the companies they are
//! assigned to).
//!
//! Assignment changes are non-destructive on both: a `PUT` changes only the companies it names.

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::b2b::request::{get_found, post, put};
use super::client::BcClient;
use super::error::BcError;
use super::lenient;
use super::pagination::{b2b_pages, items, B2B_MAX_LIMIT};

/// The largest page of the super admin lists (their spec's `limit` maximum).
pub const SUPER_ADMINS_MAX_LIMIT: u32 = 200;

/// A sales staff member as the list shows them (`GET /sales-staffs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesStaff {
    /// The sales staff id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Their email (how the ERP names them).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Their name in B2B Edition.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sales_rep_name: Option<String>,
    /// Their role's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub role_name: Option<String>,
    /// How many companies they are assigned to.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub company_count: Option<i64>,
}

/// A company a sales staff member is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedCompany {
    /// The company id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_name: Option<String>,
    /// When the assignment was made (unix seconds).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub assigned_at: Option<i64>,
}

/// A sales staff member with their companies (`GET /sales-staffs/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesStaffDetail {
    /// The sales staff id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Their email.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Their name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The companies they are assigned to.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub assigned_companies: Vec<AssignedCompany>,
}

/// One change of `PUT /sales-staffs/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffAssignment {
    /// The company.
    pub company_id: i64,
    /// Assign (`true`) or unassign.
    pub assign_status: bool,
}

/// A super admin (`GET /companies/super-admins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuperAdmin {
    /// The super admin's id.
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    /// Email (read-only once created).
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
    pub phone: Option<String>,
}

/// A new super admin (`POST /super-admins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSuperAdmin {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email: the account's identity.
    pub email: String,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Channels the account may use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channel_ids: Vec<i64>,
}

/// What `POST /super-admins` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuperAdminCreated {
    /// The new super admin's id.
    #[serde(deserialize_with = "lenient::i64")]
    pub user_id: i64,
    /// Its BigCommerce customer id.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub customer_id: Option<i64>,
}

/// A company a super admin is assigned to (`GET /super-admins/{id}/companies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuperAdminCompany {
    /// The company id.
    #[serde(deserialize_with = "lenient::i64")]
    pub company_id: i64,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub company_name: Option<String>,
}

/// One change of `PUT /super-admins/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuperAdminAssignment {
    /// The company.
    pub company_id: i64,
    /// Assigned or not.
    pub is_assigned: bool,
}

#[derive(Serialize)]
struct SuperAdminAssignments<'a> {
    companies: &'a [SuperAdminAssignment],
}

/// The sales staff and super admin calls of one store.
#[derive(Debug, Clone)]
pub struct Staff<'a> {
    client: &'a BcClient,
}

impl BcClient {
    /// B2B Edition sales staff and super admins of this store.
    pub fn staff(&self) -> Staff<'_> {
        Staff { client: self }
    }
}

impl Staff<'_> {
    /// Every sales staff member (every page; the list has no email filter).
    pub async fn sales_staff(&self) -> Result<Vec<SalesStaff>, BcError> {
        items(b2b_pages(
            self.client,
            "/sales-staffs",
            Vec::new(),
            B2B_MAX_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// The sales staff assigned to company `company_id` (`GET /sales-staffs?companyId=`).
    pub async fn sales_staff_of_company(
        &self,
        company_id: i64,
    ) -> Result<Vec<SalesStaff>, BcError> {
        let query = vec![("companyId".to_owned(), company_id.to_string())];
        items(b2b_pages(
            self.client,
            "/sales-staffs",
            query,
            B2B_MAX_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// A sales staff member with their companies; `None` when there is none with `id`.
    pub async fn sales_staff_detail(&self, id: i64) -> Result<Option<SalesStaffDetail>, BcError> {
        get_found(self.client, format!("/sales-staffs/{id}")).await
    }

    /// Assigns or unassigns the named companies (the others stay as they are).
    pub async fn assign_sales_staff(
        &self,
        id: i64,
        changes: &[StaffAssignment],
    ) -> Result<(), BcError> {
        put(self.client, format!("/sales-staffs/{id}"), changes).await
    }

    /// The super admin whose email is `email` (case-insensitive), searched with `q`.
    pub async fn super_admin_by_email(&self, email: &str) -> Result<Option<SuperAdmin>, BcError> {
        let query = vec![("q".to_owned(), email.to_owned())];
        let all: Vec<SuperAdmin> = items(b2b_pages(
            self.client,
            "/companies/super-admins",
            query,
            SUPER_ADMINS_MAX_LIMIT,
        ))
        .try_collect()
        .await?;
        Ok(all.into_iter().find(|a| {
            a.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }))
    }

    /// Creates a super admin (an existing BigCommerce customer with that email is converted).
    pub async fn create_super_admin(
        &self,
        admin: &NewSuperAdmin,
    ) -> Result<SuperAdminCreated, BcError> {
        post(self.client, "/super-admins", admin).await
    }

    /// The companies super admin `id` is assigned to (every page).
    pub async fn super_admin_companies(&self, id: i64) -> Result<Vec<SuperAdminCompany>, BcError> {
        items(b2b_pages(
            self.client,
            format!("/super-admins/{id}/companies"),
            Vec::new(),
            SUPER_ADMINS_MAX_LIMIT,
        ))
        .try_collect()
        .await
    }

    /// Assigns or unassigns super admin `id` to the named companies (the others stay).
    pub async fn assign_super_admin(
        &self,
        id: i64,
        changes: &[SuperAdminAssignment],
    ) -> Result<(), BcError> {
        let body = SuperAdminAssignments { companies: changes };
        put(self.client, format!("/super-admins/{id}"), &body).await
    }
}
