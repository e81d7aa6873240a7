//! What the worker does when a webhook event arrives, in one list ([`REACTIONS`]), each behind
//! one small interface ([`Reaction`]), then the export of the event's documents when the
//! deployment has an outbound queue ([`EventSink`], in [`export`]).
//!
//! The order matters: the mirror first (no later read may trust an entity changed elsewhere),
//! then the procurement documents a change owes a buyer (ship notices, status confirmations),
//! then the export. The first failure stops the list: the event is retried (or dead-lettered)
//! as a whole, and each reaction is idempotent, so a retry repeats nothing that was done.

pub mod export;

use b2b_commands::WebhookEvent;
use futures_util::future::BoxFuture;

use crate::engine::context::Context;
use crate::engine::outcome::ApplyError;
use crate::lookups::mirror;
use crate::partners;

/// One thing done for a webhook event.
pub trait Reaction: Sync {
    /// Does it for `event` (nothing for an event it is not about).
    fn react<'a>(&'a self, cx: &'a Context, event: &'a WebhookEvent) -> Reacting<'a>;
}

/// What a reaction's future gives: nothing, or why the event is to be retried or refused.
pub type Reacting<'a> = BoxFuture<'a, Result<(), ApplyError>>;

/// The reactions every event goes through, in order (the export comes after them).
pub const REACTIONS: &[&dyn Reaction] = &[&MirrorStaleness, &ShipNotices, &StatusConfirmations];

/// A change made elsewhere to a company, buyer or address: its mirror snapshot is no longer
/// trusted, and the next batch reads the kind's changes.
struct MirrorStaleness;

impl Reaction for MirrorStaleness {
    fn react<'a>(&'a self, cx: &'a Context, event: &'a WebhookEvent) -> Reacting<'a> {
        Box::pin(mirror::touch_by_event(cx, event))
    }
}

/// A shipment made, changed or deleted in BigCommerce for an order from cXML: its ship notice
/// goes to the buyer's procurement system (once per change).
struct ShipNotices;

impl Reaction for ShipNotices {
    fn react<'a>(&'a self, cx: &'a Context, event: &'a WebhookEvent) -> Reacting<'a> {
        Box::pin(partners::announce_shipments(cx, event))
    }
}

/// An order from cXML cancelled or declined in BigCommerce: the buyer's procurement system is
/// told (once).
struct StatusConfirmations;

impl Reaction for StatusConfirmations {
    fn react<'a>(&'a self, cx: &'a Context, event: &'a WebhookEvent) -> Reacting<'a> {
        Box::pin(partners::confirm_status_change(cx, event))
    }
}

/// Where normalized webhook events go (the export path); `None` ignores them knowingly.
pub trait EventSink: Send + Sync + 'static {
    /// Handles one event.
    fn handle<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<(), ApplyError>>;

    /// Events with the same key are handled alike (the export of one company, say), so a batch
    /// handles each key once; `None` (the default) handles every event.
    fn coalesce_key(&self, _event: &WebhookEvent) -> Option<String> {
        None
    }
}

/// Runs every reaction for `event`, then its export through `export` when there is one: the
/// record's outcome (`exported`, or `ignored` without an export).
pub async fn react(
    cx: &Context,
    export: Option<&dyn EventSink>,
    event: &WebhookEvent,
) -> Result<&'static str, ApplyError> {
    for reaction in REACTIONS {
        reaction.react(cx, event).await?;
    }
    match export {
        Some(sink) => sink.handle(event).await.map(|()| "exported"),
        None => Ok("ignored"),
    }
}
