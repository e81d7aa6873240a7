//! What applying a command did ([`Outcome`]) or why it did not ([`ApplyError`]): retryable
//! (BigCommerce busy, something named not made yet) or permanent (dead-lettered with its
//! reason), classified once, where the error arises.

use std::time::Duration;

use b2b_shared::state::StateError;
use bigcommerce_b2b::BcError;

/// What applying a command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An entity was created.
    Created,
    /// An existing entity was changed.
    Updated,
    /// Everything already matched: nothing was written.
    Unchanged,
    /// The identical command was applied before: skipped without calls.
    Replayed,
    /// An entity was deleted.
    Deleted,
    /// Older than the source version last applied to its entity: skipped without calls, not
    /// dead-lettered (see [`versions`](super::versions)).
    Stale,
}

impl Outcome {
    /// Lower-case name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Replayed => "replayed",
            Outcome::Deleted => "deleted",
            Outcome::Stale => "stale",
        }
    }
}

/// What applying a command gave: its outcome, or why it was not applied.
pub type Applied = Result<Outcome, ApplyError>;

/// Why a command was not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// Try again later (after `after`, when known).
    #[error("{reason}")]
    Retryable {
        /// What happened.
        reason: String,
        /// When BigCommerce said to come back.
        after: Option<Duration>,
    },
    /// The company the command belongs to does not exist yet (retryable: it may be on its way,
    /// even in the same batch).
    #[error("company `{0}` does not exist yet; retrying later")]
    MissingCompany(String),
    /// The parent a `company.upsert` names (`company.parent_external_id`) does not exist yet
    /// (retryable like [`ApplyError::MissingCompany`]: parents come first).
    #[error("`company.parent_external_id`: the parent company `{0}` does not exist in this store yet; retrying later (a parent in another store never will)")]
    MissingParent(String),
    /// Something else a command names does not exist yet: a customer group of a
    /// `customergroup.upsert`, a company's buyer (retryable like
    /// [`ApplyError::MissingCompany`]: what is named comes first).
    #[error("`{field}`: `{name}` does not exist in this store yet; retrying later")]
    Missing {
        /// The command's field that names it.
        field: &'static str,
        /// What it names.
        name: String,
    },
    /// Will never succeed as sent: dead-letter it.
    #[error("{0}")]
    Permanent(String),
    /// Applied in part: the rest will never succeed as sent. `remainder` is the command with
    /// only what was refused, which the dead letter carries instead of the original.
    #[error("{reason}")]
    PartlyApplied {
        /// What was refused, and why.
        reason: String,
        /// The command's JSON with only the refused part.
        remainder: String,
    },
}

impl ApplyError {
    /// A retryable error with no time to come back after.
    pub fn retry(reason: impl Into<String>) -> Self {
        ApplyError::Retryable {
            reason: reason.into(),
            after: None,
        }
    }
}

impl From<BcError> for ApplyError {
    fn from(e: BcError) -> Self {
        if e.is_retryable() {
            ApplyError::Retryable {
                reason: e.to_string(),
                after: e.retry_after(),
            }
        } else {
            ApplyError::Permanent(e.to_string())
        }
    }
}

impl From<StateError> for ApplyError {
    fn from(e: StateError) -> Self {
        ApplyError::retry(e.to_string())
    }
}
