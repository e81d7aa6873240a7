//! auth-callback's Lambda entry point: validates the settings (every bad variable named at once)
//! and wires Secrets Manager and the HTTP client once per cold start.

use auth_callback::settings::Settings;
use auth_callback::{exchange, AuthCallback};
use b2b_shared::{setup, telemetry};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init_logging();
    let settings = Settings::from_lookup(|k| std::env::var(k).ok())?;
    let sdk = setup::aws_config().await;
    let callback = AuthCallback {
        settings,
        secrets: b2b_shared::secrets::SecretsApi::new(aws_sdk_secretsmanager::Client::new(&sdk)),
        http: exchange::http_client()?,
    };
    lambda_http::run(service_fn(|req: Request| {
        let callback = callback.clone();
        async move { Ok::<_, Error>(callback.handle(req).await) }
    }))
    .await
}
