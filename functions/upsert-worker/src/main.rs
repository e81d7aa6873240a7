//! upsert-worker's Lambda entry point: settings (every bad variable named at once, the field
//! mapping loaded from its file or from S3) and clients once per cold start, then each SQS
//! batch is applied by [`upsert_worker::Worker`].

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use b2b_shared::{deadline, setup, telemetry};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use upsert_worker::settings::Settings;

// One thread: below 1,769 MB Lambda gives a function less than one vCPU, every wait here is
// I/O, and worker threads would only add stacks and allocator arenas to the resident memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let mut settings = setup::or_exit(setup::timed("settings", Settings::from_env));
    let sdk = setup::or_exit(setup::aws_config(settings.config.trust_roots).await);
    // A mapping in S3 is read now, before the runtime takes an event: without it, no message.
    setup::or_exit(settings.load_mapping(&sdk).await);
    let worker = setup::or_exit(setup::timed("wiring", || {
        upsert_worker::wiring::worker(&settings, &sdk)
    }));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let mut worker = worker.clone();
        async move {
            let deadline_ms = event.context.deadline;
            let until = deadline::from_epoch_millis(deadline_ms, deadline::DEFAULT_SAFETY_MARGIN);
            worker.engine.context.client = worker.engine.context.client.with_deadline(until);
            Ok::<SqsBatchResponse, Error>(worker.handle(&event.payload).await)
        }
    }))
    .await
}
