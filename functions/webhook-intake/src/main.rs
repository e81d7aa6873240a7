//! webhook-intake's Lambda entry point: wires configuration, the store secret, the inbound queue
//! and the state table once per cold start, then serves requests with [`webhook_intake::Intake`].

use std::sync::Arc;

use b2b_shared::queue::SqsQueue;
use b2b_shared::secrets::{SecretCache, SecretsApi, DEFAULT_SECRET_TTL};
use b2b_shared::state::DynamoState;
use b2b_shared::{setup, telemetry, Config, Need};
use lambda_http::{service_fn, Error, Request};
use webhook_intake::{Intake, Settings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::InboundQueue, Need::StateTable])?;
    let queue_url = config.inbound_queue_url.clone().unwrap_or_default();
    let table = config.state_table.clone().unwrap_or_default();
    let settings = Settings::from_lookup(|k| std::env::var(k).ok(), &queue_url)?;
    let sdk = setup::aws_config().await;
    let intake = Intake {
        credentials: Arc::new(SecretCache::new(
            SecretsApi::new(aws_sdk_secretsmanager::Client::new(&sdk)),
            config.secret_id.clone(),
            DEFAULT_SECRET_TTL,
        )),
        queue: Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url)),
        state: Arc::new(DynamoState::new(aws_sdk_dynamodb::Client::new(&sdk), table)),
        settings,
    };
    lambda_http::run(service_fn(|req: Request| {
        let intake = intake.clone();
        async move { Ok::<_, Error>(intake.handle(req).await) }
    }))
    .await
}
