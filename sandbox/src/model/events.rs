//! What a model change announces: the webhook events it fires, handed back to the caller, which
//! queues them once the change is kept.

use serde_json::Value;

/// Webhook events produced by a change: `(scope, data)`.
pub type Events = Vec<(String, Value)>;
