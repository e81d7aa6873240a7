//! upsert-worker: applies inbound commands from SQS to BigCommerce.
//!
//! Wired here: configuration and the store client, validated at cold start. Command handling
//! arrives with the upsert-worker issue; until then every record is reported as a batch item
//! failure, so SQS keeps it (and dead-letters it after `maxReceiveCount`) instead of losing it.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::{setup, telemetry, Config, Need};
use lambda_runtime::{service_fn, Error, LambdaEvent};

mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::InboundQueue, Need::StateTable])?;
    let sdk = setup::aws_config().await;
    let _client = setup::store_client(&config, &sdk, Default::default())?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(handler::handle(&event.payload))
    }))
    .await
}
