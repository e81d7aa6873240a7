//! Documents for webhook events: which entity an event is about ([`EventTarget`]), that entity
//! read fresh and made into its document by the schedule's code, or a tombstone when the entity
//! is deleted or gone; and the activation time of a company an event found approved.

use b2b_commands::WebhookEvent;
use b2b_shared::telemetry::{emit_metrics, Metric};
use bigcommerce_b2b::b2b::Company;

use super::items::Item;
use super::{json_int, now_secs, ExportError, Exporter};
use crate::documents::{Deletion, Document};

/// `AccountActivationSeconds`, from a `store/company/statusUpdated` event that found its company
/// approved: the time of the status change (the event's) minus the company's creation. The
/// schedule cannot tell it: a company's `updatedAt` is its last edit, not its approval.
fn emit_activation(event: &WebhookEvent, company: &Company) {
    if event.scope != "store/company/statusUpdated" || company.company_status != Some(1) {
        return;
    }
    let Some(created) = company.created_at else {
        return;
    };
    let approved = event.created_at.unwrap_or(event.received_at);
    emit_metrics(
        &[("Function", "upsert-worker"), ("Stream", "companies")],
        &[Metric {
            name: "AccountActivationSeconds",
            value: (approved - created).max(0) as f64,
            unit: "Seconds",
        }],
    );
}

/// The entity a webhook event's document is about: see [`Exporter::event_target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventTarget {
    /// A core order id.
    Order(i64),
    /// A B2B quote id.
    Quote(i64),
    /// A B2B company id.
    Company(i64),
}

/// Whether a scope announces the end of its entity (`store/company/deleted`,
/// `store/quote/deleted`, `store/order/archived`). A buyer's or an address's deletion changes
/// its company, whose document is exported again instead.
fn is_deletion(scope: &str) -> bool {
    let entity_level = scope.matches('/').count() == 2;
    // A shipment's events are about its order, which stays: its document is read again.
    let of_its_target = !scope.starts_with("store/shipment/");
    entity_level && of_its_target && (scope.ends_with("/deleted") || scope.ends_with("/archived"))
}

/// The tombstone of `target`, known from `event` through `source`.
fn tombstone(
    store: &str,
    target: EventTarget,
    event: &WebhookEvent,
    source: &'static str,
) -> Document {
    let (kind, id) = match target {
        EventTarget::Order(id) => ("order", id),
        EventTarget::Quote(id) => ("quote", id),
        EventTarget::Company(id) => ("company", id),
    };
    let deletion = Deletion {
        at: event.created_at.unwrap_or(event.received_at),
        source,
        scope: event.scope.clone(),
    };
    Document::tombstone(kind, store, id, now_secs(), deletion)
}

/// How long before a quote event its quote may have been changed (clock skew, delivery delay).
const QUOTE_EVENT_SLACK_SECS: i64 = 600;

impl Exporter {
    /// What a webhook event's document is about (`store/order/*` and `store/shipment/*`: the
    /// order, `store/quote/*`: the quote, `store/company/*`: the company); `None` for scopes
    /// that are not exported.
    /// Events with the same target make the same document (it is read fresh), so a batch
    /// needs to export each target once.
    pub fn event_target(event: &WebhookEvent) -> Option<EventTarget> {
        let id_of = |keys: &[&str]| -> Option<i64> {
            if let Some(r) = &event.resource {
                if keys.iter().any(|k| k.trim_end_matches("_id") == r.kind) {
                    return Some(r.id);
                }
            }
            keys.iter()
                .find_map(|k| event.data.get(*k).and_then(json_int))
        };
        let scope = event.scope.as_str();
        if scope.starts_with("store/shipment/") {
            // `{type: shipment, id, orderId}`: the order's document carries its shipments.
            return event
                .data
                .get("orderId")
                .and_then(json_int)
                .map(EventTarget::Order);
        }
        if scope.starts_with("store/order/") {
            id_of(&["order_id", "id"]).map(EventTarget::Order)
        } else if scope.starts_with("store/quote/") {
            id_of(&["quote_id"]).map(EventTarget::Quote)
        } else if scope.starts_with("store/company/") {
            id_of(&["company_id"]).map(EventTarget::Company)
        } else {
            None
        }
    }

    /// The documents a webhook event stands for, made by the same code as the schedule
    /// (see [`event_target`](Self::event_target)); other scopes give none.
    pub async fn documents_for_event(
        &self,
        event: &WebhookEvent,
    ) -> Result<Vec<Document>, ExportError> {
        let store = self.store_hash().await?;
        if let Some(target) = Self::event_target(event).filter(|_| is_deletion(&event.scope)) {
            return Ok(vec![tombstone(&store, target, event, "webhook")]);
        }
        let item = match Self::event_target(event) {
            Some(EventTarget::Order(id)) => self
                .client
                .core()
                .order(id)
                .await?
                .map(|o| Item::Order(Box::new(o))),
            Some(EventTarget::Quote(id)) => self.quote_of_event(id, event).await?,
            Some(EventTarget::Company(id)) => {
                let company = self.client.b2b().company(id).await?;
                if let Some(c) = &company {
                    emit_activation(event, c);
                }
                company.map(|c| Item::Company(Box::new(c)))
            }
            None => None,
        };
        match (item, Self::event_target(event)) {
            (Some(item), _) => Ok(self.document(&store, item).await?.into_iter().collect()),
            (None, Some(target)) => Ok(vec![tombstone(&store, target, event, "not_found")]),
            (None, None) => Ok(Vec::new()),
        }
    }

    /// The quote a `store/quote/*` event names, as the schedule lists it: its entry among the
    /// quotes changed since shortly before the event (the entry's id and creation date are what
    /// the detail call, made by the document, needs), else among all quotes. `None` when the
    /// quote is gone.
    async fn quote_of_event(
        &self,
        id: i64,
        event: &WebhookEvent,
    ) -> Result<Option<Item>, ExportError> {
        let happened = event.created_at.unwrap_or_else(now_secs);
        let b2b = self.client.b2b();
        let mut listed = b2b
            .find_quote(id, happened - QUOTE_EVENT_SLACK_SECS)
            .await?;
        if listed.is_none() && !event.scope.ends_with("/deleted") {
            // Not changed since the event (a skewed clock, an old replay): every quote, once.
            listed = b2b.find_quote(id, 0).await?;
        }
        Ok(listed.map(|q| Item::Quote(Box::new(q))))
    }
}
