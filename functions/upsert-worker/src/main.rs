//! upsert-worker's Lambda entry point: wires configuration, the store client, the state table,
//! the dead-letter queue and the optional field mapping once per cold start.

use std::path::Path;
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::queue::SqsQueue;
use b2b_shared::state::DynamoState;
use b2b_shared::{deadline, setup, telemetry, Config, Need};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use upsert_worker::mapping::Mapping;
use upsert_worker::worker::SqsVisibility;
use upsert_worker::{Applier, Worker};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::InboundQueue, Need::StateTable, Need::DeadLetterQueue])?;
    let dlq_url = config.dead_letter_queue_url.clone().unwrap_or_default();
    let mapping = match std::env::var("FIELD_MAPPING_FILE")
        .ok()
        .filter(|p| !p.trim().is_empty())
    {
        Some(path) => Some(Arc::new(Mapping::load(Path::new(&path))?)),
        None => None,
    };
    let sdk = setup::aws_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let client = setup::store_client(&config, &sdk, Default::default())?;
    let state = Arc::new(DynamoState::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        config.state_table.clone().unwrap_or_default(),
    ));
    // With an outbound queue, webhook events are exported right away (the order-export code).
    let events: Option<Arc<dyn upsert_worker::worker::EventSink>> =
        match std::env::var("OUTBOUND_QUEUE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => Some(Arc::new(upsert_worker::export_events::ExportEvents(
                b2b_export::Exporter {
                    client: client.clone(),
                    state: state.clone(),
                    fifo: url.ends_with(".fifo"),
                    archive: None,
                    outbound: Arc::new(SqsQueue::new(sqs.clone(), url)),
                    settings: b2b_export::ExportSettings::from_lookup(|k| std::env::var(k).ok())
                        .map_err(|problems| b2b_shared::ConfigError { problems })?,
                },
            ))),
            None => None,
        };
    let worker = Worker {
        applier: Applier::new(
            client,
            state,
            std::env::var("EXTERNAL_ID_FIELD").unwrap_or_else(|_| "external_id".into()),
        ),
        mapping,
        dead_letters: Arc::new(SqsQueue::new(sqs.clone(), dlq_url)),
        visibility: Some(Arc::new(SqsVisibility {
            client: sqs,
            queue_url: config.inbound_queue_url.clone().unwrap_or_default(),
        })),
        events,
        concurrency: 4,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let mut worker = worker.clone();
        async move {
            let deadline_ms = event.context.deadline;
            let until = deadline::from_epoch_millis(deadline_ms, deadline::DEFAULT_SAFETY_MARGIN);
            worker.applier.client = worker.applier.client.with_deadline(until);
            Ok::<SqsBatchResponse, Error>(worker.handle(&event.payload).await)
        }
    }))
    .await
}
