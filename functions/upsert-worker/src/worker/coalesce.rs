//! Webhook events of one batch for the same export target (outside FIFO groups): the first is
//! handled, the rest take its result.

use super::record::{event_kind, Finished, Incoming};
use super::{RecordResult, Worker};

impl Worker {
    /// The coalescing key of a record that is a webhook event outside a FIFO group.
    pub(super) fn coalesce_key(&self, item: &Incoming<'_>) -> Option<String> {
        let sink = self.events.as_ref()?;
        if item.in_fifo_group() {
            return None;
        }
        let event = item.event()?;
        sink.coalesce_key(event)
            .map(|k| format!("{}\n{k}", event.store_hash))
    }

    /// Results for the events that share their export target with an earlier record of the
    /// batch (`followers`: the record and its leader's index in `items`): done when that one
    /// was, retried when it is retried; handled on their own when it was dead-lettered (each
    /// event then gets its own dead letter and reason).
    pub(super) async fn follow<'r>(
        &self,
        items: &'r [Incoming<'r>],
        results: &[Finished<'r>],
        followers: Vec<(&'r Incoming<'r>, usize)>,
    ) -> Vec<Finished<'r>> {
        let mut out = Vec::with_capacity(followers.len());
        for (item, leader) in followers {
            let leader_result = results
                .iter()
                .find(|(r, _)| std::ptr::eq(*r, &items[leader]))
                .map(|(_, result)| result);
            let kind = || item.event().map_or_else(|| "webhook".into(), event_kind);
            let result = match leader_result {
                Some(RecordResult::Done { .. }) => {
                    let (id, trace_id) = (item.message_id(), item.trace_id());
                    let kind = kind();
                    tracing::info!(message_id = %id, %trace_id, %kind, outcome = "coalesced", "command done");
                    RecordResult::Done {
                        kind,
                        outcome: "coalesced",
                    }
                }
                Some(RecordResult::Retry { reason, after, .. }) => RecordResult::Retry {
                    kind: kind(),
                    reason: format!("the same export failed for another event: {reason}"),
                    after: *after,
                    missing_company: false,
                },
                Some(RecordResult::DeadLettered { .. }) | None => self.process_now(item).await,
            };
            out.push((item, result));
        }
        out
    }
}
