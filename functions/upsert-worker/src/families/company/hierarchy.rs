//! A `company.upsert`'s place in an account hierarchy: after the company itself is upserted,
//! its parent (`parent_external_id`) is linked with the subsidiaries API.
//!
//! The parent must exist (else the command is retried: parents first, and a child that arrives
//! before its parent waits, as buyers wait for their company). Nothing is written when the
//! company already has that parent. A parent that is the company itself or one of its
//! subsidiaries (a cycle) is a permanent dead letter naming the field. Moving to another parent
//! detaches the company from the old one first; every step is absolute, so a process killed
//! between them leaves a company the retry links again.

use bigcommerce_b2b::BcError;

use crate::engine::context::Context;
use crate::engine::outcome::{ApplyError, Outcome};
use crate::lookups::companies;

/// Links the company `external_id` to the parent `parent_external_id`; `upserted` is what
/// the upsert did, returned as `Updated` when only the link changed.
pub(crate) async fn link_parent(
    cx: &Context,
    store: &str,
    external_id: &str,
    parent_external_id: &str,
    upserted: Outcome,
) -> Result<Outcome, ApplyError> {
    if parent_external_id == external_id {
        return Err(cycle(external_id, parent_external_id));
    }
    let parent = match companies::require_id(cx, store, parent_external_id).await {
        Err(ApplyError::MissingCompany(p)) => return Err(ApplyError::MissingParent(p)),
        other => other?,
    };
    let company = companies::require(cx, store, external_id).await?;
    // The mirror's view first (no request); a company it shows elsewhere is read fresh.
    if company.parent_id() == Some(parent) {
        return Ok(upserted);
    }
    let current = cx
        .client
        .b2b()
        .company(company.company_id)
        .await?
        .and_then(|c| c.parent_id());
    if current == Some(parent) {
        return Ok(upserted);
    }
    let hierarchies = cx.client.hierarchies();
    let below = hierarchies.subsidiaries(company.company_id).await?;
    if below.iter().any(|n| n.contains(parent)) {
        return Err(cycle(external_id, parent_external_id));
    }
    if let Some(old) = current {
        match hierarchies.remove_subsidiary(old, company.company_id).await {
            // Already detached (another delivery, or by hand): what matters is the new link.
            Err(BcError::Rejected { status: 400, .. }) => {}
            other => other?,
        }
    }
    hierarchies.set_parent(company.company_id, parent).await?;
    Ok(match upserted {
        Outcome::Created => Outcome::Created,
        _ => Outcome::Updated,
    })
}

fn cycle(external_id: &str, parent_external_id: &str) -> ApplyError {
    ApplyError::Permanent(format!(
        "`company.parent_external_id` `{parent_external_id}` is `{external_id}` itself or one of its subsidiaries: a hierarchy cannot loop"
    ))
}
