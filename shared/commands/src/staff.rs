//! The staff commands: `salesrep.assign` (a sales staff member, by email, assigned to or removed
//! from companies) and `superadmin.upsert` (a super admin created when missing and assigned to
//! or removed from the companies they may act for).

use serde::{Deserialize, Serialize};

use crate::spec::CommandSpec;

/// `salesrep.assign`: a sales staff member (by email) assigned to or removed from companies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignSalesRep {
    /// The member and the companies.
    pub sales_rep: SalesRepData,
}

impl CommandSpec for AssignSalesRep {
    fn problems(&self) -> Vec<String> {
        let r = &self.sales_rep;
        assignment_problems("sales_rep", &r.assign, &r.unassign)
    }
}

/// `superadmin.upsert`: a super admin created when missing (by email) and assigned to or
/// removed from the companies they may act for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertSuperAdmin {
    /// The super admin and the companies.
    pub super_admin: SuperAdminData,
}

impl CommandSpec for UpsertSuperAdmin {
    fn problems(&self) -> Vec<String> {
        let a = &self.super_admin;
        assignment_problems("super_admin", &a.assign, &a.unassign)
    }
}

/// The payload of a `salesrep.assign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesRepData {
    /// The sales staff member's email (they are made in the control panel).
    pub email: String,
    /// External ids of the companies to assign them to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<String>,
    /// External ids of the companies to remove them from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unassign: Vec<String>,
}

/// The payload of a `superadmin.upsert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuperAdminData {
    /// Email: the account's identity.
    pub email: String,
    /// First name (for the create).
    pub first_name: String,
    /// Last name (for the create).
    pub last_name: String,
    /// Phone (for the create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Channels the account may use (for the create; default: the store's default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_ids: Vec<i64>,
    /// External ids of the companies to assign them to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<String>,
    /// External ids of the companies to remove them from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unassign: Vec<String>,
}

/// Companies named in both `assign` and `unassign` of `field`.
fn assignment_problems(field: &str, assign: &[String], unassign: &[String]) -> Vec<String> {
    assign
        .iter()
        .filter(|c| unassign.contains(c))
        .map(|c| format!("`{field}.assign` and `{field}.unassign` both name company `{c}`"))
        .collect()
}
