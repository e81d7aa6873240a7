//! token-refresh: the scheduled housekeeping of credentials and webhook subscriptions.
//!
//! The input (EventBridge Scheduler delivers only the target's `Input` JSON) names a task:
//! `{"task": "check-webhooks"}` keeps the store's webhook subscriptions active (this is where the
//! subscription check lives; see the README). Other tasks (OAuth2 refresh, rotation, token health)
//! arrive with the token-refresh issue.

pub mod webhooks;

use serde::Deserialize;

/// What an invocation is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Keep webhook subscriptions active.
    CheckWebhooks,
}

/// The scheduled input: `{"task": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduledInput {
    /// The task.
    pub task: Task,
}

impl ScheduledInput {
    /// Parses an invocation's input with a clear error.
    pub fn parse(input: &serde_json::Value) -> Result<Self, String> {
        serde_json::from_value(input.clone()).map_err(|e| {
            format!("expected {{\"task\": \"check-webhooks\"}} as the schedule's input: {e}")
        })
    }
}
