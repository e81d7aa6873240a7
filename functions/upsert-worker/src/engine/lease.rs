//! Leases and done markers: a command's lease in the state table keeps two deliveries of the
//! same entity from racing, and its done marker lets a replay skip it without a single
//! BigCommerce call. How far a lease reaches is the command's ordering scope (its order, else its
//! company, else its own external id), narrowed to one entity for the families that say so
//! ([`LeaseScope`]).

use std::time::Duration;

use b2b_commands::Command;

/// How long a lease on a command's entity lasts when the client has no deadline (longer than the
/// worker's timeout).
pub const LEASE_TTL: Duration = Duration::from_secs(180);

/// Added to the invocation's remaining time for a lease: the deadline's safety margin plus clock
/// skew between Lambda instances.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// How long a lease taken now must last: until the invocation can no longer be running (its
/// deadline, which the client carries less a safety margin), so a crashed or killed invocation
/// blocks its entity only until then, and SQS's redelivery (after 6 x the function's timeout)
/// always finds it free. Without a deadline, [`LEASE_TTL`].
pub fn lease_ttl(deadline: Option<tokio::time::Instant>) -> Duration {
    match deadline {
        Some(d) => {
            d.saturating_duration_since(tokio::time::Instant::now())
                + LEASE_MARGIN
                + b2b_shared::deadline::DEFAULT_SAFETY_MARGIN
        }
        None => LEASE_TTL,
    }
}

/// How long a done marker lets identical replays skip.
pub const DONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// What [`Engine::begin`](crate::Engine::begin) found.
#[derive(Debug)]
pub enum Begun {
    /// The identical command was applied before: nothing to do.
    Replayed,
    /// The command is older than the source version last applied to its entity: skipped,
    /// marked done like a replay.
    Stale,
    /// The entity is leased to this delivery.
    Leased(Lease),
}

/// A command's lease on its entity, from [`Engine::begin`](crate::Engine::begin) to [`Engine::finish`](crate::Engine::finish).
#[derive(Debug)]
pub struct Lease {
    /// The done marker it records when the command succeeds.
    pub done_key: String,
    /// The lease it holds.
    pub lease_key: String,
}

/// How far the lease of a family's commands reaches within their ordering scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseScope {
    /// The whole scope: one command of its type at a time per company (or per own external id).
    Scope,
    /// One entity within the scope (the command's own external id): a company's buyers,
    /// addresses, quotes or invoices are applied side by side, each entity once at a time.
    Entity,
}

impl Lease {
    /// The lease of `cmd`, whose family leases at `scope`: one order's fulfillment commands share
    /// a lease (two shipments never race over what its lines have left to ship); any other
    /// command's lease is its type within its company (or its own external id), narrowed to its
    /// entity when `scope` says so.
    pub fn of(cmd: &Command, scope: LeaseScope) -> Self {
        let lease_key = match cmd.action.order() {
            Some(order) => format!("lease#{}#order#{}", cmd.store_hash, order.key()),
            None => {
                let entity = cmd
                    .action
                    .company_key(&cmd.external_id)
                    .unwrap_or(&cmd.external_id);
                let key = format!("lease#{}#{}#{}", cmd.store_hash, cmd.kind(), entity);
                match scope {
                    LeaseScope::Scope => key,
                    LeaseScope::Entity => format!("{key}#{}", cmd.external_id),
                }
            }
        };
        Lease {
            done_key: format!("done#{}", cmd.dedupe_key()),
            lease_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_lasts_until_the_invocation_cannot_be_running() {
        let in_10s = tokio::time::Instant::now() + Duration::from_secs(10);
        let ttl = lease_ttl(Some(in_10s));
        // 10 s left on the client's deadline, + its 2 s safety margin, + 5 s for clock skew.
        assert!(
            ttl > Duration::from_secs(16) && ttl <= Duration::from_secs(17),
            "{ttl:?}"
        );
        let past = tokio::time::Instant::now() - Duration::from_secs(1);
        assert_eq!(lease_ttl(Some(past)), Duration::from_secs(7));
        assert_eq!(lease_ttl(None), LEASE_TTL);
    }
}
