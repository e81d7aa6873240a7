//! The SQS batch handler of upsert-worker.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

/// Handles one batch: for now, keeps every record on the queue (reported failed), losing nothing.
pub fn handle(event: &SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let Some(id) = record.message_id.clone() else {
            continue;
        };
        tracing::warn!(message_id = %id, "command handling is not implemented yet; leaving the message on the queue");
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_acknowledged_before_it_is_applied() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({
            "Records": [
                {"messageId": "m1", "body": "{}", "eventSource": "aws:sqs"},
                {"messageId": "m2", "body": "{}", "eventSource": "aws:sqs"}
            ]
        }))
        .unwrap();
        let resp = handle(&event);
        let ids: Vec<_> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["m1", "m2"]);
    }
}
