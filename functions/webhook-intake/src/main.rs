//! webhook-intake: the HTTP front door (API Gateway HTTP API v2 / Function URL).
//!
//! Wired here: configuration and the store client, validated at cold start, and `GET /health`.
//! Webhook verification, dedupe and enqueueing arrive with the webhook-intake issue; until then
//! every other route answers 404 rather than accepting something it would drop.

use b2b_shared::{setup, telemetry, Config, Need};
use lambda_http::{service_fn, Body, Error, Request, Response};

mod handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let config = Config::from_env(&[Need::InboundQueue, Need::StateTable])?;
    let sdk = setup::aws_config().await;
    let _client = setup::store_client(&config, &sdk, Default::default())?;
    lambda_http::run(service_fn(|req: Request| async move {
        Ok::<Response<Body>, Error>(handler::handle(&req))
    }))
    .await
}
