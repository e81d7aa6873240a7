//! token-refresh's Lambda entry point: settings (every bad variable named at once) and clients
//! once per cold start, then each invocation runs what its input asks for (see the crate
//! documentation).

use std::time::Duration;

use b2b_shared::deadline::from_epoch_millis;
use b2b_shared::{setup, telemetry};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use token_refresh::settings::Settings;

// One thread: below 1,769 MB Lambda gives a function less than one vCPU, every wait here is
// I/O, and worker threads would only add stacks and allocator arenas to the resident memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let settings = setup::or_exit(setup::timed("settings", Settings::from_env));
    let sdk = setup::or_exit(setup::aws_config(settings.config.trust_roots).await);
    let handler = setup::or_exit(setup::timed("wiring", || {
        token_refresh::handler(&settings, &sdk)
    }));
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move {
            let deadline = from_epoch_millis(event.context.deadline, Duration::from_secs(2));
            // Boxed: the handler's future is deep enough to overflow the layout query otherwise.
            Box::pin(handler.handle(&event.payload, Some(deadline)))
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
