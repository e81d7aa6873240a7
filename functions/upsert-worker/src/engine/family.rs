//! The two traits a command family implements, and what the engine asks through them.
//!
//! - [`Family`]: one per family module: its settings fragment (read at cold start), how far its
//!   commands' leases reach. Its value is kept for the container's life and handed to each of
//!   its commands.
//! - [`Apply`]: one per command type (`impl Apply for b2b_commands::quote::Upsert` in the
//!   quote family's module): what the command does, and, for the few that can, how it holds
//!   a create back for a bulk request and whether a replay looks for drift first.
//!
//! [`Handler`] is the object-safe face of every [`Apply`] the engine dispatches to through the
//! registry (`crate::engine::registry`), so the engine never names a family.

use std::any::Any;
use std::future::Future;

use b2b_commands::{Command, CommandSpec};
use b2b_shared::env::Env;
use bigcommerce_b2b::BcError;
use futures_util::future::BoxFuture;

use super::context::Context;
use super::lease::LeaseScope;
use super::outcome::{Applied, ApplyError, Outcome};

/// A family of commands: the module that owns their effects, its settings and its caches.
pub trait Family: Any + Default + Send + Sync {
    /// How far the leases of its commands reach within their ordering scope.
    const LEASE: LeaseScope = LeaseScope::Scope;

    /// Reads the family's settings from `env` at cold start, each problem recorded there (it
    /// names its variable); defaults where a variable is unset. Default: no settings.
    fn load(env: &mut Env<'_>) -> Self {
        let _ = env;
        Self::default()
    }
}

/// One command type's effect, in its family's module.
pub trait Apply: CommandSpec + Send + Sync {
    /// The family whose module applies it (its settings and caches come with every call).
    type Family: Family;

    /// Whether other commands may wait for what it creates (a company, a customer group, a
    /// buyer): once it has created something, the batch's waiting commands are tried again.
    const OTHERS_WAIT_FOR_IT: bool = false;

    /// Applies the command (under its lease, once the done check let it through).
    fn apply(
        &self,
        family: &Self::Family,
        cx: &Context,
        cmd: &Command,
    ) -> impl Future<Output = Applied> + Send;

    /// Whether this command may hold its create back for a bulk request
    /// ([`apply_or_hold`](Self::apply_or_hold)). Default: never.
    fn may_hold_create(&self) -> bool {
        false
    }

    /// Like [`apply`](Self::apply), except that a command whose entity does not exist yet may
    /// stop before the create and hand it back ([`Step::Create`]), so that several go to
    /// BigCommerce in one request ([`create_held`](Self::create_held)). Default: applies.
    fn apply_or_hold(
        &self,
        family: &Self::Family,
        cx: &Context,
        cmd: &Command,
    ) -> impl Future<Output = Result<Step, ApplyError>> + Send {
        async move { self.apply(family, cx, cmd).await.map(Step::Done) }
    }

    /// Creates the held-back creates of this command's kind with one bulk request: one result
    /// per create, in order. Default: refused (each command is then applied on its own).
    fn create_held(
        family: &Self::Family,
        cx: &Context,
        held: &[&HeldCreate],
    ) -> impl Future<Output = BulkCreate> + Send {
        let _ = (family, cx, held);
        async { BulkCreate::Refused("these commands hold no create back".into()) }
    }

    /// Whether the entity the command upserts was changed in BigCommerce after our last write
    /// of it: the replay of a command applied before is then applied again, to repair that
    /// drift. Default: a replay is skipped.
    fn edited_elsewhere(
        &self,
        cx: &Context,
        cmd: &Command,
    ) -> impl Future<Output = Result<bool, ApplyError>> + Send {
        let _ = (cx, cmd);
        async { Ok(false) }
    }

    /// On the command's last receive, when it still fails (`reason`) and is about to be
    /// dead-lettered: what its family does about it (a cXML purchase order never made is
    /// rejected to the buyer's procurement system), said in the dead letter's reason.
    /// Default: nothing.
    fn before_dead_letter(
        &self,
        cx: &Context,
        cmd: &Command,
        reason: &str,
    ) -> impl Future<Output = LastWord> + Send {
        let _ = (cx, cmd, reason);
        async { None }
    }
}

/// What [`Apply::before_dead_letter`] may do.
type LastWord = Option<String>;

/// What [`Apply::apply_or_hold`] did.
#[derive(Debug)]
pub enum Step {
    /// Applied.
    Done(Outcome),
    /// The entity does not exist: its create is held back for a bulk request.
    Create(HeldCreate),
}

/// A create held back for a bulk request, as its family describes it.
pub trait Held: Any + Send + Sync + std::fmt::Debug {
    /// Creates of the same bulk kind (and store) go to BigCommerce in one request.
    fn bulk_kind(&self) -> &'static str;
}

/// A held-back create.
pub type HeldCreate = Box<dyn Held>;

/// The creates of type `T` among `held` (the family's own); `None` when any other is there.
pub fn held_of<'h, T: Held>(held: &[&'h HeldCreate]) -> Option<Vec<&'h T>> {
    held.iter()
        .map(|h| (&***h as &dyn Any).downcast_ref::<T>())
        .collect()
}

/// What `create_companies` did.
#[derive(Debug)]
pub enum BulkCreate {
    /// Created; one result per company (the status or id map may still have failed).
    Created(Vec<Result<Outcome, ApplyError>>),
    /// Not created, or not known: every command is retried later.
    Retry(ApplyError),
    /// Refused as sent (may have created some): apply each command on its own.
    Refused(String),
}

/// A bulk create's answer: the created items in request order, or why they are not known to be
/// (a retryable failure, or a refusal that sends each command its own way).
pub fn bulk_answer<T>(
    answer: Result<Vec<T>, BcError>,
    sent: usize,
    what: &str,
) -> Result<Vec<T>, BulkCreate> {
    match answer {
        Ok(items) if items.len() == sent => Ok(items),
        Ok(items) => Err(BulkCreate::Refused(format!(
            "bulk create answered {} of {sent} {what}",
            items.len()
        ))),
        Err(e) if e.is_retryable() => Err(BulkCreate::Retry(e.into())),
        Err(e) => Err(BulkCreate::Refused(e.to_string())),
    }
}

/// The object-safe face of a command type's [`Apply`], which the engine dispatches to: the
/// family's value is fetched from the context on each call, and the futures are boxed (which
/// also keeps the batch's futures small).
pub trait Handler: Sync {
    /// How far the command's lease reaches ([`Family::LEASE`]).
    fn lease_scope(&self) -> LeaseScope;
    /// [`Apply::OTHERS_WAIT_FOR_IT`].
    fn others_wait_for_it(&self) -> bool;
    /// [`Apply::may_hold_create`].
    fn may_hold_create(&self) -> bool;
    /// [`Apply::apply`].
    fn run<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<Outcome, ApplyError>>;
    /// [`Apply::apply_or_hold`].
    fn run_or_hold<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<Step, ApplyError>>;
    /// [`Apply::create_held`].
    fn create_held<'a>(
        &'a self,
        cx: &'a Context,
        held: &'a [&'a HeldCreate],
    ) -> BoxFuture<'a, BulkCreate>;
    /// [`Apply::edited_elsewhere`].
    fn edited_elsewhere<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<bool, ApplyError>>;
    /// [`Apply::before_dead_letter`].
    fn before_dead_letter<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
        reason: &'a str,
    ) -> BoxFuture<'a, LastWord>;
}

impl<T: Apply> Handler for T {
    fn lease_scope(&self) -> LeaseScope {
        <T::Family as Family>::LEASE
    }

    fn others_wait_for_it(&self) -> bool {
        T::OTHERS_WAIT_FOR_IT
    }

    fn may_hold_create(&self) -> bool {
        Apply::may_hold_create(self)
    }

    fn run<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<Outcome, ApplyError>> {
        Box::pin(async move {
            let family = cx.kept::<T::Family>();
            self.apply(&family, cx, cmd).await
        })
    }

    fn run_or_hold<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<Step, ApplyError>> {
        Box::pin(async move {
            let family = cx.kept::<T::Family>();
            self.apply_or_hold(&family, cx, cmd).await
        })
    }

    fn create_held<'a>(
        &'a self,
        cx: &'a Context,
        held: &'a [&'a HeldCreate],
    ) -> BoxFuture<'a, BulkCreate> {
        Box::pin(async move {
            let family = cx.kept::<T::Family>();
            T::create_held(&family, cx, held).await
        })
    }

    fn edited_elsewhere<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
    ) -> BoxFuture<'a, Result<bool, ApplyError>> {
        Box::pin(Apply::edited_elsewhere(self, cx, cmd))
    }

    fn before_dead_letter<'a>(
        &'a self,
        cx: &'a Context,
        cmd: &'a Command,
        reason: &'a str,
    ) -> BoxFuture<'a, LastWord> {
        Box::pin(Apply::before_dead_letter(self, cx, cmd, reason))
    }
}
