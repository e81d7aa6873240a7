//! Many stores: each scheduled tick becomes one export job per served store on the jobs queue (a
//! FIFO queue grouped by store: one export per store runs at a time, and the stores run in
//! parallel, each in its own invocation, so one store's backlog never delays another's), and each
//! job exports its store with that store's own client and positions. A store uninstalled since
//! the tick is skipped; a store that cannot be looked up now has its job retried.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use b2b_export::{Exporter, StreamKind};
use b2b_shared::queue::{OutgoingMessage, Queue};
use b2b_shared::stores::StoreClients;
use bigcommerce_b2b::StoreHash;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// One store's export, as queued by the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    /// The store.
    pub store_hash: String,
    /// Only these streams (as the schedule's input said); all configured ones without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<Vec<StreamKind>>,
}

/// The export of many stores: the fan-out and the jobs.
pub struct Jobs {
    /// Each store's client.
    pub clients: StoreClients,
    /// The jobs queue (FIFO).
    pub queue: Arc<dyn Queue>,
}

impl Jobs {
    /// Queues one job per served store for the tick at `now` (unix seconds): grouped by store,
    /// deduplicated per store and minute, so a schedule delivered twice queues each store once.
    pub async fn fan_out(
        &self,
        streams: Option<Vec<StreamKind>>,
        now: i64,
    ) -> Result<Vec<StoreHash>, String> {
        let stores = self
            .clients
            .directory()
            .stores()
            .await
            .map_err(|e| format!("the stores served could not be listed: {e}"))?;
        let mut messages = Vec::with_capacity(stores.len());
        for (i, store) in stores.iter().enumerate() {
            let job = ExportJob {
                store_hash: store.to_string(),
                streams: streams.clone(),
            };
            let body = serde_json::to_string(&job).map_err(|e| e.to_string())?;
            let mut message = OutgoingMessage::new(format!("{i}"), body);
            message.group_id = Some(store.to_string());
            message.dedup_id = Some(format!("{store}-{}", now / 60));
            messages.push(message);
        }
        self.queue
            .send_all(&messages)
            .await
            .map_err(|e| format!("export jobs not queued: {e}"))?;
        tracing::info!(stores = stores.len(), "export jobs queued, one per store");
        Ok(stores)
    }

    /// Runs the jobs of an SQS batch, each until done or until `until`; a job whose store
    /// cannot be looked up now is reported failed, so SQS retries it. Each job's exporter is
    /// `template` with the job's store's client.
    pub async fn run(
        &self,
        event: &SqsEvent,
        template: &Exporter,
        until: Instant,
    ) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in &event.records {
            let body = record.body.as_deref().unwrap_or("");
            let retry = self.run_one(body, template, until).await;
            if let (Err(reason), Some(id)) = (retry, &record.message_id) {
                tracing::warn!(message_id = %id, %reason, "export job retried");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id.clone();
                response.batch_item_failures.push(failure);
            }
        }
        response
    }

    /// One job; `Err` when it should be retried.
    async fn run_one(&self, body: &str, template: &Exporter, until: Instant) -> Result<(), String> {
        let job: ExportJob = match serde_json::from_str(body) {
            Ok(job) => job,
            Err(e) => {
                // The next tick queues a good one: nothing is lost by dropping this one.
                tracing::error!(error = %e, "not an export job; dropped");
                return Ok(());
            }
        };
        let Ok(store) = StoreHash::parse(&job.store_hash) else {
            tracing::error!(store = %job.store_hash, "export job for an invalid store hash; dropped");
            return Ok(());
        };
        let client = match self.clients.client_of(&store).await {
            Ok(Some(client)) => client,
            Ok(None) => {
                tracing::info!(%store, "store no longer served (uninstalled?); nothing exported");
                return Ok(());
            }
            Err(e) if e.is_retryable() => return Err(e.to_string()),
            Err(e) => {
                tracing::error!(%store, error = %e, "store cannot be exported until its secret is fixed");
                return Ok(());
            }
        };
        let exporter = Exporter {
            client: client.with_deadline(until),
            ..template.clone()
        };
        let report = exporter.run(job.streams.as_deref(), Some(until)).await;
        tracing::info!(%store, complete = report.complete, "store exported");
        Ok(())
    }
}
