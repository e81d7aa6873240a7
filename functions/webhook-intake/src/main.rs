//! webhook-intake's Lambda entry point: settings (every bad variable named at once) and clients
//! once per cold start, then each request is served by [`webhook_intake::Intake`].

use b2b_shared::{setup, telemetry};
use lambda_http::{service_fn, Error, Request};
use webhook_intake::Settings;

// One thread: below 1,769 MB Lambda gives a function less than one vCPU, every wait here is
// I/O, and worker threads would only add stacks and allocator arenas to the resident memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let settings = setup::or_exit(setup::timed("settings", Settings::from_env));
    let sdk = setup::or_exit(setup::aws_config(settings.config.trust_roots).await);
    let intake = setup::timed("wiring", || webhook_intake::intake(&settings, &sdk));
    lambda_http::run(service_fn(|req: Request| {
        let intake = intake.clone();
        async move { Ok::<_, Error>(intake.handle(req).await) }
    }))
    .await
}
