//! Keeps the store's webhook subscriptions alive.
//!
//! BigCommerce deactivates a hook after ~48 hours of failed deliveries and blocks whole
//! destination domains when too many deliveries fail. [`ensure_hooks`] lists `/v3/hooks` and
//! `/v3/hooks/admin`, re-enables deactivated hooks, creates missing subscriptions for the wanted
//! scopes and destination, and reports blocked domains (logged and counted by the caller).

use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::core::{BlockedDomain, Hook, HookFields};
use crate::{BcClient, BcError};

/// The subscriptions a deployment wants.
#[derive(Debug, Clone, PartialEq)]
pub struct WantedHooks {
    /// Delivery URL (webhook-intake's `/webhooks/bigcommerce`).
    pub destination: String,
    /// Scopes, e.g. `store/order/*`, `store/company/created`.
    pub scopes: Vec<String>,
    /// Headers BigCommerce echoes on each delivery (the shared header secret).
    pub headers: Option<Map<String, Value>>,
}

/// What a check did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HookReport {
    /// Wanted subscriptions found active.
    pub active: usize,
    /// Hook ids re-enabled.
    pub reenabled: Vec<i64>,
    /// Scopes subscribed anew.
    pub created: Vec<String>,
    /// Destinations BigCommerce is currently not delivering to.
    pub blocked_domains: Vec<String>,
}

fn same_destination(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Makes every wanted subscription exist and be active; reports blocked domains.
pub async fn ensure_hooks(client: &BcClient, wanted: &WantedHooks) -> Result<HookReport, BcError> {
    let hooks: Vec<Hook> = client.core().hooks().try_collect().await?;
    let admin = client.core().hooks_admin().await?;
    let mut report = HookReport {
        blocked_domains: admin
            .blocked_domains
            .iter()
            .map(|d: &BlockedDomain| d.destination.clone())
            .collect(),
        ..HookReport::default()
    };
    for domain in &report.blocked_domains {
        tracing::warn!(destination = %domain, "BigCommerce is blocking webhook deliveries to this destination");
    }
    let deactivated: Vec<i64> = admin
        .hooks_list
        .iter()
        .filter(|h| h.status.as_deref() == Some("deactivated") || !h.is_active)
        .map(|h| h.id)
        .collect();
    for scope in &wanted.scopes {
        let fields = HookFields {
            scope: scope.clone(),
            destination: wanted.destination.clone(),
            is_active: true,
            headers: wanted.headers.clone(),
        };
        let existing = hooks
            .iter()
            .find(|h| h.scope == *scope && same_destination(&h.destination, &wanted.destination));
        match existing {
            Some(h) if h.is_active && !deactivated.contains(&h.id) => report.active += 1,
            Some(h) => {
                client.core().update_hook(h.id, &fields).await?;
                tracing::warn!(hook_id = h.id, %scope, "re-enabled a deactivated webhook");
                report.reenabled.push(h.id);
            }
            None => {
                let created = client.core().create_hook(&fields).await?;
                tracing::info!(hook_id = created.id, %scope, "subscribed to a missing webhook scope");
                report.created.push(scope.clone());
            }
        }
    }
    Ok(report)
}
