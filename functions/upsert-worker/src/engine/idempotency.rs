//! A command's idempotency key bound to its content before the command is applied
//! ([`b2b_commands::KeyBinding`]): the first command with a key records its content digest in
//! the state table; the same command again goes on (to its done marker, or to be applied again
//! after a worker died before writing that), and any other command with the key is refused,
//! permanently, naming `idempotency_key`.
//!
//! Two first deliveries of one key at once are kept apart by a short lock on the key's record,
//! taken only while the record is absent: exactly one of them records its digest.

use b2b_commands::{Command, KeyBinding};
use b2b_shared::state::Claim;

use super::context::Context;
use super::lease::lease_ttl;
use super::outcome::ApplyError;
use crate::now_secs;

/// Binds `cmd`'s idempotency key to `cmd` (nothing to do without a key): `Ok` when the key is
/// `cmd`'s, a permanent error when another command holds it, a retryable one when the table
/// cannot say or another delivery is recording the key now.
pub async fn bind(cx: &Context, cmd: &Command) -> Result<(), ApplyError> {
    let Some(record) = cmd.key_record() else {
        return Ok(());
    };
    let now = now_secs();
    if let Some(bound) = read(cx, &record, now).await? {
        return checked(&bound, cmd);
    }
    let lock = format!("{record}#recording");
    if cx
        .state
        .claim(&lock, lease_ttl(cx.client.deadline()))
        .await?
        == Claim::Duplicate
    {
        return Err(ApplyError::retry(
            "another delivery with this `idempotency_key` is being recorded; retrying later",
        ));
    }
    let recorded = record_once(cx, cmd, &record, now).await;
    if let Err(e) = cx.state.release(&lock).await {
        tracing::warn!(error = %e, key = %lock, "idempotency lock not released; it expires by itself");
    }
    recorded
}

/// Under the key's lock: the binding another delivery recorded meanwhile, else `cmd`'s, written.
async fn record_once(
    cx: &Context,
    cmd: &Command,
    record: &str,
    now: i64,
) -> Result<(), ApplyError> {
    if let Some(bound) = read(cx, record, now).await? {
        return checked(&bound, cmd);
    }
    let binding = KeyBinding::of(cmd, now);
    cx.state
        .put_watermark_until(record, &binding.to_record(), binding.expires_at)
        .await?;
    Ok(())
}

/// The live binding recorded under `record`, if any.
async fn read(cx: &Context, record: &str, now: i64) -> Result<Option<KeyBinding>, ApplyError> {
    let value = cx.state.get_watermark(record).await?;
    Ok(value.and_then(|v| KeyBinding::from_record(&v, now)))
}

fn checked(bound: &KeyBinding, cmd: &Command) -> Result<(), ApplyError> {
    match bound.refusal(cmd) {
        None => Ok(()),
        Some(why) => Err(ApplyError::Permanent(why)),
    }
}
