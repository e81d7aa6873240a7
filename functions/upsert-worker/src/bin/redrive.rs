//! `redrive`: moves dead-lettered commands back to the inbound queue after a fix.
//!
//!     DEAD_LETTER_QUEUE_URL=... INBOUND_QUEUE_URL=... cargo run -p upsert-worker --bin redrive [LIMIT]
//!
//! (`make redrive` runs it.) AWS credentials and region come from the usual environment.

use upsert_worker::redrive::redrive;

#[tokio::main]
async fn main() {
    let dlq = std::env::var("DEAD_LETTER_QUEUE_URL").unwrap_or_default();
    let inbound = std::env::var("INBOUND_QUEUE_URL").unwrap_or_default();
    if dlq.is_empty() || inbound.is_empty() {
        eprintln!("redrive: set DEAD_LETTER_QUEUE_URL and INBOUND_QUEUE_URL");
        std::process::exit(2);
    }
    let limit = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => usize::MAX,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("redrive: LIMIT must be a whole number");
            std::process::exit(2);
        }
    };
    let sdk = aws_config::load_from_env().await;
    match redrive(&aws_sdk_sqs::Client::new(&sdk), &dlq, &inbound, limit).await {
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
