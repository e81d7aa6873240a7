//! The engine: applies one inbound command to BigCommerce, once.
//!
//! What every command shares lives here, and nothing of any one family: a replay is skipped by
//! its done marker without a BigCommerce call (unless its family finds the entity edited
//! elsewhere since), two deliveries of one entity never race (a lease in the state table), and
//! the command is handed to its family through the registry. Outcomes and errors are classified
//! once ([`outcome`]); what a family works with is its [`Context`].
//!
//! - [`context`]: the client, the state table, the lookups' settings, what is kept for the
//!   container's life and this batch's memo.
//! - [`family`]: the [`Family`](family::Family) and [`Apply`](family::Apply) traits a family
//!   implements, held-back creates for bulk requests.
//! - [`registry`]: the handler of each command type, from the one command registry.
//! - [`idempotency`]: a command's idempotency key bound to its content before it is applied.
//! - [`versions`]: source versions, by which a command older than its entity's last applied
//!   version is skipped as stale.
//! - [`lease`]: leases and done markers; [`ids`]: the id map's keys and diffs;
//!   [`type_map`]: values by type.

pub mod context;
pub mod family;
pub mod idempotency;
pub mod ids;
pub mod lease;
pub mod outcome;
pub mod registry;
pub mod type_map;
pub mod versions;

use std::sync::Arc;

use b2b_commands::{Action, Command};
use b2b_shared::state::{Claim, StateStore};
use bigcommerce_b2b::BcClient;

use context::Context;
use family::{BulkCreate, HeldCreate, Step};
use lease::{lease_ttl, Begun, Lease, DONE_TTL};
use outcome::{ApplyError, Outcome};
use type_map::TypeMap;
use versions::Check;

/// Applies commands for one store.
#[derive(Clone)]
pub struct Engine {
    /// What the families work with.
    pub context: Context,
}

impl Engine {
    /// An engine for one store, with the store mirror on (as `STORE_MIRROR` defaults) and every
    /// family at its defaults.
    pub fn new(client: BcClient, state: Arc<dyn StateStore>, external_id_field: String) -> Self {
        Self {
            context: Context::new(client, state, external_id_field),
        }
    }

    /// A copy for one batch, with its own (empty) memo.
    pub fn for_batch(&self) -> Self {
        let mut context = self.context.clone();
        context.batch = TypeMap::default();
        Self { context }
    }

    /// A copy for one batch of another store, through `client`.
    pub fn with_client(&self, client: BcClient) -> Self {
        let mut engine = self.for_batch();
        engine.context.client = client;
        engine
    }

    /// A copy that looks every entity up in BigCommerce: after a bulk create was refused, what
    /// it may have created is found, not taken for absent.
    pub fn without_mirror(&self) -> Self {
        let mut engine = self.clone();
        engine.context.store_mirror = false;
        engine
    }

    /// Applies `cmd` once: leased against concurrent deliveries, skipped when already done.
    pub async fn apply(&self, cmd: &Command) -> Result<Outcome, ApplyError> {
        match self.begin(cmd).await? {
            Begun::Replayed => Ok(Outcome::Replayed),
            Begun::Stale => Ok(Outcome::Stale),
            Begun::Leased(lease) => {
                let result = self.apply_leased(cmd).await;
                self.finish(lease, result).await
            }
        }
    }

    /// Starts `cmd`: a permanent error when its idempotency key stands for another command
    /// ([`idempotency::bind`]); [`Begun::Replayed`] when it was applied before (and its family
    /// finds nothing edited elsewhere since); [`Begun::Stale`] when it is older than the source
    /// version last applied to its entity ([`versions`]); else its entity's lease (a retryable
    /// error when another delivery holds it), its version recorded. Every lease taken must be
    /// given to [`finish`](Self::finish).
    pub async fn begin(&self, cmd: &Command) -> Result<Begun, ApplyError> {
        let cx = &self.context;
        idempotency::bind(cx, cmd).await?;
        let handler = registry::handler(&cmd.action);
        let lease = Lease::of(cmd, handler.lease_scope());
        if cx.state.is_claimed(&lease.done_key).await? && !handler.edited_elsewhere(cx, cmd).await?
        {
            return Ok(Begun::Replayed);
        }
        // A record only grows: a command stale now stays stale, without waiting for the lease
        // (a newer one of the same batch may hold it, its create held back for a bulk request).
        if let Check::Stale { sent, applied } = versions::check(cx, cmd).await? {
            versions::log_stale(cmd, &sent, &applied);
            self.mark_done(&lease).await;
            return Ok(Begun::Stale);
        }
        let ttl = lease_ttl(cx.client.deadline());
        if cx.state.claim(&lease.lease_key, ttl).await? == Claim::Duplicate {
            return Err(ApplyError::retry(
                "another delivery of this entity is being applied; retrying later",
            ));
        }
        match versions::check_and_record(cx, cmd).await {
            Ok(Check::Stale { sent, applied }) => {
                versions::log_stale(cmd, &sent, &applied);
                self.finish(lease, Ok(Outcome::Stale)).await?;
                Ok(Begun::Stale)
            }
            Ok(_) => Ok(Begun::Leased(lease)),
            Err(e) => {
                self.release(&lease).await;
                Err(e)
            }
        }
    }

    /// Ends a command begun with [`begin`](Self::begin): records it done when `result` is a
    /// success, releases the lease, and passes `result` on.
    pub async fn finish(
        &self,
        lease: Lease,
        result: Result<Outcome, ApplyError>,
    ) -> Result<Outcome, ApplyError> {
        if result.is_ok() {
            self.mark_done(&lease).await;
        }
        self.release(&lease).await;
        result
    }

    /// Releases `lease`; one that cannot be released expires by itself.
    async fn release(&self, lease: &Lease) {
        if let Err(e) = self.context.state.release(&lease.lease_key).await {
            tracing::warn!(error = %e, key = %lease.lease_key, "lease not released; it expires by itself");
        }
    }

    /// Records `lease`'s command done: a replay of it is skipped.
    async fn mark_done(&self, lease: &Lease) {
        if let Err(e) = self.context.state.claim(&lease.done_key, DONE_TTL).await {
            tracing::warn!(error = %e, "done marker not recorded; a replay will re-check BigCommerce");
        }
    }

    /// Applies `cmd` under a lease from [`begin`](Self::begin) (no done check, no lease): its
    /// family's [`Apply`](family::Apply).
    pub async fn apply_leased(&self, cmd: &Command) -> Result<Outcome, ApplyError> {
        self.check_store(&cmd.store_hash).await?;
        registry::handler(&cmd.action).run(&self.context, cmd).await
    }

    /// Like [`apply_leased`](Self::apply_leased), except that a command whose family holds
    /// creates back ([`may_hold_create`](Self::may_hold_create)) returns the create of a missing
    /// entity as [`Step::Create`], so that several go to BigCommerce in one bulk request
    /// ([`create_held`](Self::create_held)).
    pub async fn apply_or_hold(&self, cmd: &Command) -> Result<Step, ApplyError> {
        self.check_store(&cmd.store_hash).await?;
        registry::handler(&cmd.action)
            .run_or_hold(&self.context, cmd)
            .await
    }

    /// Whether `cmd` may hold its create back for a bulk request.
    pub fn may_hold_create(cmd: &Command) -> bool {
        registry::handler(&cmd.action).may_hold_create()
    }

    /// Whether other commands may wait for what a command of `action`'s type creates.
    pub fn others_wait_for(action: &Action) -> bool {
        registry::handler(action).others_wait_for_it()
    }

    /// Creates held-back creates of one bulk kind (as the worker chunks them), made by
    /// commands of `action`'s type, with one bulk request.
    pub async fn create_held(&self, action: &Action, held: &[&HeldCreate]) -> BulkCreate {
        registry::handler(action)
            .create_held(&self.context, held)
            .await
    }

    /// What `cmd`'s family does on its last receive, before it is dead-lettered for `reason`
    /// (for the dead letter's reason).
    pub async fn before_dead_letter(&self, cmd: &Command, reason: &str) -> Option<String> {
        registry::handler(&cmd.action)
            .before_dead_letter(&self.context, cmd, reason)
            .await
    }

    async fn check_store(&self, store: &str) -> Result<(), ApplyError> {
        let served = self.context.client.store_hash().await?;
        if served.as_str() != store {
            return Err(ApplyError::Permanent(format!(
                "command is for store `{store}` but this worker serves `{served}`"
            )));
        }
        Ok(())
    }
}
