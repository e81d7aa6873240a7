//! `redrive`: moves dead-lettered commands back to the inbound queue after a fix.
//!
//!     DEAD_LETTER_QUEUE_URL=... INBOUND_QUEUE_URL=... cargo run -p upsert-worker --bin redrive [LIMIT]
//!
//! (`make redrive` runs it.) AWS credentials and region come from the usual environment.

use upsert_worker::redrive::redrive;
use upsert_worker::settings::RedriveSettings;

#[tokio::main]
async fn main() {
    let settings = match RedriveSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("redrive: {e}");
            std::process::exit(2);
        }
    };
    let limit = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => usize::MAX,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("redrive: LIMIT must be a whole number");
            std::process::exit(2);
        }
    };
    let sdk = aws_config::load_from_env().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    match redrive(
        &sqs,
        &settings.dead_letter_queue_url,
        &settings.inbound_queue_url,
        limit,
    )
    .await
    {
        Ok(done) => println!(
            "redrive: moved {} message(s) from the dead-letter queue back to the inbound queue",
            done.moved
        ),
        Err(e) => {
            eprintln!("redrive: {e}");
            std::process::exit(1);
        }
    }
}
