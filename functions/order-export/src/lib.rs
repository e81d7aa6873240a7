//! order-export, the function: runs the export library ([`b2b_export`]) on a schedule.
//!
//! - [`settings`]: every environment variable it reads, validated at cold start, and the
//!   schedule input.
//! - [`s3`]: the archive's parts in S3.
//! - [`jobs`]: many stores: the schedule's fan-out, one export job per store.
//! - [`order_export()`]: the [`OrderExport`] these settings describe.

pub mod jobs;
pub mod s3;
pub mod settings;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use b2b_export::archive::Archive;
use b2b_export::Exporter;
use b2b_shared::queue::SqsQueue;
use b2b_shared::setup;
use b2b_shared::state::DynamoState;
use b2b_shared::stores::{NoStore, StoreClients};
use bigcommerce_b2b::BcError;
use serde_json::Value;
use tokio::time::Instant;

pub use settings::{ScheduleInput, Settings};

/// What one invocation runs: the export of one store, or, serving many stores, the jobs.
pub struct OrderExport {
    /// The exporter: one store's; serving many stores, the one every job starts from (its
    /// client serves no store, each job's replaces it).
    pub exporter: Exporter,
    /// Serving many stores: each tick queues a job per store, each job exports its store.
    pub jobs: Option<jobs::Jobs>,
}

impl OrderExport {
    /// Handles one invocation's `payload` (a schedule's input, or an SQS batch of export jobs),
    /// working until `until`.
    pub async fn handle(&self, payload: &Value, until: Instant) -> Result<Value, String> {
        let is_jobs = payload["Records"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["eventSource"] == "aws:sqs"));
        match &self.jobs {
            Some(jobs) if is_jobs => {
                let event: SqsEvent = serde_json::from_value(payload.clone())
                    .map_err(|e| format!("not an SQS batch of export jobs: {e}"))?;
                json(&jobs.run(&event, &self.exporter, until).await)
            }
            Some(jobs) => {
                let input = ScheduleInput::parse(payload)?;
                let now = chrono::Utc::now().timestamp();
                let stores = jobs.fan_out(input.streams, now).await?;
                let queued: Vec<String> = stores.iter().map(ToString::to_string).collect();
                Ok(serde_json::json!({ "jobs_queued": queued }))
            }
            None if is_jobs => Err(
                "this order-export serves one store and runs on its schedule, not on export jobs"
                    .into(),
            ),
            None => {
                let input = ScheduleInput::parse(payload)?;
                let exporter = Exporter {
                    client: self.exporter.client.with_deadline(until),
                    ..self.exporter.clone()
                };
                json(&exporter.run(input.streams.as_deref(), Some(until)).await)
            }
        }
    }
}

fn json(value: &impl serde::Serialize) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// What `settings` describe, with AWS clients from `sdk`: one store's exporter, or, serving many
/// stores, the jobs (each store's client made on its first job).
pub fn order_export(
    settings: &Settings,
    sdk: &aws_config::SdkConfig,
) -> Result<OrderExport, BcError> {
    let config = &settings.config;
    let state = Arc::new(DynamoState::new(
        aws_sdk_dynamodb::Client::new(sdk),
        settings.state_table().to_owned(),
    ));
    let many = config.stores.single_secret_id().is_none();
    let client = if many {
        setup::client_for(config, Arc::new(NoStore), Default::default())?
    } else {
        setup::store_client(config, sdk, Default::default())?
    };
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let exporter = Exporter {
        client,
        state: state.clone(),
        fifo: settings.fifo(),
        archive: settings.archive.as_ref().map(|a| Archive {
            store: Arc::new(s3::S3Parts {
                client: s3::S3Parts::client(sdk),
                bucket: a.bucket.clone(),
            }),
            prefix: a.prefix.clone(),
        }),
        outbound: Arc::new(SqsQueue::new(
            sqs.clone(),
            settings.outbound_queue_url().to_owned(),
        )),
        settings: settings.export.clone(),
    };
    let jobs = match (&settings.jobs_queue_url, many) {
        (Some(jobs_url), true) => Some(jobs::Jobs {
            clients: StoreClients::new(
                setup::store_directory(config, sdk, Some(state)),
                config.clone(),
                None,
            ),
            queue: Arc::new(SqsQueue::new(sqs, jobs_url.clone())),
        }),
        _ => None,
    };
    Ok(OrderExport { exporter, jobs })
}
