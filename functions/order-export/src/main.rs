//! order-export's Lambda entry point: settings and clients once per cold start; each scheduled
//! invocation runs the export until done or until its deadline nears (the next run continues
//! from the saved position) or, serving many stores, queues one export job per store, and each
//! SQS batch of jobs exports those stores.

use b2b_shared::{deadline, setup, telemetry};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use order_export::Settings;
use serde_json::Value;

// One thread: below 1,769 MB Lambda gives a function less than one vCPU, every wait here is
// I/O, and worker threads would only add stacks and allocator arenas to the resident memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let settings = setup::or_exit(setup::timed("settings", Settings::from_env));
    let sdk = setup::or_exit(setup::aws_config(settings.config.trust_roots).await);
    let export = setup::or_exit(setup::timed("wiring", || {
        order_export::order_export(&settings, &sdk)
    }));
    let export = &export;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let until =
            deadline::from_epoch_millis(event.context.deadline, deadline::DEFAULT_SAFETY_MARGIN);
        Ok::<Value, Error>(export.handle(&event.payload, until).await?)
    }))
    .await
}
