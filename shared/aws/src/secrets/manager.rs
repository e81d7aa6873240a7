//! The one wrapper of the Secrets Manager API every function uses: reading the store secret,
//! token-refresh's refresh, lease and rotation, auth-callback's install. Its errors are classified
//! retryable vs permanent in one place ([`SecretError`]) and secret values are kept in
//! [`SecretString`]s.
//!
//! Every read names its stage or version explicitly (moto, and AWS right after a stage move, can
//! answer a bare `GetSecretValue` with an old version).

use std::collections::HashMap;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// The stage of the version in use.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// The stage of a version being rotated in.
pub const AWSPENDING: &str = "AWSPENDING";

/// Why a Secrets Manager call failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secret, version or stage does not exist (permanent).
    #[error("{what} was not found")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// The `ClientRequestToken` is already used by a version with another value: someone else
    /// wrote first (a conflict, resolved by re-reading).
    #[error("{what}: version {token} already exists with another value")]
    Conflict {
        /// What was written.
        what: String,
        /// The request token.
        token: String,
    },
    /// Access denied, invalid parameters or a malformed secret (permanent until fixed).
    #[error("{what}: {reason}")]
    Permanent {
        /// What was asked for.
        what: String,
        /// The service's message (never a secret value).
        reason: String,
    },
    /// The secret exists but is not what it should be (not the expected JSON, or binary); never
    /// quotes the value (permanent until it is fixed).
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// What was read.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// [`SecretsApi::create`] found a secret of that name already there.
    #[error("{what}: the secret already exists")]
    AlreadyExists {
        /// What was created.
        what: String,
    },
    /// Throttling, a service error or the network (retryable).
    #[error("{what}: Secrets Manager unavailable: {reason}")]
    Unavailable {
        /// What was asked for.
        what: String,
        /// The service's message.
        reason: String,
    },
}

impl SecretError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Unavailable { .. })
    }

    fn from_sdk<E, R>(what: String, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = e.code().map(str::to_owned);
        let reason = format!("{}", DisplayErrorContext(&e));
        match code.as_deref() {
            Some("ResourceNotFoundException") => SecretError::NotFound { what },
            Some("AccessDeniedException")
            | Some("InvalidParameterException")
            | Some("InvalidRequestException")
            | Some("ValidationException")
            | Some("LimitExceededException")
            | Some("EncryptionFailure")
            | Some("DecryptionFailure")
            | Some("MalformedPolicyDocumentException") => SecretError::Permanent { what, reason },
            _ => SecretError::Unavailable { what, reason },
        }
    }
}

/// One version of a secret, as read.
#[derive(Debug)]
pub struct SecretVersion {
    /// Its version id.
    pub version_id: String,
    /// Its stages.
    pub stages: Vec<String>,
    /// Its value (redacted in `Debug`).
    pub value: SecretString,
}

/// A thin client over the Secrets Manager API (or moto through `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone)]
pub struct SecretsApi {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsApi {
    /// Wraps a Secrets Manager client.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self { client }
    }

    /// The SDK client, for the rare call not wrapped here.
    pub fn client(&self) -> &aws_sdk_secretsmanager::Client {
        &self.client
    }

    /// Reads the version of `id` at `stage` (e.g. [`AWSCURRENT`]).
    pub async fn get_stage(&self, id: &str, stage: &str) -> Result<SecretVersion, SecretError> {
        self.get(id, None, Some(stage)).await
    }

    /// Reads version `version_id` of `id`, optionally requiring it to carry `stage`.
    pub async fn get_version(
        &self,
        id: &str,
        version_id: &str,
        stage: Option<&str>,
    ) -> Result<SecretVersion, SecretError> {
        self.get(id, Some(version_id), stage).await
    }

    async fn get(
        &self,
        id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<SecretVersion, SecretError> {
        let what = format!(
            "secret `{id}` {}",
            match (version_id, stage) {
                (Some(v), Some(s)) => format!("version {v} at {s}"),
                (Some(v), None) => format!("version {v}"),
                (None, Some(s)) => format!("at {s}"),
                (None, None) => String::new(),
            }
        );
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .set_version_id(version_id.map(str::to_owned))
            .set_version_stage(stage.map(str::to_owned))
            .send()
            .await
            .map_err(|e| SecretError::from_sdk(what.clone(), e))?;
        let value = out.secret_string.ok_or_else(|| SecretError::Malformed {
            what: what.clone(),
            reason: "it has no SecretString (binary secrets are not supported)".into(),
        })?;
        Ok(SecretVersion {
            version_id: out.version_id.unwrap_or_default(),
            stages: out.version_stages.unwrap_or_default(),
            value: SecretString::from(value),
        })
    }

    /// Writes `value` as version `token` of `id` with `stages` (`None`: Secrets Manager's default,
    /// which moves `AWSCURRENT` to the new version). Idempotent for the same token and value;
    /// [`SecretError::Conflict`] when the token already holds another value.
    pub async fn put(
        &self,
        id: &str,
        token: &str,
        value: &SecretString,
        stages: Option<&[&str]>,
    ) -> Result<String, SecretError> {
        use secrecy::ExposeSecret;
        let what = format!("writing secret `{id}`");
        let out = self
            .client
            .put_secret_value()
            .secret_id(id)
            .client_request_token(token)
            .secret_string(value.expose_secret())
            .set_version_stages(stages.map(|s| s.iter().map(|x| (*x).to_owned()).collect()))
            .send()
            .await
            .map_err(|e| {
                if e.code() == Some("ResourceExistsException") {
                    SecretError::Conflict {
                        what: what.clone(),
                        token: token.to_owned(),
                    }
                } else {
                    SecretError::from_sdk(what.clone(), e)
                }
            })?;
        Ok(out.version_id.unwrap_or_else(|| token.to_owned()))
    }

    /// Creates secret `id` with `value` as its `AWSCURRENT` version; returns the version id.
    /// [`SecretError::AlreadyExists`] when a secret of that name exists (also one scheduled for
    /// deletion).
    pub async fn create(
        &self,
        id: &str,
        description: &str,
        value: &SecretString,
    ) -> Result<String, SecretError> {
        use secrecy::ExposeSecret;
        let what = format!("creating secret `{id}`");
        let out = self
            .client
            .create_secret()
            .name(id)
            .description(description)
            .secret_string(value.expose_secret())
            .send()
            .await
            .map_err(|e| {
                if e.code() == Some("ResourceExistsException") {
                    SecretError::AlreadyExists { what: what.clone() }
                } else {
                    SecretError::from_sdk(what.clone(), e)
                }
            })?;
        Ok(out.version_id.unwrap_or_default())
    }

    /// Schedules `id` for deletion after `recovery_days` (7 to 30), during which
    /// [`restore`](Self::restore) brings it back. Scheduling one already scheduled is refused by
    /// Secrets Manager ([`SecretError::Permanent`]).
    pub async fn schedule_deletion(&self, id: &str, recovery_days: i64) -> Result<(), SecretError> {
        self.client
            .delete_secret()
            .secret_id(id)
            .recovery_window_in_days(recovery_days)
            .send()
            .await
            .map(drop)
            .map_err(|e| SecretError::from_sdk(format!("scheduling secret `{id}` for deletion"), e))
    }

    /// Cancels the scheduled deletion of `id`. Restoring a secret that is not scheduled for
    /// deletion succeeds and changes nothing.
    pub async fn restore(&self, id: &str) -> Result<(), SecretError> {
        self.client
            .restore_secret()
            .secret_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| SecretError::from_sdk(format!("restoring secret `{id}`"), e))
    }

    /// The stages of every version of `id` that has any.
    pub async fn stages(&self, id: &str) -> Result<HashMap<String, Vec<String>>, SecretError> {
        let out = self
            .client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| SecretError::from_sdk(format!("describing secret `{id}`"), e))?;
        Ok(out.version_ids_to_stages.unwrap_or_default())
    }

    /// Moves `stage` to version `to`, taking it from `from` when it is attached there.
    pub async fn move_stage(
        &self,
        id: &str,
        stage: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), SecretError> {
        self.client
            .update_secret_version_stage()
            .secret_id(id)
            .version_stage(stage)
            .set_move_to_version_id(to.map(str::to_owned))
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map_err(|e| SecretError::from_sdk(format!("moving {stage} of secret `{id}`"), e))?;
        Ok(())
    }
}

/// A deterministic, UUID-shaped `ClientRequestToken` for `purpose` on top of version `base`:
/// every run that read the same version derives the same token, so their writes collide
/// (idempotently, or as a [`SecretError::Conflict`]) instead of silently piling up.
pub fn derived_token(base: &str, purpose: &str) -> String {
    let digest = Sha256::digest(format!("{base}\n{purpose}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_tokens_are_stable_distinct_and_valid_request_tokens() {
        let a = derived_token("v1", "refresh");
        assert_eq!(a, derived_token("v1", "refresh"));
        assert_ne!(a, derived_token("v2", "refresh"));
        assert_ne!(a, derived_token("v1", "lease-0"));
        // Secrets Manager wants 32 to 64 characters.
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn only_unavailable_is_retryable() {
        let w = || "x".to_string();
        assert!(SecretError::Unavailable {
            what: w(),
            reason: w()
        }
        .is_retryable());
        assert!(!SecretError::NotFound { what: w() }.is_retryable());
        assert!(!SecretError::Permanent {
            what: w(),
            reason: w()
        }
        .is_retryable());
    }
}
