//! Moves dead-lettered messages back to the inbound queue after a fix (`make redrive`).
//!
//! Each dead-letter message carries the original body under `original` (a
//! [`DeadLetter`], as written by the worker); messages SQS itself moved after `maxReceiveCount`
//! are the original body already. A message is deleted from the dead-letter queue only after
//! its original was sent. (The SQS console's redrive sends the dead letters back as they are;
//! the worker opens them itself, so both ways work.)

use aws_sdk_sqs::Client;
use b2b_commands::DeadLetter;
use serde_json::Value;

/// What a redrive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redriven {
    /// Messages sent back to the inbound queue.
    pub moved: usize,
}

/// The body to send back: `original` of a worker dead-letter, else the message as it is.
pub fn original_body(dead_letter: &str) -> String {
    serde_json::from_str::<Value>(dead_letter)
        .ok()
        .and_then(|v| DeadLetter::open(&v))
        .map_or_else(|| dead_letter.to_owned(), |letter| letter.original)
}

/// Moves up to `limit` messages from `dlq_url` to `inbound_url`.
pub async fn redrive(
    client: &Client,
    dlq_url: &str,
    inbound_url: &str,
    limit: usize,
) -> Result<Redriven, String> {
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    let mut done = Redriven::default();
    let fifo = inbound_url.ends_with(".fifo");
    while done.moved < limit {
        let batch = client
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
            )
            .send()
            .await
            .map_err(|e| fail(&aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
        let messages = batch.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let (Some(body), Some(receipt)) = (m.body.as_deref(), m.receipt_handle.as_deref())
            else {
                continue;
            };
            let mut send = client
                .send_message()
                .queue_url(inbound_url)
                .message_body(original_body(body));
            if fifo {
                let group = m
                    .attributes
                    .as_ref()
                    .and_then(|a| {
                        a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
                            .cloned()
                    })
                    .unwrap_or_else(|| "redrive".to_owned());
                send = send
                    .message_group_id(group)
                    .message_deduplication_id(format!(
                        "redrive-{}",
                        m.message_id.clone().unwrap_or_default()
                    ));
            }
            send.send()
                .await
                .map_err(|e| fail(&aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
            client
                .delete_message()
                .queue_url(dlq_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(|e| fail(&aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
            done.moved += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_is_sent_back() {
        let dl = serde_json::json!({"error": "bad", "original": "{\"type\":\"x\"}"}).to_string();
        assert_eq!(original_body(&dl), "{\"type\":\"x\"}");
        assert_eq!(
            original_body("{\"type\":\"company.upsert\"}"),
            "{\"type\":\"company.upsert\"}"
        );
        assert_eq!(original_body("not json"), "not json");
    }
}
