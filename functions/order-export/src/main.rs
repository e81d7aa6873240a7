//! order-export's Lambda entry point: wires configuration, the store client, the state table and
//! the outbound queue once per cold start; each scheduled invocation runs the export until done
//! or until its deadline nears (the next run continues from the saved position).

use std::sync::Arc;

use b2b_shared::queue::SqsQueue;
use b2b_shared::state::DynamoState;
use b2b_shared::{deadline, setup, telemetry, Config, Need};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use order_export::settings::ScheduleInput;
use order_export::{ExportSettings, Exporter};
use serde_json::Value;

/// The S3 client; path-style addressing when an endpoint override (moto, MinIO) is configured.
fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::OutboundQueue, Need::StateTable])?;
    let settings = ExportSettings::from_lookup(|k| std::env::var(k).ok())?;
    let sdk = setup::aws_config().await;
    let outbound_url = config.outbound_queue_url.clone().unwrap_or_default();
    let exporter = Exporter {
        client: setup::store_client(&config, &sdk, Default::default())?,
        state: Arc::new(DynamoState::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.state_table.clone().unwrap_or_default(),
        )),
        fifo: outbound_url.ends_with(".fifo"),
        archive: std::env::var("EXPORT_BUCKET")
            .ok()
            .filter(|b| !b.trim().is_empty())
            .map(|bucket| order_export::archive::S3Archive {
                client: s3_client(&sdk),
                bucket,
                prefix: std::env::var("EXPORT_PREFIX").unwrap_or_else(|_| "exports/".into()),
            }),
        outbound: Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), outbound_url)),
        settings,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let exporter = exporter.clone();
        async move {
            let input = ScheduleInput::parse(&event.payload)?;
            let until = deadline::from_epoch_millis(
                event.context.deadline,
                deadline::DEFAULT_SAFETY_MARGIN,
            );
            let mut exporter = exporter;
            exporter.client = exporter.client.with_deadline(until);
            let report = exporter.run(input.streams.as_deref(), Some(until)).await;
            Ok::<Value, Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
