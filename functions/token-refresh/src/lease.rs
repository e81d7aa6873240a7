//! A short lease, kept in the connection secret itself, that lets one run at a time ask the token
//! endpoint for a new token on top of a given `AWSCURRENT` version.
//!
//! Why: a provider that rotates refresh tokens invalidates the old one when it issues a new one.
//! If two runs both traded the same refresh token, one of the two new refresh tokens would be
//! thrown away (and with reuse detection, both revoked). Guarding only the write is too late:
//! the second token was already issued. So the token request itself is guarded.
//!
//! How: the lease is a secret version labelled [`LEASE_STAGE`] whose `ClientRequestToken` is
//! derived from the `AWSCURRENT` version id and an attempt number. Secrets Manager accepts a
//! token once per value, so of two runs that read the same version exactly one creates the lease
//! version; the other gets `ResourceExistsException` and stands back. A lease expires after its
//! TTL (a crashed run does not block the next one: it takes the next attempt number) and is
//! released as soon as the run is done. The lease version holds no credential.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use b2b_shared::secrets::{derived_token, SecretError, SecretsApi};

/// The staging label of the lease version.
pub const LEASE_STAGE: &str = "TOKENREFRESH_LEASE";

/// The lease version's value.
#[derive(Debug, Serialize, Deserialize)]
struct LeaseValue {
    token_refresh_lease_for: String,
    attempt: u32,
    owner: String,
    expires_at: i64,
}

/// A lease held by this run.
#[derive(Debug)]
pub struct Lease {
    /// The lease version's id.
    pub version_id: String,
}

/// Most lease attempts tried on one version in one call.
const MAX_ATTEMPTS: u32 = 20;

fn live(value: &SecretString, base: &str, now: i64) -> Option<LeaseValue> {
    use secrecy::ExposeSecret;
    serde_json::from_str::<LeaseValue>(value.expose_secret())
        .ok()
        .filter(|l| l.token_refresh_lease_for == base && l.expires_at > now)
}

/// Takes the lease on version `base` of secret `id` for `ttl` seconds from `now`; `Ok(None)` when
/// another run holds it.
///
/// Attempt numbers start after the last lease seen on `base`; an attempt whose version exists but
/// is released (no longer labelled) or expired is skipped.
pub async fn acquire(
    secrets: &SecretsApi,
    id: &str,
    base: &str,
    now: i64,
    ttl: i64,
) -> Result<Option<Lease>, SecretError> {
    use secrecy::ExposeSecret;
    let mut attempt = match secrets.get_stage(id, LEASE_STAGE).await {
        Ok(v) => {
            if live(&v.value, base, now).is_some() {
                return Ok(None);
            }
            match serde_json::from_str::<LeaseValue>(v.value.expose_secret()) {
                Ok(l) if l.token_refresh_lease_for == base => l.attempt + 1,
                _ => 0,
            }
        }
        Err(SecretError::NotFound { .. }) => 0,
        Err(e) => return Err(e),
    };
    let owner = format!("{:016x}", fastrand::u64(..));
    for _ in 0..MAX_ATTEMPTS {
        let token = derived_token(base, &format!("lease-{attempt}"));
        let value = LeaseValue {
            token_refresh_lease_for: base.to_owned(),
            attempt,
            owner: owner.clone(),
            expires_at: now + ttl,
        };
        let text = SecretString::from(serde_json::to_string(&value).unwrap_or_default());
        match secrets.put(id, &token, &text, Some(&[LEASE_STAGE])).await {
            Ok(version_id) => return Ok(Some(Lease { version_id })),
            Err(SecretError::Conflict { .. }) => {
                let taken = secrets.get_version(id, &token, None).await?;
                let labelled = taken.stages.iter().any(|s| s == LEASE_STAGE);
                if labelled && live(&taken.value, base, now).is_some() {
                    return Ok(None);
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Releases `lease` (best effort: an unreleased lease simply expires).
pub async fn release(secrets: &SecretsApi, id: &str, lease: Lease) {
    if let Err(e) = secrets
        .move_stage(id, LEASE_STAGE, None, Some(&lease.version_id))
        .await
    {
        tracing::warn!(secret_id = %id, error = %e, "refresh lease not released; it will expire");
    }
}
