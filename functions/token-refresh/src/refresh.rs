//! The scheduled refresh: for each connection secret whose access token expires within the lead
//! window, get a new token and write the whole secret back as a new `AWSCURRENT` version.
//!
//! A failure never touches the secret: the old token stays, the failure is logged and counted
//! (`TokenRefreshFailed`), and the next run tries again. Concurrent runs are serialized by the
//! [`lease`]; the write re-reads `AWSCURRENT` and lays the new tokens over the
//! latest version, so a field edited meanwhile is not lost either.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use b2b_shared::telemetry::{emit_metrics, Metric};
use serde::Serialize;

use crate::connection::{ConnectionDoc, ConnectionSpec, IssuedTokens};
use crate::lease;
use crate::oauth::{request_token, TokenError};
use b2b_shared::secrets::{derived_token, SecretError, SecretsApi, AWSCURRENT};

/// The current time in unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Why one connection could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Secrets Manager failed (retryable when it was unavailable).
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The connection secret is not usable (permanent until fixed).
    #[error("connection secret `{id}` is invalid: {reason}")]
    Malformed {
        /// The secret id.
        id: String,
        /// Every problem, naming fields, never values.
        reason: String,
    },
    /// The token endpoint gave no token.
    #[error("connection secret `{id}`: {source}")]
    Token {
        /// The secret id.
        id: String,
        /// What the endpoint did.
        #[source]
        source: TokenError,
    },
    /// New tokens were issued but could not be stored (retryable; the old token stays).
    #[error("connection secret `{id}`: new tokens could not be stored: {source}")]
    WriteFailed {
        /// The secret id.
        id: String,
        /// The last Secrets Manager error.
        #[source]
        source: SecretError,
    },
}

impl RefreshError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RefreshError::Secrets(e) => e.is_retryable(),
            RefreshError::Malformed { .. } => false,
            RefreshError::Token { source, .. } => source.is_retryable(),
            RefreshError::WriteFailed { .. } => true,
        }
    }
}

/// What happened to one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// A new token was stored as version `version_id`.
    Refreshed {
        /// The new `AWSCURRENT` version.
        version_id: String,
        /// The new expiry (unix seconds), when the endpoint gave a lifetime.
        expires_at: Option<i64>,
        /// Whether the endpoint rotated the refresh token.
        refresh_token_rotated: bool,
    },
    /// The token is good for longer than the lead window.
    NotDue {
        /// Seconds left.
        expires_in: i64,
    },
    /// Another run holds the refresh lease on this version.
    Busy,
    /// The refresh failed; the secret is unchanged.
    Failed {
        /// The error (never a secret).
        error: String,
        /// Whether the next run may succeed without a fix.
        retryable: bool,
    },
}

/// The result for one connection secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionResult {
    /// The connection secret id.
    pub secret_id: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of one scheduled run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// One entry per configured connection, in order.
    pub connections: Vec<ConnectionResult>,
}

impl RefreshReport {
    /// How many connections failed.
    pub fn failed(&self) -> usize {
        self.connections
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
            .count()
    }
}

/// Refreshes connection secrets.
#[derive(Debug, Clone)]
pub struct Refresher {
    /// Secrets Manager.
    pub secrets: SecretsApi,
    /// The HTTP client for token endpoints.
    pub http: reqwest::Client,
    /// Refresh when the token expires within this many seconds.
    pub lead_seconds: i64,
    /// How long a refresh lease lasts (longer than one run can take).
    pub lease_seconds: i64,
}

/// A connection secret as read at `AWSCURRENT`.
#[derive(Debug)]
pub struct CurrentConnection {
    /// Its version id.
    pub version_id: String,
    /// The whole document.
    pub doc: ConnectionDoc,
    /// Its typed view.
    pub spec: ConnectionSpec,
}

impl Refresher {
    /// Reads and validates the `AWSCURRENT` version of connection secret `id`.
    pub async fn read_current(&self, id: &str) -> Result<CurrentConnection, RefreshError> {
        let v = self.secrets.get_stage(id, AWSCURRENT).await?;
        let malformed = |reason: String| RefreshError::Malformed {
            id: id.to_owned(),
            reason,
        };
        let doc = ConnectionDoc::parse(&v.value).map_err(malformed)?;
        let spec = doc.spec().map_err(malformed)?;
        Ok(CurrentConnection {
            version_id: v.version_id,
            doc,
            spec,
        })
    }

    /// Asks the connection's token endpoint for new tokens (call it only while holding the lease).
    pub async fn request(
        &self,
        id: &str,
        spec: &ConnectionSpec,
    ) -> Result<IssuedTokens, RefreshError> {
        request_token(&self.http, spec)
            .await
            .map_err(|source| RefreshError::Token {
                id: id.to_owned(),
                source,
            })
    }

    /// Refreshes one connection when due. The lease is held from the token request until the
    /// new tokens are stored, so no other run can trade the same refresh token meanwhile.
    pub async fn refresh_one(&self, id: &str) -> Result<Outcome, RefreshError> {
        let current = self.read_current(id).await?;
        let now = now_unix();
        if !current.spec.is_due(now, self.lead_seconds) {
            return Ok(Outcome::NotDue {
                expires_in: current.spec.expires_in(now).unwrap_or_default(),
            });
        }
        let Some(held) = lease::acquire(
            &self.secrets,
            id,
            &current.version_id,
            now,
            self.lease_seconds,
        )
        .await?
        else {
            return Ok(Outcome::Busy);
        };
        let result = async {
            let tokens = self.request(id, &current.spec).await?;
            let (version_id, written) = self.write_tokens(id, &current, &tokens).await?;
            Ok::<_, RefreshError>(Outcome::Refreshed {
                version_id,
                expires_at: written.spec().ok().and_then(|s| s.expires_at),
                refresh_token_rotated: tokens.refresh_token.is_some(),
            })
        }
        .await;
        lease::release(&self.secrets, id, held).await;
        result
    }

    /// Writes `tokens` as a new `AWSCURRENT` version over the latest version (re-read right
    /// before the write), with a request token derived from that version so a repeated write is
    /// idempotent. Retries a few times on throttling or a conflict.
    async fn write_tokens(
        &self,
        id: &str,
        base: &CurrentConnection,
        tokens: &IssuedTokens,
    ) -> Result<(String, ConnectionDoc), RefreshError> {
        let now = now_unix();
        let mut last = None;
        for attempt in 0..4u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let latest = match self.secrets.get_stage(id, AWSCURRENT).await {
                Ok(v) => v,
                Err(e) if e.is_retryable() => {
                    last = Some(e);
                    continue;
                }
                Err(e) => return Err(write_failed(id, e)),
            };
            let latest_doc = if latest.version_id == base.version_id {
                base.doc.clone()
            } else {
                match ConnectionDoc::parse(&latest.value) {
                    Ok(d) => {
                        tracing::warn!(
                            secret_id = %id,
                            read = %base.version_id,
                            latest = %latest.version_id,
                            someone_else_refreshed = d.tokens_differ(&base.doc),
                            "connection secret changed during the refresh; new tokens laid over the latest version"
                        );
                        d
                    }
                    Err(_) => base.doc.clone(),
                }
            };
            let new_doc = latest_doc.with_tokens(tokens, now);
            let token = derived_token(&latest.version_id, "refresh");
            match self
                .secrets
                .put(id, &token, &new_doc.to_secret(), None)
                .await
            {
                Ok(v) => return Ok((v, new_doc)),
                Err(e @ SecretError::Conflict { .. }) => last = Some(e),
                Err(e) if e.is_retryable() => last = Some(e),
                Err(e) => return Err(write_failed(id, e)),
            }
        }
        Err(write_failed(
            id,
            last.unwrap_or(SecretError::Unavailable {
                what: format!("writing secret `{id}`"),
                reason: "gave up".into(),
            }),
        ))
    }

    /// Refreshes every connection in `ids`, logging and counting each result.
    pub async fn refresh_all(&self, ids: &[String]) -> RefreshReport {
        let mut connections = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = match self.refresh_one(id).await {
                Ok(o) => o,
                Err(e) => Outcome::Failed {
                    error: e.to_string(),
                    retryable: e.is_retryable(),
                },
            };
            log_and_count(id, &outcome);
            connections.push(ConnectionResult {
                secret_id: id.clone(),
                outcome,
            });
        }
        RefreshReport { connections }
    }
}

fn write_failed(id: &str, source: SecretError) -> RefreshError {
    RefreshError::WriteFailed {
        id: id.to_owned(),
        source,
    }
}

fn log_and_count(id: &str, outcome: &Outcome) {
    let (refreshed, failed) = match outcome {
        Outcome::Refreshed {
            version_id,
            expires_at,
            refresh_token_rotated,
        } => {
            tracing::info!(secret_id = %id, %version_id, ?expires_at, refresh_token_rotated, "connection token refreshed");
            (1.0, 0.0)
        }
        Outcome::NotDue { expires_in } => {
            tracing::info!(secret_id = %id, expires_in, "connection token not due for refresh");
            (0.0, 0.0)
        }
        Outcome::Busy => {
            tracing::warn!(secret_id = %id, "another run is refreshing this connection; skipped");
            (0.0, 0.0)
        }
        Outcome::Failed { error, retryable } => {
            tracing::error!(secret_id = %id, %error, retryable, "connection token refresh failed; the old token stays, the next run tries again");
            (0.0, 1.0)
        }
    };
    emit_metrics(
        &[("Function", "token-refresh"), ("Connection", id)],
        &[
            Metric {
                name: "TokenRefreshed",
                value: refreshed,
                unit: "Count",
            },
            Metric {
                name: "TokenRefreshFailed",
                value: failed,
                unit: "Count",
            },
        ],
    );
}
