//! Held-back creates: the `company.upsert`s and `user.upsert`s of a batch whose entity is
//! missing are created together, up to [`B2B_BULK_MAX`] of a kind per request, and the records
//! that waited only for a company created in the same batch are tried once more.

use std::collections::BTreeMap;

use bigcommerce_b2b::b2b::B2B_BULK_MAX;
use futures_util::StreamExt;

use super::record::{split_processed, Deferred, Finished, Incoming, Processed};
use super::{RecordResult, Worker};
use crate::engine::family::{BulkCreate, HeldCreate};
use crate::engine::outcome::{ApplyError, Outcome};
use crate::engine::Engine;

fn waits_for_a_company(item: &Incoming<'_>, result: &RecordResult) -> bool {
    matches!(
        result,
        RecordResult::Retry {
            missing_company: true,
            ..
        }
    ) && !item.in_fifo_group()
}

/// Passes over the waiting commands after the first: one per level of what waits for what
/// (a list waits for its buyer, who waits for a company, which waits for its group).
const WAITING_PASSES: usize = 3;

/// Whether `item` created what others in a batch may wait for: a company (its buyers,
/// addresses, branches, lists), a customer group (its companies), a buyer (its lists); each
/// command type says so itself (`Apply::OTHERS_WAIT_FOR_IT`).
fn created_what_others_wait_for(item: &Incoming<'_>, result: &RecordResult) -> bool {
    matches!(
        result,
        RecordResult::Done {
            outcome: "created",
            ..
        }
    ) && item
        .command()
        .is_some_and(|c| Engine::others_wait_for(&c.action))
}

impl Worker {
    /// Processes one record to its result, creating on its own what it would hold back.
    pub(super) async fn process_now(&self, item: &Incoming<'_>) -> RecordResult {
        match self.process(item, false).await {
            Processed::Finished(r) => r,
            // Not reachable with `defer == false`; finish it on its own all the same.
            Processed::Deferred(d) => self.finish_one_by_one(d).await.1,
        }
    }

    /// Creates the held-back companies, and the held-back buyers, of a pass: up to
    /// [`B2B_BULK_MAX`] of a kind per request, and finishes each command.
    pub(super) async fn create_all_deferred<'r>(
        &self,
        deferred: Vec<Deferred<'r>>,
    ) -> Vec<Finished<'r>> {
        let mut by_kind: BTreeMap<&'static str, Vec<Deferred<'r>>> = BTreeMap::new();
        for d in deferred {
            by_kind.entry(d.create.bulk_kind()).or_default().push(d);
        }
        let mut chunks = Vec::new();
        for mut list in by_kind.into_values() {
            while !list.is_empty() {
                let rest = list.split_off(list.len().min(B2B_BULK_MAX));
                chunks.push(std::mem::replace(&mut list, rest));
            }
        }
        let created: Vec<Vec<Finished<'r>>> = futures_util::stream::iter(chunks)
            .map(|chunk| self.create_deferred(chunk))
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        created.into_iter().flatten().collect()
    }

    /// Creates the entities of up to [`B2B_BULK_MAX`] deferred commands of one kind in one
    /// request and finishes each command. When BigCommerce refuses the bulk request (one bad
    /// entity refuses it), each command is applied again on its own, looking its entity up
    /// first: whatever the refused request did create is found, not duplicated, and only the
    /// bad command fails.
    async fn create_deferred<'r>(&self, chunk: Vec<Deferred<'r>>) -> Vec<Finished<'r>> {
        let held: Vec<&HeldCreate> = chunk.iter().map(|d| &d.create).collect();
        let results: Vec<Result<Outcome, ApplyError>> = match self
            .engine
            .create_held(&chunk[0].cmd.action, &held)
            .await
        {
            BulkCreate::Created(results) => results,
            BulkCreate::Retry(e) => vec![Err(e); chunk.len()],
            BulkCreate::Refused(reason) => {
                tracing::warn!(commands = chunk.len(), %reason, "bulk create refused; creating one by one");
                let each = chunk.into_iter().map(|d| self.finish_one_by_one(d));
                return futures_util::future::join_all(each).await;
            }
        };
        let mut out = Vec::with_capacity(chunk.len());
        for (d, result) in chunk.into_iter().zip(results) {
            let result = self.engine.finish(d.lease, result).await;
            let kind = d.cmd.kind().to_owned();
            out.push((
                d.item,
                self.conclude(d.item, kind, result.map(Outcome::as_str))
                    .await,
            ));
        }
        out
    }

    /// Applies a deferred command on its own (lookup, then create) and finishes it. The lookup
    /// is BigCommerce's, not the mirror's: a refused bulk request may have created the entity.
    async fn finish_one_by_one<'r>(&self, d: Deferred<'r>) -> Finished<'r> {
        let result = self.engine.without_mirror().apply_leased(d.cmd).await;
        let result = self.engine.finish(d.lease, result).await;
        let kind = d.cmd.kind().to_owned();
        (
            d.item,
            self.conclude(d.item, kind, result.map(Outcome::as_str))
                .await,
        )
    }

    /// A buyer, address, branch or list that came with what it needs in the same batch was
    /// looked up before that was created: once a pass has created a company, customer group or
    /// buyer, the waiting ones are tried again (buyers again held back for a bulk create),
    /// up to [`WAITING_PASSES`] times, instead of waiting out the visibility timeout.
    pub(super) async fn retry_missing_companies<'r>(
        &self,
        mut results: Vec<Finished<'r>>,
    ) -> Vec<Finished<'r>> {
        let mut progressed = results
            .iter()
            .any(|(item, r)| created_what_others_wait_for(item, r));
        for _ in 0..WAITING_PASSES {
            if !progressed {
                break;
            }
            let (waiting, mut done): (Vec<_>, Vec<_>) = results
                .into_iter()
                .partition(|(item, r)| waits_for_a_company(item, r));
            if waiting.is_empty() {
                return done;
            }
            let again: Vec<(&Incoming, Processed)> = futures_util::stream::iter(waiting)
                .map(|(item, _)| async move { (item, self.process(item, true).await) })
                .buffer_unordered(self.concurrency.max(1))
                .collect()
                .await;
            let (finished, deferred) = split_processed(again);
            let mut pass = finished;
            pass.extend(self.create_all_deferred(deferred).await);
            progressed = pass
                .iter()
                .any(|(item, r)| created_what_others_wait_for(item, r));
            done.extend(pass);
            results = done;
        }
        results
    }
}
