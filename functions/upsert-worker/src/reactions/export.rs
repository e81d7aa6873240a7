//! Near-real-time export: webhook events on the inbound queue become the same documents the
//! scheduled export makes (`store/order/*`, `store/quote/*`, `store/company/*`), sent to the
//! outbound queue right away. Other scopes are acknowledged and ignored knowingly.

use b2b_export::{ExportError, Exporter};
use futures_util::future::BoxFuture;

use super::EventSink;
use crate::engine::outcome::ApplyError;
use b2b_commands::WebhookEvent;

/// An [`EventSink`] that exports through order-export's code.
#[derive(Clone)]
pub struct ExportEvents(pub Exporter);

fn classify(e: ExportError) -> ApplyError {
    if e.is_retryable() {
        ApplyError::Retryable {
            reason: e.to_string(),
            after: None,
        }
    } else {
        ApplyError::Permanent(e.to_string())
    }
}

impl EventSink for ExportEvents {
    fn handle<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            let docs = self.0.documents_for_event(event).await.map_err(classify)?;
            if docs.is_empty() {
                tracing::debug!(scope = %event.scope, "webhook scope not exported; ignored");
                return Ok(());
            }
            self.0.deliver(docs).await.map_err(classify)?;
            Ok(())
        })
    }

    fn coalesce_key(&self, event: &WebhookEvent) -> Option<String> {
        Exporter::event_target(event).map(|t| format!("{t:?}"))
    }
}
