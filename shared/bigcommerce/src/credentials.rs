//! Who the client calls as: the store hash and API token, and where they come from.
//!
//! The client asks a [`Credentials`] source for the [`StoreAuth`] to use before each request and
//! asks it once to [`refresh`](Credentials::refresh) after BigCommerce refuses the token (401/403),
//! so a rotated token is picked up without a restart. [`StaticToken`] is the simplest source: a
//! store hash and token handed in by the caller. Other sources (a secrets store, a vault, a cache
//! with a TTL) implement the trait themselves; their failures are [`CredentialsError`]s that say
//! whether trying again later may help.

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;

/// A BigCommerce store hash: the short alphanumeric id in `stores/{hash}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct StoreHash(String);

impl StoreHash {
    /// Validates a store hash: 1 to 64 ASCII letters and digits.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok =
            !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(StoreHash(raw.to_owned()))
        } else {
            Err("a store hash is 1 to 64 ASCII letters and digits".into())
        }
    }

    /// The hash as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreHash({})", self.0)
    }
}

impl fmt::Display for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StoreHash {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StoreHash::parse(s)
    }
}

impl<'de> Deserialize<'de> for StoreHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        StoreHash::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What one store's calls are authenticated with. `Debug` never shows the token.
pub struct StoreAuth {
    /// The store (`stores/{hash}` on core calls, `X-Store-Hash` on B2B calls).
    pub store_hash: StoreHash,
    /// A store-level or app API token (`X-Auth-Token`), with the B2B Edition scope for B2B calls.
    pub access_token: SecretString,
}

impl StoreAuth {
    /// Credentials for `store_hash` with `access_token`.
    pub fn new(store_hash: StoreHash, access_token: impl Into<String>) -> Self {
        Self {
            store_hash,
            access_token: SecretString::from(access_token.into()),
        }
    }
}

impl fmt::Debug for StoreAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreAuth")
            .field("store_hash", &self.store_hash)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

/// Why credentials could not be had: the source's own error, classified.
#[derive(Debug, thiserror::Error)]
#[error("store credentials could not be read: {source}")]
pub struct CredentialsError {
    retryable: bool,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl CredentialsError {
    /// A failure that may pass (the secrets store is throttling or unreachable).
    pub fn retryable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            retryable: true,
            source: source.into(),
        }
    }

    /// A failure that stays until someone fixes it (missing, malformed, access denied).
    pub fn permanent(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            retryable: false,
            source: source.into(),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The source's own error, to downcast when the caller knows the source.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.source.as_ref()
    }
}

/// Where a client's [`StoreAuth`] comes from. The client asks for [`current`](Self::current)
/// before each request and calls [`refresh`](Self::refresh) once after a 401/403.
pub trait Credentials: Send + Sync + 'static {
    /// The credentials to use now (a source may cache them).
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>>;
    /// Fresh credentials after `rejected` was refused, unless another caller already refreshed
    /// them (then those are returned without a new read).
    fn refresh<'a>(
        &'a self,
        rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>>;
}

/// Fixed credentials: a store hash and a token that never change (scripts, tests, examples).
#[derive(Debug, Clone)]
pub struct StaticToken(Arc<StoreAuth>);

impl StaticToken {
    /// Credentials for `store_hash` with `access_token`.
    pub fn new(store_hash: StoreHash, access_token: impl Into<String>) -> Self {
        Self(Arc::new(StoreAuth::new(store_hash, access_token)))
    }
}

impl From<StoreAuth> for StaticToken {
    fn from(auth: StoreAuth) -> Self {
        Self(Arc::new(auth))
    }
}

impl Credentials for StaticToken {
    fn current(&self) -> BoxFuture<'_, Result<Arc<StoreAuth>, CredentialsError>> {
        let auth = self.0.clone();
        Box::pin(async move { Ok(auth) })
    }

    fn refresh<'a>(
        &'a self,
        _rejected: &'a Arc<StoreAuth>,
    ) -> BoxFuture<'a, Result<Arc<StoreAuth>, CredentialsError>> {
        self.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn store_hashes_are_validated() {
        assert_eq!(StoreHash::parse("abc123").unwrap().as_str(), "abc123");
        for bad in ["", "a/b", "ab c", &"x".repeat(65)] {
            assert!(StoreHash::parse(bad).is_err(), "{bad:?}");
        }
        let from_json: Result<StoreHash, _> = serde_json::from_str("\"a-b\"");
        assert!(from_json.is_err());
    }

    #[tokio::test]
    async fn static_token_never_shows_the_token() {
        let creds = StaticToken::new(StoreHash::parse("abc").unwrap(), "tok-SECRET");
        let dbg = format!("{creds:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        let auth = creds.current().await.unwrap();
        assert_eq!(auth.access_token.expose_secret(), "tok-SECRET");
        let again = creds.refresh(&auth).await.unwrap();
        assert!(Arc::ptr_eq(&auth, &again));
    }

    #[test]
    fn errors_keep_their_class_and_source() {
        let e = CredentialsError::retryable("throttled");
        assert!(e.is_retryable());
        assert_eq!(e.inner().to_string(), "throttled");
        assert!(!CredentialsError::permanent("gone").is_retryable());
        assert!(std::error::Error::source(&e).is_some());
    }
}
