//! `salesrep.assign` and `superadmin.upsert`: the seller's people on accounts.
//!
//! A sales staff member is found by email among the store's sales staff (they are made in the
//! control panel; an unknown email is a permanent dead letter naming `sales_rep.email`). A super
//! admin is found by email and created when missing; the search comes first on every delivery,
//! so a create whose answer was lost is found, not repeated. Both are then assigned to or
//! removed from the named companies, sending only the assignments that differ (the API's
//! `PUT`s leave the companies they do not name alone). A company to assign that does not
//! exist yet is waited for; one to remove that does not exist has nothing to remove.

use std::collections::BTreeSet;

use b2b_commands::{SalesRepData, SuperAdminData};
use bigcommerce_b2b::staff::{NewSuperAdmin, StaffAssignment, SuperAdminAssignment};
use bigcommerce_b2b::BcError;

use crate::engine::context::Context;
use crate::engine::family::{Apply, Family};
use crate::engine::outcome::{Applied, ApplyError, Outcome};
use crate::lookups::companies;
use b2b_commands::{staff, Command};

/// The company ids to assign and to remove, as far as they exist.
struct Wanted {
    assign: BTreeSet<i64>,
    unassign: BTreeSet<i64>,
}

impl Wanted {
    /// `(company, assign?)` for every company whose assignment differs from `current`.
    fn changes(&self, current: &BTreeSet<i64>) -> Vec<(i64, bool)> {
        let add = self.assign.difference(current).map(|c| (*c, true));
        let remove = self.unassign.intersection(current).map(|c| (*c, false));
        add.chain(remove).collect()
    }
}

async fn wanted(
    cx: &Context,
    store: &str,
    assign: &[String],
    unassign: &[String],
) -> Result<Wanted, ApplyError> {
    let mut wanted = Wanted {
        assign: BTreeSet::new(),
        unassign: BTreeSet::new(),
    };
    for ext in assign {
        wanted
            .assign
            .insert(companies::require_id(cx, store, ext).await?);
    }
    for ext in unassign {
        match companies::require_id(cx, store, ext).await {
            Ok(id) => {
                wanted.unassign.insert(id);
            }
            Err(ApplyError::MissingCompany(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(wanted)
}

/// Applies a `salesrep.assign`.
pub(crate) async fn sales_rep_assign(
    cx: &Context,
    store: &str,
    rep: &SalesRepData,
) -> Result<Outcome, ApplyError> {
    let staff = cx.client.staff();
    let member = staff
        .sales_staff()
        .await?
        .into_iter()
        .find(|s| {
            s.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&rep.email))
        })
        .ok_or_else(|| {
            ApplyError::Permanent(format!(
                "`sales_rep.email`: `{}` is no sales staff member of this store (sales staff are B2B users with a Sales Staff role, made in the control panel)",
                rep.email
            ))
        })?;
    let wanted = wanted(cx, store, &rep.assign, &rep.unassign).await?;
    let detail = staff
        .sales_staff_detail(member.id)
        .await?
        .ok_or_else(|| ApplyError::retry(format!("sales staff {} vanished", member.id)))?;
    let current: BTreeSet<i64> = detail.assigned_companies.iter().map(|c| c.id).collect();
    let changes: Vec<StaffAssignment> = wanted
        .changes(&current)
        .into_iter()
        .map(|(company_id, assign_status)| StaffAssignment {
            company_id,
            assign_status,
        })
        .collect();
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    staff.assign_sales_staff(member.id, &changes).await?;
    Ok(Outcome::Updated)
}

/// Applies a `superadmin.upsert`.
pub(crate) async fn super_admin_upsert(
    cx: &Context,
    store: &str,
    admin: &SuperAdminData,
) -> Result<Outcome, ApplyError> {
    // The companies first: a create waits, like the assignments, for companies on their way.
    let wanted = wanted(cx, store, &admin.assign, &admin.unassign).await?;
    let staff = cx.client.staff();
    let (id, created) = match staff.super_admin_by_email(&admin.email).await? {
        Some(found) => (found.id, false),
        None => (create_super_admin(cx, admin).await?, true),
    };
    let current: BTreeSet<i64> = if created {
        BTreeSet::new()
    } else {
        staff
            .super_admin_companies(id)
            .await?
            .iter()
            .map(|c| c.company_id)
            .collect()
    };
    let changes: Vec<SuperAdminAssignment> = wanted
        .changes(&current)
        .into_iter()
        .map(|(company_id, is_assigned)| SuperAdminAssignment {
            company_id,
            is_assigned,
        })
        .collect();
    if !changes.is_empty() {
        staff.assign_super_admin(id, &changes).await?;
    }
    Ok(match (created, changes.is_empty()) {
        (true, _) => Outcome::Created,
        (false, true) => Outcome::Unchanged,
        (false, false) => Outcome::Updated,
    })
}

async fn create_super_admin(cx: &Context, admin: &SuperAdminData) -> Result<i64, ApplyError> {
    let new = NewSuperAdmin {
        first_name: admin.first_name.clone(),
        last_name: admin.last_name.clone(),
        email: admin.email.clone(),
        phone: admin.phone.clone(),
        channel_ids: admin.channel_ids.clone(),
    };
    match cx.client.staff().create_super_admin(&new).await {
        Ok(created) => Ok(created.user_id),
        Err(BcError::Rejected { status, body, .. }) => Err(ApplyError::Permanent(format!(
            "`super_admin.email`: BigCommerce refused to make `{}` a super admin ({status}): {body} (an email that is already a company's buyer cannot be a super admin)",
            admin.email
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The staff family: `salesrep.assign` and `superadmin.upsert`.
#[derive(Debug, Default)]
pub struct Staff;

impl Family for Staff {}

impl Apply for staff::AssignSalesRep {
    type Family = Staff;

    async fn apply(&self, _: &Staff, cx: &Context, cmd: &Command) -> Applied {
        sales_rep_assign(cx, &cmd.store_hash, &self.sales_rep).await
    }
}

impl Apply for staff::UpsertSuperAdmin {
    type Family = Staff;

    async fn apply(&self, _: &Staff, cx: &Context, cmd: &Command) -> Applied {
        super_admin_upsert(cx, &cmd.store_hash, &self.super_admin).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_assignments_that_differ_are_sent() {
        let wanted = Wanted {
            assign: [1, 2].into(),
            unassign: [3, 4].into(),
        };
        assert_eq!(wanted.changes(&[2, 3].into()), [(1, true), (3, false)]);
        assert!(wanted.changes(&[1, 2, 5].into()).is_empty());
    }
}
