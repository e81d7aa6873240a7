//! Secrets Manager for auth-callback: reads the app's credentials and writes the store secret
//! (`{prefix}{store_hash}`), creating it when it does not exist and otherwise writing a new
//! `AWSCURRENT` version that keeps every other field.

use std::time::{SystemTime, UNIX_EPOCH};

use b2b_shared::secrets::credential::{shared_key_weakness, token_weakness};
use b2b_shared::secrets::{
    derived_token, SecretError, SecretVersion, SecretsApi, UnusableCredential, Weakness, AWSCURRENT,
};
use bigcommerce_b2b::StoreHash;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::exchange::{AppCredentials, Installed};

/// Why Secrets Manager could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Throttling, a service error or the network (503; retryable).
    #[error("Secrets Manager is unavailable: {0}")]
    Unavailable(String),
    /// The secret does not exist, access is denied, or its value is malformed (500; permanent).
    #[error("{0}")]
    Permanent(String),
    /// A credential the app secret holds may not be used yet: empty (as the template creates
    /// it), a placeholder or too short (503: the app is not set up yet; permanent until fixed).
    #[error(transparent)]
    Unconfigured(#[from] UnusableCredential),
}

impl StoreError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<SecretError> for StoreError {
    fn from(e: SecretError) -> Self {
        if e.is_retryable() {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Permanent(e.to_string())
        }
    }
}

/// Now, in unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Reads `AWSCURRENT` of `id`; `Ok(None)` when the secret does not exist.
async fn read(sm: &SecretsApi, id: &str) -> Result<Option<SecretVersion>, StoreError> {
    match sm.get_stage(id, AWSCURRENT).await {
        Ok(v) => Ok(Some(v)),
        Err(SecretError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn object(id: &str, value: &SecretString) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str::<Value>(value.expose_secret()) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(StoreError::Permanent(format!(
            "secret `{id}` is not a JSON object"
        ))),
    }
}

/// Reads the app's credentials from `id` (`{"client_id", "client_secret"}`); `client_id` falls
/// back to `fallback_client_id` (`BC_CLIENT_ID`). A client id that is missing, empty or a
/// placeholder, or a client secret that is also short, is [`StoreError::Unconfigured`]: it is
/// never sent to BigCommerce nor used to check a signed payload.
pub async fn app_credentials(
    sm: &SecretsApi,
    id: &str,
    fallback_client_id: Option<&str>,
) -> Result<AppCredentials, StoreError> {
    let current = read(sm, id)
        .await?
        .ok_or_else(|| StoreError::Permanent(format!("app secret `{id}` was not found")))?;
    let m = object(id, &current.value)?;
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::trim);
    let unusable = |field: &str, weakness| UnusableCredential::new(id, field, weakness);
    let client_id = match (
        text("client_id").filter(|s| !s.is_empty()),
        fallback_client_id,
    ) {
        (Some(configured), _) => configured,
        (None, Some(fallback)) => fallback,
        (None, None) => return Err(unusable("client_id", Weakness::Empty).into()),
    };
    if let Some(weakness) = token_weakness(client_id) {
        return Err(unusable("client_id", weakness).into());
    }
    let client_secret =
        text("client_secret").ok_or(unusable("client_secret", Weakness::Missing))?;
    if let Some(weakness) = shared_key_weakness(client_secret) {
        return Err(unusable("client_secret", weakness).into());
    }
    Ok(AppCredentials {
        client_id: client_id.to_owned(),
        client_secret: SecretString::from(client_secret.to_owned()),
    })
}

/// Whether the store secret was created or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A new secret.
    Created,
    /// A new version of an existing secret.
    Updated,
}

/// Stores the installed token in secret `id` for `store_hash`, keeping the secret's other fields.
/// The store secret also gets the app's `client_id` and `client_secret` (webhook-intake verifies
/// Standard Webhooks signatures with it).
///
/// The new version's request token is derived from the version it was merged from, so two
/// installs racing on one version cannot both win: the loser's write is refused
/// ([`SecretError::Conflict`]) and it merges again on top of the winner's version, losing no
/// field either wrote.
pub async fn write_store_secret(
    sm: &SecretsApi,
    id: &str,
    store_hash: &StoreHash,
    app: &AppCredentials,
    installed: &Installed,
) -> Result<Written, StoreError> {
    // Each lost race means another install won; five rounds cover five installs at once.
    for _ in 0..5 {
        let existing = read(sm, id).await?;
        let mut m = match &existing {
            Some(current) => object(id, &current.value)?,
            None => Map::new(),
        };
        m.insert("store_hash".into(), Value::from(store_hash.as_str()));
        m.insert(
            "access_token".into(),
            Value::from(installed.access_token.expose_secret()),
        );
        m.insert("client_id".into(), Value::from(app.client_id.as_str()));
        m.insert(
            "client_secret".into(),
            Value::from(app.client_secret.expose_secret()),
        );
        if let Some(scope) = &installed.scope {
            m.insert("scope".into(), Value::from(scope.as_str()));
        }
        if let Some(account) = &installed.account_uuid {
            m.insert("account_uuid".into(), Value::from(account.as_str()));
        }
        m.insert("installed_at".into(), Value::from(now_unix()));
        let text = SecretString::from(Value::Object(m).to_string());
        match existing {
            Some(current) => {
                let token = derived_token(&current.version_id, "install");
                match sm.put(id, &token, &text, None).await {
                    Ok(_) => return Ok(Written::Updated),
                    // Another install wrote on top of the same version first: merge again.
                    Err(SecretError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            None => {
                let description =
                    format!("BigCommerce store {store_hash}: API token from the app install");
                match sm.create(id, &description, &text).await {
                    Ok(_) => return Ok(Written::Created),
                    // Created meanwhile (a double click): read it and update it instead.
                    Err(SecretError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "secret `{id}` kept changing while it was written"
    )))
}
