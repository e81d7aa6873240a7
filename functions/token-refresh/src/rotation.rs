//! The Secrets Manager rotation protocol for connection secrets: `createSecret`, `setSecret`,
//! `testSecret`, `finishSecret`, each idempotent, `AWSCURRENT` untouched until the new version
//! tested good.
//!
//! - `createSecret`: unless a version with the rotation token already exists, get a new access
//!   token (holding the refresh [`lease`], like the scheduled refresh) and store the
//!   whole secret with it as version `ClientRequestToken` at `AWSPENDING`.
//! - `setSecret`: nothing to do. For OAuth2 the provider issued the token itself in
//!   `createSecret`; there is no password to set in another system.
//! - `testSecret`: the pending token must be non-empty and not expire within a minute; when the
//!   secret has a `test_url`, a `GET` with `Authorization: Bearer <token>` must answer 2xx.
//! - `finishSecret`: move `AWSCURRENT` to the token's version (removing it from the current one);
//!   nothing to do when it is already there.
//!
//! When Secrets Manager drives the rotation, it attaches `AWSPENDING` to the token's version
//! before `createSecret`; when the steps are called directly (tests), the version appears with
//! `createSecret`. Both are accepted.

use std::time::Duration;

use aws_lambda_events::event::secretsmanager::SecretsManagerSecretRotationEvent;
use secrecy::ExposeSecret;

use crate::connection::ConnectionDoc;
use crate::lease;
use crate::refresh::{now_unix, RefreshError, Refresher};
use b2b_shared::secrets::{SecretError, AWSCURRENT, AWSPENDING};

/// Why a rotation step failed. Secrets Manager marks the rotation failed and retries later.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// The event names an unknown step (permanent).
    #[error("unknown rotation step `{0}`")]
    UnknownStep(String),
    /// The token's version does not exist or is not staged for rotation (permanent).
    #[error("secret `{id}` version {token} is not staged for rotation ({stages})")]
    NotStaged {
        /// The secret id.
        id: String,
        /// The rotation token.
        token: String,
        /// Its stages, or "absent".
        stages: String,
    },
    /// Another run holds the refresh lease (retryable).
    #[error("secret `{0}`: another run is refreshing this connection; try again")]
    Busy(String),
    /// Getting or storing the new token failed.
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// Secrets Manager failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The pending token did not test good.
    #[error("secret `{id}`: the pending token failed its test: {reason}")]
    TestFailed {
        /// The secret id.
        id: String,
        /// Why (never the token).
        reason: String,
        /// Whether testing again may succeed (5xx, network).
        retryable: bool,
    },
}

impl RotationError {
    /// Whether trying the step again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RotationError::UnknownStep(_) | RotationError::NotStaged { .. } => false,
            RotationError::Busy(_) => true,
            RotationError::Refresh(e) => e.is_retryable(),
            RotationError::Secrets(e) => e.is_retryable(),
            RotationError::TestFailed { retryable, .. } => *retryable,
        }
    }
}

/// The four rotation steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `createSecret`.
    Create,
    /// `setSecret`.
    Set,
    /// `testSecret`.
    Test,
    /// `finishSecret`.
    Finish,
}

impl Step {
    /// Parses the event's `Step`.
    pub fn parse(raw: &str) -> Result<Self, RotationError> {
        match raw {
            "createSecret" => Ok(Step::Create),
            "setSecret" => Ok(Step::Set),
            "testSecret" => Ok(Step::Test),
            "finishSecret" => Ok(Step::Finish),
            other => Err(RotationError::UnknownStep(other.to_owned())),
        }
    }
}

/// Runs one rotation step for a connection secret.
pub async fn rotate(
    refresher: &Refresher,
    event: &SecretsManagerSecretRotationEvent,
) -> Result<Step, RotationError> {
    let step = Step::parse(&event.step)?;
    let id = event.secret_id.as_str();
    let token = event.client_request_token.as_str();
    let versions = refresher.secrets.stages(id).await?;
    let stages = versions.get(token);
    if stages.is_some_and(|s| s.iter().any(|x| x == AWSCURRENT)) {
        tracing::info!(secret_id = %id, step = %event.step, version = %token, "version is already AWSCURRENT; nothing to do");
        return Ok(step);
    }
    let pending = stages.is_some_and(|s| s.iter().any(|x| x == AWSPENDING));
    // Directly called steps (no RotateSecret) meet no version before createSecret creates it.
    let created_by_this_step = step == Step::Create && stages.is_none();
    if !(pending || created_by_this_step) {
        return Err(RotationError::NotStaged {
            id: id.to_owned(),
            token: token.to_owned(),
            stages: stages.map_or_else(|| "absent".to_owned(), |s| s.join(",")),
        });
    }
    match step {
        Step::Create => create(refresher, id, token).await?,
        Step::Set => {
            tracing::info!(secret_id = %id, version = %token, "setSecret: nothing to set for an OAuth2 connection");
        }
        Step::Test => test(refresher, id, token).await?,
        Step::Finish => finish(refresher, id, token, &versions).await?,
    }
    Ok(step)
}

async fn create(refresher: &Refresher, id: &str, token: &str) -> Result<(), RotationError> {
    match refresher
        .secrets
        .get_version(id, token, Some(AWSPENDING))
        .await
    {
        Ok(_) => {
            tracing::info!(secret_id = %id, version = %token, "createSecret: pending version exists already");
            return Ok(());
        }
        Err(SecretError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let current = refresher.read_current(id).await?;
    let Some(held) = lease::acquire(
        &refresher.secrets,
        id,
        &current.version_id,
        now_unix(),
        refresher.lease_seconds,
    )
    .await?
    else {
        return Err(RotationError::Busy(id.to_owned()));
    };
    let result = async {
        let tokens = refresher.request(id, &current.spec).await?;
        let doc = current.doc.with_tokens(&tokens, now_unix());
        refresher
            .secrets
            .put(id, token, &doc.to_secret(), Some(&[AWSPENDING]))
            .await
            .map_err(|source| RefreshError::WriteFailed {
                id: id.to_owned(),
                source,
            })?;
        Ok::<_, RotationError>(())
    }
    .await;
    lease::release(&refresher.secrets, id, held).await;
    result?;
    tracing::info!(secret_id = %id, version = %token, "createSecret: new token stored at AWSPENDING");
    Ok(())
}

async fn test(refresher: &Refresher, id: &str, token: &str) -> Result<(), RotationError> {
    let v = refresher
        .secrets
        .get_version(id, token, Some(AWSPENDING))
        .await?;
    let failed = |reason: String, retryable: bool| RotationError::TestFailed {
        id: id.to_owned(),
        reason,
        retryable,
    };
    let doc = ConnectionDoc::parse(&v.value).map_err(|r| failed(r, false))?;
    let spec = doc.spec().map_err(|r| failed(r, false))?;
    let Some(access) = spec.access_token.as_ref() else {
        return Err(failed("it has no access_token".into(), false));
    };
    if let Some(left) = spec.expires_in(now_unix()) {
        if left < 60 {
            return Err(failed(format!("it expires in {left} s"), false));
        }
    }
    if let Some(url) = &spec.test_url {
        let resp = refresher
            .http
            .get(url.clone())
            .bearer_auth(access.expose_secret())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| failed(format!("test_url unreachable: {}", e.without_url()), true))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(failed(
                format!("test_url answered HTTP {}", status.as_u16()),
                status.is_server_error() || status.as_u16() == 429,
            ));
        }
    }
    tracing::info!(secret_id = %id, version = %token, tested_url = spec.test_url.is_some(), "testSecret: pending token is good");
    Ok(())
}

async fn finish(
    refresher: &Refresher,
    id: &str,
    token: &str,
    versions: &std::collections::HashMap<String, Vec<String>>,
) -> Result<(), RotationError> {
    let current = versions
        .iter()
        .find(|(_, s)| s.iter().any(|x| x == AWSCURRENT))
        .map(|(v, _)| v.as_str());
    refresher
        .secrets
        .move_stage(id, AWSCURRENT, Some(token), current)
        .await?;
    tracing::info!(secret_id = %id, version = %token, previous = ?current, "finishSecret: AWSCURRENT moved to the new version");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_unknown_ones_are_permanent() {
        assert_eq!(Step::parse("createSecret").unwrap(), Step::Create);
        assert_eq!(Step::parse("finishSecret").unwrap(), Step::Finish);
        let e = Step::parse("deleteSecret").unwrap_err();
        assert!(!e.is_retryable());
        assert!(RotationError::Busy("x".into()).is_retryable());
    }
}
