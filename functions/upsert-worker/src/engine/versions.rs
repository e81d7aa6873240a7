//! Source versions ([`b2b_commands::SourceVersion`]): the last version applied on each version
//! line ([`Command::version_key`]: store, command type, external id) is kept in the state table,
//! and a command strictly older than it is stale: skipped, not dead-lettered, marked done like
//! a replay, its outcome `stale`.
//!
//! A version is recorded under the command's lease *before* the command is applied: a process
//! killed between applying and finishing leaves its version recorded, so no older command can
//! win afterwards, and its own redelivery (equal, not older) is applied again. The record only
//! grows ([`SourceVersion::over`] of a version that is not older), and only a lease holder
//! writes it. A command without a version is applied as it always was and leaves the record
//! alone.

use b2b_commands::{Command, SourceVersion};

use super::context::Context;
use super::outcome::ApplyError;

/// What the version line says about a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The command carries no version.
    Unversioned,
    /// Strictly older than the last version applied on its line.
    Stale {
        /// The command's version.
        sent: SourceVersion,
        /// The last version applied.
        applied: SourceVersion,
    },
    /// Equal to or newer than the last applied (or the first on its line).
    Current {
        /// The command's version.
        sent: SourceVersion,
        /// The last version applied, if any.
        applied: Option<SourceVersion>,
    },
}

/// Compares `cmd`'s version with the last one applied on its line (one state-table read; none
/// for a command without a version).
pub async fn check(cx: &Context, cmd: &Command) -> Result<Check, ApplyError> {
    let Some(sent) = cmd.source() else {
        return Ok(Check::Unversioned);
    };
    let record = cx.state.get_watermark(&cmd.version_key()).await?;
    let applied = record.as_ref().and_then(SourceVersion::from_record);
    Ok(match applied {
        Some(applied) if sent.is_older_than(&applied) => Check::Stale { sent, applied },
        applied => Check::Current { sent, applied },
    })
}

/// Under `cmd`'s lease: [`check`]s it and, when it is current, records its version before it is
/// applied (a retryable error when the record cannot be written: the command is not applied).
pub async fn check_and_record(cx: &Context, cmd: &Command) -> Result<Check, ApplyError> {
    let checked = check(cx, cmd).await?;
    if let Check::Current { sent, applied } = &checked {
        let recorded = sent.over(applied.as_ref());
        if applied.as_ref() != Some(&recorded) {
            cx.state
                .put_watermark(&cmd.version_key(), &recorded.to_record())
                .await?;
        }
    }
    Ok(checked)
}

/// Logs a stale command: its type, external id, trace id and both versions.
pub fn log_stale(cmd: &Command, sent: &SourceVersion, applied: &SourceVersion) {
    let trace_id = cmd.trace_id.as_deref().unwrap_or("");
    tracing::warn!(
        kind = cmd.kind(),
        external_id = %cmd.external_id,
        %trace_id,
        sent = %sent,
        applied = %applied,
        outcome = "stale",
        "command older than the version applied; skipped"
    );
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use b2b_shared::state::{MemoryState, Watermarks};
    use serde_json::json;

    use super::*;

    fn cx(state: Arc<MemoryState>) -> Context {
        // Never called: a version check asks the state table only.
        let url = url::Url::parse("http://127.0.0.1:9/").unwrap();
        let store = bigcommerce_b2b::StoreHash::parse("abc123").unwrap();
        let token = Arc::new(bigcommerce_b2b::StaticToken::new(store, "token"));
        let client = bigcommerce_b2b::BcClient::new(&url, &url, token, Default::default()).unwrap();
        Context::new(client, state, "external_id".into())
    }

    fn status(version: Option<u64>, at: Option<&str>) -> Command {
        let mut v = json!({"type": "company.status", "version": 1, "store_hash": "abc123",
            "external_id": "C-1", "status": "approved"});
        if let Some(n) = version {
            v["source_version"] = json!(n);
        }
        if let Some(t) = at {
            v["source_updated_at"] = json!(t);
        }
        Command::from_value(v).unwrap()
    }

    #[tokio::test]
    async fn an_older_version_is_stale_an_equal_or_newer_one_is_recorded_first() {
        let state = Arc::new(MemoryState::default());
        let cx = cx(state.clone());
        let five = status(Some(5), None);
        assert!(matches!(
            check_and_record(&cx, &five).await.unwrap(),
            Check::Current { applied: None, .. }
        ));
        let key = five.version_key();
        assert_eq!(state.watermark(&key), Some(json!({"source_version": 5})));
        // Its own redelivery (equal) is current; an older one is stale and records nothing.
        assert!(matches!(
            check_and_record(&cx, &five).await.unwrap(),
            Check::Current { .. }
        ));
        let Check::Stale { sent, applied } =
            check_and_record(&cx, &status(Some(4), None)).await.unwrap()
        else {
            panic!("4 after 5 is stale")
        };
        assert_eq!((sent.version, applied.version), (Some(4), Some(5)));
        assert_eq!(state.watermark(&key), Some(json!({"source_version": 5})));
        // Newer: recorded, keeping the time the record had.
        state
            .put_watermark(
                &key,
                &json!({"source_version": 5, "source_updated_at": "2026-11-10T09:00:00+00:00"}),
            )
            .await
            .unwrap();
        check_and_record(&cx, &status(Some(6), None)).await.unwrap();
        assert_eq!(
            state.watermark(&key),
            Some(json!({"source_version": 6, "source_updated_at": "2026-11-10T09:00:00+00:00"}))
        );
    }

    #[tokio::test]
    async fn a_command_without_a_version_reads_and_writes_nothing() {
        let state = Arc::new(MemoryState::default());
        let cx = cx(state.clone());
        state.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            check_and_record(&cx, &status(None, None)).await.unwrap(),
            Check::Unversioned
        );
        // With a version, an unreadable table is a retry, never a guess.
        assert!(matches!(
            check_and_record(&cx, &status(None, Some("2026-11-10T09:00:00Z"))).await,
            Err(ApplyError::Retryable { .. })
        ));
        state.fail.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(state.watermark_count(), 0);
    }
}
